export { CANCELLED, FOUND, JobControl, RUNNING } from "./control.js";
export type { SearchOutcome, SearchResult, SearchTask } from "./interface.js";
export { type MinedBlock, Miner } from "./miner.js";
export { defaultThreads, MinerPool } from "./pool.js";
