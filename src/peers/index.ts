export { type Peer, parsePeerAddress } from "./address.js";
export { fetchChain, type PeerClientOptions } from "./client.js";
export { InvalidPeerAddressError, PeerDataError, PeerUnreachableError } from "./errors.js";
export { PeerSet } from "./peers.js";
