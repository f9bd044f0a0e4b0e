/**
 * npm run bench:events -- [--seconds 5] [--connections 50] [--streams 0,1,100]
 *
 * What the event streams cost: POST /transactions/new (each one an event) on
 * a real node process with 0, 1 and 100 clients reading GET /events, with
 * autocannon; each row gives the requests' rate and latency, the events each
 * stream received per second, and the node's RSS at the end.
 */
import { readFileSync } from "node:fs";
import { get } from "node:http";
import { availableParallelism, cpus } from "node:os";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { startToychain } from "./lib/processes.js";
import { table } from "./lib/table.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    connections: { type: "string", default: "50" },
    streams: { type: "string", default: "0,1,100" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(`Usage: npm run bench:events -- [options]
  --seconds <n>       per scenario (default 5)
  --connections <n>   concurrent posting connections (default 50)
  --streams <list>    the numbers of reading streams to measure with (default 0,1,100)`);
  process.exit(0);
}
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const TX = JSON.stringify({ sender: "Lea", recipient: "Mark", amount: 10 });

/** A client that reads its stream and counts the events in it. */
function reader(url: string): { events: () => number; close: () => void } {
  let events = 0;
  const request = get(`${url}/events`, { agent: false }, (res) => {
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      events += chunk.split("\nevent: ").length - 1;
    });
  });
  request.on("error", () => undefined);
  return { events: () => events, close: () => request.destroy() };
}

const rssMiB = (pid: number): number => {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  return Number(line?.replace(/\D+/g, "")) / 1024;
};

process.stderr.write(`machine: ${cpus()[0]?.model}, ${availableParallelism()} cores, Node ${process.version}\n`);
const rows: string[][] = [];
for (const count of values.streams.split(",").map(Number)) {
  const node = await startToychain(["--difficulty", "16", "--max-pending", "100000000"]);
  const readers = Array.from({ length: count }, () => reader(node.url));
  // Every stream open before the load begins.
  await new Promise((resolve) => setTimeout(resolve, 500));
  process.stderr.write(`POST /transactions/new with ${count} streams (${seconds} s, ${connections} connections)...\n`);
  const result = await autocannon({
    url: `${node.url}/transactions/new`,
    method: "POST",
    connections,
    duration: seconds,
    headers: { "content-type": "application/json" },
    body: TX,
  });
  const received = readers.map((r) => r.events());
  const perStream = received.length === 0 ? 0 : Math.min(...received) / seconds;
  rows.push([
    String(count),
    result.requests.average.toFixed(0),
    String(result.latency.p50),
    String(result.latency.p99),
    count === 0 ? "-" : perStream.toFixed(0),
    rssMiB(node.child.pid as number).toFixed(0),
  ]);
  for (const r of readers) r.close();
  await node.stop();
}
console.log(table(["streams", "req/s", "p50 ms", "p99 ms", "events/s per stream (slowest)", "node RSS MiB"], rows));
