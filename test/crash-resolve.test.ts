import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { ClassicLevel } from "classic-level";
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
import { type NodeProcess, request, startNode } from "./helpers/node-process.js";

/**
 * The crash test of issue 12: kill -9 at random moments during an incremental
 * resolve. Node A (in memory, the peer) holds a long chain of big blocks, so
 * that syncing it takes many pages; node B, on a --data-dir, has its own
 * shorter chain that forks from A's, blocks of its own and pending
 * transactions, some of which A's chain holds. Each round starts B on a copy
 * of its pristine directory, asks it to resolve (while a client keeps posting
 * transactions to it) and SIGKILLs it at a random moment of the resolve, or
 * just after its answer (also when the answer comes before the moment
 * planned). Restarted on the same directory, B must have:
 *
 * - exactly its old chain or exactly A's, block for block; A's whenever the
 *   replacement was acknowledged (answered, or logged as done);
 * - the mempool that matches that chain: its pending transactions as before,
 *   or our dropped blocks' transactions, then ours, less those A's blocks
 *   after the fork hold (a multiset: two identical payments are two); plus
 *   the transactions posted during the round, in order, every acknowledged
 *   one among them;
 * - every transaction it ever acknowledged in its chain or pending;
 * - in its store, once stopped cleanly: no s/ (staged) entry left, and no
 *   block but those of its chain and of its old chain: A's blocks staged by
 *   an unfinished resolve are gone.
 *
 * CRASH_RESOLVE_SEED repeats a run; CRASH_RESOLVE_ROUNDS and
 * CRASH_RESOLVE_PAGES change its length and the size of A's chain;
 * CRASH_RESOLVE_PLANS (e.g. "late") the kinds of kill moments, in turn (see KINDS).
 */

const DIFFICULTY = 10;
const FLAGS = ["--difficulty", String(DIFFICULTY), "--threads", "1"];
const ROUNDS = Number(process.env.CRASH_RESOLVE_ROUNDS ?? 6);
const SEED = Number(process.env.CRASH_RESOLVE_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** A's blocks after the fork, each a page of its own: each larger than the 2 MiB of blocks a page is asked for. */
const BIG_BLOCKS = Number(process.env.CRASH_RESOLVE_PAGES ?? 5);
/** What a node logs once a sync of several pages has staged them all, before it switches. */
const STAGED = "the peer's blocks are checked and staged: switching to its chain";

/** The bytes of a sync page (src/sync/page.ts: PAGE_BYTES), restated to check the chain spans enough pages. */
const PAGE_BYTES = 2 * 1024 * 1024;
/** Names of 256 (the most a name may have) three-byte characters: about 1.6 kB a transaction. */
const NAME_LENGTH = 256;
const TXS_PER_BIG_BLOCK = 1400;
const POSTERS = 32;
/**
 * When each round's kill comes, in turn: "timed", at a random moment of a
 * resolve's measured time; "page", at a random moment of the sync, up to a
 * page's worth of time after A begins serving a random page but the first
 * (A's debug log shows each GET /chain), which lands mid-sync, with blocks
 * staged, however loaded the machine is; "switch", 0-7 ms after GET /transactions/pending (polled all along)
 * first shows a transaction of B's dropped blocks, i.e. once the mempool has
 * been switched in memory, while the switch is being written; "answer", just
 * after B's answer. Not in the default turn, "late": at a random moment from
 * A's serving the last page to B's answer; "sigterm": as "page", but a clean
 * stop (SIGTERM) instead of a kill.
 */
const KINDS = ["timed", "page", "switch", "answer", "late", "sigterm"] as const;
const DEFAULT_PLANS = "page,switch,timed,switch,answer,page";
type Kind = (typeof KINDS)[number];
const PLANS: Kind[] = (process.env.CRASH_RESOLVE_PLANS ?? DEFAULT_PLANS).split(",").map((kind) => {
  if (!(KINDS as readonly string[]).includes(kind))
    throw new Error(`CRASH_RESOLVE_PLANS: ${kind} is not one of ${KINDS}`);
  return kind as Kind;
});
type Kill =
  | { kind: "timed" | "switch"; ms: number }
  | { kind: "page"; page: number; ms: number; signal?: "SIGTERM" }
  | { kind: "answer" | "none" };

/** A run's kill moments are repeatable from its seed: `pick(n)` is in 0..n-1. */
const pick = random(SEED);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function ok<T>(url: string, body?: unknown): Promise<T> {
  const reply = await request<T>(url, body === undefined ? { timeoutMs: 60_000 } : { body, timeoutMs: 60_000 });
  if (reply.status !== 200) throw new Error(`${url} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body;
}

const txKey = (tx: Tx) => JSON.stringify([tx.sender, tx.recipient, tx.amount]);
const isReward = (tx: Tx) => tx.sender === "0";
const long = (prefix: string, fill: string) => prefix + fill.repeat(NAME_LENGTH - prefix.length);
const tx = (sender: string, amount: number): Tx => ({ sender, recipient: "crash-resolve", amount });

/** `from` less `less`, as multisets, in `from`'s order (the first occurrences go). */
function minus(from: readonly Tx[], less: readonly Tx[]): Tx[] {
  const left = new Map<string, number>();
  for (const x of less) left.set(txKey(x), (left.get(txKey(x)) ?? 0) + 1);
  return from.filter((x) => {
    const n = left.get(txKey(x)) ?? 0;
    if (n === 0) return true;
    left.set(txKey(x), n - 1);
    return false;
  });
}

const sortedKeys = (txs: readonly Tx[]) => txs.map(txKey).sort();
const bytesOf = (block: Block) => Buffer.byteLength(canonical(block), "utf8");

/** How many pages a sync of `blocks` reads, by GET /chain's rule: blocks while they fit max_bytes, one at least. */
function pagesOf(blocks: readonly Block[]): number {
  let pages = 0;
  let sent = 0;
  for (const block of blocks) {
    const size = bytesOf(block);
    if (pages === 0 || sent + size > PAGE_BYTES) {
      pages++;
      sent = 0;
    }
    sent += size;
  }
  return pages;
}

/** One POST /transactions/new over a keep-alive connection of `agent`: its status and body. */
function postTx(agent: http.Agent, port: number, body: Tx): Promise<{ status: number; text: string }> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        path: "/transactions/new",
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": data.length },
        timeout: 60_000,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("POST /transactions/new timed out")));
    req.on("error", reject);
    req.end(data);
  });
}

/**
 * GET `path` of the node as JSON, on a connection of its own that closes
 * after the answer: a clean stop then has no idle keep-alive connection to
 * wait for (src/server.ts: IDLE_GRACE_MS).
 */
function getJson<T>(node: NodeProcess, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port: node.port, path, agent: false, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        if (res.statusCode !== 200) reject(new Error(`GET ${path} answered ${res.statusCode}: ${text.slice(0, 500)}`));
        else resolve(JSON.parse(text) as T);
      });
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on("error", reject);
  });
}

/** Posts `txs` to the node over `POSTERS` keep-alive connections at once (node:http: much cheaper than fetch). */
async function postAll(node: NodeProcess, txs: readonly Tx[]): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: POSTERS });
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: POSTERS }, async () => {
        while (next < txs.length) {
          const body = txs[next++] as Tx;
          const { status, text } = await postTx(agent, node.port, body);
          if (status !== 200) throw new Error(`POST /transactions/new answered ${status}: ${text}`);
        }
      }),
    );
  } finally {
    agent.destroy();
  }
}

/** What B holds before any round, and what it must hold after adopting A's chain. */
interface World {
  oldChain: Block[];
  oldPending: Tx[];
  peerChain: Block[];
  /** The pending transactions B must have on A's chain (before those posted in a round). */
  switchedPending: Tx[];
  /** Every transaction B acknowledged while it was set up. */
  acked: Tx[];
  fork: number;
}

/** The transactions posted to B during a round, one at a time, in order. */
interface Trickle {
  sent: Tx[];
  acked: number;
}

interface Outcome {
  /** Which chain B came back with. */
  on: "its old chain" | "A's chain" | "a chain that is neither";
  switched: boolean;
  discarded: number;
  blockKeys: number;
}

/**
 * B restarted on `dir` after a round: its chain, mempool and store against
 * the old state and A's. Stops it cleanly, then reads its store.
 */
async function verify(
  t: Test,
  world: World,
  dir: string,
  round: string,
  trickle: Trickle,
  mustHaveSwitched: string | undefined,
): Promise<Outcome> {
  const node = await startNode(["--data-dir", dir, ...FLAGS], { t, timeoutMs: 60_000 });
  const { chain } = await getJson<ChainBody>(node, "/chain");
  const pending = (await getJson<PendingBody>(node, "/transactions/pending")).transactions;
  const failures: string[] = [];
  const fail = (what: string) => {
    if (failures.length < 20) failures.push(what);
  };

  const hashes = chain.map(hashOf);
  const sameAs = (other: readonly Block[]) =>
    other.length === chain.length && other.every((block, i) => hashOf(block) === hashes[i]);
  const isOld = sameAs(world.oldChain);
  const switched = sameAs(world.peerChain);
  if (!isOld && !switched) {
    const firstDiff = (other: readonly Block[]) => {
      let i = 0;
      while (i < Math.min(other.length, chain.length) && hashOf(other[i] as Block) === hashes[i]) i++;
      return i + 1;
    };
    fail(
      `its chain of ${chain.length} blocks is neither its old chain (${world.oldChain.length} blocks, ` +
        `differs from block ${firstDiff(world.oldChain)}) nor A's (${world.peerChain.length} blocks, ` +
        `differs from block ${firstDiff(world.peerChain)})`,
    );
  }
  if (mustHaveSwitched !== undefined && !switched)
    fail(
      `the replacement was acknowledged (${mustHaveSwitched}), but ${isOld ? "the old chain is back" : "A's chain is not there"}`,
    );
  const problem = chainProblem(chain, DIFFICULTY);
  if (problem !== null) fail(`invalid chain: ${problem}`);

  // The mempool: the transactions of the round, a prefix of those sent with every acknowledged one, in order;
  // the others as the chain it has implies.
  const roundTxs = new Set(trickle.sent.map(txKey));
  const posted = pending.filter((p) => roundTxs.has(txKey(p)));
  const others = pending.filter((p) => !roundTxs.has(txKey(p)));
  const sentPrefix = trickle.sent.slice(0, posted.length);
  if (posted.length < trickle.acked || JSON.stringify(posted.map(txKey)) !== JSON.stringify(sentPrefix.map(txKey))) {
    fail(
      `of the ${trickle.sent.length} transactions posted during the round (${trickle.acked} acknowledged), ` +
        `${posted.length} are pending, not the first ones in order: ${posted
          .slice(0, 3)
          .map((p) => p.sender)
          .join(", ")}`,
    );
  }
  const expected = switched ? world.switchedPending : world.oldPending;
  if (JSON.stringify(sortedKeys(others)) !== JSON.stringify(sortedKeys(expected))) {
    fail(
      `on ${switched ? "A's" : "its old"} chain it has ${others.length} other pending transactions: missing ` +
        `${JSON.stringify(minus(expected, others).map((p) => p.sender))}, extra ${JSON.stringify(minus(others, expected).map((p) => p.sender))}`,
    );
  } else if (JSON.stringify(others.map(txKey)) !== JSON.stringify(expected.map(txKey))) {
    fail(`its pending transactions are the right ones but in another order: ${others.map((p) => p.sender).join(", ")}`);
  }

  // Nothing acknowledged is lost: each such transaction is in the chain or pending.
  const held = new Set([...chain.flatMap((block) => block.transactions), ...pending].map(txKey));
  for (const a of [...world.acked, ...trickle.sent.slice(0, trickle.acked)]) {
    if (!held.has(txKey(a))) fail(`acknowledged transaction ${a.sender} is neither in the chain nor pending`);
  }

  // Start-up deleted only staged blocks that the index does not name: none once A's chain is in.
  const deletion = node.logs.find((line) => /^deleted \d+ blocks staged/.test(line.msg));
  const discarded = Number(deletion?.discarded ?? 0);
  if (switched && discarded > 0) fail(`on A's chain, start-up still deleted ${discarded} staged blocks`);
  if (discarded > world.peerChain.length - world.fork) {
    fail(
      `start-up deleted ${discarded} staged blocks; A has only ${world.peerChain.length - world.fork} after the fork`,
    );
  }

  const exit = await node.stop(30_000);
  if (exit.code !== 0) fail(`its clean stop after the restart exited with ${JSON.stringify(exit)}`);

  // The store, read directly: no staging left, and no block but ours (the chain's or the old chain's).
  const allowed = new Set([...hashes, ...world.oldChain.map(hashOf)]);
  const db = new ClassicLevel<string, string>(dir, { valueEncoding: "utf8" });
  let blockKeys = 0;
  try {
    const staged = await db.keys({ gte: "s/", lt: "s0" }).all();
    if (staged.length > 0) fail(`its store still holds ${staged.length} s/ entries: ${staged.slice(0, 3).join(", ")}`);
    const stored = new Set<string>();
    for await (const key of db.keys({ gte: "b/", lt: "b0" })) {
      blockKeys++;
      const hash = key.slice(2);
      stored.add(hash);
      if (!allowed.has(hash)) {
        const height = world.peerChain.findIndex((block) => hashOf(block) === hash) + 1;
        fail(
          `its store holds block ${hash}, ${height > 0 ? `A's block ${height}` : "nobody's"}, on neither of its chains`,
        );
      }
    }
    for (const [i, hash] of hashes.entries()) {
      if (!stored.has(hash)) fail(`its store lacks b/ of its own block ${i + 1}`);
    }
  } finally {
    await db.close();
  }

  const on = switched ? "A's chain" : isOld ? "its old chain" : "a chain that is neither";
  t.same(failures, [], `${round}: restarted on ${on}; whole, with the mempool and the store that match it`);
  return { on, switched, discarded, blockKeys };
}

t.test("kill -9 during an incremental resolve: the old chain or the new, never a mix", async (t) => {
  t.comment(`seed ${SEED}, ${ROUNDS} rounds (CRASH_RESOLVE_SEED=${SEED} repeats this run)`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "toychain-crash-resolve-"));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const pristine = path.join(root, "pristine");
  const dir = path.join(root, "b");
  const setupStarted = performance.now();

  // A, the peer, and B, which first syncs A's first blocks: the chains will fork after them.
  const peer = await startNode([...FLAGS, "--log-level", "debug"], { t, timeoutMs: 60_000 });
  await postAll(peer, [tx("pre-1", 1), tx("pre-2", 2)]);
  await ok(`${peer.url}/mine`);
  await postAll(peer, [tx("pre-3", 3)]);
  await ok(`${peer.url}/mine`);
  const b = await startNode(["--data-dir", pristine, ...FLAGS], { t, timeoutMs: 60_000 });
  await ok(`${b.url}/nodes/register`, { nodes: [`127.0.0.1:${peer.port}`] });
  const first = await ok<ResolveBody>(`${b.url}/nodes/resolve`);
  t.equal(first.new_chain?.length, 3, "B starts from A's first 3 blocks");
  const fork = 3;

  // B's own blocks: one transaction in each is in A's chain too (dup-x: once; B has it pending once more).
  const sharedMined = tx("shared-mined", 10);
  const dup = tx("dup-x", 11);
  const sharedPending = [tx("shared-pending-1", 12), tx("shared-pending-2", 13)];
  const ownMined = [tx("b-own-1", 20), tx("b-own-2", 21), tx("b-own-3", 22)];
  const acked: Tx[] = [];
  const postB = async (txs: Tx[]) => {
    for (const p of txs) {
      await ok(`${b.url}/transactions/new`, p);
      acked.push(p);
    }
  };
  await postB([ownMined[0] as Tx, ownMined[1] as Tx, sharedMined]);
  await ok(`${b.url}/mine`);
  await postB([ownMined[2] as Tx, dup]);
  await ok(`${b.url}/mine`);
  const ownPending = [tx("b-pending-1", 30), tx("b-pending-2", 31)];
  await postB([ownPending[0] as Tx, sharedPending[0] as Tx, dup, sharedPending[1] as Tx, ownPending[1] as Tx]);
  const oldChain = (await ok<ChainBody>(`${b.url}/chain`)).chain;
  const oldPending = (await ok<PendingBody>(`${b.url}/transactions/pending`)).transactions;
  t.equal(oldChain.length, fork + 2, "B mined 2 blocks of its own");
  t.same(exitOf(await b.stop()), { code: 0, signal: null }, "B stops cleanly: its pristine directory");

  // A's longer chain: the shared transactions, then big blocks, each more than half a page.
  await postAll(peer, [sharedMined, dup, ...sharedPending]);
  let bulk = 0;
  for (let n = 0; n < BIG_BLOCKS; n++) {
    const txs = Array.from({ length: TXS_PER_BIG_BLOCK }, () => {
      bulk++;
      return { sender: long(`bulk-${bulk}-`, "链"), recipient: long("to-", "块"), amount: bulk + 0.5 };
    });
    await postAll(peer, txs);
    await ok(`${peer.url}/mine`);
  }
  const peerChain = (await ok<ChainBody>(`${peer.url}/chain`)).chain;
  const after = peerChain.slice(fork);
  const pages = pagesOf(after);
  const megabytes = after.reduce((sum, block) => sum + bytesOf(block), 0) / 2 ** 20;
  t.ok(pages >= 5, `A's ${after.length} blocks after the fork take ${pages} pages (${megabytes.toFixed(1)} MiB)`);
  const peerTxs = after.flatMap((block) => block.transactions.filter((p) => !isReward(p)));
  const dropped = oldChain.slice(fork).flatMap((block) => block.transactions.filter((p) => !isReward(p)));
  const switchedPending = minus([...dropped, ...oldPending], peerTxs);
  t.same(
    switchedPending.map((p) => p.sender),
    ["b-own-1", "b-own-2", "b-own-3", "b-pending-1", "dup-x", "b-pending-2"],
    "on A's chain, B must keep its own transactions and one dup-x",
  );
  const world: World = { oldChain, oldPending, peerChain, switchedPending, acked, fork };
  const peerHashes = peerChain.map(hashOf);
  t.comment(`set up in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s`);

  /** One round on a fresh copy of the pristine directory. */
  const runRound = async (round: number, plan: Kill) => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.cpSync(pristine, dir, { recursive: true });
    const node = await startNode(["--data-dir", dir, ...FLAGS], { t, timeoutMs: 60_000 });
    let killed = false;
    let killedAfter = 0;
    const base = performance.now();
    const baseEpoch = Date.now();
    const kill = () => {
      if (killed) return;
      killed = true;
      killedAfter = performance.now() - base;
      node.process.kill(plan.kind === "page" && plan.signal !== undefined ? plan.signal : "SIGKILL");
    };
    let answered: ResolveBody | undefined;
    let answeredAfter = 0;
    let finished = false;
    const trickle: Trickle = { sent: [], acked: 0 };
    // A client posting transactions all along, one at a time.
    const poster = (async () => {
      for (let n = 0; !killed && !finished; n++) {
        const p = tx(`round-${round}-${n}`, 1000 * round + n + 1);
        trickle.sent.push(p);
        try {
          await ok(`${node.url}/transactions/new`, p);
          trickle.acked++;
        } catch (error) {
          if (!killed) throw error;
          return;
        }
        await sleep(5);
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    let watch: NodeJS.Timeout | undefined;
    if (plan.kind === "timed") timer = setTimeout(kill, plan.ms);
    // What a client polling the mempool sees: the dropped blocks' transactions are back once the switch is under way.
    const droppedKey = txKey(world.switchedPending[0] as Tx);
    const switchWatch =
      plan.kind === "switch"
        ? (async () => {
            while (!killed && !finished) {
              try {
                const { transactions } = await ok<PendingBody>(`${node.url}/transactions/pending`);
                if (transactions.some((p) => txKey(p) === droppedKey)) {
                  if (plan.ms === 0) kill();
                  else timer = setTimeout(kill, plan.ms);
                  return;
                }
              } catch (error) {
                if (!killed) throw error;
              }
            }
          })()
        : undefined;
    // A logs each request it has answered (its body still to stream): the GET /chain of this round are pages.
    const from = peer.logs.length;
    const pagesServed = () =>
      peer.logs.slice(from).filter((line) => line.msg === "request" && line.method === "GET" && line.path === "/chain");
    if (plan.kind === "page") {
      watch = setInterval(() => {
        if (pagesServed().length < plan.page) return;
        clearInterval(watch);
        timer = setTimeout(kill, plan.ms);
      }, 2);
    }
    try {
      answered = await ok<ResolveBody>(`${node.url}/nodes/resolve`);
      answeredAfter = performance.now() - base;
      // On the answer, too, when the moment planned has not come by then.
      if (plan.kind !== "none") kill();
    } catch (error) {
      if (!killed) throw error;
    } finally {
      clearInterval(watch);
      clearTimeout(timer);
    }
    finished = true;
    await Promise.all([poster, switchWatch]);
    const exit = await node.stop(30_000);
    // The replacement is acknowledged by the answer, or by the log line written once it is durable.
    const replacedLine = node.logs.find((line) => line.msg === "chain replaced");
    const stagedAt = node.logs.findIndex((line) => line.msg === STAGED);
    const switchedAt = replacedLine === undefined ? undefined : replacedLine.time - baseEpoch;
    if (plan.kind === "page" && plan.signal === "SIGTERM") {
      t.same(exitOf(exit), { code: 0, signal: null }, `round ${round}: B stopped cleanly on SIGTERM`);
    } else if (killed) t.equal(exit.signal, "SIGKILL", `round ${round}: B was killed`);
    else t.same(exitOf(exit), { code: 0, signal: null }, `round ${round}: B stopped cleanly after resolving`);
    if (answered !== undefined) {
      const answeredHashes = (answered.new_chain ?? []).map(hashOf);
      t.same(answeredHashes, peerHashes, `round ${round}: B answered that it adopted A's chain`);
    }
    const why = answered !== undefined ? "answered" : replacedLine !== undefined ? "logged before the kill" : undefined;
    const outcome = await verify(t, world, dir, `round ${round}`, trickle, why);
    const lastPageAt = (pagesServed().at(-1)?.time ?? baseEpoch) - baseEpoch;
    return {
      ...outcome,
      staged:
        stagedAt < 0
          ? undefined
          : {
              line: node.logs[stagedAt],
              beforeSwitch: stagedAt < node.logs.indexOf(replacedLine as (typeof node.logs)[number]),
            },
      killedAfter,
      answeredAfter,
      lastPageAt,
      answered: answered !== undefined,
      switchedAt,
      trickle,
    };
  };

  // Round 0: a resolve left to finish, which measures how long one takes and when its switch comes.
  const calibration = await runRound(0, { kind: "none" });
  const resolveMs = calibration.answeredAfter;
  const pageMs = calibration.lastPageAt / pages;
  const lateMs = Math.max(1, resolveMs - calibration.lastPageAt);
  t.ok(calibration.switched, "a resolve left alone adopts A's chain");
  t.match(
    calibration.staged,
    { line: { level: 30, pages: Number, blocks: Number }, beforeSwitch: true },
    "B said at info, before the switch, that the pages were checked and staged",
  );
  t.ok(Number(calibration.staged?.line?.pages) > 1, `over ${calibration.staged?.line?.pages} pages`);
  t.comment(
    `a whole resolve took ${resolveMs.toFixed(0)} ms: A began serving its last page at ${calibration.lastPageAt} ms ` +
      `(${pages} pages), B logged the switch at ${calibration.switchedAt} ms`,
  );

  const stats: string[] = [];
  const landed = { "before staging": 0, "mid-sync": 0, "after the switch": 0, "after the answer": 0 };
  for (let round = 1; round <= ROUNDS; round++) {
    const kind = PLANS[(round - 1) % PLANS.length] as Kind;
    const plan: Kill =
      kind === "timed"
        ? { kind, ms: pick(resolveMs) }
        : kind === "page" || kind === "sigterm"
          ? {
              kind: "page",
              // From page 2 on: page 1 at least is staged by then.
              page: 2 + pick(pages - 1),
              ms: pick(pageMs),
              ...(kind === "sigterm" ? { signal: "SIGTERM" as const } : {}),
            }
          : kind === "late"
            ? { kind: "page", page: pages, ms: pick(lateMs) }
            : kind === "switch"
              ? { kind, ms: pick(8) }
              : { kind };
    const r = await runRound(round, plan);
    const where = r.answered
      ? "after the answer"
      : r.switched
        ? "after the switch"
        : r.discarded > 0
          ? "mid-sync"
          : "before staging";
    landed[where]++;
    const when =
      plan.kind === "timed"
        ? `at ${plan.ms} ms`
        : plan.kind === "page"
          ? `${plan.signal === undefined ? "" : "(SIGTERM) "}${plan.ms} ms after A began serving page ${plan.page}`
          : plan.kind === "switch"
            ? `${plan.ms} ms after the mempool showed the switch`
            : "on the answer";
    stats.push(
      `round ${round}: kill ${when} (${r.killedAfter.toFixed(0)} ms` +
        `${r.switchedAt === undefined ? "" : `; switch logged at ${r.switchedAt} ms`}): ${where}; ` +
        `${r.trickle.acked}/${r.trickle.sent.length} posts acknowledged; restarted on ${r.on}` +
        `${r.discarded > 0 ? `, start-up deleted ${r.discarded} staged blocks` : ""}; ${r.blockKeys} b/ keys`,
    );
  }
  for (const line of stats) t.comment(line);
  t.comment(
    Object.entries(landed)
      .map(([where, n]) => `${n} ${where}`)
      .join(", "),
  );
  // The default turn covers both sides of the switch: "page" rounds come first and last, an "answer" round fifth.
  if (process.env.CRASH_RESOLVE_PLANS === undefined && ROUNDS >= 5) {
    t.ok(landed["mid-sync"] > 0, "some kill landed mid-sync, with blocks staged");
    t.ok(landed["after the switch"] + landed["after the answer"] > 0, "some kill landed after the switch");
  }
});

/** An exit, in the shape tests compare. */
function exitOf(exit: { code: number | null; signal: NodeJS.Signals | null }) {
  return { code: exit.code, signal: exit.signal };
}
