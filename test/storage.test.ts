import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ClassicLevel } from "classic-level";
import t, { type Test } from "tap";
import {
  type Account,
  type Block,
  blockHash,
  canonicalJson,
  GENESIS,
  type HashList,
  type Transaction,
  UnknownBlockError,
  walkthroughSpec,
} from "../src/chain/index.js";
import type { HistoryPage, LedgerWrite, TxPlace, UndoRecord } from "../src/ledger/index.js";
import { createLogger } from "../src/log.js";
import { MempoolFullError } from "../src/mempool/index.js";
import { ToyNode } from "../src/node.js";
import type { Peer } from "../src/peers/index.js";
import type { BlockRef } from "../src/schemas/index.js";
import { startNode } from "../src/server.js";
import { loadChainSpec } from "../src/specs/index.js";
import {
  type BitsList,
  type ChainView,
  DamagedStoreError,
  ForeignStoreError,
  GroupCommit,
  type LedgerBehind,
  LevelStore,
  type NetworkId,
  type PendingEntry,
  type Store,
  StoreClosedError,
  type StoredState,
  StoreFailedError,
  StoreUnavailableError,
} from "../src/storage/index.js";
import type { StagedBlock } from "../src/sync/index.js";
import { chainProblem } from "./helpers/chain-check.js";
import { NodeNetwork } from "./helpers/node-network.js";
import { readChain } from "./helpers/read-chain.js";
import { blockKeyAt, indexKey } from "./helpers/store-keys.js";

/**
 * The persistence layer in process: the LevelDB store, group commit, and a
 * ToyNode reopened on its store (issue 4).
 */

const DIFFICULTY = 8;
const GENESIS_HASH = blockHash(GENESIS);
const NETWORK: NetworkId = { genesisHash: GENESIS_HASH, difficulty: DIFFICULTY };
const log = createLogger("silent");

/** A fresh temporary directory, removed when the test ends. */
function tempDir(t: Test, name = "toychain-storage-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), name));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const tx = (n: number, tag = "t"): Transaction => ({ sender: `${tag}-sender-${n}`, recipient: "Mark", amount: n });

/** Blocks for the store alone, which does not check the chain rules. */
const fakeBlock = (index: number, tag: string, txs: Transaction[] = []): Block => ({
  index,
  timestamp: 1700000000 + index,
  transactions: [...txs, { sender: "0", recipient: "f".repeat(32), amount: 1 }],
  proof: index * 1000,
  previous_hash: `${tag}-${index - 1}`,
});

/** `blocks` relinked to follow `after`, each naming the hash of the one before, as staged blocks do. */
function linked(after: Block, blocks: readonly Block[]): Block[] {
  let previous = blockHash(after);
  return blocks.map((block) => {
    const relinked = { ...block, previous_hash: previous };
    previous = blockHash(relinked);
    return relinked;
  });
}

const stagedBlocks = (blocks: readonly Block[]): StagedBlock[] =>
  blocks.map((block) => ({
    height: block.index,
    hash: blockHash(block),
    previousHash: block.previous_hash,
    bytes: Buffer.from(canonicalJson(block)),
  }));

/** Stages `blocks` (linked to `after`) and adopts them, as a resolve does. */
async function stageAndAdopt(
  store: Store,
  after: Block,
  blocks: readonly Block[],
  removed: readonly number[],
  pending: readonly PendingEntry[],
): Promise<void> {
  await store.stage(stagedBlocks(blocks));
  const bits = { bitsAt: (position: number) => blocks[position]?.bits };
  await store.adoptStaged(
    { height: after.index, hash: blockHash(after) },
    blocks.map(blockHash),
    bits,
    removed,
    pending,
  );
}

/** The keys of the store in `dir` that start with `prefix`; the store must be closed. */
async function keysWith(dir: string, prefix: string): Promise<string[]> {
  const db = new ClassicLevel<string, string>(dir);
  try {
    return await db.keys({ gte: prefix, lt: `${prefix.slice(0, -1)}0` }).all();
  } finally {
    await db.close();
  }
}

const openNode = (dir: string, options: { difficulty?: number; maxPending?: number } = {}) =>
  ToyNode.open({
    chain: walkthroughSpec(options.difficulty ?? DIFFICULTY),
    threads: 1,
    log,
    store: new LevelStore(dir),
    ...(options.maxPending === undefined ? {} : { maxPending: options.maxPending }),
  });

/** Opens a node on `dir` expecting a refusal: the error, or what opened instead (closed again). */
async function refusal(dir: string): Promise<unknown> {
  try {
    const node = await openNode(dir);
    const opened = `opened with ${node.chain.length} block(s) and ${node.mempool.size} pending`;
    await node.close();
    return opened;
  } catch (error) {
    return error;
  }
}

/** A node opened on `dir` that closes when the test ends (closing twice is harmless for the test). */
async function nodeOn(t: Test, dir: string, options: { difficulty?: number; maxPending?: number } = {}) {
  const node = await openNode(dir, options);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await node.close();
  };
  t.teardown(close);
  return { node, close };
}

/** Rewrites one stored value with classic-level directly, as damage or a foreign node would. */
async function rewrite(dir: string, change: (db: ClassicLevel<string, unknown>) => Promise<void>): Promise<void> {
  const db = new ClassicLevel<string, unknown>(dir, { valueEncoding: "json" });
  await db.open();
  try {
    await change(db);
  } finally {
    await db.close();
  }
}

/** A store with 3 mined blocks, a pending transaction and a peer, built once by a node and then closed. */
let template: Promise<string> | undefined;
function buildTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "toychain-storage-template-"));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const node = await openNode(dir);
    for (let i = 1; i <= 3; i++) {
      await node.addTransaction(tx(i, "mined"));
      await node.mine();
    }
    await node.addTransaction(tx(1, "pending"));
    await node.registerNodes(["127.0.0.1:5001"]);
    await node.close();
    return dir;
  })();
  return template;
}

/** A copy of the template store in a fresh directory of this test's own. */
async function populatedStore(t: Test): Promise<string> {
  const dir = tempDir(t);
  fs.cpSync(await buildTemplate(), dir, { recursive: true });
  return dir;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every queued callback and promise reaction run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

t.test("LevelStore: what was written comes back exactly after close and reopen", async (t) => {
  const dir = tempDir(t);
  const store = new LevelStore(dir);
  t.equal(store.location, dir, "the store names its directory");
  t.equal(await store.load(), undefined, "a new directory holds no state");

  const nodeId = "0123456789abcdef0123456789abcdef";
  await store.create(nodeId, NETWORK, GENESIS);
  await store.addTransaction({ seq: 1, tx: tx(1) });
  await store.addTransaction({ seq: 2, tx: tx(2) });
  await store.addTransaction({ seq: 3, tx: tx(3) });
  const peers: Peer[] = [
    { id: "127.0.0.1:5001", url: "http://127.0.0.1:5001" },
    { id: "https://node.example:443", url: "https://node.example:443" },
  ];
  await store.addPeers(peers);
  await store.addPeers([]);
  // Block 2 confirms seqs 1 and 2; seq 3 stays pending.
  const b2 = fakeBlock(2, "old", [tx(1), tx(2)]);
  await store.appendBlock(b2, [1, 2]);
  const b3 = fakeBlock(3, "old");
  await store.appendBlock(b3, []);
  await store.addTransaction({ seq: 4, tx: tx(4) });
  await store.close();

  const reopened = new LevelStore(dir);
  t.same(
    { ...(await reopened.load()), blocks: await readChain(reopened) },
    {
      nodeId,
      network: NETWORK,
      blocks: [GENESIS, b2, b3],
      pending: [
        { seq: 3, tx: tx(3) },
        { seq: 4, tx: tx(4) },
      ],
      peers,
      discardedStaged: 0,
    },
    "load() returns the appended blocks, the unconfirmed transactions and the peers",
  );

  // A replacement from position 1 (block 2 on): three new blocks, the mempool swapped whole.
  const added = linked(GENESIS, [fakeBlock(2, "new", [tx(3)]), fakeBlock(3, "new"), fakeBlock(4, "new")]);
  const pending = [
    { seq: 5, tx: tx(1) },
    { seq: 6, tx: tx(2) },
    { seq: 7, tx: tx(4) },
  ];
  await stageAndAdopt(reopened, GENESIS, added, [3, 4], pending);
  await reopened.close();

  const again = new LevelStore(dir);
  const state = { ...(await again.load()), blocks: await readChain(again) };
  await again.close();
  t.same(
    state,
    { nodeId, network: NETWORK, blocks: [GENESIS, ...added], pending, peers, discardedStaged: 0 },
    "after adoptStaged the adopted blocks and the new mempool come back, nothing of the old",
  );
});

t.test("LevelStore: a chain whose blocks grow at once is read a few blocks at a time, not whole", async (t) => {
  const dir = tempDir(t);
  const store = new LevelStore(dir);
  t.equal(await store.load(), undefined);
  await store.create("a".repeat(32), NETWORK, GENESIS);
  // A small block, then ten of about 700 KB: sized by the small one alone, the next batch held them all.
  await store.appendBlock(fakeBlock(2, "small"), []);
  const large = Array.from({ length: 2000 }, (_, n) => tx(n, "x".repeat(300)));
  for (let i = 3; i <= 12; i++) await store.appendBlock(fakeBlock(i, "large", large), []);
  const view = await store.view();
  const batches: number[][] = [];
  try {
    for await (const batch of view.blocks(2, 12)) batches.push(batch.map((block) => block.index));
  } finally {
    await view.close();
  }
  await store.close();
  t.same(batches.flat(), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], "every block, in order");
  t.ok(
    batches.every((batch) => batch.length <= 2),
    `at most two blocks (1.4 MB) at once: ${JSON.stringify(batches)}`,
  );
});

t.test("LevelStore: adopting staged blocks keeps the common prefix, and their staging goes", async (t) => {
  const dir = tempDir(t);
  const store = new LevelStore(dir);
  t.equal(await store.load(), undefined);
  await store.create("a".repeat(32), NETWORK, GENESIS);
  for (let i = 2; i <= 5; i++) await store.appendBlock(fakeBlock(i, "old"), []);
  const added = linked(
    fakeBlock(2, "old"),
    [3, 4, 5, 6].map((index) => fakeBlock(index, "new")),
  );
  await stageAndAdopt(store, fakeBlock(2, "old"), added, [], []);
  await store.close();
  const reopened = new LevelStore(dir);
  t.match(await reopened.load(), { discardedStaged: 0 }, "nothing staged is left to delete");
  const blocks = await readChain(reopened);
  await reopened.close();
  t.same(blocks, [GENESIS, fakeBlock(2, "old"), ...added], "the common prefix and the adopted blocks, in order");
  t.same(await keysWith(dir, "s/"), [], "no staging entry is left");
});

t.test("LevelStore: blocks staged by a resolve that did not finish are deleted at the next start", async (t) => {
  const dir = tempDir(t);
  const store = new LevelStore(dir);
  t.equal(await store.load(), undefined);
  await store.create("a".repeat(32), NETWORK, GENESIS);
  await store.appendBlock(fakeBlock(2, "ours"), []);
  const theirs = linked(
    GENESIS,
    [2, 3, 4].map((index) => fakeBlock(index, "theirs")),
  );
  await store.stage(stagedBlocks(theirs));
  const staged: Block[] = [];
  for await (const batch of store.staged(2, 4)) staged.push(...batch);
  t.same(staged, theirs, "staged blocks read back");
  await store.close();
  const blocksBefore = (await keysWith(dir, "b/")).length;
  const reopened = new LevelStore(dir);
  t.match(await reopened.load(), { discardedStaged: 3 });
  t.same(await readChain(reopened), [GENESIS, fakeBlock(2, "ours")], "our chain is untouched");
  await reopened.close();
  t.same(await keysWith(dir, "s/"), [], "no staging entry is left");
  t.equal((await keysWith(dir, "b/")).length, blocksBefore - 3, "and none of their blocks");
});

t.test("LevelStore: a second store on a directory in use is refused with a message naming it", async (t) => {
  const dir = tempDir(t);
  const first = new LevelStore(dir);
  t.equal(await first.load(), undefined);
  t.teardown(() => first.close());
  const second = new LevelStore(dir);
  const error = await second.load().then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(error, StoreUnavailableError, "StoreUnavailableError");
  t.match((error as Error).message, dir, "the message names the directory");
  t.match((error as Error).message, /in use|using it|locked/i, "the message says it is in use");
});

t.test("LevelStore: concurrent writes share synced batches (group commit)", async (t) => {
  const dir = tempDir(t);
  const store = new LevelStore(dir);
  t.equal(await store.load(), undefined);
  await store.create("b".repeat(32), NETWORK, GENESIS);

  // Count the synced batches classic-level is asked to write: array batches, or chained ones (db.batch() and write).
  type Options = { sync?: boolean } | undefined;
  type Chained = { write: (options?: Options) => Promise<void> };
  const proto = ClassicLevel.prototype as unknown as { batch: (...args: unknown[]) => unknown };
  const original = proto.batch;
  let synced = 0;
  let unsynced = 0;
  const count = (options: Options) => {
    if (options?.sync === true) synced++;
    else unsynced++;
  };
  proto.batch = function (this: unknown, ...args: unknown[]) {
    if (Array.isArray(args[0])) count(args[1] as Options);
    const batch = original.apply(this, args);
    if (args.length > 0) return batch;
    const chained = batch as Chained;
    const write = chained.write.bind(chained);
    chained.write = (options) => {
      count(options);
      return write(options);
    };
    return chained;
  };
  t.teardown(() => {
    proto.batch = original;
  });

  const writes = 300;
  await Promise.all(Array.from({ length: writes }, (_, i) => store.addTransaction({ seq: i + 1, tx: tx(i + 1) })));
  proto.batch = original;
  t.equal(unsynced, 0, "every batch is synced");
  t.ok(synced >= 1 && synced < writes, `${writes} concurrent writes went to disk in ${synced} synced batches`);
  await store.close();

  const reopened = new LevelStore(dir);
  const state = await reopened.load();
  await reopened.close();
  t.same(
    state?.pending.map((entry) => entry.seq),
    Array.from({ length: writes }, (_, i) => i + 1),
    "every write is there, in order",
  );
});

t.test("LevelStore: close() waits for the writes it took; a write after it is refused, not lost", async (t) => {
  const dir = tempDir(t);
  const store = new LevelStore(dir);
  await store.load();
  await store.create("0123456789abcdef0123456789abcdef", NETWORK, GENESIS);
  // Queued in this turn, not yet committed when close() begins.
  const queued = [1, 2, 3].map((seq) => store.addTransaction({ seq, tx: tx(seq) }));
  const closing = store.close();
  await t.rejects(store.addTransaction({ seq: 4, tx: tx(4) }), StoreClosedError, "a write after close() began");
  await Promise.all(queued);
  await closing;
  const reopened = new LevelStore(dir);
  t.same(
    (await reopened.load())?.pending,
    [1, 2, 3].map((seq) => ({ seq, tx: tx(seq) })),
    "the three queued before close() are on disk",
  );
  await reopened.close();
});

t.test("GroupCommit: close() lets the queued writes commit, then refuses", async (t) => {
  const commits: number[][] = [];
  const gate = deferred();
  const group = new GroupCommit<number>(async (ops) => {
    commits.push(ops);
    await gate.promise;
  });
  const first = group.write([1]);
  await settle();
  const second = group.write([2]);
  let closed = false;
  const closing = group.close(new Error("closed")).then(() => {
    closed = true;
  });
  await t.rejects(group.write([3]), { message: "closed" });
  await settle();
  t.notOk(closed, "close() waits while a commit is in flight");
  gate.resolve();
  await Promise.all([first, second, closing]);
  t.same(commits, [[1], [2]], "both writes taken before close() were committed; the refused one was not");
  await group.close(new Error("again"));
  await t.rejects(group.write([4]), { message: "closed" }, "the first refusal stands");
});

t.test("GroupCommit: many writes share few commits, each resolving only after its own", async (t) => {
  const commits: number[][] = [];
  const gates: Deferred[] = [];
  const committed = new Set<number>();
  const group = new GroupCommit<number>((ops) => {
    commits.push(ops);
    const gate = deferred();
    gates.push(gate);
    return gate.promise.then(() => {
      for (const op of ops) committed.add(op);
    });
  });
  /** Releases commit `i` (its ops count as durable from then on). */
  const release = async (i: number) => {
    gates[i]?.resolve();
    await settle();
  };

  const resolved: number[] = [];
  const early: number[] = [];
  const write = (ops: number[]) =>
    group.write(ops).then(() => {
      for (const op of ops) if (!committed.has(op)) early.push(op);
      resolved.push(ops[0] as number);
    });

  // 0..99 arrive in one turn of the event loop: they form the first commit together.
  const first = Array.from({ length: 100 }, (_, i) => write(i % 10 === 5 ? [i, i + 1000] : [i]));
  t.same(commits, [], "no commit starts before the turn's writes have all arrived");
  await settle();
  const expected = Array.from({ length: 100 }, (_, i) => i).flatMap((i) => (i % 10 === 5 ? [i, i + 1000] : [i]));
  t.same(commits, [expected], "the turn's writes go together, in call order, each write's ops kept together");
  t.same(resolved, [], "nothing resolves before its commit resolves");

  // 100..109 arrive while commit 0 is in flight: they wait for commit 1.
  const waiting = Array.from({ length: 10 }, (_, i) => write([100 + i]));
  await settle();
  t.equal(commits.length, 1, "no new commit while one is in flight");
  await release(0);
  await Promise.all(first);
  t.same(
    resolved,
    Array.from({ length: 100 }, (_, i) => i),
    "the first commit's writes resolve with it, in call order",
  );
  t.same(
    commits[1],
    Array.from({ length: 10 }, (_, i) => 100 + i),
    "the writes that waited go together in the next commit",
  );
  await release(1);
  await Promise.all(waiting);

  t.same(early, [], "no write resolved before the commit holding it had finished");
  t.same(
    resolved,
    Array.from({ length: 110 }, (_, i) => i),
    "writes resolve in call order",
  );
  t.equal(commits.length, 2, "110 writes took 2 commits");
});

t.test("GroupCommit: a failing commit rejects exactly the writes of its group; later writes go through", async (t) => {
  const commits: string[][] = [];
  const gates: Deferred[] = [];
  const group = new GroupCommit<string>((ops) => {
    commits.push(ops);
    const gate = deferred();
    gates.push(gate);
    return gate.promise;
  });
  const outcome = new Map<string, string>();
  const write = (op: string) =>
    group.write([op]).then(
      () => outcome.set(op, "ok"),
      (error: Error) => outcome.set(op, `failed: ${error.message}`),
    );

  const all = [write("a")];
  await settle();
  all.push(write("b"), write("c"), write("d"));
  gates[0]?.resolve();
  await settle();
  t.same(commits, [["a"], ["b", "c", "d"]]);
  all.push(write("e"), write("f"));
  gates[1]?.reject(new Error("disk full"));
  await settle();
  t.same(commits[2], ["e", "f"], "the writes after the failed group form the next commit");
  gates[2]?.resolve();
  await Promise.all(all);
  t.same(Object.fromEntries(outcome), {
    a: "ok",
    b: "failed: disk full",
    c: "failed: disk full",
    d: "failed: disk full",
    e: "ok",
    f: "ok",
  });

  // The writer recovers for good: a later lone write commits on its own.
  const late = write("g");
  await settle();
  t.same(commits[3], ["g"]);
  gates[3]?.resolve();
  await late;
  t.equal(outcome.get("g"), "ok");

  // A commit that throws synchronously fails its group the same way.
  const throwing = new GroupCommit<number>((ops) => {
    if (ops.includes(2)) throw new Error("sync failure");
    return Promise.resolve();
  });
  const alone = await Promise.allSettled([throwing.write([1])]);
  const results = [...alone, ...(await Promise.allSettled([throwing.write([2]), throwing.write([3])]))];
  t.same(
    results.map((r) => r.status),
    ["fulfilled", "rejected", "rejected"],
    "1 commits in its own turn; 2 and 3, written together, share the failed group",
  );
  t.equal((await Promise.allSettled([throwing.write([4])]))[0]?.status, "fulfilled", "later writes still go through");
});

t.test("ToyNode on a LevelStore: a restart keeps node id, chain, pending transactions and peers", async (t) => {
  const dir = tempDir(t);
  const first = await nodeOn(t, dir);
  const { node } = first;
  await node.addTransaction(tx(1));
  await node.addTransaction(tx(2));
  const mined = await node.mine();
  t.same(mined.block.transactions.slice(0, -1), [tx(1), tx(2)], "the block holds the two transactions");
  await node.mine();
  await node.addTransaction(tx(3));
  await node.addTransaction(tx(4));
  t.equal(await node.registerNodes(["127.0.0.1:5001", "http://127.0.0.1:5002"]), 2);
  const before = {
    id: node.id,
    blocks: await readChain(node),
    pending: node.mempool.list(),
    peers: node.peers.ids,
  };
  t.equal(before.blocks.length, 3);
  await first.close();

  const second = await nodeOn(t, dir);
  t.same(
    {
      id: second.node.id,
      blocks: await readChain(second.node),
      pending: second.node.mempool.list(),
      peers: second.node.peers.ids,
    },
    before,
    "the same node id, chain, pending transactions (in order) and peers",
  );
  t.equal(second.node.chain.tipHash, blockHash(before.blocks[2] as Block), "the tip hash matches the stored tip");
  t.equal(await second.node.registerNodes(["127.0.0.1:5001"]), 0, "a stored peer is not new");

  // It goes on from there: the next block confirms the stored pending transactions.
  const next = await second.node.mine();
  t.equal(next.block.index, 4);
  t.same(next.block.transactions.slice(0, -1), [tx(3), tx(4)]);
  t.equal(second.node.mempool.size, 0);
  await second.close();

  const third = await nodeOn(t, dir);
  t.equal(third.node.chain.length, 4, "the block mined after the restart is kept");
  t.equal(third.node.mempool.size, 0, "the transactions it confirmed are no longer pending");
  t.equal(chainProblem(await readChain(third.node), DIFFICULTY), null, "the chain is valid");
  await third.close();
});

/**
 * Our node on a LevelStore in a fresh dir, whose one peer (127.0.0.1:5009)
 * is `other`, served in process; closed at the test's end unless closeOurs
 * closed it first.
 */
async function nodeBeside(
  t: Test,
  other: ToyNode,
): Promise<{ dir: string; ours: ToyNode; closeOurs: () => Promise<void> }> {
  const dir = tempDir(t);
  const ours = await ToyNode.open({
    chain: walkthroughSpec(DIFFICULTY),
    threads: 1,
    log,
    store: new LevelStore(dir),
    network: new NodeNetwork({ "127.0.0.1:5009": other }),
  });
  let closed = false;
  const closeOurs = async () => {
    if (closed) return;
    closed = true;
    await ours.close();
  };
  t.teardown(closeOurs);
  return { dir, ours, closeOurs };
}

t.test("ToyNode on a LevelStore: an adopted chain and its mempool survive a restart", async (t) => {
  // A longer chain from an in-memory node of the same network, served in process.
  const other = await ToyNode.open({ chain: walkthroughSpec(DIFFICULTY), threads: 1, log });
  t.teardown(() => other.close());
  await other.addTransaction(tx(1, "theirs"));
  for (let i = 0; i < 4; i++) await other.mine();

  const { dir, ours, closeOurs } = await nodeBeside(t, other);
  await ours.addTransaction(tx(1, "ours"));
  await ours.mine();
  await ours.addTransaction(tx(2, "ours"));
  await ours.registerNodes(["127.0.0.1:5009"]);
  const resolution = await ours.resolve();
  t.ok(resolution.replaced, "our chain of 2 is replaced by their chain of 5");
  t.same(await readChain(ours), await readChain(other));
  t.same(ours.mempool.list(), [tx(1, "ours"), tx(2, "ours")], "our dropped block's transaction is pending again");
  const id = ours.id;
  await closeOurs();

  const reopened = await nodeOn(t, dir);
  t.equal(reopened.node.id, id);
  t.same(await readChain(reopened.node), await readChain(other), "the adopted chain came back");
  t.same(reopened.node.mempool.list(), [tx(1, "ours"), tx(2, "ours")], "with the mempool that matches it");
  const mined = await reopened.node.mine();
  t.equal(mined.block.index, 6, "mining continues on the adopted tip");
  await reopened.close();
});

t.test("ToyNode on a LevelStore: a block by its hash, of its chain only, after a switch and a restart", async (t) => {
  const other = await ToyNode.open({ chain: walkthroughSpec(DIFFICULTY), threads: 1, log });
  t.teardown(() => other.close());
  for (let i = 0; i < 3; i++) await other.mine();

  const { dir, ours, closeOurs } = await nodeBeside(t, other);
  const { block: left } = await ours.mine();
  t.same(await ours.blockByHash(blockHash(left)), { block: left, confirmations: 1 }, "our block 2, at the tip");
  await ours.registerNodes(["127.0.0.1:5009"]);
  t.ok((await ours.resolve()).replaced, "our chain of 2 is replaced by their chain of 4");
  await t.rejects(ours.blockByHash(blockHash(left)), UnknownBlockError, "our old block 2: still stored, not ours");
  const theirs = (await readChain(other))[1] as Block;
  t.same(await ours.blockByHash(blockHash(theirs)), { block: theirs, confirmations: 3 }, "their block 2, 3 deep");
  await closeOurs();

  const reopened = await nodeOn(t, dir);
  t.same(await reopened.node.blockByHash(GENESIS_HASH), { block: GENESIS, confirmations: 4 }, "after a restart");
  await t.rejects(reopened.node.blockByHash("0".repeat(64)), UnknownBlockError, "a hash no block has");
});

t.test("a store with a tampered block is refused: DamagedStoreError naming the directory", async (t) => {
  const dir = await populatedStore(t);
  await rewrite(dir, async (db) => {
    const key = await blockKeyAt(db, 3);
    const block = (await db.get(key)) as Block;
    (block.transactions[0] as Transaction).amount = 1_000_000;
    await db.put(key, block);
  });
  const error = await refusal(dir);
  t.type(error, DamagedStoreError);
  t.match((error as Error).message, dir, "the message names the directory");
  t.match((error as Error).message, /damaged/);
  t.match((error as Error).message, /block 3/, "and the block at fault");

  // The refused store was closed: the directory can be opened again (here, to repair it).
  await rewrite(dir, async (db) => {
    t.ok(await db.get(await blockKeyAt(db, 3)), "the directory is not left locked");
  });
});

t.test("a store with a broken link is refused", async (t) => {
  const dir = await populatedStore(t);
  await rewrite(dir, async (db) => {
    const entry = (await db.get(indexKey(2))) as { hash: string };
    await db.put(indexKey(2), { ...entry, previous_hash: "0".repeat(64) });
  });
  await t.rejects(openNode(dir), DamagedStoreError);
});

t.test("a store whose last block is missing is refused, not served shorter", async (t) => {
  // m/tip says 4 but block 4 is gone: the node must not silently come back without an acknowledged block.
  const dir = await populatedStore(t);
  await rewrite(dir, async (db) => db.del(await blockKeyAt(db, 4)));
  const result = await refusal(dir);
  t.type(result, DamagedStoreError, `refused (got: ${result instanceof Error ? result.name : result})`, {});
});

t.test("a store with an undecodable value is refused with DamagedStoreError", async (t) => {
  const dir = await populatedStore(t);
  const raw = new ClassicLevel<string, string>(dir);
  await raw.open();
  await raw.put(await blockKeyAt(raw as ClassicLevel<string, unknown>, 3), "{not json");
  await raw.close();
  const error = await refusal(dir);
  t.ok(error instanceof Error, "refused");
  t.type(error, DamagedStoreError, `refused as damaged (got ${(error as Error | undefined)?.name})`, {});
  t.match((error as Error | undefined)?.message, dir, "naming the directory");
});

t.test("a store that lost its node id but holds a chain is refused, not reset", async (t) => {
  const dir = await populatedStore(t);
  await rewrite(dir, (db) => db.del("m/node-id"));
  const result = await refusal(dir);
  t.ok(
    result instanceof DamagedStoreError || result instanceof ForeignStoreError,
    `refused (got: ${result instanceof Error ? result.name : result})`,
  );
});

/** A LevelStore whose next appendBlock fails, as a full or failing disk would make it. */
class FailingStore implements Store {
  failNextAppend = false;
  constructor(readonly inner: LevelStore) {}
  get location() {
    return this.inner.location;
  }
  load(): Promise<StoredState | undefined> {
    return this.inner.load();
  }
  create(nodeId: string, network: NetworkId, genesis: Block): Promise<void> {
    return this.inner.create(nodeId, network, genesis);
  }
  addTransaction(entry: PendingEntry): Promise<void> {
    return this.inner.addTransaction(entry);
  }
  evictPending(seqs: readonly number[]): Promise<void> {
    return this.inner.evictPending(seqs);
  }
  addPeers(peers: readonly Peer[]): Promise<void> {
    return this.inner.addPeers(peers);
  }
  appendBlock(block: Block, confirmed: readonly number[], ledger?: LedgerWrite): Promise<void> {
    if (this.failNextAppend) {
      this.failNextAppend = false;
      return Promise.reject(new Error("EIO: simulated write failure"));
    }
    return this.inner.appendBlock(block, confirmed, ledger);
  }
  accounts(addresses: readonly string[]): Promise<Map<string, Account>> {
    return this.inner.accounts(addresses);
  }
  undoOf(height: number): Promise<UndoRecord> {
    return this.inner.undoOf(height);
  }
  placeOf(id: string): Promise<TxPlace | undefined> {
    return this.inner.placeOf(id);
  }
  history(address: string, limit: number, before?: string): Promise<HistoryPage> {
    return this.inner.history(address, limit, before);
  }
  startReindex(): Promise<void> {
    return this.inner.startReindex();
  }
  writeLedger(write: LedgerWrite): Promise<void> {
    return this.inner.writeLedger(write);
  }
  finishReindex(): Promise<void> {
    return this.inner.finishReindex();
  }
  writeLedgerTo(write: LedgerWrite, at: number | undefined): Promise<void> {
    return this.inner.writeLedgerTo(write, at);
  }
  stage(blocks: readonly StagedBlock[]): Promise<void> {
    return this.inner.stage(blocks);
  }
  discard(from: number, to: number): Promise<void> {
    return this.inner.discard(from, to);
  }
  staged(from: number, to: number): AsyncIterable<Block[]> {
    return this.inner.staged(from, to);
  }
  adoptStaged(
    fork: BlockRef,
    hashes: HashList,
    bits: BitsList,
    removed: readonly number[],
    pending: readonly PendingEntry[],
    ledger?: LedgerWrite | LedgerBehind,
  ): Promise<void> {
    return this.inner.adoptStaged(fork, hashes, bits, removed, pending, ledger);
  }
  blocks(at: readonly { height: number; hash: string }[]): Promise<Block[]> {
    return this.inner.blocks(at);
  }
  view(): Promise<ChainView> {
    return this.inner.view();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

t.test("a failed block write stops every change; what was acknowledged survives a restart", async (t) => {
  const dir = tempDir(t);
  const store = new FailingStore(new LevelStore(dir));
  const node = await ToyNode.open({ chain: walkthroughSpec(DIFFICULTY), threads: 1, log, store });
  let closed = false;
  t.teardown(async () => {
    if (!closed) await node.close();
  });
  const acknowledged = await node.mine();
  store.failNextAppend = true;
  await t.rejects(node.mine(), StoreFailedError, "the mine request fails with the write");
  const failure = await node.storeFailed;
  t.match(failure.message, /simulated write failure/, "the failure names its cause");
  t.match(failure.message, dir, "and the store's directory");
  await t.rejects(node.mine(), StoreFailedError, "no further block is mined");
  await t.rejects(
    node.addTransaction({ sender: "Lea", recipient: "Mark", amount: 1 }),
    StoreFailedError,
    "no further transaction is acknowledged",
  );
  await t.rejects(node.registerNodes(["127.0.0.1:5999"]), StoreFailedError, "no further peer is acknowledged");
  await node.close();
  closed = true;

  const reopened = await openNode(dir);
  t.teardown(() => reopened.close());
  t.equal(reopened.chain.length, 2, "the restart comes back with what the disk holds");
  const blocks = await readChain(reopened);
  t.same(blocks[1], acknowledged.block, "the acknowledged block is there");
  t.equal(chainProblem(blocks, DIFFICULTY), null, "on a valid chain");
});

t.test("a store of another difficulty or genesis is refused: ForeignStoreError", async (t) => {
  const dir = await populatedStore(t);
  const error = await openNode(dir, { difficulty: DIFFICULTY + 1 }).then(
    async (node) => {
      await node.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  t.type(error, ForeignStoreError);
  t.match((error as Error).message, dir, "the message names the directory");
  t.match((error as Error).message, `difficulty is ${DIFFICULTY}`, "and the stored difficulty");

  await rewrite(dir, (db) => db.put("m/network", { genesisHash: "e".repeat(64), difficulty: DIFFICULTY }));
  const other = await refusal(dir);
  t.type(other, ForeignStoreError);
  t.match((other as Error).message, dir);
  t.match((other as Error).message, /genesis/);

  const devnet = loadChainSpec("devnet", DIFFICULTY);
  const onDevnet = await ToyNode.open({ chain: devnet, threads: 1, log, store: new LevelStore(dir) }).then(
    async (node) => {
      await node.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  t.type(onDevnet, ForeignStoreError, "a store of one chain refuses another");
  t.match(
    (onDevnet as Error).message,
    `it holds the chain walkthrough (genesis ${"e".repeat(64)}), not devnet (genesis ${devnet.id}); start with --chain walkthrough, or give another --data-dir`,
    "naming both chains",
  );
});

t.test("mempool cap: MempoolFullError past it, nothing of the refused transaction stored", async (t) => {
  const dir = tempDir(t);
  const first = await nodeOn(t, dir, { maxPending: 3 });
  for (let i = 1; i <= 3; i++) await first.node.addTransaction(tx(i));
  await t.rejects(first.node.addTransaction(tx(4)), MempoolFullError);
  t.equal(first.node.mempool.size, 3);
  await first.close();

  const second = await nodeOn(t, dir, { maxPending: 3 });
  t.same(second.node.mempool.list(), [tx(1), tx(2), tx(3)], "the refused transaction was not stored");
  await t.rejects(second.node.addTransaction(tx(5)), MempoolFullError, "the cap holds after a restart");
  await second.node.mine();
  await second.node.addTransaction(tx(6));
  t.same(second.node.mempool.list(), [tx(6)], "a block makes room");
  await second.close();

  // A smaller cap than what is stored: the cap holds, the oldest are kept.
  const third = await nodeOn(t, dir, { maxPending: 3 });
  await third.node.addTransaction(tx(7));
  await third.node.addTransaction(tx(8));
  await third.close();
  const fourth = await nodeOn(t, dir, { maxPending: 1 });
  t.same(fourth.node.mempool.list(), [tx(6)], "under a cap of 1, the oldest of the three stored is kept");
  await t.rejects(fourth.node.addTransaction(tx(9)), MempoolFullError);
  await fourth.close();
  const fifth = await nodeOn(t, dir, { maxPending: 3 });
  t.same(fifth.node.mempool.list(), [tx(6)], "the eviction was stored: a higher cap does not bring them back");
  await fifth.close();
});

t.test("mempool cap through the API: 429 with a message, then room after a block", async (t) => {
  const dir = tempDir(t);
  const running = await startNode({
    port: 0,
    host: "127.0.0.1",
    threads: 1,
    difficulty: DIFFICULTY,
    logLevel: "silent",
    dataDir: dir,
    maxPending: 2,
  });
  let closed = false;
  t.teardown(async () => {
    if (!closed) await running.close();
  });
  const post = async (body: unknown) => {
    const response = await fetch(`${running.url}/transactions/new`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { message: string } };
  };
  t.equal((await post(tx(1))).status, 200);
  t.equal((await post(tx(2))).status, 200);
  const full = await post(tx(3));
  t.equal(full.status, 429, "past the cap: 429 Too Many Requests");
  t.match(full.body.message, /2 pending transactions/, "the message gives the cap");
  t.match(full.body.message, /retry/i, "and says what to do");
  const mine = await fetch(`${running.url}/mine`);
  t.equal(mine.status, 200);
  await mine.json();
  t.equal((await post(tx(4))).status, 200, "accepted again once a block has taken the pending ones");
  await running.close();
  closed = true;

  const reopened = await nodeOn(t, dir);
  t.same(reopened.node.mempool.list(), [tx(4)], "the store holds what was acknowledged, not the refused one");
  t.same(
    (await readChain(reopened.node))[1]?.transactions.slice(0, -1),
    [tx(1), tx(2)],
    "the mined block holds the two accepted",
  );
  await reopened.close();
});
