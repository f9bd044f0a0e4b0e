import type { Block } from "./types.js";

/**
 * The first block of every toychain network: as in the walkthrough, index 1,
 * previous_hash "1", proof 100 and no transactions; its timestamp is fixed (the
 * walkthrough's own) so that independent nodes start from the same block.
 */
export const GENESIS: Readonly<Block> = Object.freeze({
  index: 1,
  timestamp: 1591985797.9658592,
  transactions: [],
  proof: 100,
  previous_hash: "1",
});

export const REWARD_SENDER = "0";
export const REWARD_AMOUNT = 1;
export const MAX_PROOF = Number.MAX_SAFE_INTEGER;
/** Transactions a block holds at most besides its reward: the schema's bound, which bounds a block's size. */
export const MAX_BLOCK_TRANSACTIONS = 10_000;
