/**
 * A small seeded PRNG (mulberry32): `random(seed)(n)` is an integer in
 * 0..n-1, the same sequence for the same seed, so that a run (a bench's
 * miners, a failing test) can be repeated.
 */
export function random(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return Math.floor((((x ^ (x >>> 14)) >>> 0) / 4294967296) * n);
  };
}
