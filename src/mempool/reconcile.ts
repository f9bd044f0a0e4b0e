import { isReward } from "../chain/rules.js";
import type { Block, Transaction } from "../chain/types.js";

/** What identifies a transaction when chains are compared: its content. */
export function transactionKey(tx: Transaction): string {
  return JSON.stringify([tx.sender, tx.recipient, tx.amount]);
}

/** Counts, into `counts`, the transactions of `blocks` (rewards excluded) whose key is in `wanted`. */
export function countConfirmed(
  blocks: readonly Block[],
  wanted: ReadonlySet<string>,
  counts: Map<string, number>,
): void {
  for (const block of blocks) {
    for (const tx of block.transactions) {
      if (isReward(tx)) continue;
      const key = transactionKey(tx);
      if (wanted.has(key)) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
}

/**
 * The pending transactions after a reorganisation: those of the blocks we
 * dropped (`orphaned`, rewards excluded), then ours, less those the adopted
 * blocks hold (`confirmed`, counted by countConfirmed). Transactions match by
 * content, as a multiset: two identical payments are two payments.
 */
export function pendingAfterReorg(
  orphaned: readonly Transaction[],
  pending: readonly Transaction[],
  confirmed: ReadonlyMap<string, number>,
): Transaction[] {
  const left = new Map(confirmed);
  return [...orphaned, ...pending].filter((tx) => {
    const key = transactionKey(tx);
    const count = left.get(key) ?? 0;
    if (count === 0) return true;
    left.set(key, count - 1);
    return false;
  });
}
