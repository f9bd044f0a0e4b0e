/**
 * npm run bench:pace -- [--minutes 10] [--block-time 5] [--nodes 3] [--spec FILE] [--json FILE] [--chart FILE.svg]
 *
 * A network that keeps its pace, on real processes: `toychain chain new
 * --block-time 5 --ledger names` makes a spec on this machine (its own
 * measured hash rate), then three nodes run it with --mine --gossip, each
 * registered with the others, for ten minutes. Every node's event stream (/events) is read as it
 * comes, so the bench knows when each node forged a block and when each
 * reached a new tip. At the end: the mean block time of the last 60 blocks
 * of the chain they agree on, the stale blocks (forged, then not in that
 * chain), and how long after a block was forged every node was on it.
 *
 * The spec's ledger is names, the walkthrough's, not chain new's default,
 * accounts: the bench posts no transaction, so an accounts chain's blocks
 * would differ only by their reward's ledger write, and the figures stay
 * comparable with the runs the README quotes, all on names chains. --spec
 * runs any spec file, an accounts chain's among them.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { blockWork, formatWork, targetFromBits } from "../src/chain/index.js";
import { type ServerProcess, startToychain } from "./lib/processes.js";
import { panelChart } from "./lib/svg.js";
import { table } from "./lib/table.js";

const USAGE = `Usage: npm run bench:pace -- [options]
  --minutes <n>        how long the network runs (default 10)
  --block-time <s>     the spec's target spacing (default 5)
  --nodes <n>          nodes, each mining with every core (default 3)
  --spec <file>        run this spec instead of making one with chain new
  --json <file>        write the figures and every block
  --chart <file.svg>   write block time against height
  --logs <dir>         keep every node's log there (JSON lines, debug level)
  -h, --help`;

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    "block-time": { type: "string", default: "5" },
    nodes: { type: "string", default: "3" },
    spec: { type: "string" },
    json: { type: "string" },
    chart: { type: "string" },
    logs: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const minutes = Number(values.minutes);
const blockTime = Number(values["block-time"]);
const nodeCount = Number(values.nodes);
if (!(minutes > 0) || !Number.isInteger(blockTime) || blockTime < 1 || !Number.isInteger(nodeCount) || nodeCount < 2) {
  console.error("--minutes takes a positive number, --block-time whole seconds, --nodes an integer from 2");
  process.exit(2);
}

/** The blocks the mean block time is taken over, as the issue asks. */
const LAST_BLOCKS = 60;
/** A block slower than this to reach every node is shown with the lagging node's log. */
const SLOW_MS = 1000;
const CLI = fileURLToPath(new URL("../src/cli.js", import.meta.url));

interface Block {
  index: number;
  timestamp: number;
  previous_hash: string;
  bits?: string;
}

/** A block event as /events sends it, with when this bench read it. */
interface Seen {
  index: number;
  hash: string;
  origin: "mined" | "adopted";
  at: number;
}

/** A node's log line, with when it was written on this bench's clock (performance.now()). */
interface LogLine {
  at: number;
  line: Record<string, unknown>;
}

/** Reads a node's event stream until `signal` aborts, recording every block event. */
async function watch(url: string, seen: Seen[], signal: AbortSignal): Promise<void> {
  const response = await fetch(`${url}/events`, { signal });
  const reader = (response.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf("\n\n");
        const kind = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (kind !== "block" || data === undefined) continue;
        const event = JSON.parse(data) as { index: number; hash: string; origin: Seen["origin"] };
        seen.push({ index: event.index, hash: event.hash, origin: event.origin, at: performance.now() });
      }
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}

const json = async <T>(url: string, init?: RequestInit): Promise<T> => (await fetch(url, init)).json() as Promise<T>;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

const work = mkdtempSync(join(tmpdir(), "toychain-pace-"));
const specPath = values.spec ?? join(work, "pace.json");
if (values.spec === undefined) {
  process.stderr.write(
    `making a spec with toychain chain new --block-time ${blockTime} --ledger names (measures this machine)...\n`,
  );
  process.stderr.write(
    execFileSync(
      process.execPath,
      [CLI, "chain", "new", "--out", specPath, "--block-time", String(blockTime), "--ledger", "names"],
      { encoding: "utf8" },
    ),
  );
}
const spec = JSON.parse(readFileSync(specPath, "utf8")) as { name: string; blockTime: number };

const nodes: ServerProcess[] = [];
const seen: Seen[][] = [];
const logs: LogLine[][] = [];
/** Each node's gossip counters from /stats, read before it stops. */
const gossipCounts: unknown[] = [];
const watching = new AbortController();
const streams: Promise<void>[] = [];
let stoppedAt = Number.POSITIVE_INFINITY;
try {
  for (let i = 0; i < nodeCount; i++) {
    const lines: LogLine[] = [];
    logs.push(lines);
    nodes.push(
      await startToychain(
        ["--chain", specPath, "--mine", "--gossip", "--log-level", "debug"],
        join(work, `node${i}`),
        (line) => {
          // Requests answered are the bulk of a debug log and tell nothing here.
          if (line.msg !== "request") lines.push({ at: (line.time as number) - performance.timeOrigin, line });
        },
      ),
    );
  }
  for (const [i, node] of nodes.entries()) {
    const others = nodes.filter((_, j) => j !== i).map((other) => other.url);
    await json(`${node.url}/nodes/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ nodes: others }),
    });
    const events: Seen[] = [];
    seen.push(events);
    streams.push(watch(node.url, events, watching.signal));
  }
  const started = performance.now();
  const deadline = started + minutes * 60_000;
  while (performance.now() < deadline) {
    await sleep(5_000);
    const tips = await Promise.all(nodes.map((node) => json<{ length: number }>(`${node.url}/chain/tip`)));
    process.stderr.write(
      `${((performance.now() - started) / 60_000).toFixed(1)} min: tips ${tips.map((tip) => tip.length).join(", ")}\n`,
    );
  }
  for (const node of nodes) gossipCounts.push((await json<{ gossip: unknown }>(`${node.url}/stats`)).gossip);
  // Stop the miners but one: its chain is the one they agreed on.
  stoppedAt = performance.now();
  for (const node of nodes.slice(1)) await node.stop();
  process.stderr.write(`stopped ${nodes.length - 1} nodes; reading the chain of the last one\n`);
} finally {
  watching.abort();
  await Promise.allSettled(streams);
}
const survivor = nodes[0] as ServerProcess;
const { chain } = await json<{ chain: Block[] }>(`${survivor.url}/chain`);
const { hash: tipHash } = await json<{ hash: string }>(`${survivor.url}/chain/tip`);
await survivor.stop();
rmSync(work, { recursive: true, force: true });
if (values.logs !== undefined) {
  mkdirSync(values.logs, { recursive: true });
  for (const [i, lines] of logs.entries()) {
    writeFileSync(join(values.logs, `node${i}.jsonl`), lines.map(({ line }) => `${JSON.stringify(line)}\n`).join(""));
  }
}

/** Every block's hash, by index: each block names its parent's, and the tip's is the node's tip. */
const hashes = new Map<string, number>();
for (const [i, block] of chain.entries()) if (i > 0) hashes.set(block.previous_hash, i);
hashes.set(tipHash, chain.length);

/** Blocks forged before the other miners stopped, and early enough that a fork among them had time to end. */
const mined = seen.flat().filter((event) => event.origin === "mined" && event.at < stoppedAt - 3 * blockTime * 1000);
const stale = mined.filter((event) => !hashes.has(event.hash));
/** A block of the final chain forged while every node watched, and when each node was on it. */
interface Reach {
  forged: Seen;
  index: number;
  /** When each node was on it, or on a later block of the final chain. */
  reached: number[];
  delay: number;
}
const reaches: Reach[] = [];
for (const forged of mined) {
  const index = hashes.get(forged.hash);
  if (index === undefined) continue;
  const reached = seen.map(
    (events) => events.find((event) => event.at >= forged.at - 1 && event.index >= index && hashes.has(event.hash))?.at,
  );
  if (reached.some((at) => at === undefined)) continue;
  const times = reached as number[];
  reaches.push({ forged, index, reached: times, delay: Math.max(...times) - forged.at });
}
const delays = reaches.map((reach) => reach.delay);
delays.sort((a, b) => a - b);
/** The slow blocks, and what the node that lagged logged meanwhile. */
const slow = reaches.filter((reach) => reach.delay > SLOW_MS);
const last = chain.slice(-(LAST_BLOCKS + 1));
const first = last[0] as Block;
const tip = last[last.length - 1] as Block;
const meanBlockTime = (tip.timestamp - first.timestamp) / (last.length - 1);
const staleShare = mined.length > 0 ? stale.length / mined.length : 0;
/** The hash rate the chain's work shows over its last blocks, against the one the spec was made for. */
const workOf = (block: Block): bigint => blockWork(targetFromBits(Number.parseInt(block.bits ?? "0", 16)));
const lastWork = last.slice(1).reduce((sum, block) => sum + workOf(block), 0n);
const networkRate = Number(lastWork) / (tip.timestamp - first.timestamp);
const specRate = Number(workOf(chain[0] as Block)) / spec.blockTime;
const withinSecond = delays.filter((ms) => ms <= 1000).length / Math.max(1, delays.length);

const cpu = cpus()[0]?.model ?? "unknown CPU";
console.log(
  `machine: ${cpu}, ${availableParallelism()} cores, Node ${process.version}; ${nodeCount} nodes, ${minutes} min, spec ${spec.name} (${spec.blockTime} s blocks)`,
);
console.log(`chain: ${chain.length} blocks; blocks forged: ${mined.length}; stale: ${stale.length}`);
console.log(
  `\n${table(
    ["figure", "required", "goal", "measured"],
    [
      [
        `mean block time of the last ${last.length - 1} blocks vs ${spec.blockTime} s`,
        "±20%",
        "±10%",
        `${meanBlockTime.toFixed(2)} s (${(((meanBlockTime - spec.blockTime) / spec.blockTime) * 100).toFixed(1)}%)`,
      ],
      [
        "stale blocks (forged, then orphaned)",
        "≤ 3%",
        "≤ 1%",
        `${(staleShare * 100).toFixed(1)}% (${stale.length} of ${mined.length})`,
      ],
      [
        "every node on the new tip after a block",
        "within 1 s",
        "100 ms median",
        `median ${quantile(delays, 0.5).toFixed(0)} ms, p90 ${quantile(delays, 0.9).toFixed(0)} ms, max ${(delays.at(-1) ?? Number.NaN).toFixed(0)} ms; ${(withinSecond * 100).toFixed(1)}% within 1 s (${delays.length} blocks)`,
      ],
    ],
  )}`,
);
console.log(
  `network hash rate from the last ${last.length - 1} blocks' work: ${formatWork(BigInt(Math.round(networkRate)))}H/s, ${(networkRate / specRate).toFixed(2)}x the ${formatWork(BigInt(Math.round(specRate)))}H/s the spec was calibrated for`,
);
console.log(`gossip counters, node by node: ${JSON.stringify(gossipCounts)}`);
for (const reach of slow) {
  const lagging = reach.reached.indexOf(Math.max(...reach.reached));
  const origin = seen.findIndex((events) => events.includes(reach.forged));
  console.log(
    `\nblock ${reach.index} ${reach.forged.hash.slice(0, 12)}, forged by node ${origin}, reached node ${lagging} after ${reach.delay.toFixed(0)} ms; node ${lagging} meanwhile:`,
  );
  const window = (logs[lagging] ?? []).filter(
    (entry) => entry.at >= reach.forged.at - 50 && entry.at <= reach.forged.at + reach.delay + 50,
  );
  for (const { at, line } of window.slice(0, 40)) {
    const { msg, level, time, pid, hostname, ...fields } = line;
    console.log(`  +${(at - reach.forged.at).toFixed(0)} ms ${msg} ${JSON.stringify(fields)}`);
  }
}
const intervals = chain.slice(1).map((block, i) => block.timestamp - (chain[i] as Block).timestamp);
if (values.json) {
  writeFileSync(
    values.json,
    `${JSON.stringify(
      {
        machine: cpu,
        nodes: nodeCount,
        minutes,
        blockTime: spec.blockTime,
        blocks: chain.length,
        meanBlockTime,
        forged: mined.length,
        stale: stale.length,
        delaysMs: { median: quantile(delays, 0.5), p90: quantile(delays, 0.9), max: delays.at(-1) ?? null },
        intervals,
        bits: chain.map((block) => block.bits ?? null),
        networkRate,
        specRate,
        gossip: gossipCounts,
        slow: slow.map((reach) => ({ index: reach.index, delayMs: reach.delay })),
      },
      null,
      2,
    )}\n`,
  );
  console.log(`wrote ${values.json}`);
}
if (values.chart) {
  const heights = intervals.map((_, i) => i + 2);
  writeFileSync(
    values.chart,
    panelChart(`toychain: block time by height, ${nodeCount} nodes --mine --gossip (${cpu})`, "height", heights, [
      {
        title: "seconds since the block before",
        values: intervals,
        lines: [{ label: `target spacing ${spec.blockTime} s`, color: "#d62728", at: () => spec.blockTime }],
      },
    ]),
  );
  console.log(`wrote ${values.chart}`);
}
