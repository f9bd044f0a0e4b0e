/**
 * npm run bench:api -- [--seconds 10] [--connections 50] [--difficulty 26] [--blocks 3]
 *
 * Latency and throughput of GET /chain and POST /transactions/new on a real
 * node process, idle and while every core mines, with autocannon; and, side by
 * side, a bare node:http server that parses the same JSON. While every core
 * mines, GET /chain is also loaded with Debian's wrk (`wrk -t2 -c50 -d5s`),
 * a client in C that takes less of the CPU the node needs than autocannon,
 * and so is GET /chain/tip: also answered from memory, but through Koa,
 * where GET /chain takes the fast lane (src/api/fast-lane.ts).
 */
import { availableParallelism, cpus } from "node:os";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { type ServerProcess, startBareServer, startToychain } from "./lib/processes.js";
import { table } from "./lib/table.js";
import { runWrk, type WrkResult } from "./lib/wrk.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    connections: { type: "string", default: "50" },
    difficulty: { type: "string", default: "26" },
    blocks: { type: "string", default: "3" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(`Usage: npm run bench:api -- [options]
  --seconds <n>       per scenario (default 10)
  --connections <n>   concurrent connections (default 50)
  --difficulty <n>    the node's difficulty: high enough that mining is continuous (default 26)
  --blocks <n>        blocks mined before measuring, so /chain is not just the genesis (default 3)`);
  process.exit(0);
}
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const TX = JSON.stringify({ sender: "Lea", recipient: "Mark", amount: 10 });

/** The figures of one scenario, from autocannon or wrk (whose own report has the same fields); latencies in ms. */
type Figures = WrkResult;

interface Scenario {
  name: string;
  server: string;
  result: Figures;
}

const fromAutocannon = (result: autocannon.Result): Figures => ({
  requests: result.requests.total,
  requestsPerSecond: result.requests.average,
  p50: result.latency.p50,
  p99: result.latency.p99,
  max: result.latency.max,
  non2xx: result.non2xx,
  errors: result.errors,
});

async function load(url: string, method: "GET" | "POST", body?: string): Promise<autocannon.Result> {
  return autocannon({
    url,
    method,
    connections,
    duration: seconds,
    headers: body ? { "content-type": "application/json" } : {},
    body,
  });
}

/** Keeps the node mining back to back until stopped: every core busy. */
function keepMining(node: ServerProcess): () => Promise<void> {
  let mining = true;
  const loop = (async () => {
    while (mining) await fetch(`${node.url}/mine`).catch(() => undefined);
  })();
  return async () => {
    mining = false;
    await node.stop();
    await loop;
  };
}

process.stderr.write(`machine: ${cpus()[0]?.model}, ${availableParallelism()} cores, Node ${process.version}\n`);
const scenarios: Scenario[] = [];
const run = async (name: string, server: string, work: () => Promise<autocannon.Result>) => {
  process.stderr.write(`${name} on ${server} (${seconds} s, ${connections} connections)...\n`);
  scenarios.push({ name, server, result: fromAutocannon(await work()) });
};

const bare = await startBareServer();
await run("POST /transactions/new", "bare node:http", () => load(bare.url, "POST", TX));
await bare.stop();

const idle = await startToychain(["--difficulty", values.difficulty, "--max-pending", "100000000"]);
process.stderr.write(`mining ${values.blocks} blocks first...\n`);
for (let i = 0; i < Number(values.blocks); i++) await fetch(`${idle.url}/mine`);
await run("GET /chain", "toychain, idle", () => load(`${idle.url}/chain`, "GET"));
await run("POST /transactions/new", "toychain, idle", () => load(`${idle.url}/transactions/new`, "POST", TX));
await idle.stop();

const busy = await startToychain(["--difficulty", values.difficulty, "--max-pending", "100000000"]);
for (let i = 0; i < Number(values.blocks); i++) await fetch(`${busy.url}/mine`);
const stopMining = keepMining(busy);
await run("GET /chain", "toychain, mining", () => load(`${busy.url}/chain`, "GET"));
// GET /chain is answered from memory before Koa (src/api/fast-lane.ts); GET /chain/tip, also from memory, through Koa.
for (const path of ["/chain", "/chain/tip"]) {
  process.stderr.write(`GET ${path} on toychain, mining, with wrk -t2 -c50 -d5s...\n`);
  const wrk: WrkResult | { missing: string } = await runWrk(`${busy.url}${path}`, 2, 50, 5);
  if ("missing" in wrk) process.stderr.write(`wrk not run: ${wrk.missing}\n`);
  else scenarios.push({ name: `GET ${path}`, server: "toychain, mining (wrk -t2 -c50 -d5s)", result: wrk });
}
await run("POST /transactions/new", "toychain, mining", () => load(`${busy.url}/transactions/new`, "POST", TX));
await stopMining();

console.log(
  table(
    ["request", "server", "req/s", "p50 ms", "p99 ms", "max ms", "non-2xx", "errors"],
    scenarios.map(({ name, server, result }) => [
      name,
      server,
      result.requestsPerSecond.toFixed(0),
      String(Number(result.p50.toFixed(2))),
      String(Number(result.p99.toFixed(2))),
      String(Number(result.max.toFixed(2))),
      String(result.non2xx),
      String(result.errors),
    ]),
  ),
);
const bareRate = scenarios[0]?.result.requestsPerSecond ?? 0;
for (const s of scenarios.slice(1).filter((s) => s.name.startsWith("POST"))) {
  console.log(
    `${s.server}: POST /transactions/new at ${((s.result.requestsPerSecond / bareRate) * 100).toFixed(0)}% of bare node:http`,
  );
}
