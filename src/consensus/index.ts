export {
  ChainChoice,
  FETCH_CONCURRENCY,
  forEachPeer,
  type OurChain,
  PEER_VERDICTS,
  type PeerHealthNews,
  type PeerOutcome,
  type PeerReport,
  type PeerVerdict,
  tipMeasure,
  vetTip,
} from "./resolve.js";
