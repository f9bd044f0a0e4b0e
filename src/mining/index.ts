export {
  ContinuousMiner,
  type ContinuousMinerDeps,
  FIRST_RETRY_MS,
  MAX_RETRY_MS,
  pause,
  REFRESH_CHECK_MS,
  REFRESH_MS,
  retryMs,
} from "./continuous.js";
export { CANCELLED, FIRST_NONCE, FOUND, JobControl, MAX_NONCE, RUNNING } from "./control.js";
export { MinerStoppedError } from "./errors.js";
export { type HashRate, measureHashRate } from "./hashrate.js";
export type { MiningJob, RefusedProof, SearchOutcome, SearchResult, SearchTask } from "./interface.js";
export {
  type JobProgress,
  type JobStats,
  LIVE_JOBS,
  type MinedBlock,
  Miner,
  type MinerDeps,
} from "./miner.js";
export { CALIBRATION_MS, defaultThreads, MinerPool, PARALLEL_VALIDATION_MIN } from "./pool.js";
