import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { ClassicLevel } from "classic-level";
import t, { type Test } from "tap";
import {
  type Block,
  type ChainBody,
  canonical,
  hashOf,
  leadingZeroBits,
  proofBits,
  type RegisterBody,
  type ResolveBody,
  sha256,
  type Tx,
} from "./helpers/chain-check.js";
import { type NodeProcess, request, startNode } from "./helpers/node-process.js";
import { indexKey } from "./helpers/store-keys.js";

/**
 * A hostile peer: one real HTTP server on 127.0.0.1 that speaks the sync
 * protocol (GET /chain/tip, POST /chain/locate, GET /chain?from&limit&max_bytes)
 * and misbehaves, one scenario after another, at the tip, at the locate or in
 * a page. After each, /nodes/resolve answers within its bound with the
 * verdict and reason, the node asked no more than it had to, our chain is
 * unchanged and the node keeps serving; at the end the same peer serves an
 * honest longer chain, which is adopted, and the store holds no staged block.
 */

const DIFFICULTY = 8;
const PEER_TIMEOUT_MS = 2000;
const RESOLVE_DEADLINE_MS = 5000;
/**
 * What the node promises whatever a peer does: a resolve answers by its
 * deadline (with room for a loaded machine), not a speed. Which limit cut a
 * peer off (its request's timeout, or the deadline) each scenario's reason
 * says, in the node's own words.
 */
const DEADLINE_BOUND_MS = RESOLVE_DEADLINE_MS + 3000;
const MIB = 1024 * 1024;
const HUGE_BYTES = 100 * MIB;
/** What the node asks a page to hold at most (max_bytes), and what a page may hold besides its blocks. */
const PAGE_BYTES = 2 * MIB;
const PAGE_FRAME_BYTES = 64 * 1024;
/**
 * The read cap of a page, MAX_BLOCK_BYTES + 64 KiB, as the node's messages
 * round it: a block of 10,000 transactions and its reward, each of two names
 * of 256 characters written as 6-byte escapes, is about 30 MiB.
 */
const READ_CAP = "30 MiB";
/** Blocks a page holds at most (the node's limit). */
const MAX_PAGE = 10_000;
/** Blocks the hostile peer serves per page, whatever the limit asked: a peer may serve fewer. */
const PER_PAGE = 2;

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "toychain-hostile-"));
t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const FLAGS = [
  "--data-dir",
  dataDir,
  "--difficulty",
  String(DIFFICULTY),
  "--threads",
  "2",
  "--peer-timeout",
  String(PEER_TIMEOUT_MS),
  "--resolve-deadline",
  String(RESOLVE_DEADLINE_MS),
  "--log-level",
  "info",
];

type Verdict = "invalid" | "unreachable";
type Handler = (res: ServerResponse) => void;

interface Tip {
  length: number;
  hash: string;
  work: string;
  chain: string;
}
interface BlockRef {
  height: number;
  hash: string;
}
/** A page the node asked for; `n` counts the pages asked in this resolve, from 1. */
interface PageAsk {
  from: number;
  limit: number;
  n: number;
}

/** How the hostile peer answers: honestly from `chain`, but where a handler says otherwise. */
interface PeerScript {
  chain: readonly Block[];
  tip?: Handler;
  locate?: (locator: BlockRef[], res: ServerResponse) => void;
  page?: (ask: PageAsk, res: ServerResponse) => void;
}

interface PeerHealthLine {
  node: string;
  failures: number;
  last_error: string | null;
  retry_at: string | null;
}
interface Stats {
  chain_length: number;
  peer_health: PeerHealthLine[];
}

interface Scenario {
  name: string;
  /** Built when the scenario starts, so that its blocks are dated then. */
  peer: () => PeerScript;
  verdict: Verdict;
  reason: RegExp;
  /** Every request the node made, in order ("tip", "locate", "page <from>+<limit>"); checked in `after` when absent. */
  asks?: string[];
  /** The peer never delivered its tip: the report says it was not reached. */
  tipUndelivered?: true;
  /** Runs while the resolve is still waiting on the hostile peer, once `started` has resolved. */
  during?: (t: Test) => Promise<void>;
  started?: Promise<void>;
  /** Further checks once the resolve has answered. */
  after?: (t: Test) => Promise<void>;
}

// ---------------------------------------------------------------- building chains

/** A 32-hex-digit node id for the blocks the hostile peer "mines". */
const HOSTILE_ID = randomBytes(16).toString("hex");
const rewardTx = (recipient = HOSTILE_ID): Tx => ({ sender: "0", recipient, amount: 1 });
const fakeHash = (): string => randomBytes(32).toString("hex");

let clock = Date.now() / 1000;
/** Seconds since the epoch, a float, a little later at each call. */
const nextTimestamp = (): number => {
  clock += 0.25;
  return clock;
};

/** Finds the smallest proof from 0 that reaches the difficulty (about 2^8 tries), hashing the block once. */
function mined(block: Omit<Block, "proof">): Block {
  const header = sha256(canonical(block));
  let proof = 0;
  while (leadingZeroBits(sha256(header + String(proof))) < DIFFICULTY) proof++;
  const candidate: Block = { ...block, proof };
  if (proofBits(candidate) < DIFFICULTY) throw new Error("mined() and proofBits() disagree");
  return candidate;
}

/** A valid block after `previous`: the given transactions, then the reward. */
function nextBlock(previous: Block, transactions: Tx[] = []): Block {
  return mined({
    index: previous.index + 1,
    timestamp: nextTimestamp(),
    transactions: [...transactions, rewardTx()],
    previous_hash: hashOf(previous),
  });
}

/** `chain` followed by `count` valid blocks. */
function extended(chain: readonly Block[], count: number): Block[] {
  const blocks = [...chain];
  for (let i = 0; i < count; i++) blocks.push(nextBlock(blocks[blocks.length - 1] as Block));
  return blocks;
}

const body = (chain: readonly Block[], length = chain.length): ChainBody => ({ chain: [...chain], length });

const last = <T>(items: readonly T[]): T => items[items.length - 1] as T;

/** A walkthrough chain's tip: 2^DIFFICULTY work a block, its genesis hash its id. */
const tipOf = (chain: readonly Block[]): Tip => ({
  length: chain.length,
  hash: hashOf(last(chain)),
  work: String(BigInt(chain.length) * 2n ** BigInt(DIFFICULTY)),
  chain: hashOf(chain[0] as Block),
});

const refOf = (chain: readonly Block[], height: number): BlockRef => ({
  height,
  hash: hashOf(chain[height - 1] as Block),
});

// ---------------------------------------------------------------- HTTP helpers

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

const sendJson = (res: ServerResponse, text: string | Buffer, status = 200): void => {
  res.writeHead(status, { "content-type": "application/json" }).end(text);
};

/** What an honest peer answers a locator none of whose blocks it holds. */
const notFound = (res: ServerResponse): void => {
  sendJson(res, JSON.stringify({ message: "None of the locator's blocks is in this node's chain" }), 404);
};

/** The page an honest peer holding `chain` may serve: from `from`, `limit` blocks at most, and PER_PAGE at most. */
const honestPage = (chain: readonly Block[], { from, limit }: PageAsk): ChainBody =>
  body(chain.slice(from - 1, from - 1 + Math.min(limit, PER_PAGE)), chain.length);

/** A promise with its resolver, to await what a handler sees. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.once("error", reject);
  });
}

/** The pages the node should ask for, by first height, from a peer whose tip is `tipLength` blocks long. */
const pages = (tipLength: number, ...froms: number[]): string[] =>
  froms.map((from) => `page ${from}+${Math.min(MAX_PAGE, tipLength - from + 1)}`);

// ---------------------------------------------------------------- the node and the two servers

const node: NodeProcess = await startNode(FLAGS, { t, timeoutMs: 30_000 });
for (let i = 0; i < 2; i++) {
  const mine = await request(`${node.url}/mine`);
  if (mine.status !== 200) throw new Error(`GET /mine answered ${mine.status}: ${JSON.stringify(mine.body)}`);
}
const ours = (await request<ChainBody>(`${node.url}/chain`)).body;
if (ours.length !== 3) throw new Error(`the node's chain should have 3 blocks, not ${ours.length}`);
const ourTip = (await request<Tip>(`${node.url}/chain/tip`)).body;
if (ourTip.length !== 3 || ourTip.hash !== hashOf(last(ours.chain))) {
  throw new Error(`GET /chain/tip answered ${JSON.stringify(ourTip)}, not our tip`);
}
/** The locator a node of 3 blocks sends: its tip back to the genesis, one by one. */
const ourLocator: BlockRef[] = [3, 2, 1].map((height) => refOf(ours.chain, height));
// The blocks built here follow the node's own, so they are dated after them (the median rule).
clock = Math.max(clock, last(ours.chain).timestamp);

/** The honest chain: ours and six more valid blocks, three pages of PER_PAGE. The end adopts it. */
const honestChain = extended(ours.chain, 6);

/** Intervals a handler started, cleared in teardown in case a connection outlives the test. */
const intervals = new Set<NodeJS.Timeout>();

let script: PeerScript = { chain: ours.chain, tip: (res) => res.writeHead(503).end() };
/** What the node asked the hostile peer since the scenario started. */
let asked: string[] = [];
let locators: unknown[] = [];
/** Page requests whose max_bytes was not PAGE_BYTES. */
let badMaxBytes: string[] = [];
let pagesAsked = 0;

async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://hostile");
  const current = script;
  const chain = current.chain;
  if (req.method === "GET" && url.pathname === "/chain/tip" && url.search === "") {
    asked.push("tip");
    if (current.tip) current.tip(res);
    else sendJson(res, JSON.stringify(tipOf(chain)));
    return;
  }
  if (req.method === "POST" && url.pathname === "/chain/locate") {
    asked.push("locate");
    const { locator } = JSON.parse(await readBody(req)) as { locator: BlockRef[] };
    locators.push(locator);
    if (current.locate) {
      current.locate(locator, res);
      return;
    }
    const found = locator.find(
      ({ height, hash }) => chain[height - 1] !== undefined && hashOf(chain[height - 1] as Block) === hash,
    );
    if (found) sendJson(res, JSON.stringify(found));
    else notFound(res);
    return;
  }
  if (req.method === "GET" && url.pathname === "/chain" && url.searchParams.has("from")) {
    const from = Number(url.searchParams.get("from"));
    const limit = Number(url.searchParams.get("limit"));
    asked.push(`page ${from}+${limit}`);
    if (url.searchParams.get("max_bytes") !== String(PAGE_BYTES)) badMaxBytes.push(req.url ?? "");
    const ask: PageAsk = { from, limit, n: ++pagesAsked };
    if (current.page) current.page(ask, res);
    else sendJson(res, JSON.stringify(honestPage(chain, ask)));
    return;
  }
  asked.push(`${req.method} ${req.url}`);
  res.writeHead(404).end();
}

const hostile = createServer((req, res) => {
  res.on("error", () => {}); // writes racing the node's hang-up
  answer(req, res).catch((error: unknown) => {
    asked.push(`(the hostile server failed: ${String(error)})`);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});
const hostilePort = await listen(hostile);
const HOSTILE = `127.0.0.1:${hostilePort}`;

/** An honest server: the redirect points here, and must not be followed. */
let honestRequests = 0;
const honest = createServer((_req, res) => {
  honestRequests++;
  sendJson(res, JSON.stringify(body(honestChain)));
});
const honestPort = await listen(honest);

t.teardown(() => {
  for (const interval of intervals) clearInterval(interval);
  for (const server of [hostile, honest]) {
    server.closeAllConnections();
    server.close();
  }
});

// ---------------------------------------------------------------- what every scenario checks

async function register(t: Test, expectNew: number): Promise<void> {
  const res = await request<RegisterBody>(`${node.url}/nodes/register`, { body: { nodes: [HOSTILE] } });
  t.equal(res.status, 200, `POST /nodes/register ${HOSTILE} answers 200`);
  t.same(res.body, { message: `${expectNew} new nodes have been successfully added`, total_nodes: [HOSTILE] });
}

function alive(t: Test): void {
  t.ok(node.process.exitCode === null && node.process.signalCode === null, "the node process is alive");
}

/** GET /chain/tip and GET /stats answer within a peer timeout, with our chain as it was. */
async function answersMeanwhile(t: Test): Promise<void> {
  const tip = await request<Tip>(`${node.url}/chain/tip`, { timeoutMs: PEER_TIMEOUT_MS });
  t.equal(tip.status, 200, "GET /chain/tip answers while the resolve waits on the peer");
  t.same(tip.body, ourTip, "our tip meanwhile");
  const stats = await request<Stats>(`${node.url}/stats`, { timeoutMs: PEER_TIMEOUT_MS });
  t.equal(stats.status, 200, "GET /stats answers too");
  t.equal(stats.body.chain_length, ours.length);
}

async function stillServing(t: Test): Promise<void> {
  const tip = await request<Tip>(`${node.url}/chain/tip`, { timeoutMs: 5000 });
  t.equal(tip.status, 200, "GET /chain/tip answers 200");
  t.same(tip.body, ourTip, "our tip is unchanged");
  const chain = await request<ChainBody>(`${node.url}/chain`, { timeoutMs: 5000 });
  t.equal(chain.status, 200, "GET /chain answers 200");
  t.same(chain.body, ours, "our chain is unchanged");
  const root = await request(`${node.url}/`, { timeoutMs: 5000 });
  t.equal(root.status, 200, "GET / answers 200");
  alive(t);
}

async function resolve(t: Test): Promise<{ body: ResolveBody; ms: number }> {
  const res = await request<ResolveBody>(`${node.url}/nodes/resolve`, { timeoutMs: DEADLINE_BOUND_MS + 10_000 });
  t.equal(res.status, 200, "GET /nodes/resolve answers 200");
  t.equal(res.body.peers.length, 1, "one peer in the report");
  return res;
}

/** Starts a scenario's bookkeeping: what the node asks from now on. */
function begin(peer: PeerScript): void {
  script = peer;
  asked = [];
  locators = [];
  badMaxBytes = [];
  pagesAsked = 0;
}

const measured: string[] = [];

/** Resolves against the hostile server playing `scenario`; checks the report, the requests, the time and the node. */
async function runScenario(t: Test, scenario: Scenario): Promise<void> {
  await register(t, 0); // clears the peer's failure record: every scenario is asked
  begin(scenario.peer());

  let settled = false;
  const resolving = resolve(t).finally(() => {
    settled = true;
  });
  if (scenario.during) {
    await Promise.race([scenario.started, resolving]);
    if (settled) t.fail("the resolve answered before the peer was asked what makes it wait");
    else {
      await scenario.during(t);
      t.notOk(settled, "the resolve was still running meanwhile");
    }
  }
  const { body: answer, ms } = await resolving;
  t.equal(answer.message, "Our chain is authoritative");
  t.same(answer.chain, ours.chain, "the answer carries our own chain");
  const [peer] = answer.peers;
  t.match(peer, { node: HOSTILE, verdict: scenario.verdict, failures: 1 });
  t.equal(
    peer?.reached,
    scenario.tipUndelivered !== true,
    "reached: true once the peer answered its tip, false when it did not deliver even that",
  );
  t.match(peer?.reason, scenario.reason, `reason: ${peer?.reason}`);
  t.ok(ms < DEADLINE_BOUND_MS, `the resolve answered in ${ms.toFixed(0)} ms, by its deadline`);
  if (scenario.asks) t.same(asked, scenario.asks, `the node asked: ${asked.join(", ")}`);
  t.ok(asked.filter((ask) => ask === "tip").length === 1, "the node asked for the tip once");
  t.ok(asked.filter((ask) => ask === "locate").length <= 1, "the node located the fork point once at most");
  for (const locator of locators) t.same(locator, ourLocator, "the locator names our blocks from the tip back");
  t.same(badMaxBytes, [], `every page was asked with max_bytes=${PAGE_BYTES}`);
  measured.push(`${scenario.name}: ${peer?.verdict} in ${ms.toFixed(0)} ms`);
  t.comment(`${scenario.name}: ${peer?.verdict} in ${ms.toFixed(0)} ms: ${peer?.reason}`);
  await scenario.after?.(t);
  await stillServing(t);
}

// ---------------------------------------------------------------- chains and handlers for the scenarios

/** `base` up to block `height`, or extended with valid blocks up to it. */
const upTo = (base: readonly Block[], height: number): Block[] =>
  extended(base.slice(0, height), Math.max(0, height - base.length));

/** `base` up to block `height - 1`, then a block at `height` whose proof misses the difficulty, then valid blocks up to `length`. */
function badProofAt(base: readonly Block[], height: number, length: number): Block[] {
  const blocks = upTo(base, height);
  const bad: Block = { ...last(blocks), proof: 0 };
  while (proofBits(bad) >= DIFFICULTY) bad.proof++;
  blocks[height - 1] = bad;
  return extended(blocks, length - height);
}

/** `base` up to block `height - 1`, then a block that names a wrong previous_hash but is mined on it, then valid blocks up to `length`. */
function brokenLinkAt(base: readonly Block[], height: number, length: number): Block[] {
  const blocks = upTo(base, height - 1);
  const prev = last(blocks);
  blocks.push(
    mined({
      index: height,
      timestamp: nextTimestamp(),
      transactions: [rewardTx()],
      previous_hash: hashOf({ ...prev, proof: prev.proof + 1 }),
    }),
  );
  return extended(blocks, length - height);
}

/** A tip of `length` blocks ending at `hash` that claims our chain and the work of that length on it. */
const claimTip = (length: number, hash: string): Tip => ({
  length,
  hash,
  work: String(BigInt(length) * 2n ** BigInt(DIFFICULTY)),
  chain: hashOf(ours.chain[0] as Block),
});

/** Another genesis (its timestamp moved), and valid blocks built on it, up to `length`. */
function otherGenesisChain(length: number): Block[] {
  const genesis = ours.chain[0] as Block;
  return extended([{ ...genesis, timestamp: genesis.timestamp + 1 }], length - 1);
}

/**
 * A longer chain whose block 4 pays Mark 10, changed to 10,000 or so after it
 * was mined: the first amount from 10,000 whose change the proof no longer
 * meets (one in 2^DIFFICULTY would still meet it by chance).
 */
function tamperedChain(): Block[] {
  const payment: Tx = { sender: "Lea", recipient: "Mark", amount: 10 };
  const four = nextBlock(last(ours.chain), [payment]);
  const blocks = [...ours.chain, four, nextBlock(four)];
  const tampered = (amount: number): Block => ({ ...four, transactions: [{ ...payment, amount }, rewardTx()] });
  let amount = 10_000;
  while (proofBits(tampered(amount)) >= DIFFICULTY) amount++;
  blocks[3] = tampered(amount);
  return blocks;
}

/** Ours plus a valid block with `payment`, and another after it. */
function withPayment(payment: Tx): Block[] {
  const four = nextBlock(last(ours.chain), [payment]);
  return [...ours.chain, four, nextBlock(four)];
}

/** Ours plus two blocks mined properly, the first dated `timestamp`. */
function datedChain(timestamp: number): Block[] {
  const four = mined({
    index: last(ours.chain).index + 1,
    timestamp,
    transactions: [rewardTx()],
    previous_hash: hashOf(last(ours.chain)),
  });
  return [...ours.chain, four, nextBlock(four)];
}

/** A peer whose chain is ours and two valid blocks, but whose page (blocks 4 and 5) is `text`. */
function pageText(text: (chain: Block[]) => string | Buffer): () => PeerScript {
  return () => {
    const chain = extended(ours.chain, 2);
    return { chain, page: (_ask, res) => sendJson(res, text(chain)) };
  };
}

/** The page of a longer valid chain, its block 5's number `field` written as `literal`. */
function withLiteral(field: "index" | "timestamp" | "proof", literal: string): () => PeerScript {
  return pageText((chain) => {
    const SENTINEL = 7_777_777_777;
    const text = JSON.stringify(body([chain[3] as Block, { ...(chain[4] as Block), [field]: SENTINEL }], 5));
    const marker = `"${field}":${SENTINEL}`;
    if (text.split(marker).length !== 2) throw new Error(`${marker} should appear once`);
    return text.replace(marker, `"${field}":${literal}`);
  });
}

/** A peer honest but for its pages, which `serve` answers, given the honest page. */
function pagesBy(chain: () => Block[], serve: (ask: PageAsk, res: ServerResponse, chain: Block[]) => void) {
  return (): PeerScript => {
    const blocks = chain();
    return { chain: blocks, page: (ask, res) => serve(ask, res, blocks) };
  };
}

/** A block after `previous` of about `bytes` bytes: transactions with long names. */
function bigBlock(previous: Block, bytes: number): Block {
  const tx: Tx = { sender: "L".repeat(200), recipient: "M".repeat(200), amount: 1 };
  const each = JSON.stringify(tx).length + 1;
  return nextBlock(
    previous,
    Array.from({ length: Math.ceil(bytes / each) }, () => tx),
  );
}

const DEPTH = 100_000;

/** A body far larger than the read cap, streamed with backpressure; remembers how the connection ended. */
function hugeBody(withLength: boolean): Pick<Scenario, "peer" | "after"> {
  const state = { written: 0, closedEarly: false };
  const closed = deferred<void>();
  const chunk = Buffer.alloc(MIB, " ");
  const first = Buffer.concat([Buffer.from('{"chain":['), chunk]).subarray(0, MIB);
  const serve = (_ask: PageAsk, res: ServerResponse): void => {
    res.on("close", () => {
      state.closedEarly = !res.writableFinished;
      closed.resolve();
    });
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (withLength) headers["content-length"] = String(HUGE_BYTES);
    res.writeHead(200, headers);
    const pump = (): void => {
      while (state.written < HUGE_BYTES && !res.destroyed) {
        const piece = state.written === 0 ? first : chunk;
        state.written += piece.length;
        if (!res.write(piece)) {
          res.once("drain", pump);
          return;
        }
      }
      if (state.written >= HUGE_BYTES) res.end();
    };
    pump();
  };
  const after = async (t: Test): Promise<void> => {
    await closed.promise;
    t.ok(state.closedEarly, "the node closed the connection before the body was complete");
    t.ok(state.written < HUGE_BYTES, `the server had written ${(state.written / MIB).toFixed(0)} of 100 MiB`);
    t.comment(`100 MiB page (${withLength ? "content-length" : "chunked"}): cut at ${state.written} bytes written`);
  };
  return { peer: pagesBy(() => extended(ours.chain, 2), serve), after };
}

/** An answer that never ends: `head`, then one byte every 100 ms, until the node hangs up. */
function trickle(res: ServerResponse, head: string): void {
  res.writeHead(200, { "content-type": "application/json" });
  res.write(head);
  const interval = setInterval(() => {
    if (!res.destroyed) res.write(" ");
  }, 100);
  intervals.add(interval);
  res.on("close", () => {
    clearInterval(interval);
    intervals.delete(interval);
  });
}

/** A trickling answer at the tip or at page `n`, and a promise that it was asked. */
function trickling(at: "tip" | number): Pick<Scenario, "peer" | "started" | "during"> {
  const started = deferred<void>();
  const peer = (): PeerScript => {
    const chain = [...honestChain];
    if (at === "tip") {
      return {
        chain,
        tip: (res) => {
          started.resolve();
          trickle(res, '{"length":9,');
        },
      };
    }
    return {
      chain,
      page: (ask, res) => {
        if (ask.n < at) {
          sendJson(res, JSON.stringify(honestPage(chain, ask)));
          return;
        }
        started.resolve();
        trickle(res, `{"chain":[${JSON.stringify(chain[ask.from - 1])}`);
      },
    };
  };
  return { peer, started: started.promise, during: answersMeanwhile };
}

/** A peer whose tip claims a million blocks, and whose every page is two new valid blocks. */
function endlessPages(): Pick<Scenario, "peer" | "started" | "during" | "after"> {
  const LENGTH = 1_000_000;
  const started = deferred<void>();
  const peer = (): PeerScript => {
    const made = [...ours.chain];
    return {
      chain: ours.chain,
      tip: (res) => sendJson(res, JSON.stringify(claimTip(LENGTH, fakeHash()))),
      page: ({ from, n }, res) => {
        while (made.length < from - 1 + PER_PAGE) made.push(nextBlock(last(made)));
        sendJson(res, JSON.stringify(body(made.slice(from - 1, from - 1 + PER_PAGE), LENGTH)));
        if (n === 10) started.resolve();
      },
    };
  };
  const after = async (t: Test): Promise<void> => {
    const froms = Array.from({ length: pagesAsked }, (_, i) => 4 + i * PER_PAGE);
    t.same(asked, ["tip", "locate", ...pages(LENGTH, ...froms)], "the pages follow one another");
    t.ok(pagesAsked > 10, `the node read ${pagesAsked} pages (${pagesAsked * PER_PAGE} blocks) before its deadline`);
    t.comment(`pages that never end: ${pagesAsked} pages read before the deadline`);
  };
  return { peer, started: started.promise, during: answersMeanwhile, after };
}

// ---------------------------------------------------------------- the scenarios

const START = ["tip", "locate"];
const ONE_PAGE = [...START, ...pages(5, 4)];

const scenarios: Scenario[] = [
  // ---- the tip
  {
    name: "a tip that is not JSON",
    peer: () => ({ chain: honestChain, tip: (res) => sendJson(res, '{"length": 9,') }),
    verdict: "invalid",
    reason: /^its tip is not JSON: /,
    asks: ["tip"],
  },
  {
    name: "a tip that breaks its schema",
    peer: () => ({ chain: honestChain, tip: (res) => sendJson(res, JSON.stringify(claimTip(9, "xyz"))) }),
    verdict: "invalid",
    reason: /^its tip: Invalid tip: hash must match pattern/,
    asks: ["tip"],
  },
  {
    name: "a tip that claims more work than its length holds: refused before any block",
    peer: () => ({
      chain: honestChain,
      tip: (res) => sendJson(res, JSON.stringify({ ...tipOf(honestChain), work: "9".repeat(78) })),
    }),
    verdict: "invalid",
    reason: new RegExp(`^it claims 9{78} work for ${honestChain.length} blocks, which hold \\d+ on this chain$`),
    asks: ["tip"],
  },
  {
    name: "a tip of 1 MiB",
    peer: () => ({
      chain: honestChain,
      tip: (res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(Buffer.concat([Buffer.from('{"length":9,"hash":"'), Buffer.alloc(MIB, "0"), Buffer.from('"}')]));
      },
    }),
    verdict: "invalid",
    reason: /^its answer to GET \/chain\/tip is larger than 4 KiB$/,
    asks: ["tip"],
  },
  {
    name: "a tip that trickles",
    ...trickling("tip"),
    tipUndelivered: true,
    verdict: "unreachable",
    reason: new RegExp(`^it did not answer GET /chain/tip in full within ${PEER_TIMEOUT_MS} ms$`),
    asks: ["tip"],
  },
  // ---- the locate
  {
    name: "another genesis: refused at its tip, which names its chain",
    peer: () => ({ chain: otherGenesisChain(5) }),
    verdict: "invalid",
    reason: /^it is on the chain [0-9a-f]{64}, not ours [0-9a-f]{64}$/,
    asks: ["tip"],
  },
  {
    name: "another genesis whose tip claims ours: locate answers 404",
    peer: () => {
      const chain = otherGenesisChain(5);
      return { chain, tip: (res) => sendJson(res, JSON.stringify(claimTip(5, hashOf(last(chain))))) };
    },
    verdict: "invalid",
    reason: /^its chain shares no block with ours: it starts from another genesis block$/,
    asks: START,
  },
  {
    name: "another genesis that claims ours at its tip and at locate: its page does not link",
    peer: () => {
      const chain = otherGenesisChain(5);
      return {
        chain,
        tip: (res) => sendJson(res, JSON.stringify(claimTip(5, hashOf(last(chain))))),
        locate: (_locator, res) => sendJson(res, JSON.stringify(ourLocator[2])),
      };
    },
    verdict: "invalid",
    reason: /^block 2: previous_hash [0-9a-f]{64} is not the hash of block 1$/,
    asks: [...START, ...pages(5, 2)],
  },
  {
    name: "a locator that never matches: locate answers 404 though its chain holds ours",
    peer: () => ({ chain: honestChain, locate: (_locator, res) => notFound(res) }),
    verdict: "invalid",
    reason: /^its chain shares no block with ours: it starts from another genesis block$/,
    asks: START,
  },
  {
    name: "a fork point that is not in our locator: a block 3 of its own",
    peer: () => {
      const fork = extended(ours.chain.slice(0, 2), 7);
      return { chain: fork, locate: (_locator, res) => sendJson(res, JSON.stringify(refOf(fork, 3))) };
    },
    verdict: "invalid",
    reason: /^its fork point, block 3 \([0-9a-f]{64}\), is not one of the blocks our locator named$/,
    asks: START,
  },
  {
    name: "a fork point that is not in our locator: a block above our tip",
    peer: () => ({
      chain: honestChain,
      locate: (_locator, res) => sendJson(res, JSON.stringify(refOf(honestChain, 7))),
    }),
    verdict: "invalid",
    reason: /^its fork point, block 7 \([0-9a-f]{64}\), is not one of the blocks our locator named$/,
    asks: START,
  },
  {
    name: "a fork point that is not a block",
    peer: () => ({ chain: honestChain, locate: (_locator, res) => sendJson(res, JSON.stringify({ height: 3 })) }),
    verdict: "invalid",
    reason: /^its fork point: Invalid block: hash is required$/,
    asks: START,
  },
  {
    name: "a locate that never answers",
    peer: () => ({ chain: honestChain, locate: () => {} }),
    verdict: "unreachable",
    reason: new RegExp(`^it did not answer POST /chain/locate in full within ${PEER_TIMEOUT_MS} ms$`),
    asks: START,
  },
  // ---- a lying tip
  {
    name: "a lying tip: 1000 blocks claimed, its pages run out after 9",
    peer: () => ({
      chain: honestChain,
      tip: (res) => sendJson(res, JSON.stringify(claimTip(1000, fakeHash()))),
    }),
    verdict: "invalid",
    reason: /^its page from block 10 is empty: its chain no longer holds the tip it announced$/,
    asks: [...START, ...pages(1000, 4, 6, 8, 10)],
  },
  {
    name: "a lying tip: its block 9 is not the tip it announced",
    peer: () => {
      const claimed = fakeHash();
      return { chain: honestChain, tip: (res) => sendJson(res, JSON.stringify(claimTip(9, claimed))) };
    },
    verdict: "invalid",
    reason: new RegExp(
      `^its block 9 is ${hashOf(last(honestChain))}, not the tip [0-9a-f]{64} it announced for that height$`,
    ),
    asks: [...START, ...pages(9, 4, 6, 8)],
  },
  {
    name: "a lying tip: a longer chain claimed, ours served",
    peer: () => ({ chain: ours.chain, tip: (res) => sendJson(res, JSON.stringify(tipOf(honestChain))) }),
    verdict: "invalid",
    reason: /^its page from block 4 is empty: its chain no longer holds the tip it announced$/,
    asks: [...START, ...pages(9, 4)],
  },
  // ---- a page breaks a rule
  {
    name: "a bad proof in page 1",
    peer: () => ({ chain: badProofAt(ours.chain, 5, 5) }),
    verdict: "invalid",
    reason: /^block 5: proof \d+ does not reach 8 leading zero bits$/,
    asks: ONE_PAGE,
  },
  {
    name: "a bad proof in page 3",
    peer: () => ({ chain: badProofAt(honestChain, 8, 9) }),
    verdict: "invalid",
    reason: /^block 8: proof \d+ does not reach 8 leading zero bits$/,
    asks: [...START, ...pages(9, 4, 6, 8)],
  },
  {
    name: "a broken link in page 1",
    peer: () => ({ chain: brokenLinkAt(ours.chain, 4, 5) }),
    verdict: "invalid",
    reason: /^block 4: previous_hash [0-9a-f]{64} is not the hash of block 3$/,
    asks: ONE_PAGE,
  },
  {
    name: "a broken link in page 2",
    peer: () => ({ chain: brokenLinkAt(honestChain, 7, 9) }),
    verdict: "invalid",
    reason: /^block 7: previous_hash [0-9a-f]{64} is not the hash of block 6$/,
    asks: [...START, ...pages(9, 4, 6)],
  },
  {
    name: "a chain that changes between pages: page 2 is of a fork of the same length",
    peer: () => {
      const fork = extended(ours.chain, 6);
      return {
        chain: honestChain,
        page: (ask, res) => sendJson(res, JSON.stringify(honestPage(ask.n === 1 ? honestChain : fork, ask))),
      };
    },
    verdict: "invalid",
    reason: /^block 6: previous_hash [0-9a-f]{64} is not the hash of block 5$/,
    asks: [...START, ...pages(9, 4, 6)],
  },
  {
    name: "a page 2 that starts at another block",
    peer: pagesBy(
      () => honestChain,
      (ask, res, chain) => sendJson(res, JSON.stringify(honestPage(chain, ask.n === 1 ? ask : { ...ask, from: 4 }))),
    ),
    verdict: "invalid",
    reason: /^its page from block 6 starts at block 4$/,
    asks: [...START, ...pages(9, 4, 6)],
  },
  {
    name: "a page with more blocks than asked",
    peer: () => ({
      chain: honestChain,
      tip: (res) => sendJson(res, JSON.stringify(tipOf(honestChain.slice(0, 8)))),
      page: (ask, res) => sendJson(res, JSON.stringify(honestPage(honestChain, { ...ask, limit: PER_PAGE }))),
    }),
    verdict: "invalid",
    reason: /^its page from block 8 holds 2 blocks, more than the 1 asked for$/,
    asks: [...START, ...pages(8, 4, 6, 8)],
  },
  {
    name: "a longer chain with a tampered transaction",
    peer: () => ({ chain: tamperedChain() }),
    verdict: "invalid",
    reason: /^block 4: proof \d+ does not reach 8 leading zero bits$/,
    asks: ONE_PAGE,
  },
  {
    name: "a timestamp not later than the median of the blocks before",
    peer: () => ({ chain: datedChain((ours.chain[1] as Block).timestamp) }),
    verdict: "invalid",
    reason: /^block 4: timestamp \S+ is not later than \S+, the median of the 3 blocks before it$/,
    asks: ONE_PAGE,
  },
  {
    name: "a block dated 3 hours ahead of our clock",
    peer: () => ({ chain: datedChain(Date.now() / 1000 + 3 * 3600) }),
    verdict: "invalid",
    reason: /^block 4: timestamp \S+ is 3\.00 hours ahead of this node's clock/,
    asks: ONE_PAGE,
  },
  // ---- a page that is not what was asked for
  {
    name: "an unpaired UTF-16 surrogate in a transaction",
    peer: () => ({ chain: withPayment({ sender: "Lea\ud800", recipient: "Mark", amount: 10 }) }),
    verdict: "invalid",
    reason: /^its page from block 4: Invalid chain: chain\.0\.transactions\.0\.sender must be well-formed Unicode/,
    asks: ONE_PAGE,
  },
  {
    name: "an amount past 2^53-1",
    peer: () => ({ chain: withPayment({ sender: "Lea", recipient: "Mark", amount: 2 ** 60 }) }),
    verdict: "invalid",
    reason: /^its page from block 4: Invalid chain: chain\.0\.transactions\.0\.amount must be <= 9007199254740991/,
    asks: ONE_PAGE,
  },
  {
    name: "an index of 1e400",
    peer: withLiteral("index", "1e400"),
    verdict: "invalid",
    reason: /^its page from block 4: Invalid chain: chain\.1\.index /,
    asks: ONE_PAGE,
  },
  {
    name: "a negative timestamp",
    peer: withLiteral("timestamp", "-1591985797.5"),
    verdict: "invalid",
    reason: /^its page from block 4: Invalid chain: chain\.1\.timestamp must be >= 0/,
    asks: ONE_PAGE,
  },
  {
    name: "a proof of 2^60",
    peer: withLiteral("proof", String(2n ** 60n)),
    verdict: "invalid",
    reason: /^its page from block 4: Invalid chain: chain\.1\.proof must be <= 9007199254740991/,
    asks: ONE_PAGE,
  },
  {
    name: "a fractional proof",
    peer: withLiteral("proof", "1.5"),
    verdict: "invalid",
    reason: /^its page from block 4: Invalid chain: chain\.1\.proof must be integer/,
    asks: ONE_PAGE,
  },
  {
    name: "invalid JSON",
    peer: pageText(() => '{"chain": [{"index": 4,'),
    verdict: "invalid",
    reason: /^its page from block 4 is not JSON: /,
    asks: ONE_PAGE,
  },
  {
    name: "a page that is not UTF-8",
    peer: pageText((chain) => {
      // The reward's sender "0" written as the byte 0xff, which no UTF-8 text holds.
      const text = JSON.stringify(body(chain.slice(3), 5));
      const at = text.indexOf(`"sender":"0"`) + `"sender":"`.length;
      return Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0xff]), Buffer.from(text.slice(at + 1))]);
    }),
    verdict: "invalid",
    reason: /^its page from block 4 is not JSON: The encoded data was not valid for encoding utf-8$/,
    asks: ONE_PAGE,
  },
  {
    name: "deeply nested JSON as the chain",
    peer: pageText(() => `{"chain":${"[".repeat(DEPTH)}${"]".repeat(DEPTH)},"length":5}`),
    verdict: "invalid",
    reason: /^its page from block 4: Invalid chain/,
    asks: ONE_PAGE,
  },
  {
    name: "deeply nested JSON inside a transaction",
    peer: pageText((chain) => {
      const nested = `${'{"a":'.repeat(DEPTH)}1${"}".repeat(DEPTH)}`;
      return JSON.stringify(body(chain.slice(3), 5)).replace(`"sender":"0"`, `"sender":${nested}`);
    }),
    verdict: "invalid",
    reason: /^its page from block 4: Invalid chain/,
    asks: ONE_PAGE,
  },
  {
    name: "an HTML page",
    peer: pagesBy(
      () => extended(ours.chain, 2),
      (_ask, res) => {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end("<!doctype html><h1>Welcome</h1>");
      },
    ),
    verdict: "invalid",
    reason: /^it answered GET \/chain with text\/html, not JSON$/,
    asks: ONE_PAGE,
  },
  {
    name: "an HTTP 500 for a page",
    peer: pagesBy(
      () => extended(ours.chain, 2),
      (_ask, res) => {
        res.writeHead(500).end("Internal Server Error");
      },
    ),
    verdict: "unreachable",
    reason: /^it answered HTTP 500 to GET \/chain$/,
    asks: ONE_PAGE,
  },
  {
    name: "a redirect to an honest server",
    peer: pagesBy(
      () => extended(ours.chain, 2),
      (_ask, res) => {
        res.writeHead(302, { location: `http://127.0.0.1:${honestPort}/chain` }).end();
      },
    ),
    verdict: "unreachable",
    reason: /^it answered HTTP 302 to http:\/\/127\.0\.0\.1:\d+\/chain for GET \/chain; redirects are not followed$/,
    asks: ONE_PAGE,
    after: async (t) => {
      t.equal(honestRequests, 0, "the server redirected to was never asked");
    },
  },
  {
    name: "a gzip page",
    peer: pagesBy(
      () => extended(ours.chain, 2),
      (ask, res, chain) => {
        res
          .writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" })
          .end(gzipSync(JSON.stringify(honestPage(chain, ask))));
      },
    ),
    verdict: "invalid",
    reason: /^it sent a gzip body to GET \/chain, which was not asked for$/,
    asks: ONE_PAGE,
  },
  // ---- a page over its caps
  {
    name: "a page of two blocks over 2 MiB + 64 KiB",
    peer: pagesBy(
      () => {
        const four = bigBlock(last(ours.chain), 2.5 * MIB);
        return [...ours.chain, four, bigBlock(four, 2.5 * MIB)];
      },
      (_ask, res, chain) => {
        const text = JSON.stringify(body(chain.slice(3)));
        if (text.length <= PAGE_BYTES + PAGE_FRAME_BYTES) throw new Error(`the page is only ${text.length} bytes`);
        sendJson(res, text);
      },
    ),
    verdict: "invalid",
    reason: new RegExp(`^its page from block 4 is \\d+ bytes of 2 blocks, more than the ${PAGE_BYTES} asked for$`),
    asks: ONE_PAGE,
  },
  {
    name: "a page of 100 MiB, chunked",
    ...hugeBody(false),
    verdict: "invalid",
    reason: new RegExp(`^its answer to GET /chain is larger than ${READ_CAP}$`),
    asks: ONE_PAGE,
  },
  {
    name: "a page of 100 MiB, with its content-length",
    ...hugeBody(true),
    verdict: "invalid",
    reason: new RegExp(`^its answer to GET /chain is larger than ${READ_CAP}$`),
    asks: ONE_PAGE,
  },
  // ---- a peer that makes the node wait
  {
    name: "a page 2 that trickles",
    ...trickling(2),
    verdict: "unreachable",
    reason: new RegExp(`^it did not answer GET /chain in full within ${PEER_TIMEOUT_MS} ms$`),
    asks: [...START, ...pages(9, 4, 6)],
  },
  {
    name: "pages that never end",
    ...endlessPages(),
    verdict: "unreachable",
    reason: new RegExp(
      `^it had not sent its chain when the resolve's deadline of ${RESOLVE_DEADLINE_MS / 1000} s passed$`,
    ),
  },
];

// ---------------------------------------------------------------- the tests

t.test("the hostile peer is registered once", async (t) => {
  await register(t, 1);
});

t.test("backoff: after 3 failures in a row the peer is skipped until retry_at, until registered again", async (t) => {
  const failing: PeerScript = { chain: honestChain, tip: (res) => res.writeHead(500).end() };
  await register(t, 0);
  begin(failing);
  for (let failures = 1; failures <= 3; failures++) {
    const before = asked.length;
    const { body: answer } = await resolve(t);
    t.same(asked.slice(before), ["tip"], `resolve #${failures} asks the peer for its tip`);
    const [peer] = answer.peers;
    t.match(peer, { node: HOSTILE, verdict: "unreachable", reason: /HTTP 500 to GET \/chain\/tip/, failures });
    if (failures < 3) t.notOk(peer?.retry_at, `no retry_at after ${failures} failures`);
    else t.match(peer?.retry_at, /^\d{4}-\d\d-\d\dT/, "retry_at after the 3rd failure");
  }

  const before = asked.length;
  const { body: skipped } = await resolve(t);
  t.equal(asked.length, before, "the 4th resolve does not ask the peer");
  const [peer] = skipped.peers;
  t.match(peer, { node: HOSTILE, reached: false, verdict: "skipped", failures: 3, reason: /skipped until .*HTTP 500/ });
  t.ok(Date.parse(String(peer?.retry_at)) > Date.now(), "retry_at is in the future");
  t.same(skipped.chain, ours.chain, "our chain stays");

  const stats = await request<Stats>(`${node.url}/stats`);
  t.equal(stats.status, 200);
  t.match(stats.body.peer_health, [{ node: HOSTILE, failures: 3, last_error: /HTTP 500/, retry_at: peer?.retry_at }]);

  await register(t, 0);
  const cleared = await request<Stats>(`${node.url}/stats`);
  t.match(cleared.body.peer_health, [{ node: HOSTILE, failures: 0, retry_at: null }], "registering clears the record");
  const again = asked.length;
  const { body: answer } = await resolve(t);
  t.same(asked.slice(again), ["tip"], "after registering again, the peer is asked");
  t.match(answer.peers[0], { verdict: "unreachable", failures: 1 });
  await stillServing(t);
});

for (const scenario of scenarios) {
  t.test(scenario.name, (t) => runScenario(t, scenario));
}

t.test("an honest longer chain from the same peer is adopted", async (t) => {
  await register(t, 0);
  begin({ chain: honestChain });
  const { body: answer, ms } = await resolve(t);
  t.equal(answer.message, "Our chain was replaced");
  t.same(answer.new_chain, honestChain, "new_chain is the honest chain");
  t.match(answer.peers[0], { node: HOSTILE, reached: true, verdict: "adopted", length: honestChain.length });
  t.ok(ms < DEADLINE_BOUND_MS, `the resolve answered in ${ms.toFixed(0)} ms, by its deadline`);
  t.same(asked, [...START, ...pages(9, 4, 6, 8)], "the node read its three pages");
  measured.push(`the honest chain: adopted in ${ms.toFixed(0)} ms`);
  const after = await request<ChainBody>(`${node.url}/chain`);
  t.same(after.body, body(honestChain), "GET /chain is now the honest chain");
  const tip = await request<Tip>(`${node.url}/chain/tip`);
  t.same(tip.body, tipOf(honestChain), "GET /chain/tip is its tip");
  const stats = await request<Stats>(`${node.url}/stats`);
  t.match(stats.body.peer_health, [{ node: HOSTILE, failures: 0, retry_at: null }], "the peer's record is clear");
  alive(t);
});

t.test("once the node has stopped, its store holds no staged block and no block but the chain's", async (t) => {
  const exit = await node.stop();
  t.same(exit, { code: 0, signal: null }, "SIGTERM: exit 0");
  const db = new ClassicLevel<string, unknown>(dataDir, { valueEncoding: "json" });
  await db.open();
  try {
    const staged = await db.keys({ gte: "s/", lt: "s0" }).all();
    t.same(staged, [], "no s/ keys: the blocks staged from every bad peer were discarded");
    const indexed = await db.keys({ gte: "h/", lt: "h0" }).all();
    t.same(
      indexed,
      honestChain.map((_block, i) => indexKey(i + 1)),
      "one index entry per block of the chain",
    );
    const blocks = await db.keys({ gte: "b/", lt: "b0" }).all();
    t.equal(blocks.length, honestChain.length, `${blocks.length} b/ keys for a chain of ${honestChain.length} blocks`);
    t.same(blocks, honestChain.map((block) => `b/${hashOf(block)}`).sort(), "the b/ keys are the chain's blocks");
  } finally {
    await db.close();
  }
  t.comment(`resolve times:\n${measured.join("\n")}`);
});
