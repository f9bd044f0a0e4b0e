import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import t from "tap";
import type { AnsweredRequest } from "../src/api/access-log.js";
import { ChainAnswers, type ChainSource, chainFrame, WHOLE_ANSWER_BYTES } from "../src/api/chain-body.js";
import { fastLane } from "../src/api/fast-lane.js";
import { type Block, blockHash, canonicalJson, GENESIS } from "../src/chain/index.js";
import { createLogger } from "../src/log.js";
import { checkTransaction, type TipBody } from "../src/schemas/index.js";
import { startNode } from "../src/server.js";
import { type ChainView, MemoryStore } from "../src/storage/index.js";
import { serve } from "./helpers/sync-peer.js";

/**
 * GET /chain's answers from memory: ChainAnswers reads the whole chain once
 * per durable tip and shares that read, and the fast lane answers from it
 * before Koa. Against a store in memory whose views the test counts and
 * holds, then through a real node.
 */

/**
 * A store in memory with `length` blocks, whose views are counted and may be
 * held; the durable tip, and the tip's block, are set by the test.
 */
async function source(length: number, sender = "Lea") {
  const store = new MemoryStore();
  await store.create("0".repeat(32), { genesisHash: blockHash(GENESIS), difficulty: 1 }, GENESIS);
  let tip: TipBody = { length: 1, hash: blockHash(GENESIS), work: "2", chain: blockHash(GENESIS) };
  const append = async (): Promise<Block> => {
    const block: Block = {
      index: tip.length + 1,
      timestamp: tip.length,
      transactions: [{ sender, recipient: "Mark", amount: tip.length }],
      proof: 0,
      previous_hash: tip.hash,
    };
    await store.appendBlock(block, []);
    tip = { ...tip, length: block.index, hash: blockHash(block), work: String(2 * block.index) };
    return block;
  };
  for (let i = 1; i < length; i++) await append();
  let held: Promise<void> | undefined;
  const counted = {
    views: 0,
    durableTip: tip,
    durableTipBlock: undefined as Block | undefined,
    async view(): Promise<ChainView> {
      counted.views++;
      const view = await store.view();
      await held;
      return view;
    },
    /** A block appended and durable; the node holds it, unless `known` is false (a view saw it first). */
    async append(known = true) {
      const block = await append();
      counted.durableTip = tip;
      counted.durableTipBlock = known ? block : undefined;
    },
    /** Views opened from now on wait until `release` is called. */
    hold(): () => void {
      let release: () => void = () => undefined;
      held = new Promise((resolve) => {
        release = resolve;
      });
      return () => {
        held = undefined;
        release();
      };
    },
  };
  return counted satisfies ChainSource;
}

const text = async (body: Buffer | Readable): Promise<string> =>
  (body instanceof Readable ? await buffer(body) : body).toString("utf8");

const chainOf = async (answers: ChainAnswers) =>
  JSON.parse(await text(await answers.answer({ from: 1 }, chainFrame))) as { chain: Block[]; length: number };

t.test("the whole chain is read once, then grows by the blocks on its tip", async (t) => {
  const chain = await source(3);
  const answers = new ChainAnswers(chain);
  t.equal(answers.chainAnswer(), undefined, "nothing is kept before a read");
  const first = await chainOf(answers);
  t.same(
    first.chain.map((block) => block.index),
    [1, 2, 3],
  );
  t.equal(first.length, 3);
  t.same(await chainOf(answers), first, "the same answer");
  t.equal(chain.views, 1, "one view for both");
  t.same(JSON.parse(String(answers.chainAnswer())), first, "kept, as GET /chain frames it");

  await chain.append();
  const grown = String(answers.chainAnswer());
  t.equal((JSON.parse(grown) as { length: number }).length, 4, "block 4, added in memory");
  t.equal(chain.views, 1, "nothing read");
  t.equal(await text(await new ChainAnswers(chain).answer({ from: 1 }, chainFrame)), grown, "the bytes the store has");

  await chain.append(false);
  t.equal(answers.chainAnswer(), undefined, "a tip whose block the source lacks: the chain kept is no longer its");
  t.equal((await chainOf(answers)).length, 5, "read again");
  t.equal(chain.views, 3);
});

t.test("clients that ask while the chain is read share that read", async (t) => {
  const chain = await source(3);
  const answers = new ChainAnswers(chain);
  const release = chain.hold();
  const asked = Array.from({ length: 20 }, () => chainOf(answers));
  release();
  const answered = await Promise.all(asked);
  t.equal(chain.views, 1, "20 answers, one read");
  t.ok(answered.every((body) => body.length === 3));
});

t.test("no client is shown a chain older than the durable tip when it asked", async (t) => {
  for (const known of [true, false]) {
    const chain = await source(3);
    const answers = new ChainAnswers(chain);
    const release = chain.hold();
    const early = chainOf(answers);
    // The read in flight took its view at length 3; then block 4 became durable.
    await chain.append(known);
    const late = chainOf(answers);
    release();
    t.equal((await early).length, 3, "the client before the block may get the chain before it");
    t.equal((await late).length, 4, "the client after it gets block 4");
    t.equal(chain.views, known ? 1 : 2, known ? "added to the chain read" : "by a read of its own");
    t.equal((await chainOf(answers)).length, 4);
    t.equal(chain.views, known ? 1 : 2, "and block 4's chain is kept");
  }
});

t.test("a replacement shorter than the chain kept (it has more work) is shown, not the chain kept", async (t) => {
  const long = await source(5);
  const short = await source(3, "Mark");
  let current: ChainSource = long;
  const switching: ChainSource = {
    get durableTip() {
      return current.durableTip;
    },
    get durableTipBlock() {
      return current.durableTipBlock;
    },
    view: () => current.view(),
  };
  const answers = new ChainAnswers(switching);
  t.equal((await chainOf(answers)).length, 5);
  current = short;
  t.equal(answers.chainAnswer(), undefined, "the chain kept is no longer the durable tip's");
  const shown = await chainOf(answers);
  t.equal(shown.length, 3, "the shorter chain that replaced it");
  t.same(
    shown.chain.map((block) => block.transactions[0]?.sender),
    [undefined, "Mark", "Mark"],
  );
  t.same(JSON.parse(String(answers.chainAnswer())), shown, "and kept");
});

t.test("ranges are read from the store, the whole chain kept or not", async (t) => {
  const chain = await source(5);
  const answers = new ChainAnswers(chain);
  await chainOf(answers);
  const page = JSON.parse(await text(await answers.answer({ from: 2, limit: 2 }, chainFrame))) as {
    chain: Block[];
    length: number;
  };
  t.same(
    page.chain.map((block) => block.index),
    [2, 3],
  );
  t.equal(page.length, 5);
  const capped = JSON.parse(await text(await answers.answer({ from: 1, maxBytes: 1 }, chainFrame))) as {
    chain: Block[];
  };
  t.equal(capped.chain.length, 1, "max_bytes: one block at least");
  t.equal(chain.views, 3);
});

t.test("a chain longer than WHOLE_ANSWER_BYTES is streamed, never kept", async (t) => {
  const long = "L".repeat(2048);
  const sample: Block = {
    index: 100,
    timestamp: 100,
    transactions: [{ sender: long, recipient: "Mark", amount: 100 }],
    proof: 0,
    previous_hash: "0".repeat(64),
  };
  // Blocks of about `size` bytes (and a comma): short enough, until two more are added.
  const size = Buffer.byteLength(canonicalJson(sample)) + 1;
  const blocks = Math.floor(WHOLE_ANSWER_BYTES / size);
  const chain = await source(blocks, long);
  const answers = new ChainAnswers(chain);
  t.ok((await answers.answer({ from: 1 }, chainFrame)) instanceof Buffer, "short enough: one buffer");
  await chain.append();
  answers.chainAnswer();
  await chain.append();
  t.equal(answers.chainAnswer(), undefined, "the blocks added took it past the bound");
  for (let round = 0; round < 2; round++) {
    const body = await answers.answer({ from: 1 }, chainFrame);
    t.ok(body instanceof Readable, "streamed");
    const parsed = JSON.parse(await text(body)) as { chain: Block[]; length: number };
    t.equal(parsed.chain.length, blocks + 2);
    t.equal(parsed.length, blocks + 2);
    t.equal(answers.chainAnswer(), undefined, "not kept");
  }
  t.equal(chain.views, 3, "the first read, then a stream per answer");
});

t.test("the fast lane answers GET /chain from memory, and passes on the rest", async (t) => {
  const chain = await source(3);
  const answers = new ChainAnswers(chain);
  const recorded: AnsweredRequest[] = [];
  const passed: string[] = [];
  const url = await serve(
    t,
    fastLane(
      {
        answers,
        check: checkTransaction,
        addTransaction: () => Promise.reject(new Error("no transaction here")),
        log: createLogger("silent"),
      },
      (request) => recorded.push(request),
      (req, res) => {
        passed.push(`${req.method} ${req.url}`);
        res.end("next");
      },
    ),
  );
  t.equal(await (await fetch(`${url}/chain`)).text(), "next", "nothing kept yet: to Koa");
  await chainOf(answers);
  const reply = await fetch(`${url}/chain`);
  t.equal(reply.status, 200);
  t.equal(reply.headers.get("content-type"), "application/json; charset=utf-8");
  t.same(await reply.json(), await chainOf(answers));
  t.same(
    recorded.map(({ method, route, path, status }) => ({ method, route, path, status })),
    [{ method: "GET", route: "/chain", path: "/chain", status: 200 }],
    "recorded as Koa records it",
  );
  for (const [method, path] of [
    ["HEAD", "/chain"],
    ["GET", "/chain?from=2"],
    ["GET", "/chain/tip"],
    ["POST", "/chain"],
  ] as const) {
    await (await fetch(`${url}${path}`, { method })).arrayBuffer();
  }
  await chain.append();
  t.equal(((await (await fetch(`${url}/chain`)).json()) as { length: number }).length, 4, "a block on the tip: kept");
  await chain.append(false);
  await (await fetch(`${url}/chain`)).arrayBuffer();
  t.same(
    passed,
    ["GET /chain", "HEAD /chain", "GET /chain?from=2", "GET /chain/tip", "POST /chain", "GET /chain"],
    "the rest, and GET /chain at a tip not kept, go to Koa",
  );
});

t.test("a node answers GET /chain alike from the store and from memory", async (t) => {
  const running = await startNode({ port: 0, host: "127.0.0.1", threads: 1, difficulty: 8, logLevel: "silent" });
  t.teardown(() => running.close());
  const get = async (path: string) => {
    const reply = await fetch(`${running.url}${path}`);
    return { status: reply.status, type: reply.headers.get("content-type"), body: await reply.text() };
  };
  const requests = async () => {
    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    const line = /toychain_http_request_duration_seconds_count\{method="GET",route="\/chain",status="200"\} (\d+)/;
    return Number(line.exec(metrics)?.[1] ?? 0);
  };
  for (let block = 2; block <= 6; block++) {
    t.equal((await get("/mine")).status, 200);
    const kept = await get("/chain");
    // A query is not answered from memory: Koa's route reads it from the store.
    const read = await get("/chain?from=1");
    t.equal((JSON.parse(kept.body) as { length: number }).length, block, `block ${block} is in the next GET /chain`);
    t.same(kept, read, "the answer from memory is the store's");
  }
  t.equal(await requests(), 10, "/metrics counts both under route /chain");
  const resolved = JSON.parse((await get("/nodes/resolve")).body) as { chain: Block[] };
  t.equal(resolved.chain.length, 6, "/nodes/resolve answers the whole chain");
});
