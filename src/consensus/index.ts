export { ResolveStoppedError } from "./errors.js";
export { type Judgement, judgeChain } from "./judge.js";
export { JudgePool } from "./judge-pool.js";
export {
  type Candidate,
  ChainChoice,
  type DownloadChain,
  FETCH_CONCURRENCY,
  forEachPeer,
  type OurChain,
  PEER_VERDICTS,
  type PeerHealthNews,
  type PeerOutcome,
  type PeerReport,
  type PeerVerdict,
} from "./resolve.js";
