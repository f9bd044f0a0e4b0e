import type { ChainSpec } from "./spec.js";
import { blockWork, compareWork } from "./work.js";

/**
 * What the chain choice reads of a chain: our chain, a peer's announced or
 * staged one. Its work decides; its length is what the walkthrough's
 * messages name, and on a fixed chain it orders chains as the work does.
 */
export interface ChainMeasure {
  readonly length: number;
  /** The sum of its blocks' work, the genesis included (see WorkIndex). */
  readonly work: bigint;
}

/**
 * Orders two chains by the one rule every choice follows (resolve, gossip,
 * sync, adopt): positive when `a` is the better chain, negative when `b` is,
 * 0 when neither is. The chain with the most work is the better: on the
 * walkthrough's fixed chain, where every block holds the same work, the
 * longer. Pure.
 */
export function compareChains(a: ChainMeasure, b: ChainMeasure): number {
  return compareWork(a.work, b.work);
}

/** Whether `candidate` should replace `ours`: only when strictly better; on a tie ours, the first seen, is kept. */
export function isBetter(candidate: ChainMeasure, ours: ChainMeasure): boolean {
  return compareChains(candidate, ours) > 0;
}

/**
 * Why a chain's claimed id and work cannot be true of a chain of this spec,
 * or undefined when they can: another chain's id; on a fixed chain, work
 * other than length x blockWork(target), which every such chain holds; on a
 * retargeting chain, less work than `length` blocks at the easiest target
 * hold. Read from a peer's tip, before any of its blocks. Pure.
 */
export function impossibleClaim(
  claim: { readonly length: number; readonly work: bigint; readonly chain: string },
  spec: ChainSpec,
): string | undefined {
  if (claim.chain !== spec.id) return `it is on the chain ${claim.chain}, not ours ${spec.id}`;
  const blocks = BigInt(claim.length);
  if (spec.pow.kind === "fixed") {
    const held = blocks * blockWork(spec.pow.target);
    return claim.work === held
      ? undefined
      : `it claims ${claim.work} work for ${claim.length} blocks, which hold ${held} on this chain`;
  }
  const least = blocks * blockWork(spec.pow.params.powLimit);
  return claim.work >= least
    ? undefined
    : `it claims ${claim.work} work for ${claim.length} blocks, less than the ${least} they hold at the easiest target`;
}
