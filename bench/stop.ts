/**
 * npm run bench:stop -- [--rounds 10] [--load N] [--json file]
 *
 * How long a node takes to stop after a /mine, on an idle machine and on
 * one whose cores are all busy: each round starts a node (--threads 2, a
 * data dir), mines a block (its mining threads are at SCHED_IDLE from then
 * on), starts `--load` busy processes (default cores + 1) or none, sends
 * SIGTERM and times the exit. The first second of every stop is the grace
 * the node gives idle keep-alive connections. A mining thread at SCHED_IDLE
 * gets almost no CPU on a busy machine, not even to exit: the node gives its
 * mining threads their priority back before stopping them, where the system
 * allows (root, or CAP_SYS_NICE); run it as another user to see the case
 * where it does not. Figures: each condition's min, median and max, written
 * to bench/results/stop.json with the machine's name.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { parseArgs } from "node:util";
import { startToychain } from "./lib/processes.js";
import { median } from "./lib/stats.js";
import { table } from "./lib/table.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "10" },
    load: { type: "string", default: String(availableParallelism() + 1) },
    json: { type: "string", default: "bench/results/stop.json" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(`Usage: npm run bench:stop -- [options]
  --rounds <n>   stops timed in each condition (default 10)
  --load <n>     busy processes on the loaded machine (default this machine's cores + 1)
  --json <file>  where the figures go (default bench/results/stop.json)`);
  process.exit(0);
}
const rounds = Number(values.rounds);
const load = Number(values.load);
if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(load) || load < 1) {
  console.error("--rounds and --load take positive integers");
  process.exit(2);
}

/** Busy loops, each a process of its own at the default priority. */
function busy(count: number): ChildProcess[] {
  return Array.from({ length: count }, () => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
}

/** One stop after a /mine, with `loaders` busy processes running: ms from SIGTERM to the exit. */
async function timeStop(loaders: number): Promise<number> {
  const node = await startToychain(["--threads", "2"]);
  const mined = await fetch(`${node.url}/mine`);
  if (!mined.ok) throw new Error(`/mine answered ${mined.status}`);
  await mined.arrayBuffer();
  const loads = busy(loaders);
  try {
    // The loaders take the cores before the stop begins.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = performance.now();
    const exited = once(node.child, "exit");
    node.child.kill("SIGTERM");
    await exited;
    const ms = performance.now() - started;
    await node.stop();
    return ms;
  } finally {
    for (const child of loads) child.kill("SIGKILL");
  }
}

const machine = { cpu: cpus()[0]?.model ?? "unknown", cores: availableParallelism(), node: process.version };
const uid = process.getuid?.();
const conditions = [
  { name: "idle machine", loaders: 0 },
  { name: `${load} busy processes`, loaders: load },
];
const results: { condition: string; loaders: number; ms: number[] }[] = [];
for (const { name, loaders } of conditions) {
  const ms: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    process.stderr.write(`${name}: round ${round} of ${rounds}\r`);
    ms.push(await timeStop(loaders));
  }
  process.stderr.write("\n");
  results.push({ condition: name, loaders, ms });
}
console.log(
  `a node (--threads 2, a data dir) stopped by SIGTERM after a /mine, ${rounds} rounds a condition; uid ${uid} (${uid === 0 ? "root: the mining threads' priority is restored" : "not root: the system refuses to restore it"})`,
);
console.log(
  table(
    ["condition", "min ms", "median ms", "max ms"],
    results.map(({ condition, ms }) => [
      condition,
      Math.min(...ms).toFixed(0),
      median(ms).toFixed(0),
      Math.max(...ms).toFixed(0),
    ]),
  ),
);
console.log(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}`);
writeFileSync(values.json, `${JSON.stringify({ machine, uid, rounds, results }, null, 2)}\n`);
console.log(`written to ${values.json}`);
