export {
  type Candidate,
  ChainChoice,
  FETCH_CONCURRENCY,
  type FetchChain,
  type Fetched,
  fetchAll,
  PEER_VERDICTS,
  type PeerReport,
  type PeerVerdict,
} from "./resolve.js";
