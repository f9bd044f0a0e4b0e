export type { HistoryPage, LedgerReader, LedgerWrite, TxPlace, UndoRecord } from "./interface.js";
export { type Batches, Ledger } from "./ledger.js";
export { AccountsMempool, type PreparedRefill } from "./mempool.js";
export { type RebuildStore, type Reindexed, reindex, type StoredBlocks } from "./reindex.js";
export { rewardId } from "./reward-id.js";
export { REWARD_KEY_FILE, REWARD_PASSPHRASE_FILE, rewardAddress } from "./reward-key.js";
