import { isReward } from "../chain/rules.js";
import type { Block, Transaction } from "../chain/types.js";

function key(tx: Transaction): string {
  return JSON.stringify([tx.sender, tx.recipient, tx.amount]);
}

/**
 * The pending transactions after a reorganisation: ours, preceded by those of
 * the blocks we dropped (rewards excluded), less those the adopted blocks
 * already hold. Transactions match by content, as a multiset: two identical
 * payments are two payments.
 */
export function pendingAfterReorg(
  dropped: readonly Block[],
  added: readonly Block[],
  pending: readonly Transaction[],
): Transaction[] {
  const confirmed = new Map<string, number>();
  for (const tx of added.flatMap((block) => block.transactions)) {
    if (isReward(tx)) continue;
    confirmed.set(key(tx), (confirmed.get(key(tx)) ?? 0) + 1);
  }
  const orphaned = dropped.flatMap((block) => block.transactions).filter((tx) => !isReward(tx));
  return [...orphaned, ...pending].filter((tx) => {
    const left = confirmed.get(key(tx)) ?? 0;
    if (left === 0) return true;
    confirmed.set(key(tx), left - 1);
    return false;
  });
}
