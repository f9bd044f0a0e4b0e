import { readFile } from "node:fs/promises";
import autocannon from "autocannon";
import t, { type Test } from "tap";
import { type Block, type ChainBody, chainProblem, type PendingBody, type Tx } from "./helpers/chain-check.js";
import { request, startNode } from "./helpers/node-process.js";

/**
 * A load test bounded in time (issue: "100 connections, mixed endpoints,
 * mining running: no 5xx, no errors, memory bounded"). A real node process on
 * 127.0.0.1 takes 100 autocannon connections cycling through every kind of
 * request, good and bad, while another loop mines back to back. Nothing here
 * measures speed: only the answers, the memory and the state afterwards.
 */

const DIFFICULTY = 16;
const MAX_PENDING = 20_000;
const CONNECTIONS = 100;
const DURATION_S = 9;
/**
 * No new transaction is sent in the last second: autocannon hangs up on the
 * requests still in flight when its time is up, and a transaction the node
 * stored but whose 200 never arrived would make the counts below differ from
 * the acknowledgements by chance. Any that still happen are accounted for.
 */
const POST_CUTOFF_MS = (DURATION_S - 1) * 1000;
/**
 * The ceiling on the node's resident memory. An idle node (V8 heap, Koa, pino,
 * two Piscina workers with their own isolates and the native kernel) sits near
 * 160 MiB here; what the load may add is bounded by the node's own limits: at
 * most 20,000 pending transactions (under 10 MiB even as JS objects), a chain
 * of a few thousand blocks holding some ten thousand small transactions, with
 * its cached serialization (well under 1 MiB by the end), and 100
 * connections' buffers. 512 MiB leaves V8 room to defer its collections, yet a
 * leak at this rate reaches it: a run answers some 25,000 requests, 1,300 of
 * them a whole /chain of hundreds of KiB, so keeping those answers, or a few
 * KiB per request, would cross it within the run.
 */
const RSS_CEILING = 512 * 1024 * 1024;
/** After the load and a short settle, the resident memory may exceed the idle node's by this much at most. */
const RSS_SETTLED_GROWTH = 256 * 1024 * 1024;

const MIB = 1024 * 1024;
const mib = (bytes: number): string => `${(bytes / MIB).toFixed(1)} MiB`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** VmRSS of a process, in bytes, from /proc/<pid>/status (Linux). */
async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match?.[1]) throw new Error(`no VmRSS line in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** The kinds of request in the mix, each with the statuses it may get. */
const EXPECTED = {
  "POST /transactions/new": [200, 429], // 429 only if the mempool fills
  "POST /transactions/new (after the cutoff, sent as GET /stats)": [200],
  "POST /transactions/new, malformed JSON": [400],
  "POST /transactions/new, amount below 0": [400],
  "POST /transactions/new, sender 0": [400],
  "GET /": [200],
  "GET /chain": [200],
  "GET /chain?from=1&limit=10": [200],
  "GET /transactions/pending": [200],
  "GET /stats": [200],
  "GET /mine": [200],
  "GET /no/such/path": [404],
} as const satisfies Record<string, readonly number[]>;
type Kind = keyof typeof EXPECTED;
const ALLOWED_STATUSES: readonly number[] = [200, 400, 404, 429];

interface Message {
  message: string;
}
interface MineBody extends Message {
  index: number;
  transactions: Tx[];
}

/** A connection's context (autocannon gives each its own): the transaction its POST carries, if it is one. */
interface PostContext {
  tx?: Tx;
}

t.test("100 connections, mixed endpoints, mining running: no 5xx, no errors, memory bounded", async (t) => {
  // In memory (startNode adds --in-memory), at the default log level: startNode waits for the
  // "node listening" line, logged at info, so --log-level warn would hide it. Every 4xx and
  // every block forged is then logged too, which is part of the load.
  const node = await startNode(
    ["--difficulty", String(DIFFICULTY), "--threads", "2", "--max-pending", String(MAX_PENDING), "--log-level", "info"],
    { t },
  );
  t.match(node.url, /^http:\/\/127\.0\.0\.1:\d+$/, "the node listens on 127.0.0.1 only");
  const pid = node.process.pid;
  if (pid === undefined) throw new Error("the node process has no pid");

  const idleRss = await rssOf(pid);

  // Every answer, by kind of request and status.
  const statuses = new Map<Kind, Map<number, number>>();
  const record = (kind: Kind, status: number): void => {
    const byStatus = statuses.get(kind) ?? new Map<number, number>();
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    statuses.set(kind, byStatus);
  };
  const count = (kind: Kind, status: number): number => statuses.get(kind)?.get(status) ?? 0;
  // Answers whose body is not what their status promises.
  const wrongBodies: string[] = [];
  const wrongBody = (kind: Kind, status: number, body: string): void => {
    if (wrongBodies.length < 20) wrongBodies.push(`${kind} -> ${status}: ${body.slice(0, 200)}`);
  };

  // Every transaction sent, by its recipient (unique), and what the node answered to it.
  const sent = new Map<string, Tx>();
  const answered = new Map<string, number>();
  let serial = 0;
  let cutoff = Number.POSITIVE_INFINITY;

  const json = { "content-type": "application/json" };
  const get = (path: string, kind: Kind, check?: (body: string) => boolean): autocannon.Request => ({
    method: "GET",
    path,
    onResponse: (status, body) => {
      record(kind, status);
      if (status === 200 && check && !check(body)) wrongBody(kind, status, body);
    },
  });
  const bad = (body: string, kind: Kind): autocannon.Request => ({
    method: "POST",
    path: "/transactions/new",
    headers: json,
    body,
    onResponse: (status, text) => {
      record(kind, status);
      if (!text.startsWith('{"message":')) wrongBody(kind, status, text);
    },
  });
  const transaction: autocannon.Request = {
    method: "POST",
    path: "/transactions/new",
    headers: json,
    setupRequest: (req, context) => {
      const ctx = context as PostContext;
      if (performance.now() >= cutoff) {
        // The load winds down: this connection asks for something harmless instead.
        ctx.tx = undefined;
        return { ...req, method: "GET", path: "/stats", headers: {}, body: undefined };
      }
      serial += 1;
      // Varying bodies, each told apart by its recipient; sender "load" marks ours.
      const tx: Tx = { sender: "load", recipient: `to-${serial}`, amount: (serial % 997) + 0.25 };
      sent.set(tx.recipient, tx);
      ctx.tx = tx;
      return { ...req, body: JSON.stringify(tx) };
    },
    onResponse: (status, body, context) => {
      const { tx } = context as PostContext;
      if (tx === undefined) {
        record("POST /transactions/new (after the cutoff, sent as GET /stats)", status);
        return;
      }
      record("POST /transactions/new", status);
      answered.set(tx.recipient, status);
      if (status === 200 && !/^\{"message":"Transaction added .* at index \d+"\}$/.test(body)) {
        wrongBody("POST /transactions/new", status, body);
      }
    },
  };

  // Each connection cycles through this list: about a third of the requests add a transaction.
  const requests: autocannon.Request[] = [
    transaction,
    get("/chain?from=1&limit=10", "GET /chain?from=1&limit=10", (body) => {
      const parsed = JSON.parse(body) as ChainBody;
      return parsed.chain.length >= 1 && parsed.chain.length <= 10 && parsed.chain[0]?.index === 1;
    }),
    transaction,
    get("/transactions/pending", "GET /transactions/pending", (body) => body.startsWith('{"transactions":[')),
    transaction,
    get("/stats", "GET /stats", (body) => body.startsWith('{"node_id":')),
    bad('{"sender": "load", "recipient": "x", "amount": ', "POST /transactions/new, malformed JSON"),
    transaction,
    get("/", "GET /", (body) => (JSON.parse(body) as Message).message.startsWith("toychain node ")),
    get("/chain", "GET /chain", (body) => body.startsWith('{"chain":[')),
    transaction,
    bad(JSON.stringify({ sender: "load", recipient: "x", amount: -1 }), "POST /transactions/new, amount below 0"),
    get("/no/such/path", "GET /no/such/path"),
    transaction,
    bad(JSON.stringify({ sender: "0", recipient: "x", amount: 1 }), "POST /transactions/new, sender 0"),
    get("/transactions/pending", "GET /transactions/pending", (body) => body.startsWith('{"transactions":[')),
    transaction,
    get("/mine", "GET /mine", (body) => (JSON.parse(body) as MineBody).message === "New Block Forged"),
  ];

  // Memory: the node's RSS every 250 ms while the load runs.
  const samples: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push(await rssOf(pid));
      await sleep(250);
    }
  })();

  // Mining: GET /mine back to back for the whole load.
  let mining = true;
  const mined: number[] = [];
  const mineFailures: string[] = [];
  const miner = (async () => {
    while (mining) {
      try {
        const res = await request<MineBody>(`${node.url}/mine`, { timeoutMs: 20_000 });
        if (res.status === 200 && res.body.message === "New Block Forged") mined.push(res.body.index);
        else mineFailures.push(`${res.status}: ${JSON.stringify(res.body)}`);
      } catch (error) {
        mineFailures.push(String(error));
      }
    }
  })();

  const started = performance.now();
  cutoff = started + POST_CUTOFF_MS;
  const result = await autocannon({
    url: node.url,
    connections: CONNECTIONS,
    duration: DURATION_S,
    requests,
  });
  mining = false;
  await miner;
  sampling = false;
  await sampler;

  const peakRss = Math.max(...samples);
  t.comment(
    `${result.requests.total} requests answered (${result.requests.sent} sent) in ${result.duration} s, ` +
      `${result["2xx"]} 2xx, ${result["4xx"]} 4xx, ${result["5xx"]} 5xx, ${result.errors} errors, ${result.timeouts} timeouts`,
  );
  for (const [kind, byStatus] of statuses) {
    t.comment(`  ${kind}: ${[...byStatus].map(([status, n]) => `${n} x ${status}`).join(", ")}`);
  }
  t.comment(`blocks forged by the /mine loop: ${mined.length}; by autocannon's /mine: ${count("GET /mine", 200)}`);
  t.comment(`RSS: idle ${mib(idleRss)}, peak ${mib(peakRss)} over ${samples.length} samples`);

  // The answers.
  t.equal(result["5xx"], 0, "no 5xx answer");
  t.equal(result.errors, 0, "no connection error");
  t.equal(result.timeouts, 0, "no timeout");
  t.equal(result.mismatches, 0, "no body mismatch");
  const byCode = Object.entries(result.statusCodeStats ?? {}).map(([code, stats]): [number, number] => [
    Number(code),
    stats.count ?? 0,
  ]);
  const unexpected = byCode.filter(([code]) => !ALLOWED_STATUSES.includes(code));
  t.same(unexpected, [], "every status is 200, 400, 404 or 429");
  for (const kind of Object.keys(EXPECTED) as Kind[]) {
    const allowed: readonly number[] = EXPECTED[kind];
    const seen = [...(statuses.get(kind) ?? new Map<number, number>()).keys()];
    t.same(
      seen.filter((status) => !allowed.includes(status)),
      [],
      `${kind}: only ${allowed.join(" or ")}`,
    );
  }
  for (const kind of [
    "POST /transactions/new",
    "POST /transactions/new, malformed JSON",
    "GET /chain",
    "GET /no/such/path",
    "GET /mine",
  ] as const) {
    t.ok((statuses.get(kind)?.size ?? 0) > 0, `the mix did send ${kind}`);
  }
  const recorded = [...statuses.values()].flatMap((byStatus) => [...byStatus.values()]).reduce((a, b) => a + b, 0);
  t.equal(recorded, result["2xx"] + result.non2xx, "every answer was seen by its request's onResponse");
  t.same(wrongBodies, [], "every answer's body is what its status promises");
  t.ok(count("POST /transactions/new", 200) > 0, "transactions were acknowledged");

  // Mining ran throughout.
  t.same(mineFailures, [], "every GET /mine of the mining loop answered 200");
  t.ok(mined.length >= 1, `the mining loop forged ${mined.length} blocks (at least one)`);

  // Memory.
  t.ok(samples.length >= DURATION_S * 2, `RSS was sampled throughout (${samples.length} samples)`);
  t.ok(peakRss < RSS_CEILING, `peak RSS ${mib(peakRss)} stays below ${mib(RSS_CEILING)}`);
  await sleep(1000);
  const settledRss = await rssOf(pid);
  t.comment(`RSS 1 s after the load: ${mib(settledRss)}`);
  t.ok(settledRss < RSS_CEILING, `settled RSS ${mib(settledRss)} stays below ${mib(RSS_CEILING)}`);
  t.ok(
    settledRss - idleRss < RSS_SETTLED_GROWTH,
    `settled RSS exceeds the idle node's by ${mib(settledRss - idleRss)}, under ${mib(RSS_SETTLED_GROWTH)}`,
  );

  // The node survived, and its state is consistent.
  t.equal(node.process.exitCode, null, "the node is still running");
  t.equal(node.process.signalCode, null, "the node was not killed");
  const acknowledged = [...answered].filter(([, status]) => status === 200).map(([recipient]) => recipient);
  // Sent, but autocannon hung up before the answer: stored or not, both are right.
  const unanswered = [...sent.keys()].filter((recipient) => !answered.has(recipient));
  t.ok(unanswered.length <= CONNECTIONS, `at most one unanswered transaction per connection (${unanswered.length})`);

  /**
   * The chain and the mempool at one instant: the chain's length is the same before and after
   * the mempool is read, so no block moved transactions from one to the other meanwhile.
   */
  const readState = async (): Promise<{ chain: Block[]; pending: PendingBody }> => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const before = await request<ChainBody>(`${node.url}/chain`);
      const pending = await request<PendingBody>(`${node.url}/transactions/pending`);
      const after = await request<ChainBody>(`${node.url}/chain`);
      if ([before.status, pending.status, after.status].some((status) => status !== 200)) {
        throw new Error(
          `GET /chain or /transactions/pending failed after the load: ${before.status}, ${pending.status}`,
        );
      }
      if (before.body.length === after.body.length) {
        if (before.body.chain.length !== before.body.length) throw new Error("GET /chain's length is not its chain's");
        return { chain: before.body.chain, pending: pending.body };
      }
      await sleep(100);
    }
    throw new Error("the chain kept growing through 20 readings after the load");
  };

  /** The chain is valid, and every acknowledged transaction is pending or in exactly one block. */
  const checkState = (t: Test, chain: readonly Block[], pending: PendingBody): void => {
    t.equal(chainProblem(chain, DIFFICULTY), null, "the chain is valid: links, indexes and proofs");
    t.same(
      chain.map((block) => block.index).filter((index, position) => index !== position + 1),
      [],
      "every block's index is its position + 1",
    );
    const badRewards = chain.slice(1).filter((block) => {
      const rewards = block.transactions.filter((tx) => tx.sender === "0");
      const lastTx = block.transactions.at(-1);
      return rewards.length !== 1 || lastTx?.sender !== "0" || lastTx.recipient !== node.nodeId || lastTx.amount !== 1;
    });
    t.same(
      badRewards.map((block) => block.index),
      [],
      "every mined block ends with the node's reward, its only one",
    );

    const confirmed = chain.flatMap((block) => block.transactions).filter((tx) => tx.sender !== "0");
    const held = [...confirmed, ...pending.transactions];
    t.equal(pending.length, pending.transactions.length, "the pending length is its list's");
    t.same(
      held.filter((tx) => tx.sender !== "load"),
      [],
      "no transaction but the load's valid ones was stored",
    );
    const copies = new Map<string, number>();
    const strangers: Tx[] = [];
    for (const tx of held) {
      copies.set(tx.recipient, (copies.get(tx.recipient) ?? 0) + 1);
      const original = sent.get(tx.recipient);
      if (!original || original.amount !== tx.amount || original.sender !== tx.sender) strangers.push(tx);
    }
    t.same(strangers.slice(0, 10), [], "every stored transaction is one that was sent, unchanged");
    t.same([...copies].filter(([, n]) => n > 1).slice(0, 10), [], "no transaction is stored twice");
    t.same(
      acknowledged.filter((recipient) => !copies.has(recipient)).slice(0, 10),
      [],
      "no acknowledged transaction was lost",
    );
    t.same(
      [...answered].filter(([recipient, status]) => status !== 200 && copies.has(recipient)).slice(0, 10),
      [],
      "no refused transaction was stored",
    );
    const storedUnanswered = unanswered.filter((recipient) => copies.has(recipient)).length;
    t.comment(
      `transactions: ${sent.size} sent, ${acknowledged.length} acknowledged, ${confirmed.length} confirmed in ` +
        `${chain.length - 1} blocks, ${pending.length} pending, ${unanswered.length} unanswered ` +
        `(${storedUnanswered} of them stored)`,
    );
    t.equal(
      confirmed.length + pending.length,
      count("POST /transactions/new", 200) + storedUnanswered,
      "confirmed + pending = the 200 answers to POST /transactions/new (+ any stored whose answer was cut off)",
    );
  };

  await t.test("the state as the load left it", async (t) => {
    const { chain, pending } = await readState();
    t.ok(chain.length >= 1 + mined.length + count("GET /mine", 200), "every block answered for is on the chain");
    checkState(t, chain, pending);
  });

  await t.test("the state after one more block", async (t) => {
    // Queued after any /mine autocannon left behind: the node still mines, and its state still adds up.
    const last = await request<MineBody>(`${node.url}/mine`);
    t.equal(last.status, 200, "the node still mines after the load");
    const { chain, pending } = await readState();
    t.ok(last.body.index <= chain.length, "the block forged is on the chain");
    t.same(chain[last.body.index - 1]?.transactions, last.body.transactions, "with the transactions /mine answered");
    checkState(t, chain, pending);
  });

  t.same(
    node.logs.filter((line) => line.level >= 50),
    [],
    "the node logged no error",
  );
  const exit = await node.stop();
  t.equal(exit.code, 0, "the node stops cleanly after the load");
  t.comment(`load test took ${((performance.now() - started) / 1000).toFixed(1)} s after the node started`);
});
