import { type Peer, parsePeerAddress } from "./address.js";
import { failed, isBackingOff, type PeerHealth } from "./backoff.js";
import { TooManyPeersError } from "./errors.js";

export const MAX_PEERS = 1000;

/** The nodes this node resolves against, in registration order, with how each has been answering. */
export class PeerSet {
  readonly #peers: Map<string, Peer>;
  readonly #health = new Map<string, PeerHealth>();

  constructor(peers: readonly Peer[] = []) {
    this.#peers = new Map(peers.map((peer) => [peer.id, peer]));
  }

  /**
   * Registers every address or none: a bad one fails the whole call. A peer
   * registered again keeps its place and loses its failure record. Returns
   * the new peers.
   */
  register(addresses: readonly string[]): Peer[] {
    const parsed = addresses.map((address, i) => parsePeerAddress(address, i));
    const fresh = new Map(parsed.filter((peer) => !this.#peers.has(peer.id)).map((peer) => [peer.id, peer]));
    if (this.#peers.size + fresh.size > MAX_PEERS) throw new TooManyPeersError(this.#peers.size, fresh.size, MAX_PEERS);
    for (const peer of parsed) this.#health.delete(peer.id);
    for (const peer of fresh.values()) this.#peers.set(peer.id, peer);
    return [...fresh.values()];
  }

  get ids(): string[] {
    return [...this.#peers.keys()];
  }

  list(): Peer[] {
    return [...this.#peers.values()];
  }

  /** The peer's record when it is being skipped at `now`. */
  backingOff(id: string, now: number): (PeerHealth & { retryAt: number }) | undefined {
    const health = this.#health.get(id);
    return isBackingOff(health, now) ? health : undefined;
  }

  failed(id: string, reason: string, now: number): PeerHealth {
    const health = failed(this.#health.get(id), reason, now);
    this.#health.set(id, health);
    return health;
  }

  succeeded(id: string): void {
    this.#health.delete(id);
  }

  /** Every peer with its record at `now`, for /stats: `retryAt` only while it is skipped. */
  health(now: number): { peer: Peer; health: PeerHealth }[] {
    return this.list().map((peer) => {
      const record = this.#health.get(peer.id) ?? { failures: 0 };
      if (isBackingOff(record, now)) return { peer, health: record };
      const { retryAt: _passed, ...health } = record;
      return { peer, health };
    });
  }
}
