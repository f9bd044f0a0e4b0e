import { readFileSync } from "node:fs";
import { type ClientRequest, get, type IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";
import { Ajv, type ValidateFunction } from "ajv";
import autocannon from "autocannon";
import t from "tap";
import { RETRY_MS, STREAM_BUFFER_BYTES } from "../src/api/events.js";
import { EVENT_KINDS, type EventKind } from "../src/events/index.js";
import { eventSchemas } from "../src/schemas/index.js";
import { type NodeProcess, request, startNode } from "./helpers/node-process.js";
import { until } from "./helpers/until.js";

/**
 * GET /events against real node processes: every kind of event, each
 * message checked against its schema; a reconnect's replay; the bounds (a
 * closed stream forgotten at once, 200 idle streams costing little memory,
 * a client that never reads dropped while the others are served); and GET /
 * still answering JSON to clients that are not browsers.
 */

// Long enough jobs (about 16M hashes, 0.7 s on one thread of a SHA-NI core) that a job reports progress.
const FLAGS = ["--threads", "1", "--difficulty", "24"];
const [node, peer] = await Promise.all([startNode(FLAGS, { t }), startNode(FLAGS, { t })]);

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const validators = new Map<EventKind, ValidateFunction>(
  EVENT_KINDS.map((kind) => [kind, ajv.compile(eventSchemas[kind])]),
);

interface Message {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
  comments: string[];
}

/** Parses one SSE message (the text between two blank lines). */
function parse(block: string): Message {
  const message: Message = { comments: [] };
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) {
      message.comments.push(line.slice(1).trim());
      continue;
    }
    const colon = line.indexOf(":");
    const field = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^ /, "");
    if (field === "id" || field === "event" || field === "data" || field === "retry") message[field] = value;
  }
  return message;
}

/** A client of GET /events that reads every message as it comes. */
class Stream {
  readonly messages: Message[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #request: ClientRequest;
  status = 0;
  ended = false;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.#request = get(`${url}/events`, { headers, agent: false }, (res: IncomingMessage) => {
      this.status = res.statusCode ?? 0;
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
        const blocks = buffer.split("\n\n");
        buffer = blocks.pop() ?? "";
        for (const block of blocks) this.messages.push(parse(block));
        for (const wake of this.#waiters) wake();
      });
      res.on("close", () => {
        this.ended = true;
        for (const wake of this.#waiters) wake();
      });
    });
    this.#request.on("error", () => {
      this.ended = true;
    });
  }

  /** The first message (already read or still to come) that matches. */
  next(match: (message: Message) => boolean, what: string, timeoutMs = 15_000): Promise<Message> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.find(match);
        if (found) {
          this.#waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`no ${what} within ${timeoutMs} ms; got ${JSON.stringify(this.messages.slice(-5))}`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  event(kind: EventKind, match: (data: Record<string, unknown>) => boolean = () => true): Promise<Message> {
    return this.next(
      (m) => m.event === kind && m.data !== undefined && match(JSON.parse(m.data) as Record<string, unknown>),
      `${kind} event`,
    );
  }

  close(): void {
    this.#request.destroy();
  }
}

/** One value of the node's Prometheus text. */
async function metric(target: NodeProcess, name: string): Promise<number> {
  const text = await (await fetch(`${target.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return Number(line?.split(" ")[1] ?? Number.NaN);
}

const rssBytes = (pid: number): number => {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  return Number(line?.replace(/\D+/g, "")) * 1024;
};

const stream = new Stream(node.url);
t.teardown(() => stream.close());

t.test("every kind of event, each with the documented shape", async (t) => {
  const opening = await stream.next((m) => m.retry !== undefined, "retry field");
  t.equal(opening.retry, String(RETRY_MS), `the stream opens with retry: ${RETRY_MS}, for EventSource's reconnects`);

  const checked = async (kind: EventKind, match?: (data: Record<string, unknown>) => boolean) => {
    const message = await stream.event(kind, match);
    const data = JSON.parse(message.data ?? "null") as Record<string, unknown>;
    const validate = validators.get(kind) as ValidateFunction;
    t.ok(validate(data), `a ${kind} event matches its schema`, { errors: validate.errors, data });
    t.match(message.id, /^\d+$/, `the ${kind} event has an id`);
    return data;
  };

  // The peer mines a block meanwhile: our resolve then adopts its longer chain.
  const peerMined = request(`${peer.url}/mine`, { timeoutMs: 60_000 });

  await request(`${node.url}/transactions/new`, { body: { sender: "Lea", recipient: "Mark", amount: 10 } });
  t.match(await checked("transaction"), { transaction: { sender: "Lea", recipient: "Mark", amount: 10 }, pending: 1 });

  t.equal((await peerMined).status, 200, "the peer forged its block 2");
  await request(`${node.url}/nodes/register`, { body: { nodes: [peer.url] } });
  const resolved = await request<{ message: string }>(`${node.url}/nodes/resolve`);
  t.equal(resolved.body.message, "Our chain was replaced");
  t.match(await checked("chain"), { length: 2, fork: 1, dropped: 0, from: `127.0.0.1:${peer.port}` });
  t.match(await checked("block", (d) => d.origin === "adopted"), { index: 2, miner: peer.nodeId, transactions: 1 });
  t.match(await checked("peer"), {
    source: "resolve",
    node: `127.0.0.1:${peer.port}`,
    reached: true,
    verdict: "adopted",
  });

  // Mining progress comes every 250 ms while a job runs: mine until a job lasted that long.
  let progress: Record<string, unknown> | undefined;
  for (let attempt = 0; attempt < 12 && progress === undefined; attempt++) {
    const mined = await request<{ index: number }>(`${node.url}/mine`, { timeoutMs: 60_000 });
    const block = await checked("block", (d) => d.index === mined.body.index && d.origin === "mined");
    t.match(block, { miner: node.nodeId, transactions: attempt === 0 ? 2 : 1 });
    await checked("job", (d) => d.index === mined.body.index && d.forged === true);
    if (stream.messages.some((m) => m.event === "mining")) progress = await checked("mining");
  }
  t.ok(progress, "a job that ran past 250 ms reported its progress");

  const ids = stream.messages.filter((m) => m.id !== undefined).map((m) => Number(m.id));
  t.strictSame(
    ids,
    ids.map((_, i) => (ids[0] ?? 0) + i),
    "ids follow one another",
  );
  t.ok(
    stream.messages.every((m) => m.data === undefined || EVENT_KINDS.includes(m.event as EventKind)),
    "every message is of a documented kind",
  );
});

t.test("a reconnecting client gets the events it missed, from its Last-Event-ID", async (t) => {
  const transaction = await stream.event("transaction");
  const again = new Stream(node.url, { "last-event-id": String(Number(transaction.id) - 1) });
  t.teardown(() => again.close());
  const replayed = await again.event("transaction");
  t.equal(replayed.id, transaction.id, "the same event, with its id");
  t.equal(replayed.data, transaction.data, "and its data");
});

t.test("a closed stream is forgotten at once", async (t) => {
  // The first subtest's stream alone, once the replay's is closed.
  const before = await until(
    () => metric(node, "toychain_event_streams"),
    (n) => n === 1,
    "open streams",
  );
  const extra = new Stream(node.url);
  await extra.next((m) => m.retry !== undefined, "retry field");
  t.equal(await metric(node, "toychain_event_streams"), before + 1, "an open stream counts");
  extra.close();
  await until(
    () => metric(node, "toychain_event_streams"),
    (n) => n === before,
    "the closed stream still counted",
  );
  t.pass("and no longer once its client closed it");
});

t.test("200 idle streams cost the node little memory", async (t) => {
  const pid = node.process.pid as number;
  const before = rssBytes(pid);
  const streams = Array.from({ length: 200 }, () => new Stream(node.url));
  t.teardown(() => {
    for (const s of streams) s.close();
  });
  await Promise.all(streams.map((s) => s.next((m) => m.retry !== undefined, "retry field")));
  t.ok(
    streams.every((s) => s.status === 200),
    "200 streams open",
  );
  const stats = await request(`${node.url}/stats`);
  t.equal(stats.status, 200, "the node answers others meanwhile");
  const growth = rssBytes(pid) - before;
  t.ok(growth < 30 * 1024 * 1024, `the node's RSS grew by ${(growth / 1024 / 1024).toFixed(1)} MiB, under 30 MiB`);
  for (const s of streams) s.close();
  await until(
    () => metric(node, "toychain_event_streams"),
    (n) => n === 1,
    "streams closed by their clients",
  );
});

t.test("a client that never reads is dropped, and the others still served", async (t) => {
  // A raw socket that asks for the stream and then reads nothing more.
  const open = await metric(node, "toychain_event_streams");
  const stalled: Socket = connect(node.port, "127.0.0.1");
  await new Promise((resolve) => stalled.once("connect", resolve));
  stalled.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${node.port}\r\n\r\n`);
  stalled.pause();
  t.teardown(() => stalled.destroy());
  await until(
    () => metric(node, "toychain_event_streams"),
    (n) => n === open + 1,
    "the stalled stream open",
  );

  // Rounds of the biggest transactions (256 emoji a name: 2 KiB as an event), sent fast by autocannon,
  // until the stalled client's socket buffers (a few MiB in the kernel) and its 64 KiB are full.
  const body = JSON.stringify({ sender: "\u{1F600}".repeat(256), recipient: "\u{1F680}".repeat(256), amount: 1 });
  let sent = 0;
  let dropped = 0;
  while (dropped === 0 && sent < 40_000) {
    const round = await autocannon({
      url: `${node.url}/transactions/new`,
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      connections: 16,
      amount: 1000,
    });
    t.equal(round.non2xx + round.errors, 0, "every transaction taken");
    sent += round.requests.total;
    dropped = await metric(node, "toychain_event_streams_dropped_total");
  }
  t.equal(dropped, 1, `the stalled client was dropped (after ${sent} transactions), and no other`);
  const line = await node.waitForLog((l) => l.msg === "an event stream's client fell behind: its stream is closed");
  t.equal(line.limit, STREAM_BUFFER_BYTES, "and logged, with the bound");

  // The client that reads is still served: it gets the next event.
  await request(`${node.url}/transactions/new`, { body: { sender: "Lea", recipient: "Mark", amount: 0.5 } });
  await stream.event("transaction", (d) => (d.transaction as { amount: number }).amount === 0.5);
  t.notOk(stream.ended, "the reading client's stream is still open");

  // Reading at last, the stalled client finds its stream closed.
  const closed = new Promise((resolve) => stalled.once("close", resolve));
  stalled.resume();
  await closed;
  t.pass("the dropped client's stream was closed");
  t.equal(await metric(node, "toychain_event_streams"), open, "the dropped stream is forgotten");
});

t.test("clients that are not browsers still get JSON from /", async (t) => {
  const message = { message: `toychain node ${node.nodeId}: try every endpoint at /docs or /redoc` };
  for (const accept of ["*/*", "application/json, */*;q=0.5"]) {
    const answer = await request(`${node.url}/`, { headers: { accept } });
    t.strictSame(answer.body, message, `Accept ${accept}: the walkthrough's message`);
    t.equal(answer.headers.get("vary"), "Accept", "and Vary: Accept");
  }
  // fetch always sends an Accept: node:http sends none unless told.
  const bare = await new Promise<{ type: string; body: string }>((resolve, reject) => {
    get(`${node.url}/`, { agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ type: res.headers["content-type"] ?? "", body }));
    }).on("error", reject);
  });
  t.equal(bare.body, JSON.stringify(message), "no Accept at all: the message, byte for byte");
  t.match(bare.type, /^application\/json/);
  const browser = await fetch(`${node.url}/`, {
    headers: { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" },
  });
  t.match(browser.headers.get("content-type"), /^text\/html/, "a browser's Accept gets the page");
  t.match(browser.headers.get("content-security-policy"), /default-src 'self'/, "under a CSP of this node alone");
  t.match(await browser.text(), /<title>toychain explorer<\/title>/);
});
