import { once } from "node:events";
import fs from "node:fs";
import { createServer } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import t, { type Test } from "tap";
import type { ChainBody, PendingBody, Tx } from "./helpers/chain-check.js";
import { type NodeProcess, request, startNode } from "./helpers/node-process.js";

/**
 * Graceful shutdown (issue: stopping dropped the requests in flight). On
 * SIGTERM a real node takes no new connections, lets the requests in flight
 * finish and exits 0: a /mine or /nodes/resolve it abandons answers 503 with
 * a message, a write that reached disk answers 200, and a client whose
 * request got no answer can retry it without doing it twice.
 */

/** Well under the node's 10 s drain bound: abandoning a job or a download takes no time. */
const PROMPT_EXIT_MS = 8_000;
/** Longer than the drain bound, so that the helper's SIGKILL never hides a slow stop. */
const KILL_AFTER_MS = 15_000;
const MINE_STOPPED = "The node is shutting down; no block was forged";
const RESOLVE_STOPPED = "The node is shutting down; the resolve was abandoned and our chain kept";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What a client saw: an answer, or the code of the network error fetch rejected with. */
type Outcome<T> = { status: number; body: T; connection: string | null } | { error: string };

interface MineBody {
  message: string;
  index: number;
  proof: number;
  transactions: Tx[];
}
interface Message {
  message: string;
}
interface StatsBody {
  job: { index: number } | null;
}

/** ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET ("other side closed"), ...: why fetch rejected. */
function networkError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (typeof cause?.code === "string") return cause.code;
  return error instanceof Error ? error.name : String(error);
}

/** One request that never throws for a network failure: the client's view of it. */
async function attempt<T>(url: string, body?: unknown): Promise<Outcome<T>> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: body === undefined ? "GET" : "POST",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? null : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    text = await response.text();
  } catch (error) {
    return { error: networkError(error) };
  }
  return { status: response.status, body: JSON.parse(text) as T, connection: response.headers.get("connection") };
}

/** "200", "503", "ECONNREFUSED", ...: an outcome as a client would tally it. */
const label = (outcome: Outcome<unknown>): string => ("status" in outcome ? String(outcome.status) : outcome.error);

/** Resolves with `promise`, or rejects saying what did not happen within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Polls /stats until the node shows a mining job; false when it shows none within `ms`. */
async function jobRunning(node: NodeProcess, ms = 5_000): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if ((await request<StatsBody>(`${node.url}/stats`)).body.job !== null) return true;
    await sleep(50);
  }
  return false;
}

/** A peer that accepts GET /chain and never answers it; `asked` resolves once a node asked. */
async function silentPeer(t: Test): Promise<{ address: string; asked: Promise<void> }> {
  let markAsked: () => void = () => undefined;
  const asked = new Promise<void>((resolve) => {
    markAsked = resolve;
  });
  const server = createServer((req) => {
    if (req.url?.startsWith("/chain")) markAsked();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, asked };
}

/** SIGTERM; resolves with the exit and how long it took. */
async function sigterm(node: NodeProcess) {
  const started = performance.now();
  const exit = await node.stop(KILL_AFTER_MS);
  return { exit, ms: Math.round(performance.now() - started) };
}

const logged = (node: NodeProcess, msg: string) => node.logs.find((line) => line.msg === msg);

t.test("SIGTERM while a block is being mined: the /mine answers 503 and the node exits 0", async (t) => {
  // Difficulty 30: the job cannot finish before the signal.
  const node = await startNode(["--difficulty", "30", "--threads", "2"], { t });
  const mining = attempt<Message>(`${node.url}/mine`);
  t.ok(await jobRunning(node), "the node shows a mining job in /stats");

  const { exit, ms } = await sigterm(node);
  const answer = await mining;
  t.same(exit, { code: 0, signal: null }, `exit 0 (after ${ms} ms)`);
  t.equal(label(answer), "503", "the client gets 503, not an empty reply");
  t.match(answer, { body: { message: MINE_STOPPED } }, "in JSON, saying no block was forged");
  t.match(answer, { connection: "close" }, "with Connection: close");
  t.match(
    logged(node, "stopping: taking no new connections, finishing the requests in flight"),
    { inFlight: Number },
    "the node logs that it stops, with the requests in flight",
  );
  t.ok(logged(node, "node stopped"), 'it logs "node stopped"');
  t.ok(ms < PROMPT_EXIT_MS, `it exits promptly: ${ms} ms < ${PROMPT_EXIT_MS} ms`);
});

t.test("SIGTERM while a resolve waits for a peer: the resolve answers 503 and the node exits promptly", async (t) => {
  const peer = await silentPeer(t);
  // The peer would have 60 s to answer: only the shutdown can end the download.
  const node = await startNode(["--difficulty", "8", "--peers", peer.address, "--peer-timeout", "60000"], { t });
  const resolving = attempt<Message>(`${node.url}/nodes/resolve`);
  await within(peer.asked, 10_000, "the node asking the peer for its chain");

  const { exit, ms } = await sigterm(node);
  const answer = await resolving;
  t.same(exit, { code: 0, signal: null }, "exit 0");
  t.equal(label(answer), "503", "the client gets 503, not an empty reply");
  t.match(answer, { body: { message: RESOLVE_STOPPED } }, "in JSON, saying the resolve was abandoned");
  t.ok(ms < PROMPT_EXIT_MS, `it exits within ${PROMPT_EXIT_MS} ms, not after the peer timeout: ${ms} ms`);
  t.ok(logged(node, "node stopped"), 'it logs "node stopped"');
  t.notOk(
    logged(node, "cutting the connections still open after the drain timeout"),
    "nothing was left to cut after the drain timeout",
  );
});

/** Reads one HTTP/1.1 answer with a Content-Length from `socket`: its status, headers and body. */
async function readAnswer(socket: Socket): Promise<{ status: number; headers: string; body: string }> {
  let text = "";
  for (;;) {
    const headEnd = text.indexOf("\r\n\r\n");
    if (headEnd >= 0) {
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(text)?.[1] ?? 0);
      const body = text.slice(headEnd + 4);
      if (Buffer.byteLength(body) >= length) {
        return { status: Number(text.slice(9, 12)), headers: text.slice(0, headEnd), body };
      }
    }
    const [chunk] = (await Promise.race([once(socket, "data"), once(socket, "end").then(() => [null])])) as [
      Buffer | null,
    ];
    if (chunk === null) throw new Error(`the connection ended before a whole answer: ${JSON.stringify(text)}`);
    text += chunk.toString("utf8");
  }
}

t.test("a request sent on an idle keep-alive connection just after SIGTERM is answered, not reset", async (t) => {
  const node = await startNode(["--difficulty", "8"], { t });
  const socket = connect(node.port, "127.0.0.1");
  await once(socket, "connect");
  t.teardown(() => socket.destroy());
  socket.write("GET /stats HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  const first = await readAnswer(socket);
  t.equal(first.status, 200);
  t.match(first.headers, /\r\nConnection: keep-alive/i, "the connection is kept alive, then idle");

  const exited = node.stop(KILL_AFTER_MS);
  await node.waitForLog((line) => line.msg === "stopping: taking no new connections, finishing the requests in flight");
  const body = JSON.stringify({ sender: "Late", recipient: "Mark", amount: 1 });
  socket.write(
    `POST /transactions/new HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  );
  const late = await readAnswer(socket);
  t.equal(late.status, 200, "the transaction sent on the idle connection is taken");
  t.match(late.headers, /\r\nConnection: close/i, "with Connection: close");
  t.match(JSON.parse(late.body), { message: /^Transaction added/ });
  t.same(await exited, { code: 0, signal: null }, "then the node exits 0");
});

const ROUNDS = 3;
const POST_LOOPS = 8;
const FLAGS = ["--difficulty", "8", "--threads", "2"];

/** One request of a client loop: when it was sent and what came of it. */
interface Call<T> {
  sentAt: number;
  outcome: Outcome<T>;
}
interface Post extends Call<unknown> {
  sender: string;
}

/** Counts per label: "200×412, ECONNREFUSED×8". */
function tally(outcomes: readonly Outcome<unknown>[]): string {
  const counts = new Map<string, number>();
  for (const outcome of outcomes) counts.set(label(outcome), (counts.get(label(outcome)) ?? 0) + 1);
  return [...counts].map(([what, n]) => `${what}×${n}`).join(", ") || "none";
}

/** When the requests that failed other than by a refused connection were sent, relative to the SIGTERM. */
function cutTimes(calls: readonly Call<unknown>[], sigtermAt: number): string {
  const cut = calls.filter(({ outcome }) => "error" in outcome && outcome.error !== "ECONNREFUSED");
  return cut.map(({ sentAt }) => `${Math.round(sentAt - sigtermAt)}`).join(", ") || "none";
}

/** How many times each sender is held by the chain's blocks and the pending transactions. */
function storedSenders(chain: ChainBody, pending: PendingBody): Map<string, number> {
  const count = new Map<string, number>();
  const txs = [...chain.chain.flatMap((block) => block.transactions), ...pending.transactions];
  for (const { sender } of txs) if (sender !== "0") count.set(sender, (count.get(sender) ?? 0) + 1);
  return count;
}

t.test("SIGTERM under load: nothing acknowledged is lost, nothing unacknowledged is stored", async (t) => {
  for (let round = 1; round <= ROUNDS; round++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "toychain-shutdown-"));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const node = await startNode(["--data-dir", dir, ...FLAGS], { t, timeoutMs: 30_000 });
    let exited = false;
    node.process.once("exit", () => {
      exited = true;
    });

    // Each loop is one client on a keep-alive connection (fetch's default) that sends its next
    // request once the last is answered, and gives up at its first failure, as a client would.
    const posts: Post[] = [];
    const mines: Call<MineBody>[] = [];
    const poster = async (loop: number) => {
      for (let n = 0; !exited; n++) {
        const sender = `c3-r${round}-${loop}-${n}`;
        const sentAt = performance.now();
        const outcome = await attempt(`${node.url}/transactions/new`, { sender, recipient: "shutdown", amount: n + 1 });
        posts.push({ sender, sentAt, outcome });
        if (label(outcome) !== "200") return;
      }
    };
    const miner = async () => {
      while (!exited) {
        const sentAt = performance.now();
        const outcome = await attempt<MineBody>(`${node.url}/mine`);
        mines.push({ sentAt, outcome });
        if (label(outcome) !== "200") return;
      }
    };
    const clients = Promise.all([...Array.from({ length: POST_LOOPS }, (_, loop) => poster(loop)), miner()]);

    const after = 200 + Math.floor(Math.random() * 601);
    await sleep(after);
    const sigtermAt = performance.now();
    const { exit, ms } = await sigterm(node);
    await clients;
    t.same(exit, { code: 0, signal: null }, `round ${round}: SIGTERM under load after ${after} ms: exit 0`);
    t.notOk(
      logged(node, "cutting the connections still open after the drain timeout"),
      `round ${round}: every request in flight finished within the drain timeout`,
    );

    const restarted = await startNode(["--data-dir", dir, ...FLAGS], { t, timeoutMs: 30_000 });
    const chain = (await request<ChainBody>(`${restarted.url}/chain`)).body;
    const pending = (await request<PendingBody>(`${restarted.url}/transactions/pending`)).body;
    t.same(await restarted.stop(), { code: 0, signal: null }, `round ${round}: the restarted node stops with exit 0`);

    // Transactions: stored exactly when answered 200, and then once.
    const stored = storedSenders(chain, pending);
    const txProblems: string[] = [];
    for (const { sender, outcome } of posts) {
      const times = stored.get(sender) ?? 0;
      const answered = label(outcome);
      if (answered === "200" && times !== 1) txProblems.push(`${sender}: answered 200, stored ${times} times`);
      if (answered !== "200" && times > 0) txProblems.push(`${sender}: answered ${answered}, yet stored`);
    }
    const posted = new Set(posts.map((post) => post.sender));
    for (const sender of stored.keys()) if (!posted.has(sender)) txProblems.push(`${sender}: stored, never posted`);
    t.same(txProblems, [], `round ${round}: every transaction is stored once if answered 200, else not at all`);

    // Blocks: only this client mines, so the stored blocks are exactly those its /mine got a 200 for.
    const forged = new Map<number, number>();
    for (const { outcome } of mines) {
      if ("status" in outcome && outcome.status === 200) forged.set(outcome.body.index, outcome.body.proof);
    }
    const blockProblems: string[] = [];
    for (const [index, proof] of forged) {
      if (chain.chain[index - 1]?.proof !== proof) blockProblems.push(`block ${index}: answered 200, not stored`);
    }
    const last = mines.at(-1);
    for (const block of chain.chain.slice(1)) {
      if (forged.get(block.index) !== block.proof) {
        blockProblems.push(
          `block ${block.index}: stored, though no /mine got a 200 for it (the last /mine got ${last && label(last.outcome)})`,
        );
      }
    }
    t.same(blockProblems, [], `round ${round}: the stored blocks are exactly those answered 200`);

    t.comment(
      `round ${round}: SIGTERM after ${after} ms, exit after ${ms} ms; ` +
        `POST /transactions/new: ${tally(posts.map((post) => post.outcome))}; ` +
        `GET /mine: ${tally(mines.map((mine) => mine.outcome))}; ` +
        `cut (not refused) requests sent at ms from the SIGTERM: POST ${cutTimes(posts, sigtermAt)}, /mine ${cutTimes(mines, sigtermAt)}; ` +
        `restarted with ${chain.length} blocks and ${pending.length} pending`,
    );
  }
});
