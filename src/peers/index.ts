export { type Peer, parsePeerAddress } from "./address.js";
export { FAILURES_BEFORE_BACKOFF, HealthRecords, type PeerHealth } from "./backoff.js";
export { DEFAULT_PEER_TIMEOUT_MS, type PeerClientOptions, type PeerRequest, requestPeer } from "./client.js";
export {
  InvalidPeerAddressError,
  PeerDataError,
  PeerStatusError,
  PeerUnreachableError,
  TooManyPeersError,
} from "./errors.js";
export { MAX_PEERS, PeerSet } from "./peers.js";
