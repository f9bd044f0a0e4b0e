import { METHODS } from "node:http";
import { connect } from "node:net";
import { isDeepStrictEqual } from "node:util";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import t, { type Test } from "tap";
import { parsePeerAddress } from "../src/peers/index.js";
import {
  type Block,
  type ChainBody,
  chainProblem,
  type PeerReport,
  type PendingBody,
  reward,
  type Tx,
} from "./helpers/chain-check.js";
import { startNode } from "./helpers/node-process.js";

/**
 * Property-based tests (fast-check) of every endpoint's input, against a real
 * node process. For every request fast-check makes up, three properties hold:
 *
 * 1. no 5xx: the status is below 500 and, from 400 on, the body is JSON with
 *    a non-empty string `message`;
 * 2. no crash: the process is still running and answers GET /chain;
 * 3. a rejected request (4xx) changes nothing: the chain, the pending
 *    transactions and /stats' peers, pending count and chain length are the
 *    same before and after it. An accepted one may change them (the snapshot
 *    is then taken again), and some properties check what it changed.
 *
 * The seed is not fixed: fast-check prints it with the shrunk counterexample
 * when a property fails, to replay with `{ seed, path }`.
 *
 * Every request goes to the node under test on 127.0.0.1. The only peers it
 * may ever register are 127.0.0.1 ports where nothing listens: every body is
 * checked before it is sent (see registersForeignPeer), so that no generated
 * value can make /nodes/resolve contact another host.
 */

const DIFFICULTY = 8;
const REQUEST_TIMEOUT_MS = 15_000;

const node = await startNode(["--difficulty", String(DIFFICULTY), "--threads", "2"], { t });
const origin = new URL(node.url);

// --- Requests --------------------------------------------------------------

type HeaderMap = Readonly<Record<string, string>>;

/** One request: the method as fetch gets it, the path and query, a body, headers. */
interface Req {
  method: string;
  /** The path and query after the node's origin; always starts with "/". */
  target: string;
  body?: string | Uint8Array;
  /** The body before any Content-Encoding, for the safety check. */
  plain?: string | Uint8Array;
  /** Extra headers; a property over Authorization can pass them here. */
  headers?: HeaderMap;
}

interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * Sends one generated request: never follows a redirect, never waits forever.
 * Headers go through as given, so a property over Authorization (for the
 * planned --api-token) only has to put them in `req.headers`.
 */
async function send(req: Req): Promise<Reply> {
  if (!req.target.startsWith("/")) throw new Error(`test bug: target ${JSON.stringify(req.target)} is not a path`);
  const url = `${node.url}${req.target}`;
  if (new URL(url).host !== origin.host) throw new Error(`test bug: ${url} does not go to the node under test`);
  let response: Response;
  try {
    response = await fetch(url, {
      method: req.method,
      headers: { ...req.headers },
      body: req.body ?? null,
      redirect: "manual",
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    throw new Error(`${describe(req)} failed: ${(error as Error).message} (${String(cause)})`);
  }
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function describe(req: Req): string {
  const { body } = req;
  const shown =
    body === undefined
      ? ""
      : typeof body === "string"
        ? ` with body ${JSON.stringify(body.slice(0, 200))}`
        : ` with a body of ${body.length} bytes`;
  return `${req.method} ${req.target.slice(0, 200)}${shown}`;
}

const json = (value: unknown): string => JSON.stringify(value);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** What is wrong with an answer under property 1, or undefined. */
function answerProblem(req: Req, reply: Reply): string | undefined {
  const shown = `${reply.status} ${JSON.stringify(reply.text.slice(0, 300))}`;
  if (reply.status >= 500) return `answered ${shown}`;
  // Below 400 any body goes; HEAD answers carry none.
  if (reply.status < 400 || req.method.toUpperCase() === "HEAD") return undefined;
  const type = reply.headers.get("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) return `answered ${shown} with Content-Type ${JSON.stringify(type)}`;
  const body = parseJson(reply.text);
  if (!isRecord(body)) return `answered ${shown}: not a JSON object`;
  if (typeof body.message !== "string" || body.message === "") return `answered ${shown}: no non-empty message`;
  if (body.errors !== undefined) {
    const ok =
      Array.isArray(body.errors) &&
      body.errors.every((e) => isRecord(e) && typeof e.field === "string" && typeof e.message === "string");
    if (!ok) return `answered ${shown}: errors is not a list of {field, message}`;
  }
  return undefined;
}

// --- The node's state ------------------------------------------------------

interface StatsBody {
  node_id: string;
  chain_length: number;
  pending_transactions: number;
  peers: string[];
}

interface Snapshot {
  chain: ChainBody;
  pending: PendingBody;
  peers: string[];
  pendingTransactions: number;
  chainLength: number;
}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(`${node.url}${path}`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** The state a rejected request must leave alone; reading it also proves the node answers GET /chain. */
async function snapshot(): Promise<Snapshot> {
  const [chain, pending, stats] = await Promise.all([
    getJson<ChainBody>("/chain"),
    getJson<PendingBody>("/transactions/pending"),
    getJson<StatsBody>("/stats"),
  ]);
  return {
    chain,
    pending,
    peers: stats.peers,
    pendingTransactions: stats.pending_transactions,
    chainLength: stats.chain_length,
  };
}

/** The first part of the state that differs, shown before and after, or undefined. */
function difference(before: Snapshot, after: Snapshot): string | undefined {
  for (const key of Object.keys(before) as (keyof Snapshot)[]) {
    if (isDeepStrictEqual(before[key], after[key])) continue;
    const show = (value: unknown) => JSON.stringify(value).slice(-400);
    return `${key}: before ${show(before[key])}, after ${show(after[key])}`;
  }
  return undefined;
}

function assertAlive(): void {
  const { exitCode, signalCode } = node.process;
  if (exitCode !== null || signalCode !== null) {
    throw new Error(`the node exited (code ${exitCode}, signal ${signalCode}); stderr: ${node.stderr().slice(-2000)}`);
  }
}

/** Peer ids of 127.0.0.1 only: `127.0.0.1:port` or `https://127.0.0.1:port`. */
const LOOPBACK_PEER = /^(https:\/\/)?127\.0\.0\.1:\d+$/;

let state = await snapshot();

// --- Safety: nothing but 127.0.0.1 may be registered -----------------------

/** Whether the node would take this string as the address of a host other than 127.0.0.1. */
function isForeignAddress(address: unknown): boolean {
  if (typeof address !== "string") return false;
  try {
    return new URL(parsePeerAddress(address).url).hostname !== "127.0.0.1";
  } catch {
    return false;
  }
}

/**
 * Whether this JSON value, as a /nodes/register body, names a host other than
 * 127.0.0.1 anywhere in its list, even beside an address the node refuses: a
 * node that registers part of a list (the kind of bug these tests look for)
 * must not be able to register it either.
 */
function registersForeignPeer(value: unknown): boolean {
  return isRecord(value) && Array.isArray(value.nodes) && value.nodes.some(isForeignAddress);
}

const DECODERS = ["utf-8", "utf-16le", "latin1"].map((label) => new TextDecoder(label));

/** Reads a body the ways the node might decode it, and looks for a foreign peer in each. */
function bodyRegistersForeignPeer(body: string | Uint8Array | undefined): boolean {
  if (body === undefined) return false;
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  return DECODERS.some((decoder) => registersForeignPeer(parseJson(decoder.decode(bytes).replace(/^\uFEFF/, ""))));
}

// --- One checked exchange --------------------------------------------------

interface Outcome {
  reply: Reply;
  /** The reply's body parsed as JSON, or undefined. */
  json: unknown;
  before: Snapshot;
  after: Snapshot;
}

/** The request after which the node held a peer other than 127.0.0.1: from then on, nothing is sent. */
let foreignPeerCulprit: string | undefined;

/**
 * Sends `req` and checks properties 1 to 3; throws (so fast-check shrinks)
 * when one fails. `readOnly`: even an accepted request must change nothing.
 */
async function exchange(req: Req, options: { readOnly?: boolean } = {}): Promise<Outcome> {
  if (foreignPeerCulprit !== undefined) {
    throw new Error(`nothing more is sent, since a peer other than 127.0.0.1 was registered by ${foreignPeerCulprit}`);
  }
  // Skips (rather than sends) the rare generated body that names another host.
  fc.pre(!bodyRegistersForeignPeer(req.plain ?? req.body));
  const before = state;
  const reply = await send(req);
  const problem = answerProblem(req, reply);
  if (problem !== undefined) throw new Error(`${describe(req)} ${problem}`);
  assertAlive();
  const after = await snapshot();
  // The next exchange compares with the state as it is, even if this one failed.
  state = after;
  const foreign = after.peers.filter((id) => !LOOPBACK_PEER.test(id));
  if (foreign.length > 0) {
    foreignPeerCulprit = `${describe(req)}, answered ${reply.status}: ${foreign.join(", ")}`;
    throw new Error(`a peer other than 127.0.0.1 was registered by ${foreignPeerCulprit}`);
  }
  if (reply.status >= 400 || options.readOnly) {
    const change = difference(before, after);
    if (change !== undefined) throw new Error(`${describe(req)} answered ${reply.status} but changed ${change}`);
  }
  return { reply, json: parseJson(reply.text), before, after };
}

/** Runs one property, then checks that the node still runs, still answers, and logged no error. */
async function checkProperty<Ts extends [unknown, ...unknown[]]>(
  t: Test,
  property: fc.IAsyncProperty<Ts>,
  numRuns: number,
): Promise<void> {
  const logsBefore = node.logs.length;
  try {
    await fc.assert(property, { numRuns });
    t.pass(`${numRuns} runs`);
  } catch (error) {
    // fast-check's message has the seed and the shrunk counterexample; its cause, what the property threw.
    const { message, cause } = error as Error;
    t.fail(cause instanceof Error ? `${message}\nThe property threw: ${cause.message}` : message);
  }
  t.equal(node.process.exitCode, null, "the node process is still running");
  t.equal(node.process.signalCode, null, "it was not killed");
  const chain = await fetch(`${node.url}/chain`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  t.equal(chain.status, 200, "it answers GET /chain");
  await chain.arrayBuffer();
  const errors = node.logs.slice(logsBefore).filter((line) => line.level >= 50);
  t.same(errors, [], "it logged no error");
}

// --- Generators --------------------------------------------------------------

const codePoints = (s: string): number => [...s].length;

/** One UTF-16 half of a surrogate pair, alone: valid in JSON ("\ud800"), not in UTF-8. */
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));

/** Strings of every kind: ASCII, any code point, multi-code-point graphemes, lone surrogates. */
function anyString(constraints: { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ ...constraints, unit: "grapheme-ascii" }),
    fc.string({ ...constraints, unit: "binary" }),
    fc.string({ ...constraints, unit: "grapheme" }),
    fc.string({
      ...constraints,
      unit: fc.oneof(fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), loneSurrogate),
    }),
  );
}

/** Printable ASCII and Latin-1, what a header value may hold. */
const headerValue = fc.string({
  unit: fc
    .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff }), fc.constant(0x09))
    .map((code) => String.fromCharCode(code)),
  maxLength: 60,
});

/** Header names fetch sends as given; those that frame the message or the connection are left out. */
const FRAMING_HEADERS = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "expect",
  "te",
  "trailer",
  "content-type",
  "content-encoding",
]);
const headerName = fc
  .oneof(
    fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
    fc.constantFrom("accept", "accept-encoding", "authorization", "cookie", "origin", "x-forwarded-for", "range"),
  )
  .filter((name) => !FRAMING_HEADERS.has(name) && !name.startsWith("proxy-"));
const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.dictionary(headerName, headerValue, { maxKeys: 5 });

const JSON_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/json;charset=UTF-8",
  "APPLICATION/JSON",
  "Application/Json; charset=utf-16le",
  "application/json; charset=latin1",
  "application/json; charset=bogus",
  "application/json; boundary=x",
  "application/vnd.api+json",
  "application/json-patch+json",
  "application/csp-report",
] as const;
const OTHER_TYPES = [
  "",
  "text/plain",
  "text/json",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/octet-stream",
  "application/jsonx",
  "json",
  "application/",
  "/json",
  "application/json;;;",
  "application/json; charset=",
  "*/*",
] as const;
/** A Content-Type header, or none (undefined). */
const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...JSON_TYPES) },
  { weight: 2, arbitrary: fc.constantFrom(...OTHER_TYPES) },
  { weight: 1, arbitrary: headerValue },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

function withContentType(type: string | undefined, headers: HeaderMap = {}): HeaderMap {
  return type === undefined ? headers : { ...headers, "content-type": type };
}

/** Raw bodies: any text, any bytes, invalid UTF-8 in JSON, cut JSON, near-JSON. */
const rawBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  anyString({ maxLength: 200 }),
  fc.string({ unit: "binary-ascii", maxLength: 200 }),
  fc.uint8Array({ maxLength: 300 }),
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.constantFrom("sender", "recipient"))
    .map(([bytes, field]) => {
      // A transaction whose string holds these bytes as they are: often not UTF-8.
      const head = new TextEncoder().encode(
        `{"amount":1,"${field === "sender" ? "recipient" : "sender"}":"b","${field}":"`,
      );
      return Buffer.concat([head, bytes, new TextEncoder().encode('"}')]);
    }),
  fc.json().chain((text) => fc.nat({ max: text.length }).map((end) => text.slice(0, end))),
  fc.constantFrom(
    "",
    " ",
    "{",
    "}",
    "[",
    "{}",
    "[]",
    "null",
    "undefined",
    "NaN",
    "tru",
    "{'sender':'Lea'}",
    '{"sender":"Lea",}',
    '{"sender":"Lea" "recipient":"Mark"}',
    '{"sender":"Lea","recipient":"Mark","amount":10}{}',
    '\uFEFF{"sender":"Lea","recipient":"Mark","amount":10}',
    '{"sender":"Lea","recipient":"Mark","amount":10}\u0000',
    '{"__proto__":{"sender":"x"}}',
    '{"constructor":{"prototype":{"x":1}}}',
    `${"[".repeat(5000)}${"]".repeat(5000)}`,
    `${'{"a":'.repeat(3000)}1${"}".repeat(3000)}`,
  ),
);

/** Query strings: well-formed pairs around from and limit, web query parameters, and raw text. */
const queryValue: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: -3, max: 12 }).map(String),
  fc.constantFrom(
    "",
    "0",
    "-0",
    "1e1",
    "1e400",
    "Infinity",
    "-Infinity",
    "NaN",
    "0x2",
    " 1",
    "1%20",
    "1.0",
    "1.5",
    "00002",
    "9007199254740993",
    "1e21",
    "10000",
    "10001",
    "true",
    "null",
    "%",
    "%zz",
    "%E0%A4%A",
    "%00",
  ),
  fc.double().map(String),
  fc.string({ unit: "binary", maxLength: 20 }).map(encodeURIComponent),
  fc.string({ unit: "grapheme-ascii", maxLength: 20 }),
);
const queryKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("from", "limit", "FROM", "from[]", "limit[0]", "", "__proto__", "constructor", "toString"),
  fc.string({ unit: "grapheme-ascii", maxLength: 8 }),
);
const queryString: fc.Arbitrary<string> = fc.oneof(
  fc
    .record({ from: fc.option(fc.integer({ min: 0, max: 40 })), limit: fc.option(fc.integer({ min: 0, max: 40 })) })
    .map(({ from, limit }) => {
      const pairs = [from === null ? "" : `from=${from}`, limit === null ? "" : `limit=${limit}`].filter(Boolean);
      return pairs.length === 0 ? "" : `?${pairs.join("&")}`;
    }),
  fc
    .array(fc.tuple(queryKey, fc.option(queryValue)), { maxLength: 4 })
    .map((pairs) =>
      pairs.length === 0 ? "" : `?${pairs.map(([key, value]) => (value === null ? key : `${key}=${value}`)).join("&")}`,
    ),
  fc.webQueryParameters().map((query) => `?${query}`),
  fc.string({ unit: "binary", maxLength: 40 }).map((text) => `?${text}`),
);

// --- Transactions: the specification, and near-valid ones -------------------

const MAX_NAME = 256;
/** Whether a string is well-formed UTF-16: every surrogate in a pair. */
function wellFormed(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xdc00 && unit <= 0xdfff) return false;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    }
  }
  return true;
}
const isName = (value: unknown): boolean =>
  typeof value === "string" && codePoints(value) >= 1 && codePoints(value) <= MAX_NAME && wellFormed(value);

/**
 * The README's rule for a transaction a client may send, on the value the
 * node parsed: names of well-formed Unicode, an amount above 0 and at most
 * 2^53-1. (The generators write every amount exactly, and repeat a key only
 * through a mutation, which the near-valid property judges itself.)
 */
function isValidTransaction(value: unknown): value is Tx {
  if (!isRecord(value)) return false;
  const keys = Object.keys(value).sort();
  if (!isDeepStrictEqual(keys, ["amount", "recipient", "sender"])) return false;
  const { sender, recipient, amount } = value;
  return (
    isName(sender) &&
    isName(recipient) &&
    sender !== "0" &&
    typeof amount === "number" &&
    Number.isFinite(amount) &&
    amount > 0 &&
    amount <= Number.MAX_SAFE_INTEGER
  );
}

const validName = anyString({ minLength: 1, maxLength: 40 }).filter((s) => isName(s) && s !== "0");
const validAmount = fc.oneof(
  fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  fc.double({ min: Number.MIN_VALUE, max: Number.MAX_SAFE_INTEGER, noNaN: true }),
);
const validTx: fc.Arbitrary<Tx> = fc.record({ sender: validName, recipient: validName, amount: validAmount });

/** A JSON value's text, or raw number-like tokens JSON.stringify would never write. */
const badRaw: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value)),
  anyString({ maxLength: 20 }).map((s) => JSON.stringify(s)),
  anyString({ minLength: MAX_NAME + 1, maxLength: 400 }).map((s) => JSON.stringify(s)),
  fc.constantFrom('""', '"0"', '" "', "0", "-0", "-1", "0.0", "1e-400", "1e400", "-1e400", '"10"', '"NaN"'),
  fc.constantFrom("NaN", "Infinity", "-Infinity", "01", "+1", ".5", "1.", "0x10", "undefined"),
  fc.double().map((n) => JSON.stringify(n)),
  fc.integer().map(String),
);

type Field = readonly [key: string, raw: string];

/** One change to a valid transaction's fields, as data so that counterexamples print readably. */
type Mutation =
  | { kind: "set"; key: "sender" | "recipient" | "amount"; raw: string }
  | { kind: "delete"; key: "sender" | "recipient" | "amount" }
  | { kind: "add"; key: string; raw: string };

const txKey = fc.constantFrom("sender", "recipient", "amount");
const nameKey = fc.constantFrom("sender" as const, "recipient" as const);
const set = (key: fc.Arbitrary<"sender" | "recipient" | "amount">, raw: fc.Arbitrary<string>): fc.Arbitrary<Mutation> =>
  fc.record({ kind: fc.constant("set" as const), key, raw });

/** The reward sender, written as JSON may write it, and strings that only look like it. */
const zeroSender = fc.constantFrom('"0"', '"\\u0030"', '"00"', '" 0"', '"0 "', '"０"', "0");
/** Amounts that are not a finite number above 0, or not quite JSON. */
const badAmount = fc.oneof(
  fc.constantFrom("0", "-0", "0.0", "-1", "1e-400", "1e400", "-1e400", "-5e-324"),
  fc.constantFrom(
    "NaN",
    "Infinity",
    "-Infinity",
    '"NaN"',
    '"Infinity"',
    '"10"',
    "null",
    "true",
    "[10]",
    '{"value":10}',
  ),
  fc.constantFrom("01", "+1", ".5", "1.", "0x10", "1e", "--1", "undefined"),
  fc.double({ max: 0 }).map((n) => JSON.stringify(n)),
  fc.integer({ max: 0 }).map(String),
);

/** One change to a valid transaction, of each kind in turn, so that each comes up often. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // a wrong type
  set(
    nameKey,
    fc
      .jsonValue({ maxDepth: 1 })
      .filter((v) => typeof v !== "string")
      .map(json),
  ),
  set(
    fc.constant("amount" as const),
    fc
      .jsonValue({ maxDepth: 1 })
      .filter((v) => typeof v !== "number")
      .map(json),
  ),
  // empty, blank and huge names
  set(nameKey, fc.constantFrom('""', '" "', '"\\u0000"')),
  set(nameKey, anyString({ minLength: MAX_NAME - 2, maxLength: MAX_NAME + 150 }).map(json)),
  // the reward sender, "0", even spelled \u0030 or repeated after a valid one
  set(fc.constant("sender" as const), zeroSender),
  fc.record({ kind: fc.constant("add" as const), key: fc.constant("sender"), raw: zeroSender }),
  // zero, negative, infinite, NaN-like amounts
  set(fc.constant("amount" as const), badAmount),
  // anything at all in one field
  set(txKey, badRaw),
  // a missing field
  fc.record({ kind: fc.constant("delete" as const), key: txKey }),
  // an extra or repeated field
  fc.record({
    kind: fc.constant("add" as const),
    key: fc.oneof(
      txKey,
      fc.constantFrom("fee", "__proto__", "constructor", "", "Sender"),
      anyString({ maxLength: 10 }),
    ),
    raw: fc.oneof(badRaw, validAmount.map(String), validName.map(json)),
  }),
);

function applyMutation(fields: readonly Field[], change: Mutation): Field[] {
  switch (change.kind) {
    case "set":
      return fields.map(([key, raw]) => (key === change.key ? [key, change.raw] : [key, raw]));
    case "delete":
      return fields.filter(([key]) => key !== change.key);
    case "add":
      return [...fields, [change.key, change.raw]];
  }
}

interface NearValid {
  tx: Tx;
  mutations: Mutation[];
  order: number;
}

const nearValid: fc.Arbitrary<NearValid> = fc.record({
  tx: validTx,
  mutations: fc.array(mutation, { maxLength: 2 }),
  order: fc.nat(5),
});

/** The body's fields, in order: keys may repeat, and values are raw JSON text (or not quite JSON). */
function nearValidFields({ tx, mutations }: NearValid): Field[] {
  let fields: Field[] = [
    ["sender", JSON.stringify(tx.sender)],
    ["recipient", JSON.stringify(tx.recipient)],
    ["amount", JSON.stringify(tx.amount)],
  ];
  for (const change of mutations) fields = applyMutation(fields, change);
  return fields;
}

/**
 * Whether a key is given twice with different values: the node refuses such a
 * body, since which value counts is not agreed between JSON parsers.
 */
function conflictingKey(sample: NearValid): boolean {
  const seen = new Map<string, unknown>();
  for (const [key, raw] of nearValidFields(sample)) {
    const value = parseJson(raw);
    if (seen.has(key) && !isDeepStrictEqual(seen.get(key), value)) return true;
    seen.set(key, value);
  }
  return false;
}

/** The body's text, its fields rotated so that their order varies too. */
function nearValidText(sample: NearValid): string {
  const fields = nearValidFields(sample);
  const { order } = sample;
  const rotated = [...fields.slice(order % (fields.length || 1)), ...fields.slice(0, order % (fields.length || 1))];
  return `{${rotated.map(([key, raw]) => `${JSON.stringify(key)}:${raw}`).join(",")}}`;
}

// --- Peers: 127.0.0.1 ports where nothing listens -----------------------------

/** Whether nothing accepts a TCP connection on 127.0.0.1:port. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}

/** A few ports below Linux's ephemeral range (so no client socket takes them) where nothing listens. */
async function closedPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (port !== node.port && !ports.includes(port) && (await refused(port))) ports.push(port);
  }
  return ports;
}

const deadPorts = await closedPorts(3);

/** A valid address of 127.0.0.1 (in the forms the node accepts) and the peer id it registers. */
interface LoopbackAddress {
  address: string;
  id: string;
}

const loopbackAddress: fc.Arbitrary<LoopbackAddress> = fc
  .tuple(
    fc.constantFrom(...deadPorts),
    fc.constantFrom("bare", "http", "https", "upper", "slash", "spaces", "decimal", "short"),
  )
  .map(([port, form]) => {
    const plain = `127.0.0.1:${port}`;
    switch (form) {
      case "bare":
        return { address: plain, id: plain };
      case "http":
        return { address: `http://${plain}`, id: plain };
      case "https":
        return { address: `https://${plain}`, id: `https://${plain}` };
      case "upper":
        return { address: `HTTP://${plain}`, id: plain };
      case "slash":
        return { address: `http://${plain}/`, id: plain };
      case "spaces":
        return { address: `  http://${plain}\t`, id: plain };
      case "decimal":
        return { address: `http://2130706433:${port}`, id: plain };
      default:
        return { address: `http://127.1:${port}`, id: plain };
    }
  });

const alnum = fc.stringMatching(/^[a-z0-9]{1,8}$/);
const anyPort = fc.integer({ min: 1, max: 65_535 });

/** Addresses the node must refuse, whatever else is in the list. */
const invalidAddress: fc.Arbitrary<unknown> = fc
  .oneof(
    fc.constantFrom("", " ", "\t", "http://", "https://", "://127.0.0.1:1", "http://:1", "[::1", "127.0.0.1:-1"),
    fc
      .tuple(alnum, fc.option(alnum), anyPort)
      .map(([user, password, port]) => `http://${user}${password === null ? "" : `:${password}`}@127.0.0.1:${port}`),
    fc.tuple(anyPort, alnum).map(([port, segment]) => `http://127.0.0.1:${port}/${segment}`),
    fc.tuple(anyPort, alnum).map(([port, query]) => `http://127.0.0.1:${port}?${query}`),
    fc.tuple(anyPort, alnum).map(([port, hash]) => `127.0.0.1:${port}#${hash}`),
    fc
      .tuple(fc.constantFrom("ftp", "ws", "wss", "file", "gopher", "ssh", "git", "httpx"), anyPort)
      .map(([scheme, port]) => `${scheme}://127.0.0.1:${port}`),
    fc
      .oneof(fc.integer({ min: 65_536, max: 1e9 }).map(String), fc.constantFrom("abc", "1.5", "0x50", "1e3", "-1"))
      .map((port) => `127.0.0.1:${port}`),
    fc.nat(60).map((n) => `http://127.0.0.1:1/${"a".repeat(2030 + n)}`),
    fc.string({ unit: "grapheme-ascii", minLength: 2049, maxLength: 2100 }),
    fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string()), fc.object()),
  )
  .filter((address) => !isForeignAddress(address));

/** A node list with at least one invalid address somewhere, among others; none names a host but 127.0.0.1. */
const listWithInvalid: fc.Arbitrary<unknown[]> = fc
  .tuple(
    fc.array(
      fc.oneof(
        loopbackAddress.map((a) => a.address),
        anyString({ maxLength: 30 }).filter((address) => !isForeignAddress(address)),
        invalidAddress,
      ),
      {
        maxLength: 6,
      },
    ),
    invalidAddress,
    fc.nat(),
  )
  .map(([items, bad, at]) => {
    const position = at % (items.length + 1);
    return [...items.slice(0, position), bad, ...items.slice(position)];
  });

/** /nodes/register bodies the node must refuse with 400. */
const badRegisterBody: fc.Arbitrary<unknown> = fc.oneof(
  listWithInvalid.map((nodes) => ({ nodes })),
  fc
    .array(
      loopbackAddress.map((a) => a.address),
      { minLength: 101, maxLength: 130 },
    )
    .map((nodes) => ({ nodes })),
  fc.constant({ nodes: [] }),
  fc.jsonValue({ maxDepth: 2 }).map((nodes) => ({ nodes: Array.isArray(nodes) ? {} : nodes })),
  fc
    .tuple(
      fc.array(
        loopbackAddress.map((a) => a.address),
        { minLength: 1, maxLength: 3 },
      ),
      anyString({ maxLength: 8 }).filter((key) => key !== "nodes"),
      fc.jsonValue({ maxDepth: 1 }),
    )
    .map(([nodes, key, extra]) => ({ nodes, [key]: extra })),
  fc.jsonValue({ maxDepth: 3 }).filter((value) => !isRecord(value) || !Object.hasOwn(value, "nodes")),
  fc.array(
    loopbackAddress.map((a) => a.address),
    { minLength: 1, maxLength: 3 },
  ),
);

// --- Paths and methods -----------------------------------------------------

const ROUTES = [
  "/",
  "/chain",
  "/mine",
  "/transactions/new",
  "/transactions/pending",
  "/nodes/register",
  "/nodes/resolve",
  "/stats",
  "/metrics",
  "/openapi.json",
  "/docs",
  "/redoc",
  "/redocs",
] as const;

const path: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...ROUTES, "/transactions", "/nodes", "/docs/", "/docs/x.js", "/favicon.ico"),
  fc
    .tuple(
      fc.constantFrom(...ROUTES),
      fc.constantFrom(
        "/",
        "//",
        "/x",
        "/..",
        "/.",
        "%2F",
        "%00",
        ";x",
        "/%E0%A4%A",
        "/%",
        "/%zz",
        `/${"a".repeat(800)}`,
      ),
    )
    .map(([route, suffix]) => route + suffix),
  fc.mixedCase(fc.constantFrom(...ROUTES)),
  fc.webPath().map((p) => (p.startsWith("/") ? p : `/${p}`)),
  fc.string({ unit: "binary", maxLength: 30 }).map((text) => `/${text}`),
);

/** Methods fetch may send (not CONNECT, TRACE, TRACK), as Node's HTTP parser knows them. */
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);
const PARSER_METHODS = METHODS.filter((m) => !FORBIDDEN_METHODS.has(m));
/** fetch upper-cases these six whatever their case; every other method goes out as written. */
const NORMALIZED = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);
const knownMethod = fc.oneof(fc.constantFrom(...PARSER_METHODS), fc.mixedCase(fc.constantFrom(...NORMALIZED)));
const sentMethod = (method: string): string => (NORMALIZED.has(method.toUpperCase()) ? method.toUpperCase() : method);

// --- Content-Encoding --------------------------------------------------------

type Encoding = "gzip" | "deflate" | "br";
const COMPRESS: Record<Encoding, (data: Uint8Array) => Uint8Array> = {
  gzip: (data) => gzipSync(data),
  deflate: (data) => deflateSync(data),
  br: (data) => brotliCompressSync(data),
};

interface EncodedBody {
  /** The Content-Encoding header, or none. */
  header: string | undefined;
  /** How the body is made from the plain one. */
  as: "compressed" | "plain" | "truncated";
  algorithm: Encoding;
}

const encoding: fc.Arbitrary<EncodedBody> = fc.record({
  header: fc.oneof(
    fc.constantFrom("gzip", "deflate", "br", "GZIP", "identity", "x-gzip", "compress", "zstd", "gzip, gzip", ""),
    fc.constantFrom("gzip, identity", "identity, gzip", " br "),
    fc.constant(undefined),
    headerValue,
  ),
  as: fc.constantFrom("compressed", "plain", "truncated"),
  algorithm: fc.constantFrom("gzip", "deflate", "br"),
});

function encode(plain: string | Uint8Array, how: EncodedBody): Uint8Array {
  const bytes = typeof plain === "string" ? new TextEncoder().encode(plain) : plain;
  if (how.as === "plain") return bytes;
  const compressed = COMPRESS[how.algorithm](bytes);
  return how.as === "compressed" ? compressed : compressed.subarray(0, Math.floor(compressed.length / 2));
}

// --- The properties ---------------------------------------------------------

const postJson = (target: string, body: string | Uint8Array, headers: HeaderMap = {}): Req => ({
  method: "POST",
  target,
  body,
  headers: { "content-type": "application/json", ...headers },
});

t.test("POST /transactions/new: any JSON value", async (t) => {
  const property = fc.asyncProperty(fc.oneof(fc.jsonValue().map(json), fc.json()), async (text) => {
    const { reply } = await exchange(postJson("/transactions/new", text));
    const expected = isValidTransaction(parseJson(text)) ? 200 : 400;
    if (reply.status !== expected) throw new Error(`answered ${reply.status}, not ${expected}`);
  });
  await checkProperty(t, property, 200);
});

t.test("POST /transactions/new: valid transactions with fields mutated, removed, added or repeated", async (t) => {
  const property = fc.asyncProperty(nearValid, async (sample) => {
    const text = nearValidText(sample);
    const parsed = parseJson(text);
    const { reply, after } = await exchange(postJson("/transactions/new", text));
    if (!isValidTransaction(parsed) || conflictingKey(sample)) {
      if (reply.status !== 400) throw new Error(`an invalid transaction answered ${reply.status}, not 400`);
      return;
    }
    if (reply.status !== 200) throw new Error(`a valid transaction answered ${reply.status}: ${reply.text}`);
    const last = after.pending.transactions.at(-1);
    if (!isDeepStrictEqual(last, parsed)) {
      throw new Error(`the last pending transaction is ${json(last)}, not the one sent, ${json(parsed)}`);
    }
    if (
      after.pending.length !== after.pending.transactions.length ||
      after.pendingTransactions !== after.pending.length
    ) {
      throw new Error(`the pending counts disagree: ${after.pending.length}, ${after.pendingTransactions}`);
    }
  });
  await checkProperty(t, property, 400);
});

t.test("POST /transactions/new: raw bodies of any text or bytes, under any Content-Type", async (t) => {
  const property = fc.asyncProperty(rawBody, contentType, async (body, type) => {
    await exchange({ method: "POST", target: "/transactions/new", body, headers: withContentType(type) });
  });
  await checkProperty(t, property, 300);
});

t.test("POST /nodes/register: lists with an invalid address, too many or none, and other bodies", async (t) => {
  const property = fc.asyncProperty(badRegisterBody, async (value) => {
    const { reply } = await exchange(postJson("/nodes/register", json(value)));
    if (reply.status !== 400) throw new Error(`answered ${reply.status}, not 400: ${reply.text.slice(0, 300)}`);
  });
  await checkProperty(t, property, 300);
});

t.test("POST /nodes/register: raw bodies of any text or bytes, under any Content-Type", async (t) => {
  const property = fc.asyncProperty(rawBody, contentType, async (body, type) => {
    const { reply } = await exchange({
      method: "POST",
      target: "/nodes/register",
      body,
      headers: withContentType(type),
    });
    if (reply.status < 400) throw new Error(`accepted ${reply.status}: ${reply.text.slice(0, 300)}`);
  });
  await checkProperty(t, property, 150);
});

t.test("GET /mine with any query and headers forges one block holding the pending transactions", async (t) => {
  const property = fc.asyncProperty(
    fc.array(validTx, { maxLength: 3 }),
    queryString,
    extraHeaders,
    async (txs, query, headers) => {
      for (const tx of txs) {
        const { reply } = await exchange(postJson("/transactions/new", json(tx)));
        if (reply.status !== 200) throw new Error(`a valid transaction answered ${reply.status}`);
      }
      const { reply, json: body, before, after } = await exchange({ method: "GET", target: `/mine${query}`, headers });
      if (reply.status !== 200) throw new Error(`GET /mine answered ${reply.status}: ${reply.text}`);
      if (after.chainLength !== before.chainLength + 1) {
        throw new Error(`the chain went from ${before.chainLength} to ${after.chainLength} blocks`);
      }
      const block = after.chain.chain.at(-1) as Block;
      const expected = [...before.pending.transactions, reward(node.nodeId)];
      if (!isDeepStrictEqual(block.transactions, expected)) {
        throw new Error(`the block holds ${json(block.transactions)}, not ${json(expected)}`);
      }
      if (!isRecord(body) || body.message !== "New Block Forged" || body.index !== block.index) {
        throw new Error(`the answer does not describe block ${block.index}: ${reply.text.slice(0, 300)}`);
      }
      if (after.pending.length !== 0) throw new Error(`${after.pending.length} transactions still pending`);
      const problem = chainProblem(after.chain.chain, DIFFICULTY);
      if (problem !== null) throw new Error(`the chain breaks a rule: ${problem}`);
    },
  );
  await checkProperty(t, property, 20);
});

/** The blocks GET /chain must answer for a query of plain from and limit values (each at most once), or undefined. */
function expectedPage(query: string, full: readonly Block[]): Block[] | undefined {
  if (!/^(\?(from|limit)=[1-9][0-9]{0,3}(&(from|limit)=[1-9][0-9]{0,3})?)?$/.test(query)) return undefined;
  const params = new URLSearchParams(query);
  if (params.getAll("from").length > 1 || params.getAll("limit").length > 1) return undefined;
  const start = Number(params.get("from") ?? 1) - 1;
  const limit = params.get("limit");
  return full.slice(start, limit === null ? undefined : start + Number(limit));
}

t.test("GET /chain with any query string: a 200 is a run of the chain, a 400 changes nothing", async (t) => {
  const property = fc.asyncProperty(queryString, extraHeaders, async (query, headers) => {
    const {
      reply,
      json: body,
      before,
    } = await exchange({ method: "GET", target: `/chain${query}`, headers }, { readOnly: true });
    const page = expectedPage(query, before.chain.chain);
    if (page !== undefined) {
      if (reply.status !== 200) throw new Error(`a plain page answered ${reply.status}: ${reply.text.slice(0, 300)}`);
      const blocks = isRecord(body) && Array.isArray(body.chain) ? (body.chain as Block[]) : undefined;
      if (!isDeepStrictEqual(blocks, page)) {
        const got = blocks === undefined ? "no chain" : json(blocks.map((b) => b.index));
        throw new Error(`answered blocks ${got}, not ${json(page.map((b) => b.index))}`);
      }
    }
    if (reply.status !== 200) return;
    if (!isRecord(body) || !Array.isArray(body.chain) || body.length !== before.chainLength) {
      throw new Error(`not a chain of length ${before.chainLength}: ${reply.text.slice(0, 300)}`);
    }
    const blocks = body.chain as Block[];
    const full = before.chain.chain;
    blocks.forEach((block, i) => {
      const first = blocks[0] as Block;
      if (block.index !== first.index + i || !isDeepStrictEqual(block, full[block.index - 1])) {
        throw new Error(`block ${i} of the answer is not block ${first.index + i} of the chain: ${json(block)}`);
      }
    });
  });
  await checkProperty(t, property, 300);
});

t.test(
  "GET /transactions/pending, /stats and the other reads, with any query and headers, change nothing",
  async (t) => {
    const property = fc.asyncProperty(
      fc.constantFrom("/transactions/pending", "/stats", "/", "/metrics", "/openapi.json", "/chain"),
      fc.constantFrom("GET", "HEAD"),
      queryString,
      extraHeaders,
      async (route, method, query, headers) => {
        const { reply } = await exchange({ method, target: `${route}${query}`, headers }, { readOnly: true });
        if (route !== "/chain" && reply.status !== 200) throw new Error(`answered ${reply.status}, not 200`);
      },
    );
    await checkProperty(t, property, 150);
  },
);

t.test("any method Node's HTTP parser knows, on any path, with or without a body", async (t) => {
  const property = fc.asyncProperty(
    knownMethod,
    path,
    fc.option(fc.tuple(fc.oneof(rawBody, fc.jsonValue().map(json)), contentType)),
    async (method, target, payload) => {
      const sent = sentMethod(method);
      const carriesBody = payload !== null && sent !== "GET" && sent !== "HEAD";
      const req: Req = carriesBody
        ? { method, target, body: payload[0], headers: withContentType(payload[1]) }
        : { method, target };
      // Only GET and POST routes change state: any other method must leave it alone.
      await exchange(req, { readOnly: sent !== "GET" && sent !== "POST" });
    },
  );
  await checkProperty(t, property, 400);
});

t.test("any headers: Content-Type, Content-Encoding (matching, plain or cut bodies) and others", async (t) => {
  const request = fc.oneof(
    fc.record({
      target: fc.constant("/transactions/new"),
      plain: fc.oneof(validTx.map(json), nearValid.map(nearValidText)),
    }),
    fc.record({ target: fc.constant("/transactions/new"), plain: rawBody }),
    fc.record({ target: fc.constant("/nodes/register"), plain: badRegisterBody.map(json) }),
  );
  const property = fc.asyncProperty(
    fc.oneof(
      { weight: 3, arbitrary: request },
      { weight: 1, arbitrary: fc.record({ target: fc.constantFrom(...ROUTES), plain: fc.constant(undefined) }) },
    ),
    encoding,
    contentType,
    extraHeaders,
    async ({ target, plain }, how, type, others) => {
      const headers: Record<string, string> = { ...withContentType(type, others) };
      if (how.header !== undefined) headers["content-encoding"] = how.header;
      const req: Req =
        plain === undefined
          ? { method: "GET", target, headers }
          : { method: "POST", target, body: encode(plain, how), plain, headers };
      await exchange(req);
    },
  );
  await checkProperty(t, property, 400);
});

t.test("any method token fetch may send, on any route", async (t) => {
  const token = fc
    .stringMatching(/^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]{0,11}$/)
    .filter((m) => !FORBIDDEN_METHODS.has(m.toUpperCase()));
  const property = fc.asyncProperty(token, fc.constantFrom(...ROUTES), async (method, target) => {
    const sent = sentMethod(method);
    await exchange({ method, target }, { readOnly: sent !== "GET" && sent !== "POST" });
  });
  await checkProperty(t, property, 50);
});

t.test("register 127.0.0.1 peers where nothing listens, then GET /nodes/resolve reports each", async (t) => {
  const property = fc.asyncProperty(
    fc.array(loopbackAddress, { minLength: 1, maxLength: 4 }),
    queryString,
    extraHeaders,
    async (addresses, query, headers) => {
      const registered = await exchange(postJson("/nodes/register", json({ nodes: addresses.map((a) => a.address) })));
      const expectedPeers = [...new Set([...registered.before.peers, ...addresses.map((a) => a.id)])];
      if (registered.reply.status !== 200) throw new Error(`register answered ${registered.reply.status}`);
      if (!isDeepStrictEqual(registered.after.peers, expectedPeers)) {
        throw new Error(`the peers are ${json(registered.after.peers)}, not ${json(expectedPeers)}`);
      }
      const added = expectedPeers.length - registered.before.peers.length;
      const answer = registered.json;
      if (!isRecord(answer) || answer.message !== `${added} new nodes have been successfully added`) {
        throw new Error(`register did not count ${added} new nodes: ${registered.reply.text}`);
      }
      if (!isDeepStrictEqual(answer.total_nodes, expectedPeers)) throw new Error("total_nodes is not the peer list");

      // Every peer is 127.0.0.1 (exchange checked it): resolving contacts nothing else.
      const {
        reply,
        json: body,
        before,
      } = await exchange({ method: "GET", target: `/nodes/resolve${query}`, headers }, { readOnly: true });
      if (reply.status !== 200) throw new Error(`resolve answered ${reply.status}: ${reply.text.slice(0, 300)}`);
      if (!isRecord(body) || body.message !== "Our chain is authoritative") {
        throw new Error(`resolve did not keep our chain: ${reply.text.slice(0, 300)}`);
      }
      if (!isDeepStrictEqual(body.chain, before.chain.chain)) throw new Error("resolve answered another chain");
      if (!Array.isArray(body.peers)) throw new Error(`resolve reported no peers: ${reply.text.slice(0, 300)}`);
      const peers = body.peers as PeerReport[];
      if (
        !isDeepStrictEqual(
          peers.map((p) => p.node),
          before.peers,
        )
      ) {
        throw new Error(`resolve reported ${json(peers.map((p) => p.node))}, not ${json(before.peers)}`);
      }
      // Registering a peer again clears its failures: those just registered are asked; the
      // others may be backing off after failing three resolves in a row.
      const asked = new Set(addresses.map((a) => a.id));
      for (const peer of peers) {
        const verdicts = asked.has(peer.node) ? ["unreachable"] : ["unreachable", "skipped"];
        if (peer.reached || !verdicts.includes(peer.verdict) || typeof peer.reason !== "string") {
          throw new Error(`a peer where nothing listens got ${json(peer)}`);
        }
      }
    },
  );
  await checkProperty(t, property, 6);
});
