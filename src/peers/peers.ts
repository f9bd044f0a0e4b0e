import { type Peer, parsePeerAddress } from "./address.js";

/** The nodes this node resolves against, in registration order. */
export class PeerSet {
  readonly #peers: Map<string, Peer>;

  constructor(peers: readonly Peer[] = []) {
    this.#peers = new Map(peers.map((peer) => [peer.id, peer]));
  }

  /** Registers every address or none: a bad one fails the whole call. Returns the new peers. */
  register(addresses: readonly string[]): Peer[] {
    const added: Peer[] = [];
    for (const peer of addresses.map((address, i) => parsePeerAddress(address, i))) {
      if (this.#peers.has(peer.id)) continue;
      this.#peers.set(peer.id, peer);
      added.push(peer);
    }
    return added;
  }

  get ids(): string[] {
    return [...this.#peers.keys()];
  }

  list(): Peer[] {
    return [...this.#peers.values()];
  }
}
