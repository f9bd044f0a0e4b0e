import { FutureBlockError, InvalidChainError } from "./errors.js";
import type { Block } from "./types.js";

/**
 * The timestamp rules, Bitcoin's two: a block is later than the median of the
 * MEDIAN_SPAN blocks before it, and at most MAX_FUTURE_SECONDS ahead of the
 * clock of the node that receives it. Pure: the clock is an argument.
 */

/** How many of the latest blocks the median is taken over. */
export const MEDIAN_SPAN = 11;
/** How far ahead of the receiving node's clock a block's timestamp may be: 2 hours. */
export const MAX_FUTURE_SECONDS = 2 * 60 * 60;
/** The step our miner takes past the median when its clock is behind it. */
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
 * The timestamp our miner gives the next block: the clock, or just past the
 * median when the clock is behind it (a clock that jumped back), so that the
 * block it forges is always valid.
 */
export function nextTimestamp(recent: readonly number[], now: number): number {
  return Math.max(now, medianTime(recent) + MIN_STEP_SECONDS);
}

/**
 * Checks `block`'s timestamp against the blocks before it (`recent`) and, when
 * `now` is given, against the receiving node's clock (seconds since the epoch).
 */
export function checkTimestamp(block: Block, recent: readonly number[], now?: number): void {
  const median = medianTime(recent);
  if (!(block.timestamp > median)) {
    const count = Math.min(recent.length, MEDIAN_SPAN);
    const of = count === 1 ? "the timestamp of the block before it" : `the median of the ${count} blocks before it`;
    throw new InvalidChainError(`timestamp ${block.timestamp} is not later than ${median}, ${of}`, block.index);
  }
  if (now !== undefined && block.timestamp > now + MAX_FUTURE_SECONDS) {
    throw new FutureBlockError(block, now);
  }
}
