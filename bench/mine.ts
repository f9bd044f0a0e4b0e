/**
 * npm run bench -- --threads 1,2,4 --seconds 5 [--difficulty 24] [--kernel auto]
 *                  [--json FILE] [--chart FILE.svg]
 *
 * Mines through the real pool (Piscina workers, shared-memory job control) at
 * each thread count and prints MH/s, speedup, efficiency, the expected time
 * per block at the difficulty, and the stop latency (from a worker's find to
 * every worker idle) over many short jobs. In the same run it measures a
 * plain crypto.hash loop and, where a C compiler is present, the machine's
 * ceiling (../shared/bench/sha256-limit.c), and compares.
 */
import { writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { parseArgs } from "node:util";
import { sha256Hex } from "../src/chain/index.js";
import { JobControl, MinerPool } from "../src/mining/index.js";
import { KERNEL_CHOICES, type KernelChoice, resolveKernel } from "../workers/kernel/index.js";
import { cryptoHashLoopRate } from "./lib/baseline.js";
import { buildCeiling, measureCeiling } from "./lib/ceiling.js";
import { scalingChart } from "./lib/svg.js";
import { duration, table } from "./lib/table.js";

const USAGE = `Usage: npm run bench -- [options]
  --threads <list>     thread counts, comma-separated (default 1..${availableParallelism()})
  --seconds <n>        mining time per thread count (default 5)
  --difficulty <n>     for the expected time per block (default 24)
  --kernel <k>         ${KERNEL_CHOICES.join(", ")} (default auto)
  --stop-jobs <n>      short jobs per thread count for the stop latency (default 40)
  --json <file>        write [{threads, hashes, seconds, hashesPerSecond}]
  --chart <file.svg>   write an SVG chart of MH/s against threads
  -h, --help`;

interface Options {
  threads: number[];
  seconds: number;
  difficulty: number;
  kernel: KernelChoice;
  stopJobs: number;
  json?: string;
  chart?: string;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      threads: { type: "string" },
      seconds: { type: "string", default: "5" },
      difficulty: { type: "string", default: "24" },
      kernel: { type: "string", default: "auto" },
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
  const kernel = values.kernel as KernelChoice;
  if (!KERNEL_CHOICES.includes(kernel)) throw new Error(`--kernel must be one of ${KERNEL_CHOICES.join(", ")}`);
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

/** Mines at a difficulty never reached for `seconds`, then cancels: the sustained rate. */
async function sustained(pool: MinerPool, seconds: number, label: string) {
  const control = new JobControl();
  const started = performance.now();
  const ticker = setInterval(() => {
    const elapsed = (performance.now() - started) / 1000;
    progress(`${label}: ${elapsed.toFixed(1)}/${seconds} s, ${(control.hashes / elapsed / 1e6).toFixed(2)} MH/s`);
  }, 250);
  const timer = setTimeout(() => control.cancel(), seconds * 1000);
  const result = await pool.search(header(0), 256, control);
  clearInterval(ticker);
  clearTimeout(timer);
  return result;
}

/** Many short jobs: how long after a find every worker has stopped. */
async function stopLatencies(pool: MinerPool, rate: number, jobs: number, label: string): Promise<number[]> {
  const difficulty = Math.max(1, Math.round(Math.log2(rate * 0.02)));
  const latencies: number[] = [];
  for (let job = 0; job < jobs; job++) {
    progress(`${label}: stop latency, job ${job + 1}/${jobs} at difficulty ${difficulty}`);
    const result = await pool.search(header(job + 1), difficulty, new JobControl());
    latencies.push(result.stopLatencyMs);
  }
  return latencies.sort((a, b) => a - b);
}

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

const options = parseOptions(process.argv.slice(2));
const kernel = resolveKernel(options.kernel);
const cpu = cpus()[0]?.model ?? "unknown CPU";
console.log(`machine: ${cpu}, ${availableParallelism()} cores, Node ${process.version}`);
console.log(`kernel: ${kernel.candidates[0]}${kernel.fallback ? ` (${kernel.fallback})` : ""}`);

interface Row {
  threads: number;
  hashes: number;
  seconds: number;
  hashesPerSecond: number;
  stopMedianMs: number;
  stopMaxMs: number;
  ceiling?: number;
}
const rows: Row[] = [];
const ceilingTool = buildCeiling();
for (const threads of options.threads) {
  const pool = new MinerPool(threads, kernel.candidates[0]);
  const label = `${threads} thread${threads > 1 ? "s" : ""}`;
  await sustained(pool, Math.min(1, options.seconds), `${label} warm-up`);
  const run = await sustained(pool, options.seconds, label);
  const rate = run.hashes / run.seconds;
  const latencies = await stopLatencies(pool, rate, options.stopJobs, label);
  await pool.close();
  let ceiling: number | undefined;
  if ("binary" in ceilingTool) {
    progress(`${label}: sha256-limit`);
    ceiling = measureCeiling(ceilingTool.binary, threads, Math.min(3, options.seconds));
  }
  rows.push({
    threads,
    hashes: run.hashes,
    seconds: run.seconds,
    hashesPerSecond: rate,
    stopMedianMs: quantile(latencies, 0.5),
    stopMaxMs: latencies[latencies.length - 1] ?? 0,
    ceiling,
  });
}
progress("crypto.hash loop (1 thread, main thread)");
const baseline = cryptoHashLoopRate(header(0), Math.min(3, options.seconds)).rate;
progress("");
if (process.stderr.isTTY) process.stderr.write("\r\x1b[2K");

const one = rows.find((r) => r.threads === 1) ?? (rows[0] as Row);
const perThread = one.hashesPerSecond / one.threads;
const mhps = (rate: number) => (rate / 1e6).toFixed(2);
console.log(
  `\n${table(
    [
      "threads",
      "MH/s",
      "speedup",
      "efficiency",
      `per block @${options.difficulty}`,
      "stop median",
      "stop max",
      "ceiling MH/s",
      "of ceiling",
    ],
    rows.map((r) => [
      String(r.threads),
      mhps(r.hashesPerSecond),
      `${(r.hashesPerSecond / perThread).toFixed(2)}x`,
      `${((r.hashesPerSecond / (perThread * r.threads)) * 100).toFixed(0)}%`,
      duration(2 ** options.difficulty / r.hashesPerSecond),
      r.threads === 1 ? "-" : `${r.stopMedianMs.toFixed(3)} ms`,
      r.threads === 1 ? "-" : `${r.stopMaxMs.toFixed(3)} ms`,
      r.ceiling === undefined ? "-" : mhps(r.ceiling),
      r.ceiling === undefined ? "-" : `${((r.hashesPerSecond / r.ceiling) * 100).toFixed(0)}%`,
    ]),
  )}`,
);
console.log(
  `\ncrypto.hash loop, 1 thread: ${mhps(baseline)} MH/s; our 1-thread rate is ${(perThread / baseline).toFixed(1)}x that`,
);
if ("missing" in ceilingTool) console.log(`sha256-limit not measured: ${ceilingTool.missing}`);
if (options.json) {
  const entries = rows.map(({ threads, hashes, seconds, hashesPerSecond }) => ({
    threads,
    hashes,
    seconds,
    hashesPerSecond,
  }));
  writeFileSync(options.json, `${JSON.stringify(entries, null, 2)}\n`);
  console.log(`wrote ${options.json}`);
}
if (options.chart) {
  const points = rows.map((r) => ({ threads: r.threads, mhps: r.hashesPerSecond / 1e6 }));
  writeFileSync(
    options.chart,
    scalingChart(points, `toychain ${kernel.candidates[0]} kernel: MH/s by threads (${cpu})`),
  );
  console.log(`wrote ${options.chart}`);
}
