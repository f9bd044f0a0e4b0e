import { FutureBlockError, InvalidChainError } from "./errors.js";
import type { Block } from "./types.js";

/**
 * The timestamp rules, Bitcoin's two: a block is later than the median of the
 * MEDIAN_SPAN blocks before it, and at most the chain's future limit ahead of
 * the clock of the node that receives it; a retargeting chain's timestamps
 * are also whole seconds, as ASERT reads them. Pure: the clock is an argument.
 */

/** A chain's timestamp rules (a ChainSpec has them). */
export interface TimeRules {
  /** How far ahead of the receiving node's clock a peer's block may be dated. */
  maxFutureSeconds: number;
  /** Timestamps must be whole seconds. */
  wholeSeconds: boolean;
}

/** How many of the latest blocks the median is taken over. */
export const MEDIAN_SPAN = 11;
/** How far ahead of the receiving node's clock a block of the walkthrough's chain may be dated: 2 hours. */
export const MAX_FUTURE_SECONDS = 2 * 60 * 60;
/** The step our miner takes past the median when its clock is behind it: a millisecond, or a second on a chain of whole seconds. */
const MIN_STEP_SECONDS = 0.001;

/**
 * The median of the last MEDIAN_SPAN timestamps of `recent` (the blocks before
 * the one to check, oldest first); the upper one of an even count.
 */
export function medianTime(recent: readonly number[]): number {
  const sorted = recent.slice(-MEDIAN_SPAN).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  if (median === undefined) throw new RangeError("the median of no timestamps");
  return median;
}

/**
 * The timestamp our miner gives the next block: the clock (its whole seconds
 * on a chain of whole seconds), or just past the median when the clock is
 * behind it (a clock that jumped back), so that the block it forges is
 * always valid.
 */
export function nextTimestamp(recent: readonly number[], now: number, rules: Pick<TimeRules, "wholeSeconds">): number {
  if (rules.wholeSeconds) return Math.max(Math.floor(now), medianTime(recent) + 1);
  return Math.max(now, medianTime(recent) + MIN_STEP_SECONDS);
}

/**
 * Checks `block`'s timestamp against the blocks before it (`recent`) and, when
 * `now` is given, against the receiving node's clock (seconds since the epoch).
 */
export function checkTimestamp(block: Block, recent: readonly number[], rules: TimeRules, now?: number): void {
  if (rules.wholeSeconds && !Number.isInteger(block.timestamp)) {
    throw new InvalidChainError(`timestamp ${block.timestamp} is not whole seconds, as this chain's are`, block.index);
  }
  const median = medianTime(recent);
  if (!(block.timestamp > median)) {
    const count = Math.min(recent.length, MEDIAN_SPAN);
    const of = count === 1 ? "the timestamp of the block before it" : `the median of the ${count} blocks before it`;
    throw new InvalidChainError(`timestamp ${block.timestamp} is not later than ${median}, ${of}`, block.index);
  }
  if (now !== undefined && block.timestamp > now + rules.maxFutureSeconds) {
    throw new FutureBlockError(block, now, rules.maxFutureSeconds);
  }
}
