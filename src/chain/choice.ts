/**
 * What the chain choice reads of a chain: our chain, a peer's announced or
 * staged one. Today its length; the most-work rule will read its work.
 */
export interface ChainMeasure {
  readonly length: number;
}

/**
 * Orders two chains by the one rule every choice follows (resolve, gossip,
 * sync, adopt): positive when `a` is the better chain, negative when `b` is,
 * 0 when neither is. Today the longer chain is the better. Pure.
 */
export function compareChains(a: ChainMeasure, b: ChainMeasure): number {
  return a.length - b.length;
}

/** Whether `candidate` should replace `ours`: only when strictly better; on a tie ours, the first seen, is kept. */
export function isBetter(candidate: ChainMeasure, ours: ChainMeasure): boolean {
  return compareChains(candidate, ours) > 0;
}
