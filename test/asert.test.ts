import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import t from "tap";
import {
  type AsertAnchor,
  type AsertParams,
  calculateAsert,
  encodeBits,
  genesisAnchor,
  nextBits,
  retargetFutureLimit,
  targetFromBits,
} from "../src/chain/index.js";

/**
 * aserti3-2d against Bitcoin Cash Node's own vectors (test/vectors/asert,
 * README there): every line of the twelve runs, through nextBits, the
 * function the chain uses, given Bitcoin Cash's parameters.
 */

const VECTORS = fileURLToPath(new URL("../../test/vectors/asert/", import.meta.url));

/** Bitcoin Cash mainnet: 600 s blocks, a 2-day half-life, the limit 2^224 - 1 (BCHN's powLimit, 0x1d00ffff compact). */
const BCH: AsertParams = { spacing: 600n, halfLife: 172_800n, powLimit: (1n << 224n) - 1n };

interface Run {
  name: string;
  anchor: AsertAnchor;
  anchorBits: number;
  iterations: number;
  lines: { iteration: number; height: bigint; time: bigint; bits: number }[];
}

function header(text: string, key: RegExp): string {
  const line = text.split("\n").find((l) => l.startsWith("##") && key.test(l));
  const value = line?.split(":")[1]?.trim();
  if (value === undefined) throw new Error(`no header ${key}`);
  return value;
}

function readRun(name: string): Run {
  const text = readFileSync(`${VECTORS}${name}`, "utf8");
  const anchorBits = Number(header(text, /anchor nBits/));
  const lines = text
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("#"))
    .map((l) => {
      const [iteration, height, time, bits] = l.trim().split(/\s+/);
      if (iteration === undefined || height === undefined || time === undefined || bits === undefined) {
        throw new Error(`${name}: a line of fewer than 4 fields: ${l}`);
      }
      return { iteration: Number(iteration), height: BigInt(height), time: BigInt(time), bits: Number(bits) };
    });
  return {
    name,
    anchorBits,
    anchor: {
      height: BigInt(header(text, /anchor height/)),
      // "anchor ancestor time" in run01-run10, "anchor parent time" in run11-run12: the anchor's parent's time.
      parentTime: BigInt(header(text, /anchor (ancestor|parent) time/)),
      target: targetFromBits(anchorBits),
    },
    iterations: Number(header(text, /iterations/)),
    lines,
  };
}

const runs = readdirSync(VECTORS)
  .filter((f) => /^run\d\d$/.test(f))
  .sort()
  .map(readRun);

t.test("Bitcoin Cash's limit is 0x1d00ffff in compact form", async (t) => {
  t.equal(encodeBits(BCH.powLimit), 0x1d00ffff);
});

t.test("the twelve runs are all there, each with every line its header announces", async (t) => {
  t.same(
    runs.map((r) => r.name),
    Array.from({ length: 12 }, (_, i) => `run${String(i + 1).padStart(2, "0")}`),
  );
  for (const run of runs) {
    t.equal(run.lines.length, run.iterations, `${run.name}: ${run.iterations} lines`);
    t.same(
      run.lines.map((l) => l.iteration),
      Array.from({ length: run.iterations }, (_, i) => i + 1),
      `${run.name}: iterations 1..${run.iterations} in order`,
    );
  }
  t.equal(
    runs.reduce((n, r) => n + r.lines.length, 0),
    14_000,
  );
});

t.test("every line of every run: nextBits gives the vector's bits", async (t) => {
  for (const run of runs) {
    const wrong = run.lines.filter((l) => nextBits(BCH, run.anchor, { height: l.height, time: l.time }) !== l.bits);
    const first = wrong[0];
    t.equal(
      wrong.length,
      0,
      first === undefined
        ? `${run.name}: all ${run.lines.length} lines`
        : `${run.name}: line ${first.iteration} gives 0x${nextBits(BCH, run.anchor, first).toString(16)}, not 0x${first.bits.toString(16)}`,
    );
  }
});

t.test("every vector's bits, and every anchor's, decode and encode to themselves", async (t) => {
  for (const run of runs) {
    t.equal(encodeBits(run.anchor.target), run.anchorBits, `${run.name}: anchor`);
    const differing = run.lines.filter((l) => encodeBits(targetFromBits(l.bits)) !== l.bits);
    t.same(differing, [], `${run.name}: ${run.lines.length} lines`);
  }
});

t.test("the runs' shapes: doubling, halving, the limits", async (t) => {
  const byName = new Map(runs.map((r) => [r.name, r]));
  const run4 = byName.get("run04")?.lines ?? [];
  // Each block a half-life late doubles the target, from the minimum 0x01010000 to the limit.
  for (let i = 1; i < 20; i++) {
    const [before, after] = [run4[i - 1], run4[i]];
    if (before === undefined || after === undefined) throw new Error("run04 is short");
    t.equal(targetFromBits(after.bits), 2n * targetFromBits(before.bits), `run04 line ${i + 1} doubles`);
  }
  t.equal(run4.at(-1)?.bits, 0x1d00ffff, "run04 ends at the limit");
  t.equal(byName.get("run05")?.lines.at(-1)?.bits, 0x01010000, "run05 ends at the minimum");
});

t.test("calculateAsert: on schedule it keeps the anchor's target, and it clamps to 1 and the limit", async (t) => {
  const anchor = targetFromBits(0x1802aee8);
  const { spacing, halfLife, powLimit } = BCH;
  // The parent of block h+1 is dated (h + 1) spacings after the anchor's parent: exactly on schedule.
  t.equal(calculateAsert(anchor, spacing, 11n * spacing, 10n, powLimit, halfLife), anchor);
  t.equal(calculateAsert(anchor, spacing, 11n * spacing + halfLife, 10n, powLimit, halfLife), 2n * anchor);
  t.equal(calculateAsert(anchor, spacing, 11n * spacing - halfLife, 10n, powLimit, halfLife), anchor / 2n);
  // Far ahead of or behind schedule, past anything 256 bits can shift: the limit, and 1.
  t.equal(calculateAsert(anchor, spacing, 10n ** 30n, 0n, powLimit, halfLife), powLimit);
  t.equal(calculateAsert(anchor, spacing, -(10n ** 30n), 0n, powLimit, halfLife), 1n);
  t.equal(calculateAsert(1n, spacing, 0n, 10n ** 30n, powLimit, halfLife), 1n);
  t.equal(encodeBits(1n), 0x01010000, "1 is the minimum target, bits 0x01010000 as run03 and run05 have it");
  t.throws(() => calculateAsert(anchor, spacing, 0n, -1n, powLimit, halfLife), RangeError, "a parent below the anchor");
  t.throws(() => calculateAsert(0n, spacing, 0n, 0n, powLimit, halfLife), RangeError, "a zero anchor target");
  t.throws(() => calculateAsert(powLimit + 1n, spacing, 0n, 0n, powLimit, halfLife), RangeError, "past the limit");
  t.throws(() => calculateAsert(anchor, 0n, 0n, 0n, powLimit, halfLife), RangeError, "no spacing");
  t.throws(() => calculateAsert(anchor, spacing, 0n, 0n, powLimit, 0n), RangeError, "no half-life");
});

t.test("calculateAsert never eases the target for an earlier parent (monotone in time)", async (t) => {
  const anchor = targetFromBits(0x1802aee8);
  let previous = 0n;
  let decreases = 0;
  // Across whole shifts too: the cubic at 65535/65536 stays under the next power of two.
  for (let time = -3n * BCH.halfLife; time <= 3n * BCH.halfLife; time += 37n) {
    const target = calculateAsert(anchor, BCH.spacing, time, 0n, BCH.powLimit, BCH.halfLife);
    if (target < previous) decreases++;
    previous = target;
  }
  t.equal(decreases, 0);
});

t.test("a genesis anchor counts the schedule from the genesis' own time", async (t) => {
  const target = targetFromBits(0x1e00ffff);
  const anchor = genesisAnchor({ height: 1n, time: 1_700_000_000n, target });
  t.same(anchor, { height: 1n, parentTime: 1_700_000_000n, target });
  const params: AsertParams = { spacing: 10n, halfLife: 3600n, powLimit: targetFromBits(0x1f00ffff) };
  // The genesis is its own first block's parent: one spacing short of schedule, so 2^(-10/3600) of its target.
  const first = targetFromBits(nextBits(params, anchor, { height: 1n, time: 1_700_000_000n }));
  t.ok(first < target && first > (target * 998n) / 1000n, "0.2% harder than the genesis");
  // A block dated a half-life late doubles it.
  const late = targetFromBits(nextBits(params, anchor, { height: 1n, time: 1_700_000_000n + 3600n }));
  t.ok(late > (target * 1994n) / 1000n && late <= 2n * target, "about twice the genesis' target");
});

t.test("the future limit of a retargeting chain is a 24th of its half-life", async (t) => {
  t.equal(retargetFutureLimit(3600n), 150n);
  t.equal(retargetFutureLimit(172_800n), 7200n, "Bitcoin Cash's half-life gives its own 2 hours");
  t.equal(retargetFutureLimit(100n), 4n, "whole seconds, rounded down, so the bound holds");
  t.throws(() => retargetFutureLimit(0n), RangeError);
});
