import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import t, { type Test } from "tap";
import type { PendingBody, ResolveBody, Tx } from "./helpers/chain-check.js";
import { type LogLine, type NodeProcess, request, startNode } from "./helpers/node-process.js";

/**
 * --max-pending is a bound that holds (issue: the mempool grew past it after
 * a reorganisation, and a restart raised it to the stored count). When more
 * transactions come back than fit, a real node keeps the oldest, evicts the
 * newest, logs the evicted ones at warn and counts them in /metrics.
 */

const DIFFICULTY = ["--difficulty", "8", "--threads", "2"];
const WARN = 40;

interface Message {
  message: string;
}
interface StatsBody {
  pending_transactions: number;
}

/** A fresh temporary data directory, removed when the test ends. */
function tempDir(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "toychain-cap-"));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const tx = (sender: string, amount: number): Tx => ({ sender, recipient: "cap", amount });

async function ok<T>(url: string, body?: unknown): Promise<T> {
  const reply = await request<T>(url, body === undefined ? {} : { body });
  if (reply.status !== 200) throw new Error(`${url} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body;
}

async function post(node: NodeProcess, txs: readonly Tx[]): Promise<void> {
  for (const one of txs) await ok(`${node.url}/transactions/new`, one);
}

const pending = async (node: NodeProcess) => (await ok<PendingBody>(`${node.url}/transactions/pending`)).transactions;

/** The warn lines saying that pending transactions were evicted. */
const evictions = (node: NodeProcess): LogLine[] =>
  node.logs.filter((line) => line.level === WARN && line.msg.includes("were evicted"));

/** What a client sees when it posts to a full mempool. */
async function expectFull(t: Test, node: NodeProcess, capacity: number): Promise<void> {
  const reply = await request<Message>(`${node.url}/transactions/new`, { body: tx("one-too-many", 99) });
  t.equal(reply.status, 429, "a new transaction is refused with 429");
  t.match(reply.body.message, `already holds ${capacity}`, `saying the node already holds ${capacity}`);
}

t.test("a reorganisation that brings back more than --max-pending keeps the oldest and logs the rest", async (t) => {
  const a = await startNode(["--max-pending", "3", ...DIFFICULTY, "--data-dir", tempDir(t)], { t });
  const b = await startNode(DIFFICULTY, { t });

  // A: a1..a3 in block 2, a4..a6 pending: the mempool is full.
  const mined = [tx("a1", 1), tx("a2", 2), tx("a3", 3)];
  const waiting = [tx("a4", 4), tx("a5", 5), tx("a6", 6)];
  await post(a, mined);
  await ok(`${a.url}/mine`);
  await post(a, waiting);
  // B: a longer chain (4 blocks) without any of A's transactions.
  for (let i = 0; i < 3; i++) await ok(`${b.url}/mine`);

  await ok(`${a.url}/nodes/register`, { nodes: [`127.0.0.1:${b.port}`] });
  const resolved = await ok<ResolveBody>(`${a.url}/nodes/resolve`);
  t.equal(resolved.message, "Our chain was replaced", "A adopts B's longer chain");
  t.equal(resolved.new_chain?.length, 4, "of 4 blocks");

  // Six come back (block 2's three, then the three pending); three fit: the oldest.
  t.same(await pending(a), mined, "A keeps a1, a2, a3: the transactions of the dropped block, in block order");
  t.equal((await ok<StatsBody>(`${a.url}/stats`)).pending_transactions, 3, "/stats shows 3 pending, the cap");
  await expectFull(t, a, 3);

  const warned = evictions(a);
  t.equal(warned.length, 1, "A logs one warn line about the eviction");
  t.match(warned[0], { capacity: 3 }, "naming the capacity");
  t.same(warned[0]?.evicted, waiting, "and the evicted transactions: a4, a5, a6");
  const metrics = await fetch(`${a.url}/metrics`).then((response) => response.text());
  const counted = metrics.split("\n").find((line) => line.startsWith("toychain_mempool_evicted_total "));
  t.equal(counted, "toychain_mempool_evicted_total 3", "/metrics counts 3 evicted transactions");
});

t.test("a restart with a lower --max-pending keeps the oldest, durably, and logs the rest", async (t) => {
  const dir = tempDir(t);
  const start = (capacity: number) =>
    startNode(["--max-pending", String(capacity), ...DIFFICULTY, "--data-dir", dir], { t, timeoutMs: 30_000 });
  const posted = [tx("p1", 1), tx("p2", 2), tx("p3", 3), tx("p4", 4)];

  const first = await start(5);
  await post(first, posted);
  t.same(await first.stop(), { code: 0, signal: null }, "a clean stop");

  const lowered = await start(2);
  t.same(await pending(lowered), posted.slice(0, 2), "with --max-pending 2: p1 and p2, the first two in arrival order");
  t.match(
    lowered.logs.find((line) => line.msg === "node listening"),
    { pending: 2 },
    'it logs "node listening" with 2',
  );
  const warned = evictions(lowered);
  t.equal(warned.length, 1, "it logs one warn line about the eviction");
  t.match(warned[0], { capacity: 2, kept: 2 }, "naming the capacity and how many were kept");
  t.same(warned[0]?.evicted, posted.slice(2), "and the evicted transactions: p3, p4");
  await expectFull(t, lowered, 2);
  t.same(await lowered.stop(), { code: 0, signal: null }, "a clean stop");

  // The eviction was written: with room again, p3 and p4 do not come back.
  const raised = await start(5);
  t.same(await pending(raised), posted.slice(0, 2), "with --max-pending 5 again: still p1 and p2");
  t.same(evictions(raised), [], "and nothing more to evict");
  const reply = await request<Message>(`${raised.url}/transactions/new`, { body: tx("p5", 5) });
  t.equal(reply.status, 200, "a new transaction is taken");
  t.same(await raised.stop(), { code: 0, signal: null }, "a clean stop");
});
