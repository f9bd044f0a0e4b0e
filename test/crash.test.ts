import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import t, { type Test } from "tap";
import { random } from "../bench/lib/random.js";
import {
  type Block,
  type ChainBody,
  canonical,
  chainProblem,
  hashOf,
  type PendingBody,
  type ResolveBody,
  type Tx,
} from "./helpers/chain-check.js";
import { type NodeProcess, startNode } from "./helpers/node-process.js";

/**
 * The crash test of issue 4: many times over, a real node on one --data-dir
 * takes transactions, mines blocks and resolves against a peer with a longer
 * chain, and is killed with SIGKILL at a random moment while requests are in
 * flight. After each kill it restarts on the same directory, and everything
 * it acknowledged with a 200 must be there:
 *
 * - every acknowledged transaction is in the chain or pending, exactly once,
 *   and no transaction appears twice or comes from nowhere;
 * - every acknowledged block is in the chain, unless a chain replacement that
 *   may have been committed after it (a /nodes/resolve not known to have
 *   finished before the block was asked for) replaced it by the peer's block;
 * - the blocks an acknowledged replacement adopted from the peer are there;
 * - the chain is valid (checked by helpers/chain-check.ts, not by src/).
 *
 * A round ends with a kill at a random time, or right as the n-th answer to
 * a transaction, a mine or a resolve arrives (when a write it promised might
 * still be on its way to disk); one round in five ends with SIGTERM instead,
 * which must stop the node cleanly under the same load.
 *
 * CRASH_SEED repeats a run; CRASH_ROUNDS makes it longer (run it with
 * TAP_TIMEOUT=0 then: e.g. CRASH_ROUNDS=60 TAP_TIMEOUT=0 node dist/test/crash.test.js).
 */

const DIFFICULTY = 10;
const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 16);
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TX_WORKERS = 4;
const MINE_WORKERS = 2;
/** Blocks the node is asked to mine per round at most, so that the peer can be made longer beforehand. */
const MINES_PER_ROUND = 6;
const FLAGS = ["--difficulty", String(DIFFICULTY), "--threads", "2"];
/** How a round ends; "sigterm" is a clean stop under the same load, for comparison. */
const TRIGGERS = ["tx", "mine", "resolve", "timer", "sigterm"] as const;
type Trigger = (typeof TRIGGERS)[number];

/** A run's kill moments are repeatable from its seed: `pick(n)` is in 0..n-1. */
const pick = random(SEED);
const between = (min: number, max: number) => min + pick(max - min + 1);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Reply<T> {
  status: number;
  body: T;
}

/** One HTTP call; rejects when the connection fails (as it does once the node is killed). */
async function call<T>(url: string, body?: unknown): Promise<Reply<T>> {
  const response = await fetch(url, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? null : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as T };
}

async function ok<T>(url: string, body?: unknown): Promise<T> {
  const reply = await call<T>(url, body);
  if (reply.status !== 200) throw new Error(`${url} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body;
}

interface MineBody {
  message: string;
  index: number;
  transactions: Tx[];
  proof: number;
  previous_hash: string;
}

const txKey = (tx: Tx) => JSON.stringify([tx.sender, tx.recipient, tx.amount]);
const isReward = (tx: Tx) => tx.sender === "0";

interface AckedBlock extends MineBody {
  round: number;
  sentAt: number;
}

interface ResolveCall {
  round: number;
  sentAt: number;
  /** When the answer came; undefined when the node was killed first. */
  answeredAt?: number;
  replaced?: boolean;
  /** For an acknowledged replacement: the chain it answered with. */
  newChain?: Block[];
}

interface RoundStats {
  round: number;
  how: string;
  txsAcked: number;
  txsLost: number;
  blocksAcked: number;
  resolve: string;
  length: number;
  pending: number;
}

/** Everything the node acknowledged, or was asked, over the whole run. */
const acked = new Map<string, Tx>();
const sent = new Set<string>();
const peerTxs = new Set<string>();
const ackedBlocks: AckedBlock[] = [];
const resolves: ResolveCall[] = [];

/** The restarted node's state checked against everything acknowledged so far. */
async function verify(t: Test, node: NodeProcess, peer: NodeProcess, nodeId: string, after: string) {
  const { chain } = await ok<ChainBody>(`${node.url}/chain`);
  const pending = await ok<PendingBody>(`${node.url}/transactions/pending`);
  const peerChain = (await ok<ChainBody>(`${peer.url}/chain`)).chain;
  const listening = node.logs.find((line) => line.msg === "node listening");
  const failures: string[] = [];
  const fail = (what: string) => {
    if (failures.length < 20) failures.push(what);
  };

  if (node.nodeId !== nodeId) fail(`node id ${node.nodeId}, not ${nodeId}`);
  if (listening?.length !== chain.length) fail(`logged length ${listening?.length}, /chain has ${chain.length}`);
  if (listening?.pending !== pending.length)
    fail(`logged ${listening?.pending} pending, /pending has ${pending.length}`);
  const problem = chainProblem(chain, DIFFICULTY);
  if (problem !== null) fail(`invalid chain: ${problem}`);

  // Transactions: every acknowledged one exactly once in chain + pending; none twice; none from nowhere.
  const count = new Map<string, number>();
  const add = (tx: Tx, where: string) => {
    const key = txKey(tx);
    count.set(key, (count.get(key) ?? 0) + 1);
    if (!sent.has(key) && !peerTxs.has(key)) fail(`${where} holds ${key}, which nobody posted`);
  };
  for (const block of chain) for (const tx of block.transactions) if (!isReward(tx)) add(tx, `block ${block.index}`);
  for (const tx of pending.transactions) add(tx, "pending");
  for (const [key, n] of count) if (n > 1) fail(`${key} appears ${n} times`);
  for (const key of acked.keys()) {
    if (!count.has(key)) {
      fail(`acknowledged transaction ${key} is neither in the chain nor pending`);
    }
  }

  // Blocks: each acknowledged one is there, unless a replacement that may have come after it replaced it.
  for (const block of ackedBlocks) {
    const stored = chain[block.index - 1];
    if (
      stored !== undefined &&
      stored.proof === block.proof &&
      stored.previous_hash === block.previous_hash &&
      // As JSON values: /chain gives each block's canonical JSON (keys sorted), /mine its fields in the walkthrough's order.
      canonical(stored.transactions) === canonical(block.transactions)
    ) {
      continue;
    }
    const droppers = resolves.filter(
      (r) => r.replaced !== false && !(r.answeredAt !== undefined && r.answeredAt < block.sentAt),
    );
    const peerBlock = peerChain[block.index - 1];
    const byPeer = stored !== undefined && peerBlock !== undefined && hashOf(stored) === hashOf(peerBlock);
    if (droppers.length === 0 || !byPeer) {
      fail(
        `acknowledged block ${block.index} (round ${block.round}, proof ${block.proof}) is not in the chain ` +
          `(found ${stored === undefined ? "nothing" : `proof ${stored.proof}`}; ` +
          `${droppers.length} replacement(s) could have come after it; ${byPeer ? "" : "not "}the peer's block)`,
      );
    }
  }

  // Acknowledged replacements: what they adopted from the peer is there.
  for (const r of resolves) {
    if (r.replaced !== true || r.newChain === undefined) continue;
    let adopted = 0;
    while (
      adopted < r.newChain.length &&
      peerChain[adopted] !== undefined &&
      hashOf(r.newChain[adopted] as Block) === hashOf(peerChain[adopted] as Block)
    ) {
      adopted++;
    }
    for (let i = 0; i < adopted; i++) {
      const stored = chain[i];
      if (stored === undefined || hashOf(stored) !== hashOf(peerChain[i] as Block)) {
        fail(`round ${r.round}: the acknowledged replacement adopted block ${i + 1} of the peer; it is not there`);
        break;
      }
    }
  }

  t.same(failures, [], `after ${after}: everything acknowledged is there, once, on a valid chain`);
  return { length: chain.length, pending: pending.length };
}

t.test("kill -9 at random moments loses nothing acknowledged", async (t) => {
  t.comment(`seed ${SEED}, ${ROUNDS} rounds (CRASH_SEED=${SEED} repeats this run)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "toychain-crash-"));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

  // The peer: same network, in memory, whose chain is made longer before some rounds.
  const peer = await startNode([...FLAGS.slice(0, 2), "--threads", "1"], { t, timeoutMs: 60_000 });
  let peerLength = 1;
  let peerTxCount = 0;

  const stats: RoundStats[] = [];
  let node = await startNode(["--data-dir", dir, ...FLAGS], { t, timeoutMs: 60_000 });
  const nodeId = node.nodeId;
  const registered = await call<{ message: string }>(`${node.url}/nodes/register`, {
    nodes: [`127.0.0.1:${peer.port}`],
  });
  t.equal(registered.status, 200, "the peer is registered");

  for (let round = 1; round <= ROUNDS; round++) {
    const startLength = Number(node.logs.find((line) => line.msg === "node listening")?.length);
    // How this round ends: a kill at a random time, or right as the n-th answer of some kind arrives,
    // when a write the answer promised might still be on its way to disk.
    const trigger = TRIGGERS[(round - 1) % TRIGGERS.length] as Trigger;
    // Half the rounds (and all that end on a resolve): the peer gets ahead of anything the node can
    // mine this round, so that the resolve replaces the node's chain.
    const replaceRound = round % 2 === 0 || trigger === "resolve";
    if (replaceRound) {
      const target = startLength + MINES_PER_ROUND + between(1, 4);
      for (let n = 0; n < 2; n++) {
        const tx: Tx = { sender: `peer-${++peerTxCount}`, recipient: "crash", amount: peerTxCount };
        await ok(`${peer.url}/transactions/new`, tx);
        peerTxs.add(txKey(tx));
      }
      while (peerLength < target) peerLength = (await ok<MineBody>(`${peer.url}/mine`)).index;
    }

    const killAt = {
      timer: between(30, 900),
      sigterm: between(30, 900),
      tx: between(1, 150),
      mine: between(1, 3),
      // 0: on the answer (always the first time, so that a replacement is acknowledged in every run);
      // otherwise that many ms after the request, while the replacement may be committing.
      resolve: round <= TRIGGERS.length || pick(2) === 0 ? 0 : between(1, 25),
    }[trigger];
    const resolveAfterMs = trigger === "resolve" ? between(0, 300) : between(0, 600);
    const current = node;
    const url = current.url;
    const base = performance.now();
    let killed = false;
    let killedAfterMs = 0;
    let signalKill: () => void = () => undefined;
    const killedNow = new Promise<void>((resolve) => {
      signalKill = resolve;
    });
    const kill = () => {
      if (killed) return;
      killed = true;
      killedAfterMs = Math.round(performance.now() - base);
      current.process.kill(trigger === "sigterm" ? "SIGTERM" : "SIGKILL");
      signalKill();
    };
    // The fallback for the triggers that wait for answers: a kill all the same. A resolve killed on its answer
    // is waited for longer: the run must acknowledge a replacement, and a loaded machine may take seconds.
    const fallbackMs = trigger === "resolve" && killAt === 0 ? 30_000 : 3000;
    const timer = setTimeout(kill, trigger === "timer" || trigger === "sigterm" ? killAt : fallbackMs);

    let txsAcked = 0;
    let txsLost = 0;
    let blocksAcked = 0;
    let minesLeft = MINES_PER_ROUND;
    const txWorker = async (worker: number) => {
      for (let n = 0; !killed; n++) {
        const tx: Tx = { sender: `r${round}-w${worker}-${n}`, recipient: "crash", amount: round * 1000 + n + 0.5 };
        sent.add(txKey(tx));
        try {
          const reply = await call(`${url}/transactions/new`, tx);
          if (reply.status !== 200) throw new Error(`POST /transactions/new answered ${reply.status}`);
          acked.set(txKey(tx), tx);
          txsAcked++;
          if (trigger === "tx" && txsAcked === killAt) kill();
        } catch (error) {
          if (!killed) throw error;
          txsLost++;
        }
      }
    };
    const mineWorker = async () => {
      while (!killed && minesLeft > 0) {
        minesLeft--;
        const sentAt = performance.now();
        try {
          const reply = await call<MineBody>(`${url}/mine`);
          if (reply.status !== 200) throw new Error(`GET /mine answered ${reply.status}`);
          ackedBlocks.push({ ...reply.body, round, sentAt });
          blocksAcked++;
          if (trigger === "mine" && blocksAcked === killAt) kill();
        } catch (error) {
          if (!killed) throw error;
        }
        await sleep(between(0, 60));
      }
    };
    const resolveCall: ResolveCall = { round, sentAt: 0 };
    const resolver = async () => {
      await sleep(resolveAfterMs);
      if (killed) return;
      resolveCall.sentAt = performance.now();
      resolves.push(resolveCall);
      if (trigger === "resolve" && killAt > 0) setTimeout(kill, killAt);
      try {
        const reply = await call<ResolveBody>(`${url}/nodes/resolve`);
        if (reply.status !== 200) throw new Error(`GET /nodes/resolve answered ${reply.status}`);
        resolveCall.answeredAt = performance.now();
        resolveCall.replaced = reply.body.new_chain !== undefined;
        if (reply.body.new_chain) resolveCall.newChain = reply.body.new_chain;
        if (trigger === "resolve" && killAt === 0) kill();
      } catch (error) {
        if (!killed) throw error;
      }
    };

    const work = Promise.all([
      ...Array.from({ length: TX_WORKERS }, (_, i) => txWorker(i)),
      ...Array.from({ length: MINE_WORKERS }, () => mineWorker()),
      resolver(),
    ]);
    // A request that fails before the kill fails the test: kill at once, then report it.
    work.catch(kill);
    await killedNow;
    clearTimeout(timer);
    // A SIGTERM lets the requests in flight finish, for up to the node's 10 s drain bound.
    const exit = await current.stop(15_000);
    if (trigger === "sigterm") t.same(exit, { code: 0, signal: null }, `round ${round}: SIGTERM under load: exit 0`);
    else t.equal(exit.signal, "SIGKILL", `round ${round}: the node was killed (not exited by itself)`);
    // Every request has failed or been answered before the next node takes a port.
    await work;

    const how =
      trigger === "timer"
        ? `at ${killAt} ms`
        : trigger === "sigterm"
          ? `(SIGTERM) at ${killAt} ms`
          : trigger === "resolve" && killAt > 0
            ? `${killAt} ms after the resolve request (${killedAfterMs} ms)`
            : `on ${trigger} answer ${Math.max(killAt, 1)} (${killedAfterMs} ms)`;
    node = await startNode(["--data-dir", dir, ...FLAGS], { t, timeoutMs: 60_000 });
    const { length, pending } = await verify(t, node, peer, nodeId, `round ${round} (kill ${how})`);
    stats.push({
      round,
      how,
      txsAcked,
      txsLost,
      blocksAcked,
      resolve:
        resolveCall.sentAt === 0
          ? "not sent"
          : resolveCall.answeredAt === undefined
            ? "in flight"
            : resolveCall.replaced
              ? "replaced"
              : "authoritative",
      length,
      pending,
    });
  }

  // A clean stop after all this, and one more restart.
  const exit = await node.stop();
  t.same(exit, { code: 0, signal: null }, "SIGTERM after the last round: exit 0");
  node = await startNode(["--data-dir", dir, ...FLAGS], { t, timeoutMs: 60_000 });
  await verify(t, node, peer, nodeId, "a final SIGTERM and restart");
  await node.stop();

  for (const s of stats) {
    t.comment(
      `round ${s.round}: kill ${s.how}, ${s.txsAcked} txs acknowledged (${s.txsLost} lost in flight), ` +
        `${s.blocksAcked} blocks, resolve ${s.resolve}; after restart ${s.length} blocks, ${s.pending} pending`,
    );
  }
  const replaced = resolves.filter((r) => r.replaced === true).length;
  const inFlight = resolves.filter((r) => r.answeredAt === undefined).length;
  t.comment(
    `${acked.size} transactions and ${ackedBlocks.length} blocks acknowledged, ` +
      `${replaced} acknowledged replacements, ${inFlight} resolves cut by the kill`,
  );
  t.ok(acked.size > 0 && ackedBlocks.length > 0, "the run acknowledged transactions and blocks");
  t.ok(replaced > 0, "at least one chain replacement was acknowledged");
});
