import { sha256Hex, type Transaction } from "../chain/index.js";

/**
 * A reward's id: it has no signature and no nonce, and two rewards to one
 * address for one amount are alike but for their block, so the id hashes
 * the chain, the height and the reward, under a tag of its own.
 */
export function rewardId(chainId: string, height: number, reward: Pick<Transaction, "recipient" | "amount">): string {
  return sha256Hex(`toychain/reward/v1\n${chainId}\n${height}\n${reward.recipient}\n${reward.amount}`);
}
