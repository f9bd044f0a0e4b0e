import { type Peer, parsePeerAddress } from "./address.js";

/** The nodes this node resolves against, in registration order. */
export class PeerSet {
  readonly #peers = new Map<string, Peer>();

  /** Registers every address or none: a bad one fails the whole call. Returns how many were new. */
  register(addresses: readonly string[]): number {
    const parsed = addresses.map((address, i) => parsePeerAddress(address, i));
    const before = this.#peers.size;
    for (const peer of parsed) if (!this.#peers.has(peer.id)) this.#peers.set(peer.id, peer);
    return this.#peers.size - before;
  }

  get ids(): string[] {
    return [...this.#peers.keys()];
  }

  list(): Peer[] {
    return [...this.#peers.values()];
  }
}
