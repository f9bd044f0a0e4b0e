import { blockWork, targetForWork } from "../chain/index.js";

/**
 * Variable difficulty: each miner's share target moves so that it sends
 * about one share every `shareSeconds`, whatever its hash rate. A node then
 * checks a share every few seconds a miner, however fast, and still measures
 * a slow miner's rate from enough shares.
 */
export interface VardiffRules {
  /** The spacing of shares aimed at (5 s). */
  shareSeconds: number;
  /** The hashes a share takes before a miner's rate is known. */
  initialHashes: bigint;
  /** A share never takes fewer hashes than this (a flood of easy shares is refused by its target). */
  minHashes: bigint;
}

export const DEFAULT_VARDIFF: Readonly<VardiffRules> = {
  shareSeconds: 5,
  // 2^24: 0.17 s of a 100 MH/s miner, 1.7 s of a 10 MH/s one; RETARGET_SHARES of them set its own.
  initialHashes: 2n ** 24n,
  minHashes: 2n ** 16n,
};

/** Retarget after this many shares since the last... */
export const RETARGET_SHARES = 12;
/** ...or after this many share spacings with fewer. */
export const RETARGET_SPACINGS = 6;
/** A retarget moves the work a share takes by at most this factor either way. */
export const MAX_STEP = 4n;
/** Below this change in either direction (3/2), the share target stays, so that luck does not churn it. */
const DEAD_BAND = [2n, 3n] as const;

/** What a session counts for its vardiff since the last retarget. */
export interface VardiffWindow {
  /** When the window began, in ms. */
  since: number;
  /** Shares accepted in it. */
  shares: number;
}

/**
 * The share target for a miner whose window is `window` at `now` (ms),
 * given its `current` target: "wait" while the window is too short to
 * judge, "keep" when judged and found close enough. A window of
 * RETARGET_SHARES shares, or of RETARGET_SPACINGS spacings, is judged: the
 * work of a share is scaled by the spacing aimed at over the one seen, at
 * most MAX_STEP either way (a window with no share counts as one, so a
 * miner that went quiet eases by the time it waited), never below
 * `minHashes` nor above the block's own work: a share that meets the block
 * target is a block.
 */
export function retarget(
  current: bigint,
  window: VardiffWindow,
  now: number,
  blockTarget: bigint,
  rules: VardiffRules = DEFAULT_VARDIFF,
): bigint | "keep" | "wait" {
  const elapsed = BigInt(Math.max(1, Math.round(now - window.since)));
  const aimMs = BigInt(Math.round(rules.shareSeconds * 1000));
  if (window.shares < RETARGET_SHARES && elapsed < aimMs * BigInt(RETARGET_SPACINGS)) return "wait";
  const shares = BigInt(Math.max(1, window.shares));
  const work = blockWork(current);
  // Work per share times (the spacing aimed at / the spacing seen): shares * aim / elapsed.
  let next = (work * shares * aimMs) / elapsed;
  if (next > work * MAX_STEP) next = work * MAX_STEP;
  if (next * MAX_STEP < work) next = work / MAX_STEP;
  if (next < rules.minHashes) next = rules.minHashes;
  const ceiling = blockWork(blockTarget);
  if (next > ceiling) next = ceiling;
  const [low, high] = DEAD_BAND;
  if (next * low < work * high && next * high > work * low) return "keep";
  return targetForWork(next);
}

/** The share target a new session starts with: `initialHashes` a share, or the block's own target if that is easier. */
export function initialShareTarget(blockTarget: bigint, rules: VardiffRules = DEFAULT_VARDIFF): bigint {
  return rules.initialHashes < blockWork(blockTarget) ? targetForWork(rules.initialHashes) : blockTarget;
}
