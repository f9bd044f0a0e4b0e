export { encodeBlock } from "./block-codec.js";
export {
  DamagedBlockError,
  DamagedStoreError,
  ForeignStoreError,
  StoreClosedError,
  StoreFailedError,
  StoreFormatError,
  StoreUnavailableError,
} from "./errors.js";
export { GroupCommit } from "./group-commit.js";
export type {
  BitsList,
  ChainView,
  IndexEntry,
  LedgerBehind,
  NetworkId,
  PendingEntry,
  Store,
  StoredState,
  StoredTip,
  StoreMigration,
} from "./interface.js";
export { LevelStore } from "./level.js";
export { LEDGER_PREFIXES, STORE_FORMAT } from "./level-keys.js";
export { MemoryStore } from "./memory.js";
export {
  type CheckBlocks,
  DEFAULT_CHECK_BLOCKS,
  loadStoredChain,
  type SegmentChecker,
  type StoredChain,
} from "./stored-chain.js";
export { type TableMaps, unmapLevelTables } from "./table-maps.js";
