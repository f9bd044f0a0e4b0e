/**
 * npm run bench -- --threads 1,2 --seconds 3 [--difficulty 24] [--kernel all]
 *                  [--json FILE] [--chart FILE.svg]
 *
 * Mines through the real pool (Piscina workers, shared-memory job control)
 * with every kernel this machine runs (or the one asked for: auto and native
 * are the kernel a node would choose, by the same calibration), at each thread
 * count, and prints MH/s, the speedup over one thread, the expected time per
 * block at the difficulty, and the stop latency (from a worker's find to
 * every worker idle) over many short jobs. In the same run it measures a
 * plain crypto.hash loop and, where a C compiler and OpenSSL's headers are
 * present, the machine's limits: ../shared/bench/sha256-lanes.c (several
 * nonces in flight: its best kernel is the physical limit) and
 * ../shared/bench/sha256-limit.c (OpenSSL, one stream), and compares.
 */
import { writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { parseArgs } from "node:util";
import { sha256Hex, targetForLeadingZeroBits } from "../src/chain/index.js";
import { CALIBRATION_MS, type HashRate, JobControl, MinerPool, measureHashRate } from "../src/mining/index.js";
import {
  KERNEL_CHOICES,
  type KernelCalibration,
  type KernelChoice,
  type KernelName,
  resolveKernel,
} from "../workers/kernel/index.js";
import { cryptoHashLoopRate } from "./lib/baseline.js";
import { buildCeiling, measureCeiling, measureLanes } from "./lib/ceiling.js";
import { scalingChart } from "./lib/svg.js";
import { duration, table } from "./lib/table.js";

const USAGE = `Usage: npm run bench -- [options]
  --threads <list>     thread counts, comma-separated (default 1..${availableParallelism()})
  --seconds <n>        mining time per kernel and thread count (default 3)
  --difficulty <n>     for the expected time per block (default 24)
  --kernel <k>         all (every kernel this machine runs, the node's choice marked *),
                       auto or native (the kernel a node started with that --kernel mines with),
                       or one of ${KERNEL_CHOICES.filter((k) => k !== "auto" && k !== "native").join(", ")} (default all)
  --stop-jobs <n>      short jobs per thread count for the stop latency (default 40)
  --json <file>        write [{kernel, nodeChoice, threads, hashes, seconds, hashesPerSecond}]
  --chart <file.svg>   write an SVG chart of MH/s against threads
  -h, --help`;

interface Options {
  threads: number[];
  seconds: number;
  difficulty: number;
  kernel: KernelChoice | "all";
  stopJobs: number;
  json?: string;
  chart?: string;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      threads: { type: "string" },
      seconds: { type: "string", default: "3" },
      difficulty: { type: "string", default: "24" },
      kernel: { type: "string", default: "all" },
      "stop-jobs": { type: "string", default: "40" },
      json: { type: "string" },
      chart: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const positive = (name: string, text: string): number => {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, not ${text}`);
    return n;
  };
  const defaultThreads = Array.from({ length: availableParallelism() }, (_, i) => String(i + 1)).join(",");
  const threads = (values.threads ?? defaultThreads).split(",").map((t) => positive("threads", t));
  if (threads.some((t) => !Number.isInteger(t))) throw new Error("--threads takes whole numbers");
  const kernel = values.kernel as KernelChoice | "all";
  if (kernel !== "all" && !KERNEL_CHOICES.includes(kernel)) {
    throw new Error(`--kernel must be all or one of ${KERNEL_CHOICES.join(", ")}`);
  }
  return {
    threads,
    seconds: positive("seconds", values.seconds),
    difficulty: positive("difficulty", values.difficulty),
    kernel,
    stopJobs: positive("stop-jobs", values["stop-jobs"]),
    json: values.json,
    chart: values.chart,
  };
}

/** Progress on stderr, rewritten in place when it is a terminal. */
function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${text}`);
  else process.stderr.write(`${text}\n`);
}

function header(seed: number): string {
  return sha256Hex(`toychain bench ${seed}`);
}

/** Mines for the target 0, never reached, for `seconds`, then cancels: the sustained rate. */
async function sustained(pool: MinerPool, seconds: number, label: string): Promise<HashRate> {
  const control = new JobControl();
  const started = performance.now();
  const ticker = setInterval(() => {
    const elapsed = (performance.now() - started) / 1000;
    progress(`${label}: ${elapsed.toFixed(1)}/${seconds} s, ${(control.hashes / elapsed / 1e6).toFixed(2)} MH/s`);
  }, 250);
  try {
    return await measureHashRate(pool, seconds, control);
  } finally {
    clearInterval(ticker);
  }
}

/** Many short jobs: how long after a find every worker has stopped. */
async function stopLatencies(pool: MinerPool, rate: number, jobs: number, label: string): Promise<number[]> {
  const difficulty = Math.max(1, Math.round(Math.log2(rate * 0.02)));
  const latencies: number[] = [];
  for (let job = 0; job < jobs; job++) {
    progress(`${label}: stop latency, job ${job + 1}/${jobs} at difficulty ${difficulty}`);
    const result = await pool.search(header(job + 1), targetForLeadingZeroBits(difficulty), new JobControl());
    latencies.push(result.stopLatencyMs);
  }
  return latencies.sort((a, b) => a - b);
}

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/** The kernel a node started with `--kernel choice` mines with: the pool's own calibration at start. */
async function nodeChoice(choice: "auto" | "native"): Promise<KernelCalibration> {
  const pool = new MinerPool(1, resolveKernel(choice).candidates);
  const { calibration } = await pool.warmUp();
  await pool.close();
  return calibration;
}

const options = parseOptions(process.argv.slice(2));
const cpu = cpus()[0]?.model ?? "unknown CPU";
console.log(`machine: ${cpu}, ${availableParallelism()} cores, Node ${process.version}`);
const calibrated = options.kernel === "all" || options.kernel === "auto" || options.kernel === "native";
const calibration = calibrated ? await nodeChoice(options.kernel === "native" ? "native" : "auto") : undefined;
if (calibration) {
  const rates = calibration.rates.map((rate) => `${rate.name} ${(rate.hashesPerSecond / 1e6).toFixed(1)}`).join(", ");
  console.log(
    `a node's calibration chooses ${calibration.kernel} (MH/s on one thread over ${CALIBRATION_MS} ms in all: ${rates})`,
  );
}
const kernels: KernelName[] =
  options.kernel === "all"
    ? [...resolveKernel("auto").candidates.filter((name) => name !== "portable"), "portable"]
    : calibration
      ? [calibration.kernel]
      : resolveKernel(options.kernel).candidates;
console.log(`kernels: ${kernels.join(", ")}`);

interface Row {
  kernel: KernelName;
  threads: number;
  hashes: number;
  seconds: number;
  hashesPerSecond: number;
  stopMedianMs: number;
  stopMaxMs: number;
}
const rows: Row[] = [];
for (const kernel of kernels) {
  for (const threads of options.threads) {
    const pool = new MinerPool(threads, kernel);
    const label = `${kernel}, ${threads} thread${threads > 1 ? "s" : ""}`;
    await sustained(pool, Math.min(1, options.seconds), `${label} warm-up`);
    const run = await sustained(pool, options.seconds, label);
    const rate = run.hashesPerSecond;
    const latencies = threads > 1 ? await stopLatencies(pool, rate, options.stopJobs, label) : [];
    await pool.close();
    rows.push({
      kernel,
      threads,
      hashes: run.hashes,
      seconds: run.seconds,
      hashesPerSecond: rate,
      stopMedianMs: quantile(latencies, 0.5),
      stopMaxMs: latencies[latencies.length - 1] ?? 0,
    });
  }
}

/** The limits at each thread count, measured after the kernels in the same run. */
const limitTool = buildCeiling("sha256-limit");
const lanesTool = buildCeiling("sha256-lanes");
const limits = new Map<number, number>();
const lanes = new Map<number, { name: string; rate: number }>();
const toolSeconds = Math.min(1, options.seconds);
for (const threads of options.threads) {
  if ("binary" in limitTool) {
    progress(`sha256-limit, ${threads} threads`);
    limits.set(threads, measureCeiling(limitTool.binary, threads, toolSeconds));
  }
  if ("binary" in lanesTool) {
    progress(`sha256-lanes, ${threads} threads`);
    lanes.set(threads, measureLanes(lanesTool.binary, threads, toolSeconds).best);
  }
}
progress("crypto.hash loop (1 thread, main thread)");
const baseline = cryptoHashLoopRate(header(0), Math.min(3, options.seconds)).rate;
progress("");
if (process.stderr.isTTY) process.stderr.write("\r\x1b[2K");

const mhps = (rate: number) => (rate / 1e6).toFixed(2);
const share = (rate: number, of: number | undefined) => (of === undefined ? "-" : `${(rate / of).toFixed(2)}x`);
console.log(
  `\n${table(
    [
      "kernel",
      "threads",
      "MH/s",
      "speedup",
      `per block @${options.difficulty}`,
      "stop median / max",
      "of sha256-lanes best",
      "of sha256-limit",
    ],
    rows.map((r) => {
      const one = rows.find((o) => o.kernel === r.kernel && o.threads === 1);
      const best = lanes.get(r.threads);
      return [
        options.kernel === "all" && r.kernel === calibration?.kernel ? `${r.kernel} *` : r.kernel,
        String(r.threads),
        mhps(r.hashesPerSecond),
        one ? `${(r.hashesPerSecond / one.hashesPerSecond).toFixed(2)}x` : "-",
        duration(2 ** options.difficulty / r.hashesPerSecond),
        r.threads === 1 ? "-" : `${r.stopMedianMs.toFixed(3)} / ${r.stopMaxMs.toFixed(3)} ms`,
        best ? `${share(r.hashesPerSecond, best.rate)} (${best.name} ${mhps(best.rate)})` : "-",
        share(r.hashesPerSecond, limits.get(r.threads)),
      ];
    }),
  )}`,
);
if (options.kernel === "all" && calibration) console.log(`* the kernel a node chooses here: ${calibration.kernel}`);
for (const [threads, limit] of limits) console.log(`sha256-limit, ${threads} threads: ${mhps(limit)} M/s`);
for (const [threads, best] of lanes)
  console.log(`sha256-lanes best, ${threads} threads: ${best.name}, ${mhps(best.rate)} M/s`);
const fastest = rows.filter((r) => r.threads === 1).sort((a, b) => b.hashesPerSecond - a.hashesPerSecond)[0];
if (fastest) {
  console.log(
    `\ncrypto.hash loop, 1 thread: ${mhps(baseline)} MH/s; ${fastest.kernel}'s 1-thread rate is ${(fastest.hashesPerSecond / baseline).toFixed(1)}x that`,
  );
}
if ("missing" in limitTool) console.log(`sha256-limit not measured: ${limitTool.missing}`);
if ("missing" in lanesTool) console.log(`sha256-lanes not measured: ${lanesTool.missing}`);
if (options.json) {
  const entries = rows.map(({ kernel, threads, hashes, seconds, hashesPerSecond }) => ({
    kernel,
    nodeChoice: kernel === calibration?.kernel,
    threads,
    hashes,
    seconds,
    hashesPerSecond,
  }));
  writeFileSync(options.json, `${JSON.stringify(entries, null, 2)}\n`);
  console.log(`wrote ${options.json}`);
}
if (options.chart && fastest) {
  const points = rows
    .filter((r) => r.kernel === fastest.kernel)
    .map((r) => ({ threads: r.threads, mhps: r.hashesPerSecond / 1e6 }));
  writeFileSync(options.chart, scalingChart(points, `toychain ${fastest.kernel} kernel: MH/s by threads (${cpu})`));
  console.log(`wrote ${options.chart}`);
}
