export { type Peer, parsePeerAddress } from "./address.js";
export { FAILURES_BEFORE_BACKOFF, type PeerHealth } from "./backoff.js";
export { DEFAULT_PEER_TIMEOUT_MS, downloadChain, MAX_CHAIN_BYTES, type PeerClientOptions } from "./client.js";
export { InvalidPeerAddressError, PeerDataError, PeerUnreachableError, TooManyPeersError } from "./errors.js";
export { MAX_PEERS, PeerSet } from "./peers.js";
