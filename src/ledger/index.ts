export { LedgerMovedError, NoAccountsError, UnknownTransactionError } from "./errors.js";
export { LedgerGate } from "./gate.js";
export {
  HISTORY_CURSOR_PATTERN,
  type HistoryPage,
  type LedgerReader,
  type LedgerWrite,
  type TxPlace,
  type UndoRecord,
} from "./interface.js";
export { type Batches, Ledger } from "./ledger.js";
export { AccountsMempool, type PreparedRefill } from "./mempool.js";
export { connectFrom, DEFAULT_SWITCH_PIECE, disconnectDown, type PieceStore } from "./pieces.js";
export {
  type AccountState,
  type ConfirmedTransaction,
  type HistoryEntries,
  LedgerQueries,
  type QuerySources,
  type TransactionStatus,
} from "./queries.js";
export { type RebuildStore, type Reindexed, reindex, type StoredBlocks } from "./reindex.js";
export { rewardId } from "./reward-id.js";
export { REWARD_KEY_FILE, REWARD_PASSPHRASE_FILE, rewardAddress } from "./reward-key.js";
