import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ClassicLevel } from "classic-level";
import { pino } from "pino";
import t, { type Test } from "tap";
import {
  type Block,
  blockHash,
  canonicalJson,
  GENESIS,
  meetsDifficulty,
  powHeader,
  rewardFor,
  walkthroughSpec,
} from "../src/chain/index.js";
import { createLogger } from "../src/log.js";
import { ToyNode } from "../src/node.js";
import { startNode } from "../src/server.js";
import {
  type CheckBlocks,
  DamagedBlockError,
  DamagedStoreError,
  LevelStore,
  StoreFormatError,
} from "../src/storage/index.js";
import { readChain } from "./helpers/read-chain.js";
import { blockKeyAt } from "./helpers/store-keys.js";

/**
 * Issue 12, first part: blocks live in the store, read back checked against
 * their hash; start-up checks the index and only the last blocks' rules;
 * GET /chain streams from a snapshot, byte for byte what it always answered.
 */

const DIFFICULTY = 8;
const NETWORK = { genesisHash: blockHash(GENESIS), difficulty: DIFFICULTY };
const silent = createLogger("silent");

function tempDir(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "toychain-blocks-"));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A logger that keeps its lines, to read what start-up said. */
function capturingLog() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

const open = (dir: string, checkBlocks?: CheckBlocks, log = silent) =>
  ToyNode.open({
    chain: walkthroughSpec(DIFFICULTY),
    threads: 1,
    log,
    store: new LevelStore(dir),
    ...(checkBlocks === undefined ? {} : { checkBlocks }),
  });

/** Opens expecting a refusal; returns the error. */
async function refused(dir: string, checkBlocks?: CheckBlocks): Promise<Error> {
  const node = await open(dir, checkBlocks).catch((error: Error) => error);
  if (node instanceof ToyNode) {
    await node.close();
    throw new Error("the node opened");
  }
  return node;
}

/** A store holding `length` mined blocks. */
async function minedStore(t: Test, length: number): Promise<{ dir: string; blocks: Block[] }> {
  const dir = tempDir(t);
  const node = await open(dir);
  for (let i = 1; i < length; i++) {
    await node.addTransaction({ sender: `s${i}`, recipient: "Mark", amount: i });
    await node.mine();
  }
  const blocks = await readChain(node);
  await node.close();
  return { dir, blocks };
}

/** Rewrites the stored bytes of block `height` so that they no longer hash to its key. */
async function alterBlock(dir: string, height: number): Promise<void> {
  const db = new ClassicLevel<string, unknown>(dir, { valueEncoding: "json" });
  await db.open();
  const key = await blockKeyAt(db, height);
  const block = (await db.get(key)) as Block;
  await db.put(key, { ...block, timestamp: block.timestamp + 0.5 });
  await db.close();
}

/** A node serving the store in `dir` over HTTP on a free port. */
const serveStore = (dir: string) =>
  startNode({ port: 0, host: "127.0.0.1", threads: 1, difficulty: DIFFICULTY, dataDir: dir, logLevel: "silent" });

t.test(
  "GET /chain streams the stored bytes: each block's canonical JSON, keys sorted as the walkthrough shows",
  async (t) => {
    const { dir, blocks } = await minedStore(t, 300);
    const running = await serveStore(dir);
    t.teardown(() => running.close());
    const text = (chain: readonly Block[], length = 300) =>
      `{"chain":[${chain.map((block) => canonicalJson(block)).join(",")}],"length":${length}}`;
    const whole = await fetch(`${running.url}/chain`);
    t.equal(whole.status, 200);
    t.match(whole.headers.get("content-type"), /^application\/json/);
    t.equal(await whole.text(), text(blocks), "the full chain, the default");
    const page = await (await fetch(`${running.url}/chain?from=130&limit=140`)).text();
    t.equal(page, text(blocks.slice(129, 269)), "a page spanning read batches");
    const past = await (await fetch(`${running.url}/chain?from=301`)).text();
    t.equal(past, text([]), "a page past the tip is empty");
    const three = blocks.slice(1, 4).reduce((sum, block) => sum + Buffer.byteLength(canonicalJson(block)), 0);
    const bounded = await (await fetch(`${running.url}/chain?from=2&max_bytes=${three}`)).text();
    t.equal(bounded, text(blocks.slice(1, 4)), "max_bytes: the blocks that fit");
    const one = await (await fetch(`${running.url}/chain?from=2&max_bytes=1`)).text();
    t.equal(one, text(blocks.slice(1, 2)), "and one block at least");
  },
);

t.test("a view is a snapshot: a block mined after it was taken does not show through it", async (t) => {
  const dir = tempDir(t);
  const node = await open(dir);
  t.teardown(() => node.close());
  await node.mine();
  const view = await node.view();
  await node.mine();
  const seen: Block[] = [];
  for await (const batch of view.blocks(1, view.length)) seen.push(...batch);
  await view.close();
  t.equal(view.length, 2, "the length as the view was taken");
  t.same(seen, (await readChain(node)).slice(0, 2), "and its blocks");
  t.equal(node.chain.length, 3, "while the chain went on");
});

t.test("start-up checks the index and the last 6 blocks, not every proof; the log says how many", async (t) => {
  const { dir } = await minedStore(t, 20);
  const { log, lines } = capturingLog();
  const node = await open(dir, undefined, log);
  await node.close();
  const checked = lines.find((line) => String(line.msg).startsWith("store checked"));
  t.match(checked, { length: 20, checkBlocks: 6, checked: 6 });
  const { log: allLog, lines: allLines } = capturingLog();
  await (await open(dir, "all", allLog)).close();
  t.match(
    allLines.find((line) => String(line.msg).startsWith("store checked")),
    { checkBlocks: "all", checked: 19 },
    "--check-blocks all checks every block after the genesis",
  );
});

t.test("an altered block within the last 6 is refused at start, naming it", async (t) => {
  const { dir } = await minedStore(t, 20);
  await alterBlock(dir, 17);
  const error = await refused(dir);
  t.type(error, DamagedBlockError);
  t.match(error.message, dir);
  t.match(error.message, /block 17 \([0-9a-f]{64}\) was altered/);
});

t.test(
  "an older altered block: the node starts, GET /chain answers a clear error, --check-blocks all refuses",
  async (t) => {
    const { dir } = await minedStore(t, 20);
    await alterBlock(dir, 3);
    const running = await serveStore(dir);
    let closed = false;
    t.teardown(async () => {
      if (!closed) await running.close();
    });
    const answer = await fetch(`${running.url}/chain`);
    t.equal(answer.status, 500);
    const body = (await answer.json()) as { message: string };
    t.match(body.message, /damaged \(block 3 \([0-9a-f]{64}\) was altered/, "the message names the block");
    t.match(body.message, dir, "and the directory");
    t.notMatch(body.message, /\n\s+at /, "no stack");
    t.equal((await fetch(`${running.url}/chain?from=4`)).status, 200, "the blocks after it are still served");
    t.equal((await fetch(`${running.url}/stats`)).status, 200, "the node still serves");
    await running.close();
    closed = true;
    const error = await refused(dir, "all");
    t.type(error, DamagedBlockError);
    t.match(error.message, /block 3 /);
  },
);

t.test("an old block with a bad proof but sound links: passed by default, found by --check-blocks all", async (t) => {
  const dir = tempDir(t);
  const store = new LevelStore(dir);
  t.equal(await store.load(), undefined);
  await store.create("a".repeat(32), NETWORK, GENESIS);
  let previous = GENESIS;
  for (let index = 2; index <= 12; index++) {
    const template = {
      index,
      timestamp: GENESIS.timestamp + index,
      transactions: [rewardFor("b".repeat(32))],
      previous_hash: blockHash(previous),
    };
    const header = powHeader(template);
    let proof = 0;
    // Block 2's proof is the first that fails; every other block's is valid.
    while (meetsDifficulty(header, proof, DIFFICULTY) === (index === 2)) proof++;
    previous = { ...template, proof };
    await store.appendBlock(previous, []);
  }
  await store.close();
  const node = await open(dir);
  t.equal(node.chain.length, 12, "opened: block 2 is older than the last 6");
  await node.close();
  const error = await refused(dir, "all");
  t.type(error, DamagedStoreError);
  t.match(error.message, /block 2: proof \d+ does not reach 8 leading zero bits/);
});

t.test("a store of a format this toychain cannot read is refused, naming it", async (t) => {
  const { dir } = await minedStore(t, 2);
  const db = new ClassicLevel<string, unknown>(dir, { valueEncoding: "json" });
  await db.open();
  await db.put("m/format", 3);
  await db.close();
  const error = await refused(dir);
  t.type(error, StoreFormatError);
  t.match(error.message, dir);
  t.match(error.message, /has format 3, which this toychain does not read/);
});
