import { connect } from "node:net";
import { gzipSync } from "node:zlib";
import t from "tap";
import { GENESIS } from "../src/chain/index.js";
import { HEADERS_TIMEOUT_MS, startNode } from "../src/server.js";

interface FieldError {
  field: string;
  message: string;
}
interface ErrorBody {
  message: string;
  errors?: FieldError[];
}
interface Reply {
  status: number;
  headers: Headers;
  body: ErrorBody;
}

const running = await startNode({ port: 0, host: "127.0.0.1", threads: 2, difficulty: 8, logLevel: "silent" });
t.teardown(() => running.close());
const base = running.url;

/** Sends a raw body; the reply must be JSON, whatever the status. */
async function send(
  method: string,
  path: string,
  body?: string | Uint8Array,
  contentType?: string,
  extraHeaders: Record<string, string> = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...extraHeaders };
  if (contentType !== undefined) headers["content-type"] = contentType;
  const response = await fetch(base + path, { method, headers, body });
  const text = await response.text();
  let parsed: ErrorBody;
  try {
    parsed = JSON.parse(text) as ErrorBody;
  } catch {
    throw new Error(
      `${method} ${path} answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`,
    );
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

const postJson = (path: string, body: string) => send("POST", path, body, "application/json");
const postValue = (path: string, value: unknown) => postJson(path, JSON.stringify(value));

type Test = Parameters<Parameters<typeof t.test>[0]>[0];

/** A 4xx JSON answer with a message and, when `fields` is given, errors naming exactly those fields. */
function expectError(t: Test, reply: Reply, status: number, fields?: string[], message?: RegExp): void {
  t.equal(reply.status, status, `answers ${status}`);
  t.match(reply.headers.get("content-type"), /^application\/json/, "JSON");
  t.type(reply.body.message, "string");
  t.ok(reply.body.message.length > 0, "with a message");
  if (message) t.match(reply.body.message, message);
  if (fields) {
    t.ok(Array.isArray(reply.body.errors), "with errors");
    t.same(
      (reply.body.errors ?? []).map((e) => e.field),
      fields,
      `errors name ${fields.join(", ")}`,
    );
    for (const error of reply.body.errors ?? []) t.type(error.message, "string");
  }
}

const VALID = { sender: "Lea", recipient: "Mark", amount: 10 };

t.test("POST /transactions/new rejects bad transactions with 400 naming the field", async (t) => {
  const cases: [string, unknown, string[]][] = [
    ["all fields missing", {}, ["sender", "recipient", "amount"]],
    ["sender missing", { recipient: "Mark", amount: 10 }, ["sender"]],
    ["amount missing", { sender: "Lea", recipient: "Mark" }, ["amount"]],
    ["an extra field", { ...VALID, fee: 1 }, ["fee"]],
    ["two extra fields", { ...VALID, fee: 1, memo: "x" }, ["fee", "memo"]],
    ["empty sender", { ...VALID, sender: "" }, ["sender"]],
    ["empty recipient", { ...VALID, recipient: "" }, ["recipient"]],
    ["sender longer than 256", { ...VALID, sender: "s".repeat(257) }, ["sender"]],
    ["recipient longer than 256", { ...VALID, recipient: "r".repeat(257) }, ["recipient"]],
    ["sender a number", { ...VALID, sender: 5 }, ["sender"]],
    ["recipient null", { ...VALID, recipient: null }, ["recipient"]],
    ["amount 0", { ...VALID, amount: 0 }, ["amount"]],
    ["amount negative", { ...VALID, amount: -5 }, ["amount"]],
    ["amount a string", { ...VALID, amount: "10" }, ["amount"]],
    ["amount a boolean", { ...VALID, amount: true }, ["amount"]],
    ["amount null", { ...VALID, amount: null }, ["amount"]],
    ["amount an object", { ...VALID, amount: { value: 10 } }, ["amount"]],
    ["body an array", [VALID], ["(body)"]],
    ["body an empty array", [], ["(body)"]],
  ];
  for (const [name, value, fields] of cases) {
    t.test(name, async (t) => expectError(t, await postValue("/transactions/new", value), 400, fields));
  }

  t.test("amount 1e400 (infinite once parsed)", async (t) => {
    const reply = await postJson("/transactions/new", '{"sender":"Lea","recipient":"Mark","amount":1e400}');
    expectError(t, reply, 400, ["amount"]);
  });

  t.test('sender "0" is reserved for rewards', async (t) => {
    const reply = await postValue("/transactions/new", { ...VALID, sender: "0" });
    expectError(t, reply, 400, ["sender"], /reserved/);
  });

  t.test("a schema error message names the field", async (t) => {
    const reply = await postValue("/transactions/new", { ...VALID, amount: -1 });
    t.match(reply.body.message, /amount/);
  });
});

/** Every transaction these tests had accepted, in order: the mempool must hold these and nothing else. */
const accepted: { sender: string; recipient: string; amount: number }[] = [];

/** The pending transactions, to check that a refused one changed nothing. */
async function pending(): Promise<unknown[]> {
  const response = await fetch(`${base}/transactions/pending`);
  return ((await response.json()) as { transactions: unknown[] }).transactions;
}

t.test("strings with an unpaired UTF-16 surrogate are refused: RFC 8785 cannot canonicalize them", async (t) => {
  const before = await pending();
  const cases: [string, string, unknown, string][] = [
    ["a lone high surrogate as sender", "/transactions/new", { ...VALID, sender: "\ud800" }, "sender"],
    ["a lone low surrogate in a recipient", "/transactions/new", { ...VALID, recipient: "Mark\udc00" }, "recipient"],
    ["two high surrogates", "/transactions/new", { ...VALID, sender: "\ud83d\ud83d" }, "sender"],
    ["a surrogate in a node address", "/nodes/register", { nodes: ["127.0.0.1:5001", "\ud800:1"] }, "nodes.1"],
  ];
  for (const [name, path, value, field] of cases) {
    const text = JSON.stringify(value);
    t.match(text, /\\ud[89a-f]/, `${name}: sent as a JSON escape`);
    const reply = await postJson(path, text);
    expectError(t, reply, 400, [field], /well-formed Unicode/);
  }
  t.same(await pending(), before, "nothing was added");
  const paired = await postValue("/transactions/new", { ...VALID, sender: "Lea \ud83d\ude00" });
  t.equal(paired.status, 200, "a surrogate pair (an emoji) is well-formed and accepted");
  accepted.push({ ...VALID, sender: "Lea \ud83d\ude00" });
});

t.test("an amount the node cannot hold exactly is refused, not rounded", async (t) => {
  const before = await pending();
  for (const literal of [
    "9007199254740993",
    "9007199254740992",
    "123456789012345678901234567890",
    "1.23456789012345678",
  ]) {
    const reply = await postJson("/transactions/new", `{"sender":"Lea","recipient":"Mark","amount":${literal}}`);
    expectError(t, reply, 400, ["amount"], new RegExp(`amount ${literal.replace(".", "\\.")} cannot be held exactly`));
  }
  t.same(await pending(), before, "nothing was added");
  const exact: [string, number][] = [
    ["9007199254740991", 2 ** 53 - 1],
    ["0.1", 0.1],
    ["10.0", 10],
    ["1e2", 100],
  ];
  for (const [literal, value] of exact) {
    const reply = await postJson("/transactions/new", `{"sender":"Exact","recipient":"Mark","amount":${literal}}`);
    t.equal(reply.status, 200, `amount ${literal} is held exactly: accepted`);
    t.match((await pending()).at(-1), { sender: "Exact", amount: value }, `and kept as ${value}`);
    accepted.push({ sender: "Exact", recipient: "Mark", amount: value });
  }
});

t.test("one peer is one registration, however its port is written", async (t) => {
  const first = await postValue("/nodes/register", { nodes: ["127.0.0.1:6121"] });
  t.equal(first.status, 200);
  for (const address of ["127.0.0.1:06121", "http://127.0.0.1:0006121", "http://127.0.0.1:6121/"]) {
    const reply = await postValue("/nodes/register", { nodes: [address] });
    t.equal(reply.status, 200, `${address} is accepted`);
    t.equal(reply.body.message, "0 new nodes have been successfully added", `${address} is the peer already known`);
    const total = (reply.body as unknown as { total_nodes: string[] }).total_nodes;
    t.equal(total.filter((node) => node.endsWith(":6121")).length, 1, "listed once, as 127.0.0.1:6121");
    t.ok(total.includes("127.0.0.1:6121"));
  }
});

t.test("Allow says the same thing everywhere: /mine and /nodes/resolve allow GET only", async (t) => {
  for (const path of ["/mine", "/nodes/resolve"]) {
    for (const method of ["POST", "HEAD", "DELETE"]) {
      const response = await fetch(base + path, { method });
      t.equal(response.status, 405, `${method} ${path}: 405`);
      t.equal(response.headers.get("allow"), "GET", `${method} ${path}: Allow: GET`);
      if (method !== "HEAD") t.match(await response.json(), { message: /; use GET$/ });
    }
    const options = await fetch(base + path, { method: "OPTIONS" });
    t.equal(options.status, 204);
    t.equal(options.headers.get("allow"), "GET", `OPTIONS ${path}: Allow: GET`);
  }
  const chain = await fetch(`${base}/chain`, { method: "OPTIONS" });
  t.equal(chain.headers.get("allow"), "HEAD, GET", "a route without side effects also allows HEAD");
  const head = await fetch(`${base}/chain`, { method: "HEAD" });
  t.equal(head.status, 200, "and answers it");
});

t.test("bodies that are not a JSON object", async (t) => {
  t.test("a JSON string", async (t) => expectError(t, await postJson("/transactions/new", '"hello"'), 400));
  t.test("a JSON number", async (t) => expectError(t, await postJson("/transactions/new", "42"), 400));
  t.test("JSON null", async (t) => expectError(t, await postJson("/transactions/new", "null"), 400));
  t.test("an empty body", async (t) => {
    expectError(t, await postJson("/transactions/new", ""), 400, ["sender", "recipient", "amount"]);
  });
  t.test("malformed JSON", async (t) => {
    expectError(t, await postJson("/transactions/new", '{"sender": "Lea", '), 400, undefined, /JSON/);
    expectError(t, await postJson("/transactions/new", "{'sender': 'Lea'}"), 400, undefined, /JSON/);
    expectError(t, await postJson("/nodes/register", '{"nodes": [}'), 400, undefined, /JSON/);
  });
});

t.test("wrong content type → 415", async (t) => {
  const body = JSON.stringify(VALID);
  expectError(t, await send("POST", "/transactions/new", body, "text/plain"), 415, undefined, /application\/json/);
  expectError(
    t,
    await send("POST", "/transactions/new", "sender=Lea&recipient=Mark&amount=1", "application/x-www-form-urlencoded"),
    415,
  );
  expectError(t, await send("POST", "/transactions/new", new TextEncoder().encode(body)), 415, undefined, /none/);
  expectError(t, await send("POST", "/nodes/register", '{"nodes":["127.0.0.1:5001"]}', "text/plain"), 415);
});

t.test("a compressed body", async (t) => {
  const body = gzipSync(JSON.stringify({ sender: "Zip", recipient: "Mark", amount: 1 }));
  const reply = await send("POST", "/transactions/new", body, "application/json", { "content-encoding": "gzip" });
  t.equal(reply.status, 200, "a gzip body is inflated and accepted");
  accepted.push({ sender: "Zip", recipient: "Mark", amount: 1 });
  const bomb = gzipSync(JSON.stringify({ ...VALID, sender: "x".repeat(4 * 1024 * 1024) }));
  expectError(
    t,
    await send("POST", "/transactions/new", bomb, "application/json", { "content-encoding": "gzip" }),
    413,
    undefined,
    /limit/,
  );
  const unknown = await send("POST", "/transactions/new", "{}", "application/json", { "content-encoding": "zstd-x" });
  expectError(t, unknown, 415);
});

t.test("a corrupt compressed body → 4xx JSON, not 500", async (t) => {
  for (const encoding of ["gzip", "deflate", "br"]) {
    const reply = await send("POST", "/transactions/new", "not compressed", "application/json", {
      "content-encoding": encoding,
    });
    t.type(reply.body.message, "string", `Content-Encoding: ${encoding}: a JSON message`);
    expectError(t, reply, 400, undefined, /decompress/);
  }
});

t.test("a body over 1 MB → 413", async (t) => {
  const big = JSON.stringify({ ...VALID, sender: "x".repeat(1024 * 1024 + 10) });
  expectError(t, await postJson("/transactions/new", big), 413, undefined, /limit/);
  const nodes = JSON.stringify({ nodes: Array.from({ length: 50_000 }, (_, i) => `host-${i}.example:5000`) });
  t.ok(nodes.length > 1024 * 1024);
  expectError(t, await postJson("/nodes/register", nodes), 413);
});

t.test("unknown path → 404", async (t) => {
  for (const [method, path] of [
    ["GET", "/nope"],
    ["POST", "/nope"],
    ["GET", "/chain/1"],
    ["GET", "/transactions"],
    ["GET", "/docs/../chain/x"],
  ] as const) {
    expectError(t, await send(method, path), 404, undefined, /No endpoint/);
  }
});

t.test("wrong method → 405 with Allow", async (t) => {
  const cases: [string, string, string[]][] = [
    ["POST", "/chain", ["GET"]],
    ["GET", "/transactions/new", ["POST"]],
    ["DELETE", "/mine", ["GET"]],
    ["PUT", "/transactions/pending", ["GET"]],
    ["GET", "/nodes/register", ["POST"]],
    ["POST", "/nodes/resolve", ["GET"]],
  ];
  for (const [method, path, allowed] of cases) {
    const reply = await send(
      method,
      path,
      method === "GET" || method === "DELETE" ? undefined : "{}",
      "application/json",
    );
    expectError(t, reply, 405, undefined, new RegExp(method));
    const allow = (reply.headers.get("allow") ?? "").split(/,\s*/);
    for (const m of allowed) t.ok(allow.includes(m), `${method} ${path}: Allow lists ${m} (${allow.join(", ")})`);
    t.notOk(allow.includes(method), `Allow does not list ${method}`);
  }
});

t.test("POST /nodes/register rejects bad node lists with 400", async (t) => {
  const cases: [string, unknown, string[]][] = [
    ["nodes missing", {}, ["nodes"]],
    ["nodes empty", { nodes: [] }, ["nodes"]],
    ["nodes not an array", { nodes: "127.0.0.1:5001" }, ["nodes"]],
    ["101 nodes", { nodes: Array.from({ length: 101 }, (_, i) => `127.0.0.1:${6000 + i}`) }, ["nodes"]],
    ["an extra field", { nodes: ["127.0.0.1:5001"], extra: true }, ["extra"]],
    ["an empty address", { nodes: ["127.0.0.1:5001", ""] }, ["nodes.1"]],
    ["a number", { nodes: [5001] }, ["nodes.0"]],
    ["ftp://x", { nodes: ["ftp://x"] }, ["nodes.0"]],
    ["ftp://x second", { nodes: ["127.0.0.1:5001", "ftp://x"] }, ["nodes.1"]],
    ["a path", { nodes: ["http://host:1/path"] }, ["nodes.0"]],
    ["a query", { nodes: ["http://host:1?x=1"] }, ["nodes.0"]],
    ["credentials", { nodes: ["http://user:pw@host:1"] }, ["nodes.0"]],
    ["not a url", { nodes: ["not a url"] }, ["nodes.0"]],
    ["a bad port", { nodes: ["127.0.0.1:99999"] }, ["nodes.0"]],
    ["body an array", [["127.0.0.1:5001"]], ["(body)"]],
  ];
  for (const [name, value, fields] of cases) {
    t.test(name, async (t) => {
      const reply = await postValue("/nodes/register", value);
      expectError(t, reply, 400, fields);
      for (const field of fields) {
        if (!field.startsWith("nodes.")) continue;
        const address = (value as { nodes: unknown[] }).nodes[Number(field.slice(6))];
        const { message } = reply.body;
        t.ok(
          message.includes(field) || message.includes(JSON.stringify(address)),
          `the message names ${field} or its address: ${message}`,
        );
      }
    });
  }

  t.test("a bad address fails the whole list: nothing was registered", async (t) => {
    const reply = await postValue("/nodes/register", { nodes: ["127.0.0.1:5001"] });
    t.equal(reply.status, 200);
    t.equal(reply.body.message, "1 new nodes have been successfully added");
  });
});

t.test("requests Node's HTTP parser refuses get a JSON message too", async (t) => {
  const raw = async (text: string): Promise<{ status: number; body: ErrorBody; ms: number }> => {
    const started = performance.now();
    const socket = connect(Number(new URL(base).port), "127.0.0.1");
    socket.write(text);
    let answer = "";
    for await (const chunk of socket) answer += String(chunk);
    const [head = "", body = ""] = answer.split("\r\n\r\n");
    t.match(head, /\r\ncontent-type: application\/json/i, "JSON");
    return {
      status: Number(head.split(" ")[1]),
      body: JSON.parse(body) as ErrorBody,
      ms: performance.now() - started,
    };
  };
  const unknownMethod = await raw("BREW / HTTP/1.1\r\nHost: x\r\n\r\n");
  t.equal(unknownMethod.status, 400);
  t.match(unknownMethod.body.message, /method/);
  const hugeHeaders = await raw(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
  t.equal(hugeHeaders.status, 431);
  t.match(hugeHeaders.body.message, /headers are larger than 16 KiB/);
  const notHttp = await raw("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n");
  t.equal(notHttp.status, 400);
  t.match(notHttp.body.message, /not valid HTTP \(HPE_INVALID_CONTENT_LENGTH\)/);
  const trickled = await raw("GET / HTTP/1.1\r\nHost: x\r\n");
  t.equal(trickled.status, 408, "headers never finished: cut off");
  t.match(trickled.body.message, /not received in time/);
  t.ok(trickled.ms >= HEADERS_TIMEOUT_MS, "after the headers timeout");
});

t.test("the node keeps serving after all that", async (t) => {
  const chain = await fetch(`${base}/chain`);
  t.equal(chain.status, 200);
  t.same(await chain.json(), { chain: [GENESIS], length: 1 }, "no bad input reached the chain");
  t.same(await pending(), accepted, "no bad input reached the mempool: only the transactions accepted above");

  const boundary = { sender: "s".repeat(256), recipient: "r".repeat(256), amount: Number.MIN_VALUE };
  const last = await postValue("/transactions/new", boundary);
  t.equal(last.status, 200, "256 characters and the smallest positive amount are accepted");
  t.match(last.body.message, /block at index 2$/);
  const mined = await fetch(`${base}/mine`);
  t.equal(mined.status, 200);
  const block = (await mined.json()) as { index: number; transactions: unknown[] };
  t.equal(block.index, 2);
  t.same(block.transactions.slice(0, -1), [...accepted, boundary], "the block holds them all, then the reward");
});
