import { HASH_SPACE, MAX_TARGET } from "./target.js";

/**
 * Work: the expected number of hashes a block took, and a chain's sum of
 * them. Chains are chosen by work, not length: a longer chain of easy blocks
 * loses to a shorter chain of hard ones.
 */

/**
 * A block's work, Bitcoin's GetBlockProof: floor(2^256 / (target + 1)), the
 * expected number of hashes to find a proof at most `target` (each hash
 * passes with probability (target + 1) / 2^256).
 */
export function blockWork(target: bigint): bigint {
  if (target < 0n || target > MAX_TARGET) throw new RangeError(`a target is a 256-bit unsigned integer, not ${target}`);
  return HASH_SPACE / (target + 1n);
}

/**
 * The easiest target whose blockWork is at least `work`: floor(2^256 / work)
 * - 1. A chain calibrated for a hash rate R and a spacing S starts from
 * targetForWork(R * S): one block about every S seconds.
 */
export function targetForWork(work: bigint): bigint {
  if (work < 1n || work > HASH_SPACE) throw new RangeError(`work is 1 to 2^256 hashes, not ${work}`);
  return HASH_SPACE / work - 1n;
}

/**
 * A chain's work: the sum of its blocks' work, from their targets. The
 * genesis counts, as in Bitcoin: pass its target too.
 */
export function chainWork(targets: Iterable<bigint>): bigint {
  let work = 0n;
  for (const target of targets) work += blockWork(target);
  return work;
}

/** Orders works: negative when `a` has less, zero on a tie, positive when more. */
export function compareWork(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Whether a candidate chain replaces ours: only with strictly more work. On a
 * tie the first seen, ours, is kept, so nodes do not flip between equal chains.
 */
export function outworks(candidate: bigint, ours: bigint): boolean {
  return compareWork(candidate, ours) > 0;
}

const PREFIXES = ["", "k", "M", "G", "T", "P", "E", "Z", "Y"];

/**
 * Work (or a target's expected hashes per block, its blockWork) for people:
 * three significant digits and an SI prefix, "4.30 G" for Bitcoin's genesis.
 * Display only: floating point, never compared.
 */
export function formatWork(work: bigint): string {
  let value = Number(work);
  let prefix = 0;
  while (value >= 1000 && prefix < PREFIXES.length - 1) {
    value /= 1000;
    prefix++;
  }
  const digits = prefix === 0 ? value.toFixed(0) : value.toPrecision(3);
  return `${digits} ${PREFIXES[prefix]}`.trimEnd();
}
