import {
  AlreadyPendingError,
  InsufficientFundsError,
  NonceGapError,
  NonceUsedError,
  ReplacementFeeError,
  type TransferRefusedError,
} from "./errors.js";

/** What a sender's chain needs of a pooled transfer. */
export interface ChainLink {
  seq: number;
  id: string;
  tx: { sender: string; amount: number; fee: number; nonce: number };
}

/** A sender's transfers that pass the pool's rules against its account, in nonce order, and the others with why. */
export interface SenderChain<T extends ChainLink> {
  kept: T[];
  /** Amounts and fees of `kept`: at most the account's balance, hence a safe integer. */
  spend: number;
  dropped: { entry: T; reason: TransferRefusedError }[];
}

/** What a transfer takes from its sender's balance. */
export const costOf = (tx: ChainLink["tx"]): bigint => BigInt(tx.amount) + BigInt(tx.fee);

/**
 * Admits one sender's transfers anew against its account (a SenderAccount:
 * its confirmed balance and last nonce), by the rules
 * `add` applies one at a time: nonces follow on from the last confirmed one
 * without a gap, and the running spend stays within the balance. Of rivals
 * for a nonce, the highest fee that fits is kept (the earliest, `seq`, of
 * equal fees), as a replacement would have; from the first nonce nothing
 * fits, the later ones leave a gap. A transfer is dropped with the error it
 * would be refused with. O(m log m) for m candidates (O(m) when they come in
 * nonce order, which the sort finds).
 */
export function admitChain<T extends ChainLink>(
  candidates: readonly T[],
  account: { balance: number; nonce: number },
): SenderChain<T> {
  const ordered = [...candidates].sort((a, b) => a.tx.nonce - b.tx.nonce || b.tx.fee - a.tx.fee || a.seq - b.seq);
  const chain: SenderChain<T> = { kept: [], spend: 0, dropped: [] };
  const ids = new Set<string>();
  const first = account.nonce + 1;
  let spend = 0n;
  for (const entry of ordered) {
    const { sender, nonce } = entry.tx;
    const next = first + chain.kept.length;
    const drop = (reason: TransferRefusedError) => chain.dropped.push({ entry, reason });
    if (ids.has(entry.id)) {
      drop(new AlreadyPendingError(entry.id));
    } else if (nonce < first) {
      drop(new NonceUsedError(sender, nonce, account.nonce));
    } else if (nonce < next) {
      drop(new ReplacementFeeError(sender, nonce, (chain.kept[nonce - first] as T).tx.fee));
    } else if (nonce > next) {
      drop(new NonceGapError(sender, nonce, next));
    } else if (spend + costOf(entry.tx) > BigInt(account.balance)) {
      drop(new InsufficientFundsError(sender, account.balance, spend + costOf(entry.tx)));
    } else {
      spend += costOf(entry.tx);
      chain.kept.push(entry);
      ids.add(entry.id);
    }
  }
  chain.spend = Number(spend);
  return chain;
}
