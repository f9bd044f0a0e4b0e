import { type Block, isReward } from "../chain/index.js";
import type { BlockEvent } from "./interface.js";

/** A block as the event bus tells it. */
export function blockEvent(block: Block, hash: string, origin: BlockEvent["origin"]): BlockEvent {
  const reward = block.transactions.at(-1);
  return {
    index: block.index,
    hash,
    timestamp: block.timestamp,
    transactions: block.transactions.length,
    miner: reward !== undefined && isReward(reward) ? reward.recipient : null,
    origin,
  };
}
