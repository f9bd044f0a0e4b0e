/**
 * A transfer's fee rate is its fee over its size in bytes: what a miner earns
 * for the room it takes in a block. Rates are compared as fractions, by
 * cross-multiplication, never as floats: 1/3 and 2/6 are equal, and two
 * rates a float would round alike stay apart. Fees go up to 2^53-1, so a
 * product past 2^53-1 is taken in BigInt.
 */
export interface Rated {
  fee: number;
  /** At least 1. */
  bytes: number;
}

/** Negative when `a`'s fee rate is below `b`'s, 0 when they are equal, positive when above. */
export function compareFeeRate(a: Rated, b: Rated): number {
  const left = a.fee * b.bytes;
  const right = b.fee * a.bytes;
  // Rounding is monotonic, so a product past 2^53-1 never rounds back below it.
  if (left <= Number.MAX_SAFE_INTEGER && right <= Number.MAX_SAFE_INTEGER) return left - right;
  const exactLeft = BigInt(a.fee) * BigInt(b.bytes);
  const exactRight = BigInt(b.fee) * BigInt(a.bytes);
  return exactLeft < exactRight ? -1 : exactLeft > exactRight ? 1 : 0;
}

/** A fee rate as people read it: a whole number of coins per byte, or the fraction, unreduced ("10/250"). */
export function formatFeeRate(rate: Rated): string {
  return rate.fee % rate.bytes === 0 ? `${rate.fee / rate.bytes}` : `${rate.fee}/${rate.bytes}`;
}

/** The lowest whole fee for a transfer of `bytes` whose rate is above `rate`'s. */
export function feeAbove(rate: Rated, bytes: number): bigint {
  return (BigInt(rate.fee) * BigInt(bytes)) / BigInt(rate.bytes) + 1n;
}
