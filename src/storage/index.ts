export { DamagedStoreError, ForeignStoreError, StoreFailedError, StoreUnavailableError } from "./errors.js";
export { GroupCommit } from "./group-commit.js";
export type { NetworkId, PendingEntry, Store, StoredState } from "./interface.js";
export { LevelStore } from "./level.js";
export { MemoryStore } from "./memory.js";
