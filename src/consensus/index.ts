export {
  type Candidate,
  chooseChain,
  type FetchChain,
  gatherCandidates,
  type PeerReport,
  type PeerVerdict,
} from "./resolve.js";
