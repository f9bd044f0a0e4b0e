import type { BlockRef } from "../../schemas/index.js";

/** Blocks next to the tip that a locator names one by one, before it starts doubling its steps. */
const DENSE = 10;

/**
 * A block locator, as Bitcoin's getheaders sends: heights from the tip back,
 * the last ten one apart, then twice as far apart each time, and the genesis
 * last, so that about 10 + log2(length) entries find any fork point to within
 * its distance from the tip.
 */
export function locatorHeights(length: number): number[] {
  const heights: number[] = [];
  let step = 1;
  for (let height = length; height > 1; height -= step) {
    heights.push(height);
    if (heights.length >= DENSE) step *= 2;
  }
  heights.push(1);
  return heights;
}

/** The locator of a chain of `length` blocks, `hashAt` giving the hash at a height (1 for the genesis). */
export function buildLocator(length: number, hashAt: (height: number) => string | undefined): BlockRef[] {
  return locatorHeights(length).map((height) => ({ height, hash: hashAt(height) as string }));
}
