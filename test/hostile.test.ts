import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import t, { type Test } from "tap";
import {
  type Block,
  type ChainBody,
  hashOf,
  proofBits,
  type RegisterBody,
  type ResolveBody,
  type Tx,
} from "./helpers/chain-check.js";
import { type NodeProcess, request, startNode } from "./helpers/node-process.js";

/**
 * A hostile peer: one real HTTP server on 127.0.0.1 that serves, one after
 * another, every kind of bad /chain answer. After each, /nodes/resolve answers
 * within the peer timeout with the reason, our chain is unchanged and the node
 * keeps serving; at the end the same peer serves an honest longer chain, which
 * is adopted.
 */

const DIFFICULTY = 8;
const PEER_TIMEOUT_MS = 2000;
/** A functional bound from the issue (the resolve answers "within its timeout"), not a speed benchmark. */
const RESOLVE_BOUND_MS = PEER_TIMEOUT_MS + 3000;
const FLAGS = [
  "--difficulty",
  String(DIFFICULTY),
  "--threads",
  "2",
  "--peer-timeout",
  String(PEER_TIMEOUT_MS),
  "--log-level",
  "info",
];
const MIB = 1024 * 1024;
const HUGE_BYTES = 100 * MIB;

type Verdict = "invalid" | "unreachable";
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface PeerHealthLine {
  node: string;
  failures: number;
  last_error: string | null;
  retry_at: string | null;
}
interface Stats {
  peer_health: PeerHealthLine[];
}

interface Scenario {
  name: string;
  serve: Handler;
  verdict: Verdict;
  reason: RegExp;
  /** Runs while the resolve is still waiting on the hostile peer, once the peer has been asked. */
  during?: (t: Test) => Promise<void>;
  /** Further checks once the resolve has answered. */
  after?: (t: Test) => Promise<void>;
}

// ---------------------------------------------------------------- building chains

/** A 32-hex-digit node id for the blocks the hostile peer "mines". */
const HOSTILE_ID = randomBytes(16).toString("hex");
const rewardTx = (recipient = HOSTILE_ID): Tx => ({ sender: "0", recipient, amount: 1 });

let clock = Date.now() / 1000;
/** Seconds since the epoch, a float, a little later at each call. */
const nextTimestamp = (): number => {
  clock += 0.25;
  return clock;
};

/** Finds the smallest proof from 0 that reaches the difficulty (about 2^8 tries). */
function mined(block: Omit<Block, "proof">): Block {
  const candidate: Block = { ...block, proof: 0 };
  while (proofBits(candidate) < DIFFICULTY) candidate.proof++;
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

// ---------------------------------------------------------------- HTTP helpers

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

const sendJson = (res: ServerResponse, text: string, status = 200): void => {
  res.writeHead(status, { "content-type": "application/json" }).end(text);
};

const serveChain =
  (chain: ChainBody): Handler =>
  (_req, res) =>
    sendJson(res, JSON.stringify(chain));

/** A promise with its resolver, to await what a handler sees. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

// ---------------------------------------------------------------- the node and the two servers

const node: NodeProcess = await startNode(FLAGS, { t });
for (let i = 0; i < 2; i++) {
  const mine = await request(`${node.url}/mine`);
  if (mine.status !== 200) throw new Error(`GET /mine answered ${mine.status}: ${JSON.stringify(mine.body)}`);
}
const ours = (await request<ChainBody>(`${node.url}/chain`)).body;
if (ours.length !== 3) throw new Error(`the node's chain should have 3 blocks, not ${ours.length}`);
// The blocks built here follow the node's own, so they are dated after them (the median rule).
clock = Math.max(clock, last(ours.chain).timestamp);

/** Intervals a handler started, cleared in teardown in case a connection outlives the test. */
const intervals = new Set<NodeJS.Timeout>();

let current: Handler = (_req, res) => {
  res.writeHead(503).end();
};
let hostileRequests = 0;
const hostile = createServer((req, res) => {
  hostileRequests++;
  if (req.method !== "GET" || req.url !== "/chain") {
    res.writeHead(404).end();
    return;
  }
  current(req, res);
});
const hostilePort = await listen(hostile);
const HOSTILE = `127.0.0.1:${hostilePort}`;

/** The honest chain: ours and two more valid blocks. The redirect points here; the end adopts it. */
const honestChain = body(extended(ours.chain, 2));
let honestRequests = 0;
const honest = createServer((_req, res) => {
  honestRequests++;
  sendJson(res, JSON.stringify(honestChain));
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

async function stillServing(t: Test): Promise<void> {
  const chain = await request<ChainBody>(`${node.url}/chain`, { timeoutMs: 5000 });
  t.equal(chain.status, 200, "GET /chain answers 200");
  t.same(chain.body, ours, "our chain is unchanged");
  const root = await request(`${node.url}/`, { timeoutMs: 5000 });
  t.equal(root.status, 200, "GET / answers 200");
  alive(t);
}

async function resolve(t: Test): Promise<{ body: ResolveBody; ms: number }> {
  const res = await request<ResolveBody>(`${node.url}/nodes/resolve`, { timeoutMs: RESOLVE_BOUND_MS + 10_000 });
  t.equal(res.status, 200, "GET /nodes/resolve answers 200");
  t.equal(res.body.peers.length, 1, "one peer in the report");
  return res;
}

/** Resolves against the hostile server serving `scenario`; checks the report, the time and the node. */
async function runScenario(t: Test, scenario: Scenario): Promise<void> {
  await register(t, 0); // clears the peer's failure record: every scenario is asked
  const before = hostileRequests;
  const asked = deferred<void>();
  const serve = scenario.serve;
  current = (req, res) => {
    asked.resolve();
    serve(req, res);
  };

  let settled = false;
  const resolving = resolve(t).finally(() => {
    settled = true;
  });
  if (scenario.during) {
    await asked.promise;
    await scenario.during(t);
    t.notOk(settled, "the resolve was still running meanwhile");
  }
  const { body: answer, ms } = await resolving;
  t.equal(hostileRequests, before + 1, "the hostile peer was asked once");
  t.equal(answer.message, "Our chain is authoritative");
  t.same(answer.chain, ours.chain, "the answer carries our own chain");
  const [peer] = answer.peers;
  t.match(peer, { node: HOSTILE, verdict: scenario.verdict, failures: 1 });
  t.equal(peer?.reached, scenario.verdict === "invalid", "reached: whether the peer answered at all");
  t.match(peer?.reason, scenario.reason, `reason: ${peer?.reason}`);
  t.ok(ms < RESOLVE_BOUND_MS, `the resolve answered in ${ms.toFixed(0)} ms (< ${RESOLVE_BOUND_MS} ms)`);
  t.comment(`${scenario.name}: ${peer?.verdict} in ${ms.toFixed(0)} ms: ${peer?.reason}`);
  await scenario.after?.(t);
  await stillServing(t);
}

// ---------------------------------------------------------------- the scenarios

/** Ours plus two blocks, the last one with a proof that misses the difficulty. */
function badProofChain(): Block[] {
  const blocks = extended(ours.chain, 2);
  const tip = last(blocks);
  const bad: Block = { ...tip, proof: 0 };
  while (proofBits(bad) >= DIFFICULTY) bad.proof++;
  blocks[blocks.length - 1] = bad;
  return blocks;
}

/** Block 4 names a wrong previous_hash but is mined on it; block 5 follows block 4 properly. */
function brokenLinkChain(): Block[] {
  const prev = last(ours.chain);
  const broken = mined({
    index: prev.index + 1,
    timestamp: nextTimestamp(),
    transactions: [rewardTx()],
    previous_hash: hashOf({ ...prev, proof: prev.proof + 1 }),
  });
  return [...ours.chain, broken, nextBlock(broken)];
}

/** Another genesis (its timestamp moved), and four valid blocks built on it. */
function otherGenesisChain(): Block[] {
  const genesis = ours.chain[0] as Block;
  return extended([{ ...genesis, timestamp: genesis.timestamp + 1 }], ours.length + 1);
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

/** A longer valid chain's JSON text with one number of its tip replaced by `literal`, as written. */
function withLiteral(field: "index" | "timestamp" | "proof", literal: string): string {
  const blocks = extended(ours.chain, 2);
  const SENTINEL = 7_777_777_777;
  blocks[blocks.length - 1] = { ...last(blocks), [field]: SENTINEL };
  const text = JSON.stringify(body(blocks));
  const marker = `"${field}":${SENTINEL}`;
  if (text.split(marker).length !== 2) throw new Error(`${marker} should appear once`);
  return text.replace(marker, `"${field}":${literal}`);
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

const DEPTH = 100_000;

/** A body far larger than the cap, streamed with backpressure; remembers how the connection ended. */
function hugeBody(withLength: boolean): Pick<Scenario, "serve" | "after"> {
  const state = { written: 0, closedEarly: false };
  const closed = deferred<void>();
  const chunk = Buffer.alloc(MIB, " ");
  const first = Buffer.concat([Buffer.from('{"chain":['), chunk]).subarray(0, MIB);
  const serve: Handler = (_req, res) => {
    res.on("close", () => {
      state.closedEarly = !res.writableFinished;
      closed.resolve();
    });
    res.on("error", () => {}); // writes racing the client's close
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
    t.comment(`100 MiB body (${withLength ? "content-length" : "chunked"}): cut at ${state.written} bytes written`);
  };
  return { serve, after };
}

/** A body that never ends: one byte every 100 ms, until the node hangs up. */
const endless: Handler = (_req, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.write('{"chain":[');
  const interval = setInterval(() => {
    if (!res.destroyed) res.write(" ");
  }, 100);
  intervals.add(interval);
  res.on("close", () => {
    clearInterval(interval);
    intervals.delete(interval);
  });
};

const scenarios: Scenario[] = [
  {
    name: "a chain with a bad proof",
    serve: serveChain(body(badProofChain())),
    verdict: "invalid",
    reason: /^block 5: proof \d+ does not reach 8 leading zero bits$/,
  },
  {
    name: "a broken link",
    serve: serveChain(body(brokenLinkChain())),
    verdict: "invalid",
    reason: /^block 4: previous_hash [0-9a-f]{64} is not the hash of block 3$/,
  },
  {
    name: "another genesis",
    serve: serveChain(body(otherGenesisChain())),
    verdict: "invalid",
    reason: /genesis block differs/,
  },
  {
    name: "a longer chain with a tampered transaction",
    serve: serveChain(body(tamperedChain())),
    verdict: "invalid",
    reason: /^block 4: proof \d+ does not reach 8 leading zero bits$/,
  },
  {
    name: "an unpaired UTF-16 surrogate in a transaction",
    serve: serveChain(body(withPayment({ sender: "Lea\ud800", recipient: "Mark", amount: 10 }))),
    verdict: "invalid",
    reason: /^Invalid chain: chain\.3\.transactions\.0\.sender must be well-formed Unicode/,
  },
  {
    name: "an amount past 2^53-1",
    serve: serveChain(body(withPayment({ sender: "Lea", recipient: "Mark", amount: 2 ** 60 }))),
    verdict: "invalid",
    reason: /chain\.3\.transactions\.0\.amount must be <= 9007199254740991/,
  },
  {
    name: "a timestamp not later than the median of the blocks before",
    serve: serveChain(body(datedChain((ours.chain[1] as Block).timestamp))),
    verdict: "invalid",
    reason: /^block 4: timestamp \S+ is not later than \S+, the median of the 3 blocks before it$/,
  },
  {
    name: "a block dated 3 hours ahead of our clock",
    serve: serveChain(body(datedChain(Date.now() / 1000 + 3 * 3600))),
    verdict: "invalid",
    reason: /^block 4: timestamp \S+ is 3\.00 hours ahead of this node's clock/,
  },
  {
    name: "a lying length",
    serve: serveChain(body(extended(ours.chain, 2), 99)),
    verdict: "invalid",
    reason: /^its length 99 does not count its 5 blocks$/,
  },
  {
    name: "invalid JSON",
    serve: (_req, res) => sendJson(res, '{"chain": [{"index": 1,'),
    verdict: "invalid",
    reason: /not JSON/,
  },
  {
    name: "an HTML page",
    serve: (_req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end("<!doctype html><h1>Welcome</h1>");
    },
    verdict: "invalid",
    reason: /text\/html, not JSON/,
  },
  {
    name: "an HTTP 500",
    serve: (_req, res) => {
      res.writeHead(500).end("Internal Server Error");
    },
    verdict: "unreachable",
    reason: /HTTP 500/,
  },
  {
    name: "deeply nested JSON as the chain",
    serve: (_req, res) => sendJson(res, `{"chain":${"[".repeat(DEPTH)}${"]".repeat(DEPTH)},"length":1}`),
    verdict: "invalid",
    reason: /Invalid chain/,
  },
  {
    name: "deeply nested JSON inside a transaction",
    serve: (_req, res) => {
      const text = JSON.stringify(body(extended(ours.chain, 2)));
      const nested = `${'{"a":'.repeat(DEPTH)}1${"}".repeat(DEPTH)}`;
      sendJson(res, text.replace(`"sender":"0"`, `"sender":${nested}`));
    },
    verdict: "invalid",
    reason: /Invalid chain/,
  },
  {
    name: "an index of 1e400",
    serve: (_req, res) => sendJson(res, withLiteral("index", "1e400")),
    verdict: "invalid",
    reason: /Invalid chain/,
  },
  {
    name: "a negative timestamp",
    serve: (_req, res) => sendJson(res, withLiteral("timestamp", "-1591985797.5")),
    verdict: "invalid",
    reason: /Invalid chain/,
  },
  {
    name: "a proof of 2^60",
    serve: (_req, res) => sendJson(res, withLiteral("proof", String(2n ** 60n))),
    verdict: "invalid",
    reason: /Invalid chain/,
  },
  {
    name: "a fractional proof",
    serve: (_req, res) => sendJson(res, withLiteral("proof", "1.5")),
    verdict: "invalid",
    reason: /proof must be integer/,
  },
  {
    name: "a redirect to an honest server",
    serve: (_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${honestPort}/chain` }).end();
    },
    verdict: "unreachable",
    reason: /redirects are not followed/,
    after: async (t) => {
      t.equal(honestRequests, 0, "the server redirected to was never asked");
    },
  },
  {
    name: "a body of 100 MiB, chunked",
    ...hugeBody(false),
    verdict: "invalid",
    reason: /larger than 64 MiB/,
  },
  {
    name: "a body of 100 MiB, with its content-length",
    ...hugeBody(true),
    verdict: "invalid",
    reason: /larger than 64 MiB/,
  },
  {
    name: "a body that never ends",
    serve: endless,
    verdict: "unreachable",
    reason: new RegExp(`within ${PEER_TIMEOUT_MS} ms`),
    during: async (t) => {
      const chain = await request<ChainBody>(`${node.url}/chain`, { timeoutMs: PEER_TIMEOUT_MS });
      t.equal(chain.status, 200, "GET /chain answers while the resolve waits on the peer");
      t.same(chain.body, ours);
      const root = await request(`${node.url}/`, { timeoutMs: PEER_TIMEOUT_MS });
      t.equal(root.status, 200, "GET / answers too");
    },
  },
  {
    name: "a gzip body",
    serve: (_req, res) => {
      res
        .writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" })
        .end(gzipSync(JSON.stringify(honestChain)));
    },
    verdict: "invalid",
    reason: /not asked for/,
  },
];

// ---------------------------------------------------------------- the tests

t.test("the hostile peer is registered once", async (t) => {
  await register(t, 1);
});

t.test("backoff: after 3 failures in a row the peer is skipped until retry_at, until registered again", async (t) => {
  current = (_req, res) => {
    res.writeHead(500).end();
  };
  await register(t, 0);
  for (let failures = 1; failures <= 3; failures++) {
    const before = hostileRequests;
    const { body: answer } = await resolve(t);
    t.equal(hostileRequests, before + 1, `resolve #${failures} asks the peer`);
    const [peer] = answer.peers;
    t.match(peer, { node: HOSTILE, verdict: "unreachable", reason: /HTTP 500/, failures });
    if (failures < 3) t.notOk(peer?.retry_at, `no retry_at after ${failures} failures`);
    else t.match(peer?.retry_at, /^\d{4}-\d\d-\d\dT/, "retry_at after the 3rd failure");
  }

  const before = hostileRequests;
  const { body: skipped } = await resolve(t);
  t.equal(hostileRequests, before, "the 4th resolve does not ask the peer");
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
  const again = hostileRequests;
  const { body: asked } = await resolve(t);
  t.equal(hostileRequests, again + 1, "after registering again, the peer is asked");
  t.match(asked.peers[0], { verdict: "unreachable", failures: 1 });
  await stillServing(t);
});

for (const scenario of scenarios) {
  t.test(scenario.name, (t) => runScenario(t, scenario));
}

t.test("an honest longer chain from the same peer is adopted", async (t) => {
  await register(t, 0);
  current = serveChain(honestChain);
  const { body: answer, ms } = await resolve(t);
  t.equal(answer.message, "Our chain was replaced");
  t.same(answer.new_chain, honestChain.chain, "new_chain is the honest chain");
  t.match(answer.peers[0], { node: HOSTILE, reached: true, verdict: "adopted", length: honestChain.length });
  t.ok(ms < RESOLVE_BOUND_MS, `the resolve answered in ${ms.toFixed(0)} ms`);
  const after = await request<ChainBody>(`${node.url}/chain`);
  t.same(after.body, honestChain, "GET /chain is now the honest chain");
  alive(t);
});
