import { REWARD_SENDER } from "../chain/genesis.js";
import type { Transaction } from "../chain/types.js";
import { ReservedSenderError } from "./errors.js";

/** Transactions waiting for a block, in arrival order. */
export class Mempool {
  #txs: Transaction[] = [];

  get size(): number {
    return this.#txs.length;
  }

  list(): readonly Transaction[] {
    return this.#txs;
  }

  add(tx: Transaction): void {
    if (tx.sender === REWARD_SENDER) throw new ReservedSenderError(tx.sender);
    this.#txs.push({ sender: tx.sender, recipient: tx.recipient, amount: tx.amount });
  }

  /** The oldest `limit` transactions, for the next block. */
  peek(limit: number): Transaction[] {
    return this.#txs.slice(0, limit);
  }

  /** Removes transactions that a block of ours has just confirmed (they are still the oldest). */
  confirm(included: readonly Transaction[]): void {
    const kept = included.every((tx, i) => this.#txs[i] === tx);
    if (!kept) throw new Error("confirmed transactions are not the oldest pending ones");
    this.#txs.splice(0, included.length);
  }

  replaceAll(txs: Transaction[]): void {
    this.#txs = txs;
  }
}
