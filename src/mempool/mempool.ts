import { REWARD_SENDER } from "../chain/genesis.js";
import type { Transaction } from "../chain/types.js";
import { MempoolFullError, ReservedSenderError } from "./errors.js";

/** A pending transaction and its place in arrival order, which is also its storage key. */
export interface PendingEntry {
  seq: number;
  tx: Transaction;
}

/** Transactions waiting for a block, in arrival order, each with its sequence number. */
export class Mempool {
  #entries: PendingEntry[];
  #nextSeq: number;

  constructor(
    readonly capacity: number,
    entries: PendingEntry[] = [],
  ) {
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
  peek(limit: number): PendingEntry[] {
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

  /** Swaps the whole content (after a reorganisation); returns the seqs removed and the entries added. */
  replaceAll(txs: readonly Transaction[]): { removed: number[]; added: PendingEntry[] } {
    const removed = this.#entries.map((entry) => entry.seq);
    this.#entries = txs.map((tx) => ({ seq: this.#nextSeq++, tx }));
    return { removed, added: this.#entries };
  }
}
