/**
 * npm run bench:resolve -- [--peers 1,8,32] [--mib 60]
 *
 * What hostile peers cost a node: every peer serves a /chain of about --mib
 * MiB that has the right shape and is longer than ours, but whose block 2
 * breaks the proof, so the node must download, parse and shape-check it all
 * before it can refuse it. For each number of peers: how long /nodes/resolve
 * takes, the node's peak RSS, and the worst latency of GET / meanwhile (how
 * long the event loop was held). All on 127.0.0.1.
 */
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism, cpus } from "node:os";
import { parseArgs } from "node:util";
import { type Block, GENESIS } from "../src/chain/index.js";
import { startToychain } from "./lib/processes.js";
import { table } from "./lib/table.js";

const { values } = parseArgs({
  options: {
    peers: { type: "string", default: "1,8,32" },
    mib: { type: "string", default: "60" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log("Usage: npm run bench:resolve -- [--peers 1,8,32] [--mib 60]");
  process.exit(0);
}
const peerCounts = values.peers.split(",").map(Number);
const targetBytes = Number(values.mib) * 1024 * 1024;
if (peerCounts.some((n) => !Number.isInteger(n) || n < 1) || !(targetBytes > 0)) {
  console.error("--peers takes positive integers, comma-separated; --mib a positive number");
  process.exit(2);
}

/** A chain of the right shape, about targetBytes long, invalid from block 2 (its proof misses). */
function hostileChain(): Buffer {
  const blocks: Block[] = [GENESIS];
  let size = 0;
  while (size < targetBytes) {
    const index = blocks.length + 1;
    const block: Block = {
      index,
      timestamp: 1_700_000_000 + index,
      transactions: [
        { sender: "Lea", recipient: "Mark", amount: index },
        { sender: "0", recipient: "0123456789abcdef0123456789abcdef", amount: 1 },
      ],
      proof: index,
      previous_hash: "f".repeat(64),
    };
    blocks.push(block);
    size += JSON.stringify(block).length + 1;
  }
  return Buffer.from(JSON.stringify({ chain: blocks, length: blocks.length }));
}

const rssMiB = (pid: number): number => {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+) kB/m);
  return Number(line?.[1] ?? 0) / 1024;
};

process.stderr.write(`building a ${values.mib} MiB hostile chain...\n`);
const body = hostileChain();
const servers: Server[] = [];
async function hostileServers(count: number): Promise<string[]> {
  while (servers.length < count) {
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
      res.end(body);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    servers.push(server);
  }
  return servers.slice(0, count).map((server) => `127.0.0.1:${(server.address() as AddressInfo).port}`);
}

const rows: string[][] = [];
for (const count of peerCounts) {
  const node = await startToychain(["--difficulty", "8", "--peer-timeout", "60000"]);
  const pid = node.child.pid as number;
  try {
    const peers = await hostileServers(count);
    for (let i = 0; i < peers.length; i += 100) {
      const response = await fetch(`${node.url}/nodes/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ nodes: peers.slice(i, i + 100) }),
      });
      if (!response.ok) throw new Error(`register answered ${response.status}: ${await response.text()}`);
    }
    const idle = rssMiB(pid);
    let peak = idle;
    let worstPing = 0;
    let resolving = true;
    const sampler = (async () => {
      while (resolving) {
        const started = performance.now();
        await fetch(`${node.url}/`);
        worstPing = Math.max(worstPing, performance.now() - started);
        peak = Math.max(peak, rssMiB(pid));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const started = performance.now();
    const response = await fetch(`${node.url}/nodes/resolve`);
    const seconds = (performance.now() - started) / 1000;
    resolving = false;
    await sampler;
    const answer = (await response.json()) as { message: string; peers: { verdict: string }[] };
    const invalid = answer.peers.filter((peer) => peer.verdict === "invalid").length;
    if (answer.message !== "Our chain is authoritative" || invalid !== count) {
      throw new Error(`unexpected answer: ${answer.message}, ${invalid} of ${count} peers invalid`);
    }
    rows.push([
      String(count),
      `${((count * body.length) / 1024 / 1024).toFixed(0)} MiB`,
      `${seconds.toFixed(2)} s`,
      `${idle.toFixed(0)} MiB`,
      `${peak.toFixed(0)} MiB`,
      `${worstPing.toFixed(0)} ms`,
    ]);
    process.stderr.write(`${count} peers: ${seconds.toFixed(2)} s, peak RSS ${peak.toFixed(0)} MiB\n`);
  } finally {
    await node.stop();
  }
}
for (const server of servers) server.close();

console.log(`machine: ${cpus()[0]?.model}, ${availableParallelism()} cores, Node ${process.version}`);
console.log(`each peer serves ${(body.length / 1024 / 1024).toFixed(1)} MiB, invalid from block 2\n`);
console.log(table(["peers", "downloaded", "resolve", "RSS idle", "RSS peak", "worst GET / while resolving"], rows));
