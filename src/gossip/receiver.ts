import { type ChainMeasure, isBetter } from "../chain/index.js";
import { tipMeasure } from "../consensus/index.js";
import type { Peer } from "../peers/index.js";
import type { TipBody } from "../schemas/index.js";

/**
 * What an announced tip is to us: a block we hold, a chain no better than
 * ours, or a better one (by the chain choice: more work; on the
 * walkthrough's chain, longer).
 */
export type TipNews = "known" | "not longer" | "longer";

export function judgeTip(ours: ChainMeasure & { hashAt(height: number): string | undefined }, tip: TipBody): TipNews {
  if (ours.hashAt(tip.length) === tip.hash) return "known";
  return isBetter(tipMeasure(tip), ours) ? "longer" : "not longer";
}

const sameTip = (a: TipBody, b: TipBody | undefined): boolean => a.length === b?.length && a.hash === b.hash;

/** One announcer's syncs: the one on its way, and the one that waits behind it. */
interface Slot {
  running: TipBody;
  waiting: TipBody | undefined;
}

/**
 * What became of a tip offered to the queue: its sync started, it waits
 * behind the one in flight (in place of an older one that waited: superseded),
 * or that very tip is already on its way or waiting (duplicate).
 */
export type Offer = "started" | "queued" | "superseded" | "duplicate";

/**
 * Syncs from announcers, coalesced: at most one in flight per announcer and
 * at most one waiting behind it, the newest announced. `run` must not reject.
 * No I/O of its own.
 */
export class SyncQueue {
  readonly #slots = new Map<string, Slot>();

  constructor(private readonly run: (peer: Peer, tip: TipBody) => Promise<void>) {}

  offer(peer: Peer, tip: TipBody): Offer {
    const slot = this.#slots.get(peer.id);
    if (slot === undefined) {
      this.#slots.set(peer.id, { running: tip, waiting: undefined });
      this.#start(peer, tip);
      return "started";
    }
    if (sameTip(tip, slot.running) || sameTip(tip, slot.waiting)) return "duplicate";
    const superseded = slot.waiting !== undefined;
    slot.waiting = tip;
    return superseded ? "superseded" : "queued";
  }

  /** Announcers with a sync in flight. */
  get size(): number {
    return this.#slots.size;
  }

  #start(peer: Peer, tip: TipBody): void {
    void this.run(peer, tip).finally(() => {
      const slot = this.#slots.get(peer.id) as Slot;
      if (slot.waiting === undefined) {
        this.#slots.delete(peer.id);
        return;
      }
      slot.running = slot.waiting;
      slot.waiting = undefined;
      this.#start(peer, slot.running);
    });
  }
}
