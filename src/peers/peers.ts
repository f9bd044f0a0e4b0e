import { type Peer, parsePeerAddress } from "./address.js";
import { HealthRecords, type PeerHealth, shown } from "./backoff.js";
import { TooManyPeersError } from "./errors.js";

export const MAX_PEERS = 1000;

/**
 * The nodes this node resolves against and announces to, in registration
 * order, with how each has been answering: its resolves and syncs (the
 * record that skips it in both), and apart from them its announcements, so
 * that a peer that takes announcements but serves a bad chain is still
 * skipped by resolves.
 */
export class PeerSet {
  readonly #peers: Map<string, Peer>;
  readonly #health = new HealthRecords();
  /** How each peer has been taking our announcements (gossip). */
  readonly announcing = new HealthRecords();

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
    for (const peer of parsed) {
      this.#health.succeeded(peer.id);
      this.announcing.succeeded(peer.id);
    }
    for (const peer of fresh.values()) this.#peers.set(peer.id, peer);
    return [...fresh.values()];
  }

  get ids(): string[] {
    return [...this.#peers.keys()];
  }

  list(): Peer[] {
    return [...this.#peers.values()];
  }

  get(id: string): Peer | undefined {
    return this.#peers.get(id);
  }

  /** The peer's record when resolves and syncs skip it at `now`. */
  backingOff(id: string, now: number): (PeerHealth & { retryAt: number }) | undefined {
    return this.#health.backingOff(id, now);
  }

  failed(id: string, reason: string, now: number): PeerHealth {
    return this.#health.failed(id, reason, now);
  }

  succeeded(id: string): void {
    this.#health.succeeded(id);
  }

  /** Every peer with its record at `now`, for /stats: `retryAt` only while it is skipped. */
  health(now: number): { peer: Peer; health: PeerHealth }[] {
    return this.list().map((peer) => ({ peer, health: shown(this.#health.get(peer.id) ?? { failures: 0 }, now) }));
  }
}
