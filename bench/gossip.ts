/**
 * npm run bench:gossip -- [--nodes 3,6,12] [--blocks 50] [--difficulty 12] [--json file]
 *
 * How fast a block mined on one node reaches every node of a gossiping
 * network (--gossip), and what that costs. For each size, two topologies:
 * a one-way ring (each node registers the next one only) and a full mesh
 * (each registers every other). Blocks are mined one at a time at random
 * nodes; for each, the time from the miner's "block forged" line (the block
 * is durable, its announcement under way) to the last node's "chain
 * replaced" line (durable there too), both from the nodes' own logs, so the
 * bench does not poll. Then the HTTP requests that gossip made per block
 * (announcements, locates, pages, tips, from each node's /metrics) and the
 * CPU every node spent per block (from /proc, less what the same network
 * spends idle). Nodes keep their stores on disk, as in production.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { parseArgs } from "node:util";
import { type ServerProcess, startToychain } from "./lib/processes.js";
import { random } from "./lib/random.js";
import { median } from "./lib/stats.js";
import { table } from "./lib/table.js";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "3,6,12" },
    blocks: { type: "string", default: "50" },
    difficulty: { type: "string", default: "12" },
    json: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log("Usage: npm run bench:gossip -- [--nodes 3,6,12] [--blocks 50] [--difficulty 12] [--json file]");
  process.exit(0);
}
const sizes = values.nodes.split(",").map(Number);
const blocks = Number(values.blocks);
const difficulty = Number(values.difficulty);
if (sizes.some((n) => !Number.isInteger(n) || n < 2) || !Number.isInteger(blocks) || blocks < 1) {
  console.error("--nodes takes integers from 2, comma-separated; --blocks a positive integer");
  process.exit(2);
}
if (!Number.isInteger(difficulty) || difficulty < 1 || difficulty > 24) {
  console.error("--difficulty takes an integer from 1 to 24");
  process.exit(2);
}

/** How long a block may take to reach every node before the bench gives up on it. */
const BLOCK_TIMEOUT_MS = 10_000;
/** A pause after each block, so that its last announcements are done before the next one is mined. */
const SETTLE_MS = 100;
/** How long the idle network is watched to know its CPU when nothing happens. */
const IDLE_MS = 2000;
/** The routes gossip uses; the bench's own /mine and /metrics are not counted. */
const GOSSIP_ROUTES = ["/nodes/announce", "/chain/locate", "/chain", "/chain/tip"];
const TICKS_PER_SECOND = 100;

type Topology = "one-way ring" | "full mesh";

interface GossipNode {
  process: ServerProcess;
  /** When each height was reached here (the epoch ms of its log line): mined, or adopted. */
  reached: Map<number, number>;
  waiters: Set<() => void>;
}

interface Result {
  topology: Topology;
  nodes: number;
  blocks: number;
  medianMs: number;
  maxMs: number;
  /** Each block's, in the order mined: the first one also pays for the nodes' cold start. */
  latenciesMs: number[];
  requestsPerBlock: number;
  byRoute: Record<string, number>;
  cpuMsPerBlock: number;
}

async function startGossipNode(): Promise<GossipNode> {
  const reached = new Map<number, number>();
  const waiters = new Set<() => void>();
  const node: GossipNode = {
    process: await startToychain(
      ["--gossip", "--threads", "1", "--difficulty", String(difficulty)],
      undefined,
      ({ msg, time, index, length }) => {
        const height = msg === "block forged" ? index : msg === "chain replaced" ? length : undefined;
        if (typeof height !== "number" || typeof time !== "number" || reached.has(height)) return;
        reached.set(height, time);
        for (const wake of waiters) wake();
      },
    ),
    reached,
    waiters,
  };
  return node;
}

/** Resolves once every node has reached `height`, or rejects after the timeout. */
function allReach(nodes: readonly GossipNode[], height: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!nodes.every((node) => node.reached.has(height))) return;
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`block ${height} did not reach every node within ${BLOCK_TIMEOUT_MS} ms`));
    }, BLOCK_TIMEOUT_MS);
    const done = () => {
      clearTimeout(timer);
      for (const node of nodes) node.waiters.delete(check);
    };
    for (const node of nodes) node.waiters.add(check);
    check();
  });
}

async function post(url: string, body: unknown): Promise<void> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${url} answered ${response.status}: ${await response.text()}`);
}

/** HTTP requests each node served so far on the gossip routes, summed over the nodes, by route. */
async function requestsServed(nodes: readonly GossipNode[]): Promise<Record<string, number>> {
  const counts = new Map(GOSSIP_ROUTES.map((route) => [route, 0]));
  for (const node of nodes) {
    const text = await (await fetch(`${node.process.url}/metrics`)).text();
    for (const line of text.split("\n")) {
      const match =
        /^toychain_http_request_duration_seconds_count\{method="\w+",route="([^"]+)",status="\d+"\} (\d+)/.exec(line);
      const route = match?.[1] ?? "";
      const count = counts.get(route);
      if (count !== undefined) counts.set(route, count + Number(match?.[2]));
    }
  }
  return Object.fromEntries(counts);
}

/** CPU seconds every node's process has used so far (user and system, its threads included). */
function cpuSeconds(nodes: readonly GossipNode[]): number {
  let ticks = 0;
  for (const node of nodes) {
    const stat = readFileSync(`/proc/${node.process.child.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / TICKS_PER_SECOND;
}

async function measure(size: number, topology: Topology): Promise<Result> {
  const nodes = await Promise.all(Array.from({ length: size }, startGossipNode));
  try {
    await Promise.all(
      nodes.map((node, i) => {
        const others =
          topology === "one-way ring" ? [nodes[(i + 1) % size] as GossipNode] : nodes.filter((other) => other !== node);
        return post(`${node.process.url}/nodes/register`, { nodes: others.map((other) => other.process.url) });
      }),
    );
    const pick = random(size * 1000 + (topology === "full mesh" ? 1 : 0));
    // The idle network's CPU, to subtract: timers, the page workers, garbage collection.
    const idleFrom = cpuSeconds(nodes);
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idlePerMs = (cpuSeconds(nodes) - idleFrom) / IDLE_MS;

    const requestsBefore = await requestsServed(nodes);
    const cpuBefore = cpuSeconds(nodes);
    const started = performance.now();
    const latencies: number[] = [];
    for (let height = 2; height < blocks + 2; height++) {
      const miner = nodes[pick(size)] as GossipNode;
      const response = await fetch(`${miner.process.url}/mine`);
      const mined = (await response.json()) as { index: number };
      if (mined.index !== height) throw new Error(`mined block ${mined.index}, not ${height}: the nodes diverged`);
      await allReach(nodes, height);
      const forged = miner.reached.get(height) as number;
      latencies.push(Math.max(...nodes.map((node) => node.reached.get(height) as number)) - forged);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    }
    const elapsedMs = performance.now() - started;
    const cpu = cpuSeconds(nodes) - cpuBefore - idlePerMs * elapsedMs;
    const requestsAfter = await requestsServed(nodes);
    const byRoute = Object.fromEntries(
      GOSSIP_ROUTES.map((route) => [route, ((requestsAfter[route] ?? 0) - (requestsBefore[route] ?? 0)) / blocks]),
    );
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      topology,
      nodes: size,
      blocks,
      medianMs: median(sorted),
      maxMs: sorted[sorted.length - 1] as number,
      latenciesMs: latencies,
      requestsPerBlock: Object.values(byRoute).reduce((sum, n) => sum + n, 0),
      byRoute,
      cpuMsPerBlock: (cpu * 1000) / blocks,
    };
  } finally {
    await Promise.all(nodes.map((node) => node.process.stop()));
  }
}

const machine = {
  cpu: cpus()[0]?.model ?? "unknown CPU",
  cores: availableParallelism(),
  node: process.version,
};
process.stderr.write(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}\n`);
const results: Result[] = [];
for (const size of sizes) {
  for (const topology of ["one-way ring", "full mesh"] as const) {
    process.stderr.write(`${topology} of ${size}: ${blocks} blocks...\n`);
    const result = await measure(size, topology);
    results.push(result);
    process.stderr.write(
      `  median ${result.medianMs} ms, max ${result.maxMs} ms, ${result.requestsPerBlock.toFixed(1)} requests and ${result.cpuMsPerBlock.toFixed(0)} ms of CPU per block\n`,
    );
  }
}

const ring6 = results.find((result) => result.topology === "one-way ring" && result.nodes === 6);
console.log(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}`);
console.log(`${blocks} blocks per network, difficulty ${difficulty}, one mining thread per node\n`);
console.log(
  table(
    ["topology", "nodes", "median", "max", "requests/block", "announce", "locate", "page", "tip", "CPU/block"],
    results.map((r) => [
      r.topology,
      String(r.nodes),
      `${r.medianMs} ms`,
      `${r.maxMs} ms`,
      r.requestsPerBlock.toFixed(1),
      (r.byRoute["/nodes/announce"] ?? 0).toFixed(1),
      (r.byRoute["/chain/locate"] ?? 0).toFixed(1),
      (r.byRoute["/chain"] ?? 0).toFixed(1),
      (r.byRoute["/chain/tip"] ?? 0).toFixed(1),
      `${r.cpuMsPerBlock.toFixed(0)} ms`,
    ]),
  ),
);
if (ring6) {
  console.log(
    `\none-way ring of 6: max ${ring6.maxMs} ms (required: within 2000 ms: ${ring6.maxMs <= 2000 ? "met" : "NOT met"}), median ${ring6.medianMs} ms (goal: within 100 ms: ${ring6.medianMs <= 100 ? "met" : "not met"})`,
  );
}
if (values.json) {
  writeFileSync(
    values.json,
    `${JSON.stringify({ date: new Date().toISOString(), machine, difficulty, blocks, results }, null, 2)}\n`,
  );
}
