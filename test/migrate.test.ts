import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ClassicLevel } from "classic-level";
import t, { type Test } from "tap";
import { type Block, blockHash, GENESIS, meetsDifficulty, powHeader, rewardFor } from "../src/chain/index.js";
import { DamagedStoreError, LevelStore } from "../src/storage/index.js";
import { canonical, hashOf, type PendingBody, type Tx } from "./helpers/chain-check.js";
import { request, runCli, startNode } from "./helpers/node-process.js";
import { readChain } from "./helpers/read-chain.js";
import { indexKey } from "./helpers/store-keys.js";

/**
 * Issue 12, the migration: a store of format 1 (toychain before issue 12:
 * b/<index> → the block as JSON, m/length) is migrated in place to format 2
 * at start, keeping the chain, the pending transactions, the peers and the
 * node id; a damaged one is refused and left as it was; a migration a crash
 * cut short, before or after its switch to format 2, is finished at the next
 * start.
 */

const DIFFICULTY = 8;
const FLAGS = ["--difficulty", String(DIFFICULTY), "--threads", "1"];
const NETWORK = { genesisHash: blockHash(GENESIS), difficulty: DIFFICULTY };
const NODE_ID = "c0ffee00c0ffee00c0ffee00c0ffee00";
const PENDING: Tx[] = [
  { sender: "Ann", recipient: "Mark", amount: 1 },
  { sender: "Bob", recipient: "Lea", amount: 2.5 },
  { sender: "Cid", recipient: "Mark", amount: 3 },
];
const PEERS = [
  { id: "127.0.0.1:5001", url: "http://127.0.0.1:5001" },
  { id: "https://peer.example:8443", url: "https://peer.example:8443" },
];
const OLD_BLOCK_KEY = /^b\/\d{16}$/;

const pad = (n: number) => String(n).padStart(16, "0");
const oldBlockKey = (index: number) => `b/${pad(index)}`;

function tempDir(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "toychain-migrate-"));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The genesis and `length` - 1 blocks mined on it, with valid proofs and transactions. */
function minedChain(length: number): Block[] {
  const chain: Block[] = [GENESIS];
  for (let index = 2; index <= length; index++) {
    const previous = chain[chain.length - 1] as Block;
    const template = {
      index,
      timestamp: GENESIS.timestamp + 60 * index,
      transactions: [{ sender: `s${index}`, recipient: "Mark", amount: index }, rewardFor(NODE_ID)],
      previous_hash: blockHash(previous),
    };
    const header = powHeader(template);
    let proof = 0;
    while (!meetsDifficulty(header, proof, DIFFICULTY)) proof++;
    chain.push({ ...template, proof });
  }
  return chain;
}

/** The genesis and `length` - 1 small blocks, linked, with no valid proofs: for the store, not the rules. */
function linkedChain(length: number): Block[] {
  const chain: Block[] = [GENESIS];
  for (let index = 2; index <= length; index++) {
    const previous = chain[chain.length - 1] as Block;
    chain.push({
      index,
      timestamp: GENESIS.timestamp + index,
      transactions: [],
      proof: 0,
      previous_hash: hashOf(previous),
    });
  }
  return chain;
}

type Db = ClassicLevel<string, unknown>;

async function withDb<T>(dir: string, use: (db: Db) => Promise<T>): Promise<T> {
  const db: Db = new ClassicLevel<string, unknown>(dir, { valueEncoding: "json" });
  await db.open();
  try {
    return await use(db);
  } finally {
    await db.close();
  }
}

/** A store of format 1, with the keys the toychain before issue 12 wrote. */
async function format1Store(dir: string, chain: readonly Block[]): Promise<void> {
  await withDb(dir, async (db) => {
    await db.batch([
      { type: "put", key: "m/node-id", value: NODE_ID },
      { type: "put", key: "m/network", value: NETWORK },
      { type: "put", key: "m/length", value: chain.length },
      ...PENDING.map((tx, i) => ({ type: "put" as const, key: `t/${pad(i + 1)}`, value: tx })),
      ...PEERS.map((peer) => ({ type: "put" as const, key: `p/${peer.id}`, value: peer })),
    ]);
    for (let from = 0; from < chain.length; from += 500) {
      const blocks = chain.slice(from, from + 500);
      await db.batch(blocks.map((block) => ({ type: "put" as const, key: oldBlockKey(block.index), value: block })));
    }
  });
}

/** The format-2 keys of `blocks`, written as the migration's step 2 writes them, by the specification's hashing. */
async function writeFormat2Blocks(db: Db, blocks: readonly Block[]): Promise<void> {
  await db.batch(
    blocks.flatMap((block) => [
      { type: "put" as const, key: `b/${hashOf(block)}`, value: canonical(block), valueEncoding: "utf8" },
      {
        type: "put" as const,
        key: indexKey(block.index),
        value: { hash: hashOf(block), previous_hash: block.previous_hash },
      },
    ]),
  );
}

/** Every key of the store with its raw value, to compare a store before and after. */
const dump = (dir: string) => withDb(dir, (db) => db.iterator<string, string>({ valueEncoding: "utf8" }).all());

/** What a migrated store must hold: format 2, the blocks under their hash and height, nothing of format 1. */
async function expectFormat2(t: Test, dir: string, chain: readonly Block[]): Promise<void> {
  const keys = await withDb(dir, (db) => db.keys().all());
  const values = await withDb(dir, (db) =>
    db.getMany(["m/format", "m/length", "m/tip", "m/node-id", indexKey(chain.length)]),
  );
  const tip = chain[chain.length - 1] as Block;
  t.same(
    values,
    [
      2,
      undefined,
      { height: chain.length, hash: hashOf(tip) },
      NODE_ID,
      { hash: hashOf(tip), previous_hash: tip.previous_hash },
    ],
    "m/format 2, no m/length, the tip, the node id, the index",
  );
  t.same(
    keys.filter((key) => OLD_BLOCK_KEY.test(key)),
    [],
    "no b/<index> key is left",
  );
  t.equal(keys.filter((key) => /^b\/[0-9a-f]{64}$/.test(key)).length, chain.length, "a b/<hash> per block");
  t.equal(keys.filter((key) => key.startsWith("h/")).length, chain.length, "an h/<height> per block");
}

/** A node process on `dir`; the chain, pending transactions and peers it serves. */
async function served(t: Test, dir: string) {
  const node = await startNode(["--data-dir", dir, ...FLAGS], { t, timeoutMs: 30_000 });
  const chain = await request<{ chain: Block[]; length: number }>(`${node.url}/chain`);
  const pending = await request<PendingBody>(`${node.url}/transactions/pending`);
  const stats = await request<{ node_id: string; peers: string[] }>(`${node.url}/stats`);
  await node.stop();
  const migrated = node.logs.find((line) => line.msg.startsWith("store migrated"));
  return { node, chain: chain.body, pending: pending.body, stats: stats.body, migrated };
}

t.test("a node started on a format-1 store migrates it and serves the same state", async (t) => {
  const dir = tempDir(t);
  const chain = minedChain(5);
  await format1Store(dir, chain);
  const first = await served(t, dir);
  t.match(first.migrated, { from: 1, to: 2, blocks: 5, resumed: false }, "it logs the migration");
  t.match(first.migrated?.msg, /^store migrated from format 1 to 2: 5 blocks in [\d.]+ ms$/);
  t.same(first.chain, { chain, length: 5 }, "the same chain");
  t.same(first.pending, { transactions: PENDING, length: 3 }, "the same pending transactions");
  t.same(first.stats.peers, PEERS.map((peer) => peer.id).sort(), "the same peers");
  t.equal(first.node.nodeId, NODE_ID, "the same node id");
  t.equal(first.stats.node_id, NODE_ID);
  await expectFormat2(t, dir, chain);

  const second = await served(t, dir);
  t.equal(second.migrated, undefined, "the next start has nothing to migrate");
  t.same(second.chain, first.chain, "and serves the same chain");
});

t.test("a damaged format-1 store is refused with exit 1, naming the block, and left as it was", async (t) => {
  const dir = tempDir(t);
  const chain = minedChain(5);
  await format1Store(dir, chain);
  await withDb(dir, (db) => db.put(oldBlockKey(3), { ...(chain[2] as Block), previous_hash: "f".repeat(64) }));
  const before = await dump(dir);
  const run = await runCli(["--port", "0", "--data-dir", dir, ...FLAGS]);
  t.equal(run.code, 1, "exit code 1");
  t.notMatch(run.stdout, "node listening", "it never listens");
  t.match(run.stderr, `toychain: The store in ${dir} is damaged`);
  t.match(run.stderr, /format-1 block 3 names previous_hash f{64}, not [0-9a-f]{64}, the hash of block 2/);
  t.match(run.stderr, /was not migrated/);
  t.notMatch(run.stderr, /\n\s+at /, "no stack trace");
  t.same(await dump(dir), before, "not a key changed");
});

t.test("a migration cut short after its switch to format 2 is finished at the next start", async (t) => {
  const dir = tempDir(t);
  const chain = minedChain(5);
  await format1Store(dir, chain);
  // The state the switching batch leaves: every format-2 key, and the old keys and m/length still there.
  await withDb(dir, async (db) => {
    await writeFormat2Blocks(db, chain);
    const tip = chain[chain.length - 1] as Block;
    await db.batch([
      { type: "put", key: "m/tip", value: { height: chain.length, hash: hashOf(tip) } },
      { type: "put", key: "m/format", value: 2 },
    ]);
  });
  const node = await served(t, dir);
  t.match(node.migrated, { from: 1, to: 2, blocks: 5, resumed: true }, "it logs the clean-up it finished");
  t.match(node.migrated?.msg, /the clean-up a crash cut short was finished/);
  t.same(node.chain, { chain, length: 5 }, "the same chain");
  t.same(node.pending.transactions, PENDING, "the same pending transactions");
  t.equal(node.node.nodeId, NODE_ID, "the same node id");
  await expectFormat2(t, dir, chain);
});

t.test("LevelStore: 2000 blocks migrate, streamed in batches", async (t) => {
  const dir = tempDir(t);
  const chain = linkedChain(2000);
  await format1Store(dir, chain);
  const store = new LevelStore(dir);
  const state = await store.load();
  t.match(state?.migration, { from: 1, to: 2, blocks: 2000, resumed: false });
  t.same(
    state?.pending.map((entry) => entry.tx),
    PENDING,
  );
  t.same(await readChain(store), chain, "the chain reads back, every block checked against its hash");
  await store.close();
  await expectFormat2(t, dir, chain);
});

t.test("LevelStore: a migration cut short before its switch starts over", async (t) => {
  const dir = tempDir(t);
  const chain = linkedChain(700);
  await format1Store(dir, chain);
  // What step 2 leaves when a crash cuts it short: the first blocks copied, the store still format 1.
  await withDb(dir, (db) => writeFormat2Blocks(db, chain.slice(0, 300)));
  const store = new LevelStore(dir);
  const state = await store.load();
  t.match(state?.migration, { blocks: 700, resumed: false });
  t.same(await readChain(store), chain);
  await store.close();
  await expectFormat2(t, dir, chain);
});

t.test("LevelStore: a damaged format-1 store is refused, naming the block, and nothing is written", async (t) => {
  const cases: { name: string; damage: (db: Db, chain: Block[]) => Promise<void>; says: RegExp }[] = [
    {
      name: "a broken link past the first batches",
      damage: (db, chain) => db.put(oldBlockKey(600), { ...(chain[599] as Block), previous_hash: "0".repeat(64) }),
      says: /format-1 block 600 names previous_hash 0{64}, not [0-9a-f]{64}, the hash of block 599/,
    },
    { name: "a missing block", damage: (db) => db.del(oldBlockKey(400)), says: /format-1 block 400 is missing/ },
    {
      name: "a length past the last block",
      damage: (db) => db.put("m/length", 701),
      says: /format-1 block 701 is missing: m\/length gives 701 blocks/,
    },
    {
      name: "a block at another index",
      damage: (db, chain) => db.put(oldBlockKey(500), { ...(chain[499] as Block), index: 501 }),
      says: /format-1 block 500 has index 501/,
    },
    {
      name: "a block of another shape",
      damage: (db, chain) => db.put(oldBlockKey(300), { ...(chain[299] as Block), proof: -1 }),
      says: /format-1 block 300 is malformed: Invalid block: proof must be >= 0/,
    },
    {
      name: "a value that is not JSON",
      damage: (db) => db.put(oldBlockKey(200), "{not json", { valueEncoding: "utf8" }),
      says: /format-1 block 200 is malformed: .*JSON/,
    },
    {
      name: "another genesis than its network record's",
      damage: (db) => db.put("m/network", { ...NETWORK, genesisHash: "1".repeat(64) }),
      says: /format-1 block 1 is not the genesis block its network record names/,
    },
    {
      name: "a malformed length",
      damage: (db) => db.put("m/length", "700"),
      says: /its chain length \(m\/length\) is missing or malformed/,
    },
  ];
  const chain = linkedChain(700);
  for (const { name, damage, says } of cases) {
    t.test(name, async (t) => {
      const dir = tempDir(t);
      await format1Store(dir, chain);
      await withDb(dir, (db) => damage(db, chain));
      const before = await dump(dir);
      const store = new LevelStore(dir);
      const error = await store.load().catch((error: unknown) => error);
      await store.close();
      t.type(error, DamagedStoreError);
      t.match((error as Error).message, says);
      t.match((error as Error).message, /was not migrated/);
      t.same(await dump(dir), before, "not a key changed");
    });
  }
});
