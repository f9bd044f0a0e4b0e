import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import t from "tap";
import { random } from "../bench/lib/random.js";
import {
  type ChainBody,
  canonical,
  chainProblem,
  hashOf,
  type PendingBody,
  reward,
  type Tx,
} from "./helpers/chain-check.js";
import { type NodeProcess, request, startNode } from "./helpers/node-process.js";

/**
 * kill -9 during --mine loses nothing acknowledged. Round after round, a
 * node on one --data-dir mines by itself while clients post transactions,
 * and is killed with SIGKILL: at a random moment, right after it logged a
 * block forged, or right as a transaction's 200 arrives. It restarts on the
 * same directory (without --mine, so that the state holds still while it is
 * read), and:
 *
 * - every transaction acknowledged with a 200 is in the chain or pending,
 *   exactly once, and nothing is there that nobody posted;
 * - every block the node announced on /events (index and hash) before the
 *   kill is in its chain, and so is every block it logged "block forged";
 * - the chain is valid, and the node id is the same.
 *
 * CRASH_MINE_SEED repeats a run; CRASH_MINE_ROUNDS makes it longer.
 */

/** Blocks every few milliseconds on one thread: the store is written all the time. */
const DIFFICULTY = 14;
const ROUNDS = Number(process.env.CRASH_MINE_ROUNDS ?? 6);
const SEED = Number(process.env.CRASH_MINE_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TX_WORKERS = 3;
const FLAGS = ["--difficulty", String(DIFFICULTY), "--threads", "1"];
const TRIGGERS = ["timer", "block", "tx"] as const;

const pick = random(SEED);
const between = (min: number, max: number) => min + pick(max - min + 1);
const txKey = (tx: Tx) => JSON.stringify([tx.sender, tx.recipient, tx.amount]);

interface Announced {
  index: number;
  hash: string;
  round: number;
}

/** Reads the node's block events into `into` until the stream ends (the node killed). */
async function recordBlocks(node: NodeProcess, round: number, into: Announced[], signal: AbortSignal): Promise<void> {
  try {
    const response = await fetch(`${node.url}/events`, { headers: { accept: "text/event-stream" }, signal });
    const reader = (response.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += value;
      const frames = text.split("\n\n");
      text = frames.pop() ?? "";
      for (const frame of frames) {
        if (!frame.includes("event: block")) continue;
        const data = frame.split("\n").find((line) => line.startsWith("data: "));
        if (data === undefined) continue;
        const event = JSON.parse(data.slice("data: ".length)) as { index: number; hash: string; origin: string };
        if (event.origin === "mined") into.push({ index: event.index, hash: event.hash, round });
      }
    }
  } catch {
    // The node was killed: the stream ends with a reset.
  }
}

t.test(`kill -9 during --mine loses nothing acknowledged (seed ${SEED}, ${ROUNDS} rounds)`, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "toychain-crash-mine-"));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const acked = new Map<string, Tx>();
  const sent = new Set<string>();
  const announced: Announced[] = [];
  const forged: { index: number; transactions: number; round: number }[] = [];
  let nodeId = "";
  let next = 0;

  for (let round = 1; round <= ROUNDS; round++) {
    const node = await startNode(["--data-dir", dir, "--mine", ...FLAGS], { t, timeoutMs: 60_000 });
    if (round === 1) nodeId = node.nodeId;
    const streams = new AbortController();
    const recording = recordBlocks(node, round, announced, streams.signal);
    const trigger = TRIGGERS[pick(TRIGGERS.length)] as (typeof TRIGGERS)[number];
    const nth = between(1, 30);
    let acks = 0;
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      node.process.kill("SIGKILL");
    };

    const posting = Array.from({ length: TX_WORKERS }, async (_, worker) => {
      while (!killed) {
        const tx = { sender: `w${worker}`, recipient: `r${round}`, amount: ++next };
        sent.add(txKey(tx));
        try {
          const res = await request(`${node.url}/transactions/new`, { body: tx, timeoutMs: 10_000 });
          if (res.status === 200) {
            acked.set(txKey(tx), tx);
            if (trigger === "tx" && ++acks === nth) kill();
          }
        } catch {
          // Killed while it was on its way: not acknowledged.
        }
      }
    });
    const exited = new Promise<void>((resolve) => node.process.once("close", () => resolve()));
    if (trigger === "timer") setTimeout(kill, between(100, 2500));
    if (trigger === "block") {
      let seen = 0;
      node.waitForLog((line) => line.msg === "block forged" && ++seen >= nth, 60_000).then(kill, kill);
    }
    // A guard: whatever the trigger, the round ends.
    const guard = setTimeout(kill, 60_000);
    await exited;
    clearTimeout(guard);
    killed = true;
    await Promise.all(posting);
    streams.abort();
    await recording;
    for (const line of node.logs) {
      if (line.msg === "block forged") {
        forged.push({ index: Number(line.index), transactions: Number(line.transactions), round });
      }
    }
    t.same(
      node.logs.filter((line) => line.level >= 50),
      [],
      `round ${round} (${trigger} ${nth}): nothing logged as an error before the kill`,
    );

    const after = await startNode(["--data-dir", dir, ...FLAGS], { t, timeoutMs: 60_000 });
    const { chain } = (await request<ChainBody>(`${after.url}/chain`)).body;
    const pending = (await request<PendingBody>(`${after.url}/transactions/pending`)).body.transactions;
    const failures: string[] = [];
    const fail = (what: string) => {
      if (failures.length < 20) failures.push(what);
    };
    if (after.nodeId !== nodeId) fail(`node id ${after.nodeId}, not ${nodeId}`);
    const problem = chainProblem(chain, DIFFICULTY);
    if (problem !== null) fail(`invalid chain: ${problem}`);
    const count = new Map<string, number>();
    const add = (tx: Tx, where: string) => {
      const key = txKey(tx);
      count.set(key, (count.get(key) ?? 0) + 1);
      if (!sent.has(key)) fail(`${where} holds ${key}, which nobody posted`);
    };
    for (const block of chain)
      for (const tx of block.transactions) if (tx.sender !== "0") add(tx, `block ${block.index}`);
    for (const tx of pending) add(tx, "pending");
    for (const [key, n] of count) if (n > 1) fail(`${key} appears ${n} times`);
    for (const key of acked.keys()) if (!count.has(key)) fail(`acknowledged transaction ${key} is lost`);
    for (const block of announced) {
      const stored = chain[block.index - 1];
      if (stored === undefined || hashOf(stored) !== block.hash) {
        fail(`block ${block.index} announced in round ${block.round} (${block.hash}) is not in the chain`);
      }
    }
    for (const line of forged) {
      const stored = chain[line.index - 1];
      if (
        stored === undefined ||
        stored.transactions.length !== line.transactions ||
        canonical(stored.transactions.at(-1)) !== canonical(reward(nodeId))
      ) {
        fail(`block ${line.index} logged forged in round ${line.round} is not in the chain`);
      }
    }
    t.same(
      failures,
      [],
      `round ${round} (${trigger} ${nth}): ${acked.size} transactions acknowledged, ${announced.length} blocks announced, ` +
        `${forged.length} logged forged so far; the chain has ${chain.length} blocks and ${pending.length} pending`,
    );
    await after.stop();
  }
  t.ok(forged.length > 0 && acked.size > 0, "the node forged blocks and took transactions before its kills");
});
