import { FETCH_CONCURRENCY } from "../consensus/index.js";
import type { Logger } from "../log.js";
import type { HealthRecords, Peer } from "../peers/index.js";
import type { TipBody } from "../schemas/index.js";
import type { GossipNetwork } from "./interface.js";

export interface AnnouncerDeps {
  network: GossipNetwork;
  /** Our public URL, which every announcement carries. */
  url: string;
  /** How each peer has been taking announcements: one failing repeatedly is skipped for a while. */
  records: HealthRecords;
  /** Aborted when the node stops: nothing more is sent, and the requests in flight are abandoned. */
  signal: AbortSignal;
  log: Logger;
  /** Told of every announcement: taken by the peer, failed, or skipped (the peer backing off). */
  counted(result: "sent" | "failed" | "skipped"): void;
  /** Requests in flight at most, over all peers (default FETCH_CONCURRENCY, as a resolve). */
  concurrency?: number;
  now?: () => number;
}

/** One peer's announcements: whether one is on its way, and the tip to send it next. */
interface Slot {
  peer: Peer;
  sending: boolean;
  next: TipBody | undefined;
}

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Tells peers our tip, in the background: announce() returns at once. At
 * most `concurrency` requests are in flight over all peers, and at most one
 * per peer: a tip for a peer that is being told an older one waits, and
 * only the one with the most work that waits is sent next (our chain's work
 * only grows, so that is the newest). A peer whose announcements fail repeatedly is skipped as
 * a resolve skips it (the same backoff, in a record of its own).
 */
export class Announcer {
  readonly #deps: AnnouncerDeps;
  readonly #concurrency: number;
  readonly #now: () => number;
  readonly #slots = new Map<string, Slot>();
  /** Peers with a tip to send and no request in flight, in the order they became so. */
  readonly #ready = new Set<string>();
  #active = 0;
  #settled: (() => void)[] = [];

  constructor(deps: AnnouncerDeps) {
    this.#deps = deps;
    this.#concurrency = deps.concurrency ?? FETCH_CONCURRENCY;
    this.#now = deps.now ?? Date.now;
  }

  announce(peers: readonly Peer[], tip: TipBody): void {
    if (this.#deps.signal.aborted) return;
    for (const peer of peers) {
      let slot = this.#slots.get(peer.id);
      if (slot === undefined) {
        slot = { peer, sending: false, next: undefined };
        this.#slots.set(peer.id, slot);
      }
      if (slot.next === undefined || BigInt(tip.work) >= BigInt(slot.next.work)) slot.next = tip;
      if (!slot.sending) this.#ready.add(peer.id);
    }
    this.#pump();
  }

  /** Resolves once nothing is in flight or waiting. */
  settled(): Promise<void> {
    if (this.#active === 0 && (this.#ready.size === 0 || this.#deps.signal.aborted)) return Promise.resolve();
    return new Promise((resolve) => this.#settled.push(resolve));
  }

  #pump(): void {
    for (const id of this.#ready) {
      if (this.#active >= this.#concurrency || this.#deps.signal.aborted) break;
      this.#ready.delete(id);
      const slot = this.#slots.get(id) as Slot;
      const tip = slot.next as TipBody;
      slot.next = undefined;
      slot.sending = true;
      this.#active++;
      void this.#send(slot.peer, tip).finally(() => {
        slot.sending = false;
        this.#active--;
        if (slot.next !== undefined) this.#ready.add(id);
        this.#pump();
        if (this.#active === 0 && (this.#ready.size === 0 || this.#deps.signal.aborted)) {
          for (const resolve of this.#settled.splice(0)) resolve();
        }
      });
    }
  }

  /** One announcement; never rejects. */
  async #send(peer: Peer, tip: TipBody): Promise<void> {
    const { network, url, records, signal, log, counted } = this.#deps;
    const skipped = records.backingOff(peer.id, this.#now());
    if (skipped) {
      counted("skipped");
      log.debug({ peer: peer.id, length: tip.length, retryAt: skipped.retryAt }, "announcement skipped: backing off");
      return;
    }
    try {
      const { length, hash, work, chain } = tip;
      await network.announce(peer, { length, hash, work, chain, url }, signal);
    } catch (error) {
      if (signal.aborted) return;
      const reason = reasonOf(error);
      const health = records.failed(peer.id, reason, this.#now());
      counted("failed");
      const fields = { peer: peer.id, length: tip.length, reason, failures: health.failures };
      if (health.retryAt === undefined) log.debug(fields, "announcement failed");
      else {
        const until = new Date(health.retryAt).toISOString();
        log.info({ ...fields, retryAt: until }, `announcements to ${peer.id} are skipped until ${until}`);
      }
      return;
    }
    records.succeeded(peer.id);
    counted("sent");
    log.debug({ peer: peer.id, length: tip.length, hash: tip.hash }, "tip announced");
  }
}
