export {
  type RemoteJob,
  StratumAuthorizationError,
  StratumClient,
  type StratumClientEvents,
  StratumProtocolError,
} from "./client.js";
export { LineTooLongError, StratumCode, StratumError } from "./errors.js";
export { LineReader, MAX_LINE_BYTES } from "./framing.js";
export {
  DEFAULT_BAN,
  DEFAULT_HANDSHAKE_MS,
  DEFAULT_IDLE_MS,
  DEFAULT_MAX_SESSIONS,
  type JobSource,
  type MinerView,
  type ProofSink,
  type ShareOutcome,
  type StratumConfig,
  type StratumOptions,
} from "./interface.js";
export { inRange, type NonceRange, nonceRange, RANGE_COUNT, RANGE_SIZE, RangeAllocator } from "./ranges.js";
export {
  FIRST_RECONNECT_MS,
  MAX_RECONNECT_MS,
  RemoteMiner,
  type RemoteMinerCounts,
  type RemoteMinerOptions,
} from "./remote-miner.js";
export { type StratumCounts, StratumServer } from "./server.js";
export { MINER_AGENT, Session } from "./session.js";
export { DEFAULT_VARDIFF, initialShareTarget, retarget, type VardiffRules, type VardiffWindow } from "./vardiff.js";
