import { type AsertParams, encodeBits, targetForLeadingZeroBits, targetForWork } from "../../src/chain/index.js";
import { simulate } from "./retarget-sim.js";

/**
 * How a retargeting chain follows its hash rate, measured over many seeds of
 * the simulation: the steady mean block time, and how long the block time
 * takes to settle again after the hash rate jumps.
 */

/** A chain to simulate: its parameters and the hash rate its genesis is calibrated for. */
export interface RetargetSetup {
  params: AsertParams;
  /** Hashes per second. */
  hashRate: number;
  /** The genesis' timestamp. */
  genesisStamp: number;
}

/**
 * A small chain: 10 s blocks (devnet's) and a 1-hour half-life, 360 blocks.
 * The half-life in blocks sets how much the target jitters with luck, about as
 * Bitcoin Cash's 288 do; an hour in time lets the chain recover from a ×10
 * jump in hours, not days. The limit is the walkthrough's 16 leading zero
 * bits; the genesis is calibrated for this machine's 150 MH/s (issue 22).
 */
export const SMALL_CHAIN: RetargetSetup = {
  params: { spacing: 10n, halfLife: 3600n, powLimit: targetForLeadingZeroBits(16) },
  hashRate: 150e6,
  genesisStamp: 1_765_000_000,
};

/** The genesis of `setup`: height 1, its bits calibrated for one block per spacing at its hash rate. */
export function calibratedGenesis({ params, hashRate, genesisStamp }: RetargetSetup) {
  const work = BigInt(Math.round(hashRate * Number(params.spacing)));
  return { height: 1, stamp: genesisStamp, bits: encodeBits(targetForWork(work)) };
}

/** The block times of `seeds` runs at a steady hash rate, pooled. */
export interface Steady {
  blocks: number;
  /** The mean block time over every block of every run, in seconds. */
  mean: number;
  /** Each run's mean. */
  perSeed: number[];
}

/** Mines `halfLives` half-lives' worth of blocks (halfLife / spacing each) at a steady hash rate, for each seed. */
export function steady(setup: RetargetSetup, halfLives: number, seeds: readonly number[]): Steady {
  const blocks = Math.round((halfLives * Number(setup.params.halfLife)) / Number(setup.params.spacing));
  const perSeed = seeds.map((seed) => {
    const chain = simulate({
      params: setup.params,
      genesis: calibratedGenesis(setup),
      blocks,
      hashRate: () => setup.hashRate,
      seed,
    });
    return (chain.at(-1)?.time ?? 0) - (chain[0]?.time ?? 0);
  });
  const total = perSeed.reduce((a, b) => a + b, 0);
  return {
    blocks: blocks * seeds.length,
    mean: total / (blocks * seeds.length),
    perSeed: perSeed.map((t) => t / blocks),
  };
}

/** How the block time came back after the hash rate was multiplied by `factor`. */
export interface StepResponse {
  factor: number;
  seeds: number;
  /** The trailing window, in blocks, of the moving mean. */
  window: number;
  /** The moving mean block time (seconds) at each block after the jump, the first block mined at the new rate first. */
  smoothed: number[];
  /** The same block times, unsmoothed, averaged over the seeds. */
  raw: number[];
  /** Blocks after the jump until the moving mean stays within the tolerance for good; undefined if it never does. */
  settledBlocks: number | undefined;
  /** The same in half-lives of blocks: settledBlocks * spacing / halfLife, the schedule's own time. */
  settledHalfLives: number | undefined;
  /** The true time those blocks took, in half-lives, averaged over the seeds. */
  settledTrueHalfLives: number | undefined;
}

export interface StepOptions {
  factor: number;
  seeds: readonly number[];
  /** Half-lives' worth of blocks mined at the old rate, then at the new one. */
  before: number;
  after: number;
  /** The moving mean's window, in half-lives' worth of blocks. */
  window: number;
  /** Within ±tolerance of the spacing, as a fraction. */
  tolerance: number;
}

/**
 * The hash rate jumps by `factor` after `before` half-lives' worth of blocks.
 * "Back within ±tolerance": each block's time is averaged over the seeds,
 * then over a trailing window of blocks; the block time has settled at the
 * first block after the jump from which that moving mean stays within
 * ±tolerance of the spacing to the end of the run.
 */
export function stepResponse(setup: RetargetSetup, options: StepOptions): StepResponse {
  const { spacing, halfLife } = setup.params;
  const perHalfLife = Number(halfLife) / Number(spacing);
  const before = Math.round(options.before * perHalfLife);
  const after = Math.round(options.after * perHalfLife);
  const window = Math.max(1, Math.round(options.window * perHalfLife));
  const genesis = calibratedGenesis(setup);
  const jump = genesis.height + before;
  const sums = new Array<number>(before + after).fill(0);
  const elapsed = new Array<number>(after).fill(0);
  for (const seed of options.seeds) {
    const chain = simulate({
      params: setup.params,
      genesis,
      blocks: before + after,
      hashRate: (height) => (height > jump ? setup.hashRate * options.factor : setup.hashRate),
      seed,
    });
    const start = chain[before]?.time ?? 0;
    for (let i = 1; i < chain.length; i++) {
      const block = chain[i];
      if (block === undefined) continue;
      sums[i - 1] = (sums[i - 1] ?? 0) + block.interval;
      if (i > before) elapsed[i - before - 1] = (elapsed[i - before - 1] ?? 0) + block.time - start;
    }
  }
  const seeds = options.seeds.length;
  const means = sums.map((sum) => sum / seeds);
  const smoothed: number[] = [];
  let windowSum = 0;
  for (let i = 0; i < means.length; i++) {
    windowSum += means[i] ?? 0;
    if (i >= window) windowSum -= means[i - window] ?? 0;
    if (i >= before) smoothed.push(windowSum / Math.min(window, i + 1));
  }
  const target = Number(spacing);
  const within = (value: number) => Math.abs(value / target - 1) <= options.tolerance;
  let settled: number | undefined = smoothed.length;
  while (settled > 0 && within(smoothed[settled - 1] ?? Number.NaN)) settled--;
  if (settled === smoothed.length) settled = undefined;
  return {
    factor: options.factor,
    seeds,
    window,
    smoothed,
    raw: means.slice(before),
    settledBlocks: settled === undefined ? undefined : settled + 1,
    settledHalfLives: settled === undefined ? undefined : (settled + 1) / perHalfLife,
    settledTrueHalfLives: settled === undefined ? undefined : (elapsed[settled] ?? 0) / seeds / Number(halfLife),
  };
}
