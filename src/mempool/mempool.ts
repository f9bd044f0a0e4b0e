import { REWARD_SENDER } from "../chain/genesis.js";
import type { Transaction } from "../chain/types.js";
import { MempoolFullError, ReservedSenderError } from "./errors.js";

/** A pending transaction and its place in arrival order, which is also its storage key. */
export interface PendingEntry {
  seq: number;
  tx: Transaction;
  /** On an accounts chain, the transfer's id (see src/keys); the walkthrough's transactions have none. */
  id?: string;
}

/**
 * The eviction policy, for when more transactions come back than the mempool
 * holds (a reorganisation, a restart with a lower cap): the oldest are kept,
 * in order, and the newest evicted.
 */
export function fitCapacity<T>(items: readonly T[], capacity: number): { kept: T[]; evicted: T[] } {
  return { kept: items.slice(0, capacity), evicted: items.slice(capacity) };
}

/** Transactions waiting for a block, in arrival order, each with its sequence number; never more than `capacity`. */
export class Mempool {
  #entries: PendingEntry[];
  #nextSeq: number;

  constructor(
    readonly capacity: number,
    entries: PendingEntry[] = [],
  ) {
    if (entries.length > capacity)
      throw new RangeError(`${entries.length} entries do not fit a capacity of ${capacity}`);
    this.#entries = entries;
    this.#nextSeq = (entries[entries.length - 1]?.seq ?? 0) + 1;
  }

  get size(): number {
    return this.#entries.length;
  }

  list(): Transaction[] {
    return this.#entries.map((entry) => entry.tx);
  }

  add(tx: Transaction): PendingEntry {
    if (tx.sender === REWARD_SENDER) throw new ReservedSenderError(tx.sender);
    if (this.#entries.length >= this.capacity) throw new MempoolFullError(this.capacity);
    const entry = { seq: this.#nextSeq++, tx: { sender: tx.sender, recipient: tx.recipient, amount: tx.amount } };
    this.#entries.push(entry);
    return entry;
  }

  /** The oldest `limit` entries, for the next block. */
  take(limit: number): PendingEntry[] {
    return this.#entries.slice(0, limit);
  }

  /** Removes the entries a block of ours has just confirmed (still the oldest); returns their seqs. */
  confirm(included: readonly PendingEntry[]): number[] {
    if (!included.every((entry, i) => this.#entries[i] === entry)) {
      throw new Error("confirmed transactions are not the oldest pending ones");
    }
    this.#entries.splice(0, included.length);
    return included.map((entry) => entry.seq);
  }

  /**
   * Swaps the whole content (after a reorganisation), keeping at most
   * `capacity` by fitCapacity; returns the seqs removed, the entries added
   * and the transactions evicted.
   */
  replaceAll(txs: readonly Transaction[]): { removed: number[]; added: PendingEntry[]; evicted: Transaction[] } {
    const removed = this.#entries.map((entry) => entry.seq);
    const { kept, evicted } = fitCapacity(txs, this.capacity);
    this.#entries = kept.map((tx) => ({ seq: this.#nextSeq++, tx }));
    return { removed, added: this.#entries, evicted };
  }
}
