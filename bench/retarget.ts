/**
 * npm run bench:retarget -- [--spacing 10] [--half-life 3600] [--hashrate 150e6] [--seeds 64]
 *                           [--after 12] [--window 0.25] [--json FILE] [--chart FILE.svg]
 *
 * Issue 22's retargeting figures, in pure simulation (bench/lib/retarget-sim.ts:
 * a simulated clock and hash rate, seeded luck, every target from nextBits):
 *   - the steady mean block time over 10 half-lives, pooled over 16 seeds;
 *   - after the hash rate goes ×10 up, and ×10 down, how long until the block
 *     time is back within ±10% of the spacing (bench/lib/settling.ts says
 *     how that is measured), in half-lives of blocks (the requirement: 7 up,
 *     4 down), in blocks, and in true time.
 */
import { writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { parseArgs } from "node:util";
import { formatWork, retargetFutureLimit, targetForLeadingZeroBits } from "../src/chain/index.js";
import { retargetChart } from "./lib/retarget-chart.js";
import { type RetargetSetup, type StepResponse, steady, stepResponse } from "./lib/settling.js";
import { duration, table } from "./lib/table.js";

const USAGE = `Usage: npm run bench:retarget -- [options]
  --spacing <s>        the target spacing, whole seconds (default 10)
  --half-life <s>      ASERT's half-life, whole seconds (default 3600)
  --hashrate <H/s>     the hash rate the genesis is calibrated for (default 150e6, this machine's)
  --seeds <n>          runs averaged for the settling figures (default 64)
  --after <n>          half-lives of blocks mined after the jump (default 12)
  --window <f>         the moving mean's window, in half-lives of blocks (default 0.25)
  --json <file>        write the machine, the options and every figure
  --chart <file.svg>   write an SVG chart of block time against height
  -h, --help`;

/** The requirements, in half-lives of blocks. */
const REQUIRED = { up: 7, down: 4 };
const TOLERANCE = 0.1;
const STEADY = { halfLives: 10, seeds: 16, bound: 0.02 };

const { values } = parseArgs({
  options: {
    spacing: { type: "string", default: "10" },
    "half-life": { type: "string", default: "3600" },
    hashrate: { type: "string", default: "150e6" },
    seeds: { type: "string", default: "64" },
    after: { type: "string", default: "12" },
    window: { type: "string", default: "0.25" },
    json: { type: "string" },
    chart: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const positive = (name: string, text: string, whole: boolean): number => {
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n) || (whole && !Number.isSafeInteger(n))) {
    throw new Error(`--${name} takes a positive ${whole ? "integer" : "number"}, not ${text}`);
  }
  return n;
};
const spacing = positive("spacing", values.spacing, true);
const halfLife = positive("half-life", values["half-life"], true);
const setup: RetargetSetup = {
  params: { spacing: BigInt(spacing), halfLife: BigInt(halfLife), powLimit: targetForLeadingZeroBits(16) },
  hashRate: positive("hashrate", values.hashrate, false),
  genesisStamp: 1_765_000_000,
};
const seedCount = positive("seeds", values.seeds, true);
const seeds = Array.from({ length: seedCount }, (_, i) => i + 1);
const after = positive("after", values.after, false);
const window = positive("window", values.window, false);
const perHalfLife = halfLife / spacing;

const cpu = cpus()[0]?.model ?? "unknown CPU";
const machine = `${cpu}, ${availableParallelism()} cores, Node ${process.version}`;
console.log(`machine: ${machine}`);
console.log(
  `chain: ${spacing} s blocks, half-life ${halfLife} s (${perHalfLife} blocks), genesis for ${formatWork(BigInt(Math.round(setup.hashRate)))}H/s, future limit ${retargetFutureLimit(setup.params.halfLife)} s`,
);

const started = performance.now();
const steadyRun = steady(setup, STEADY.halfLives, seeds.slice(0, STEADY.seeds));
const options = { seeds, before: 1, after, window, tolerance: TOLERANCE };
const flat = stepResponse(setup, { ...options, factor: 1 });
const up = stepResponse(setup, { ...options, factor: 10 });
const down = stepResponse(setup, { ...options, factor: 0.1 });
const seconds = (performance.now() - started) / 1000;

const meanError = steadyRun.mean / spacing - 1;
console.log(
  `\nsteady: mean block time ${steadyRun.mean.toFixed(3)} s (${(meanError * 100).toFixed(2)}%, bound ±${STEADY.bound * 100}%) over ${STEADY.halfLives} half-lives × ${steadyRun.perSeed.length} seeds, ${steadyRun.blocks} blocks; per seed ${Math.min(...steadyRun.perSeed).toFixed(2)}–${Math.max(...steadyRun.perSeed).toFixed(2)} s`,
);
const row = (name: string, response: StepResponse, required: number) => [
  name,
  response.settledHalfLives?.toFixed(2) ?? "never",
  String(required),
  response.settledBlocks === undefined ? "never" : String(response.settledBlocks),
  response.settledTrueHalfLives?.toFixed(2) ?? "never",
  response.settledTrueHalfLives === undefined ? "never" : duration(response.settledTrueHalfLives * halfLife),
  (response.raw[0] ?? 0).toFixed(1),
  response.settledHalfLives !== undefined && response.settledHalfLives <= required ? "yes" : "NO",
];
console.log(
  `\nback within ±${TOLERANCE * 100}%: ${seeds.length} seeds averaged per block, then a trailing mean of ${up.window} blocks, staying within to the end (${after} half-lives)`,
);
console.log(
  table(
    ["jump", "half-lives of blocks", "required", "blocks", "true half-lives", "true time", "first block s", "met"],
    [row("×10 up", up, REQUIRED.up), row("×10 down", down, REQUIRED.down)],
  ),
);
console.log(
  `\n${((steadyRun.blocks + 3 * seeds.length * (1 + after) * perHalfLife) / 1e3).toFixed(0)} k blocks simulated in ${seconds.toFixed(1)} s`,
);

if (values.json !== undefined) {
  const figures = (r: StepResponse) => ({
    factor: r.factor,
    settledHalfLives: r.settledHalfLives,
    settledBlocks: r.settledBlocks,
    settledTrueHalfLives: r.settledTrueHalfLives,
    firstBlockSeconds: r.raw[0],
  });
  const json = {
    date: new Date().toISOString(),
    machine,
    options: { spacing, halfLife, hashRate: setup.hashRate, seeds: seeds.length, after, window, tolerance: TOLERANCE },
    steady: { ...steadyRun, halfLives: STEADY.halfLives },
    up: { ...figures(up), required: REQUIRED.up },
    down: { ...figures(down), required: REQUIRED.down },
  };
  writeFileSync(values.json, `${JSON.stringify(json, null, 2)}\n`);
}
if (values.chart !== undefined) {
  const title = `aserti3-2d: block time against height (${spacing} s blocks, half-life ${halfLife} s, ${seeds.length} seeds)`;
  writeFileSync(
    values.chart,
    retargetChart(
      title,
      [
        { title: "steady hash rate (×1 at 0)", response: flat },
        { title: "hash rate ×10 up", response: up, required: REQUIRED.up },
        { title: "hash rate ×10 down", response: down, required: REQUIRED.down },
      ],
      spacing,
      perHalfLife,
      TOLERANCE,
    ),
  );
}
