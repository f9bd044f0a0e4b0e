/**
 * npm run bench:signals -- [--runs 1000000]
 *
 * What a resolve's or sync's abort signal leaves behind on the node's
 * long-lived stopping signal: `--runs` runs, each under a signal aborted by
 * the stopping signal or a deadline, made either as the node did before
 * (AbortSignal.any([stopping, deadline])) or as it does now (RunSignal: one
 * controller, a listener on the stopping signal removed when the run ends).
 * Each way runs in a process of its own, with --expose-gc; the heap is
 * measured after a full GC before and after the runs.
 */
import { execFileSync } from "node:child_process";
import { getEventListeners } from "node:events";
import { availableParallelism, cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ResolveDeadlineError, RunSignal } from "../src/sync/index.js";
import { table } from "./lib/table.js";

const WAYS = ["AbortSignal.any", "RunSignal"] as const;
type Way = (typeof WAYS)[number];
/** What one process measured. */
interface Figures {
  way: Way;
  runs: number;
  heapGrowthBytes: number;
  nsPerRun: number;
  /** What the measured runs left attached to the stopping signal. */
  attached: number;
}

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "1000000" },
    way: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(`Usage: npm run bench:signals -- [options]
  --runs <n>   runs for each way (default 1000000)`);
  process.exit(0);
}
const runs = Number(values.runs);
const DEADLINE_MS = 120_000;

/** One run's signal, made one way or the other, and how to end it. */
function runSignal(way: Way, stopping: AbortSignal): { signal: AbortSignal; close: () => void } {
  if (way === "RunSignal") return new RunSignal(stopping, DEADLINE_MS);
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new ResolveDeadlineError(DEADLINE_MS)), DEADLINE_MS);
  return { signal: AbortSignal.any([stopping, deadline.signal]), close: () => clearTimeout(timer) };
}

/** Abort listeners, and the signals AbortSignal.any made to follow it (Node's internal kDependantSignals set). */
function attached(signal: AbortSignal): number {
  const key = Object.getOwnPropertySymbols(signal).find((symbol) => symbol.description === "kDependantSignals");
  const dependants = (key === undefined ? undefined : Reflect.get(signal, key)) as { size?: unknown } | undefined;
  const size = dependants?.size;
  return getEventListeners(signal, "abort").length + (typeof size === "number" ? size : 0);
}

async function settledHeap(gc: () => void): Promise<number> {
  // Twice, a turn apart: WeakRefs are cleared only after the turn that made them.
  for (let i = 0; i < 2; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  return process.memoryUsage().heapUsed;
}

async function measure(way: Way, gc: () => void): Promise<Figures> {
  const stopping = new AbortController();
  for (let i = 0; i < 10_000; i++) runSignal(way, stopping.signal).close();
  const before = await settledHeap(gc);
  const attachedBefore = attached(stopping.signal);
  const started = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) {
    const run = runSignal(way, stopping.signal);
    if (run.signal.aborted) throw new Error("a run's signal was aborted before its end");
    run.close();
  }
  const ns = Number(process.hrtime.bigint() - started);
  const after = await settledHeap(gc);
  return {
    way,
    runs,
    heapGrowthBytes: after - before,
    nsPerRun: ns / runs,
    attached: attached(stopping.signal) - attachedBefore,
  };
}

if (values.way !== undefined) {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with --expose-gc");
  process.stdout.write(JSON.stringify(await measure(values.way as Way, gc)));
} else {
  console.log(`machine: ${cpus()[0]?.model}, ${availableParallelism()} cores, Node ${process.version}`);
  const self = fileURLToPath(import.meta.url);
  const rows = WAYS.map((way) => {
    const out = execFileSync(process.execPath, ["--expose-gc", self, "--way", way, "--runs", String(runs)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    const figures = JSON.parse(out) as Figures;
    return [
      way,
      String(figures.runs),
      (figures.heapGrowthBytes / 2 ** 20).toFixed(1),
      (figures.heapGrowthBytes / figures.runs).toFixed(1),
      figures.nsPerRun.toFixed(0),
      String(figures.attached),
    ];
  });
  console.log(table(["signal per run", "runs", "heap growth MiB", "bytes/run", "ns/run", "left on stopping"], rows));
}
