import t from "tap";
import {
  alternating,
  backdated,
  futureDated,
  type SimBlock,
  type SimOptions,
  simulate,
} from "../bench/lib/retarget-sim.js";
import { calibratedGenesis, SMALL_CHAIN, steady, stepResponse } from "../bench/lib/settling.js";
import {
  blockWork,
  chainWork,
  genesisAnchor,
  nextBits,
  outworks,
  retargetFutureLimit,
  targetFromBits,
} from "../src/chain/index.js";

/**
 * aserti3-2d on a simulated clock and hash rate (bench/lib/retarget-sim.ts):
 * every target comes from nextBits, the consensus function; only the clock
 * and the luck are simulated, from seeded PRNGs, so every run is the same.
 * The chain is SMALL_CHAIN: 10 s blocks, a 1-hour half-life (360 blocks).
 */

const { params } = SMALL_CHAIN;
const SPACING = Number(params.spacing);
const HALF_LIFE = Number(params.halfLife);
const LIMIT = Number(retargetFutureLimit(params.halfLife));
const PER_HALF_LIFE = HALF_LIFE / SPACING;
const seeds = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** The same chain's options: calibrated genesis, steady hash rate, `halfLives` half-lives' worth of blocks. */
const steadyChain = (halfLives: number, seed: number): SimOptions => ({
  params,
  genesis: calibratedGenesis(SMALL_CHAIN),
  blocks: halfLives * PER_HALF_LIFE,
  hashRate: () => SMALL_CHAIN.hashRate,
  seed,
});

t.test("a steady hash rate gives a mean block time within ±2% of the spacing over 10 half-lives", async (t) => {
  // One run of 3,600 blocks has a mean within ±1.7% one time in three: 16 runs, 57,600 blocks, pooled.
  const result = steady(SMALL_CHAIN, 10, seeds(16));
  t.equal(result.blocks, 16 * 3600);
  t.ok(Math.abs(result.mean / SPACING - 1) <= 0.02, `mean block time ${result.mean.toFixed(3)} s`);
});

t.test(
  "after the hash rate goes ×10 up or down, the block time is back within ±10% in 7 and 4 half-lives",
  async (t) => {
    // 64 seeds; each block's time averaged over them, then over a trailing quarter of a half-life (90 blocks);
    // settled from the first block after the jump whose moving mean stays within ±10% to the end, 12 half-lives on.
    // Half-lives of blocks (× 360): the schedule's time. In the continuous limit ASERT needs 6.34 up and 3.31 down.
    const options = { seeds: seeds(64), before: 1, after: 12, window: 0.25, tolerance: 0.1 };
    const up = stepResponse(SMALL_CHAIN, { ...options, factor: 10 });
    const down = stepResponse(SMALL_CHAIN, { ...options, factor: 0.1 });
    t.equal(up.window, 90);
    t.ok(up.raw[0] !== undefined && up.raw[0] < 0.15 * SPACING, `the first block after ×10 up takes ${up.raw[0]} s`);
    t.ok(
      down.raw[0] !== undefined && down.raw[0] > 8 * SPACING,
      `the first block after ×10 down takes ${down.raw[0]} s`,
    );
    t.ok(up.settledHalfLives !== undefined && up.settledHalfLives <= 7, `×10 up: ${up.settledHalfLives} half-lives`);
    t.ok(down.settledHalfLives !== undefined && down.settledHalfLives <= 4, `×10 down: ${down.settledHalfLives}`);
    // Not faster than ASERT can be: a measure that settled at once would measure nothing.
    t.ok((up.settledHalfLives ?? 0) >= 6, "×10 up takes at least 6 half-lives");
    t.ok((down.settledHalfLives ?? 0) >= 3, "×10 down takes at least 3 half-lives");
  },
);

/** How much sooner than the honest chain's (same luck, same hash rate) each block of `chain` came. */
function gains(honestChain: readonly SimBlock[], chain: readonly SimBlock[]): number[] {
  return chain.map((block, i) => (honestChain[i]?.time ?? Number.NaN) - block.time);
}

t.test("timestamps dated far ahead, far back or both gain at most the future limit", async (t) => {
  t.equal(LIMIT, 150, "a 24th of the 1-hour half-life");
  for (const seed of seeds(4)) {
    const honestChain = simulate(steadyChain(10, seed));
    const ahead = gains(
      honestChain,
      simulate({ ...steadyChain(10, seed), attacker: { share: 1, dating: futureDated } }),
    );
    const both = gains(
      honestChain,
      simulate({ ...steadyChain(10, seed), attacker: { share: 1, dating: alternating } }),
    );
    const back = gains(honestChain, simulate({ ...steadyChain(10, seed), attacker: { share: 1, dating: backdated } }));
    // Every block dated 150 s ahead shifts the schedule once by 150 s (15 blocks), then the chain keeps its pace.
    // The second more allows for whole-second timestamps: the honest chain's are its clock rounded down.
    t.ok(Math.max(...ahead) <= LIMIT + 1, `seed ${seed}, all ahead: at most ${Math.max(...ahead).toFixed(1)} s sooner`);
    t.ok(Math.max(...ahead) >= 0.95 * LIMIT, "and it does gain about that");
    t.ok(Math.max(...both) <= LIMIT + 1, `alternating: at most ${Math.max(...both).toFixed(1)} s sooner`);
    t.ok(Math.max(...back) <= 0, "backdated: never sooner");
  }
});

t.test("a block dated as far ahead as allowed eases the next target by at most 2^(limit / half-life)", async (t) => {
  const bound = 2 ** (LIMIT / HALF_LIFE);
  const genesis = calibratedGenesis(SMALL_CHAIN);
  const anchor = genesisAnchor({ height: 1n, time: BigInt(genesis.stamp), target: targetFromBits(genesis.bits) });
  for (const [name, dating] of [
    ["ahead", futureDated],
    ["alternating", alternating],
  ] as const) {
    const chain = simulate({ ...steadyChain(5, 7), attacker: { share: 1 / 3, dating } });
    let worst = 0;
    for (let i = 2; i < chain.length; i++) {
      const [parent, block] = [chain[i - 1], chain[i]];
      if (parent === undefined || block === undefined) continue;
      // The target the block would have had if its parent were dated at the true time it was found.
      const truly = nextBits(params, anchor, { height: BigInt(parent.height), time: BigInt(Math.floor(parent.time)) });
      worst = Math.max(worst, Number(targetFromBits(block.bits)) / Number(targetFromBits(truly)));
    }
    // The cubic's error (under 0.013%) and the compact form's truncation (under 0.003%) at either end.
    t.ok(
      worst <= bound * 1.001,
      `${name}: the worst block eases its target ${worst.toFixed(5)}× (bound ${bound.toFixed(5)})`,
    );
    t.ok(worst >= bound * 0.99, `${name}: and a block dated to the limit reaches it`);
  }
});

t.test("the chain chosen is the one with the most work, not the longest", async (t) => {
  const honestChain = simulate(steadyChain(10, 11));
  // A tenth of the hash rate, mining three times as long: ASERT eases its target tenfold and it keeps its pace.
  const slow = simulate({ ...steadyChain(30, 12), hashRate: () => SMALL_CHAIN.hashRate / 10 });
  const work = (chain: readonly SimBlock[]) => chainWork(chain.map((b) => targetFromBits(b.bits)));
  t.ok(
    slow.length > 2 * honestChain.length,
    `the slow chain is longer: ${slow.length} blocks to ${honestChain.length}`,
  );
  t.ok(work(slow) < work(honestChain), "and has less work");
  t.ok(outworks(work(honestChain), work(slow)), "the shorter chain with more work wins");
  t.notOk(outworks(work(slow), work(honestChain)), "the longer one with less does not");
  // The same minority over the same true time, dating every block as far ahead as allowed: shorter and lighter still.
  const end = honestChain.at(-1)?.time ?? 0;
  const minority = simulate({
    ...steadyChain(10, 13),
    hashRate: () => SMALL_CHAIN.hashRate / 10,
    attacker: { share: 1, dating: futureDated },
  }).filter((b) => b.time <= end);
  t.ok(minority.length < honestChain.length, `in the same time it makes ${minority.length} blocks`);
  t.ok(work(minority) * 5n < work(honestChain), "with a fraction of the work");
  // Calibrated for one block per spacing: 1.5 G hashes, and at most a 2^-15 more once truncated to compact bits.
  const calibrated = BigInt(SMALL_CHAIN.hashRate * SPACING);
  const genesisWork = blockWork(targetFromBits(honestChain[0]?.bits ?? 0));
  t.ok(
    genesisWork >= calibrated && genesisWork <= calibrated + (calibrated >> 15n),
    `the genesis' work: ${genesisWork}`,
  );
});
