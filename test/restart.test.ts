import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ClassicLevel } from "classic-level";
import t, { type Test } from "tap";
import {
  type Block,
  type ChainBody,
  chainProblem,
  type PendingBody,
  type RegisterBody,
  type Tx,
} from "./helpers/chain-check.js";
import { type NodeProcess, request, runCli, startNode } from "./helpers/node-process.js";
import { blockKeyAt, indexKey } from "./helpers/store-keys.js";

/**
 * Real node processes restarted on their --data-dir (issue 4): after SIGTERM
 * or kill -9 a node comes back with its id, chain, pending transactions and
 * peers; a directory in use, of another network or damaged is refused with a
 * message naming it; GET /chain pages.
 */

const DIFFICULTY = 10;
const FLAGS = ["--difficulty", String(DIFFICULTY), "--threads", "2"];

interface Message {
  message: string;
}
interface MineBody extends Message {
  index: number;
  transactions: Tx[];
  proof: number;
  previous_hash: string;
}

/** A fresh temporary data directory, removed when the test ends. */
function tempDir(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "toychain-restart-"));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const start = (t: Test, dir: string, extra: string[] = []) =>
  startNode(["--data-dir", dir, ...FLAGS, ...extra], { t, timeoutMs: 30_000 });

async function ok<T>(url: string, body?: unknown): Promise<T> {
  const reply = await request<T>(url, body === undefined ? {} : { body });
  if (reply.status !== 200) throw new Error(`${url} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/** Everything a node shows of its state. */
async function snapshot(node: NodeProcess) {
  const chain = await ok<ChainBody>(`${node.url}/chain`);
  const pending = await ok<PendingBody>(`${node.url}/transactions/pending`);
  return { nodeId: node.nodeId, chain, pending };
}

/** kill -9, and wait until the process is gone. */
async function kill9(node: NodeProcess): Promise<void> {
  node.process.kill("SIGKILL");
  const exit = await node.stop();
  if (exit.signal !== "SIGKILL" && exit.code === 0) throw new Error("the node exited cleanly before the kill");
}

/** A data directory holding a node's state: a peer, mined blocks, pending transactions. */
async function populate(t: Test, dir: string, blocks = 3): Promise<NodeProcess> {
  const node = await start(t, dir);
  await ok(`${node.url}/nodes/register`, { nodes: ["127.0.0.1:5001", "http://127.0.0.1:5002"] });
  for (let i = 1; i <= blocks; i++) {
    await ok(`${node.url}/transactions/new`, { sender: `mined-${i}`, recipient: "Mark", amount: i });
    await ok(`${node.url}/transactions/new`, { sender: `mined-${i}`, recipient: "Lea", amount: i + 0.5 });
    await ok<MineBody>(`${node.url}/mine`);
  }
  for (let i = 1; i <= 3; i++) {
    await ok(`${node.url}/transactions/new`, { sender: `pending-${i}`, recipient: "Mark", amount: i });
  }
  return node;
}

/** The listening line of a restarted node, and its state, checked against what was there before. */
async function expectSameState(t: Test, before: Awaited<ReturnType<typeof snapshot>>, after: NodeProcess) {
  const listening = after.logs.find((line) => line.msg === "node listening");
  t.equal(after.nodeId, before.nodeId, "the same node id");
  t.equal(listening?.length, before.chain.length, "it logs the stored chain length");
  t.equal(listening?.pending, before.pending.length, "and the stored pending count");
  t.equal(listening?.peers, 2, "and the stored peers");
  const now = await snapshot(after);
  t.same(now.chain, before.chain, "the same /chain");
  t.same(now.pending, before.pending, "the same /transactions/pending");
  t.equal(chainProblem(now.chain.chain, DIFFICULTY), null, "a valid chain");
  const again = await ok<RegisterBody>(`${after.url}/nodes/register`, {
    nodes: ["127.0.0.1:5001", "127.0.0.1:5002"],
  });
  t.match(again.message, /^0 new nodes/, "the peers are still registered: registering them again adds none");
  t.same(again.total_nodes, ["127.0.0.1:5001", "127.0.0.1:5002"]);
}

t.test("after SIGTERM a node restarts with the same id, chain, pending transactions and peers", async (t) => {
  const dir = tempDir(t);
  const node = await populate(t, dir);
  const before = await snapshot(node);
  t.equal(before.chain.length, 4);
  t.equal(before.pending.length, 3);
  const exit = await node.stop();
  t.same(exit, { code: 0, signal: null }, "SIGTERM: exit 0");

  const restarted = await start(t, dir);
  await expectSameState(t, before, restarted);

  // It goes on from the stored state: the next block takes the stored pending transactions.
  const mined = await ok<MineBody>(`${restarted.url}/mine`);
  t.equal(mined.index, 5);
  t.same(mined.transactions.slice(0, -1), before.pending.transactions);
  await restarted.stop();
});

t.test("after kill -9 a node restarts with everything it acknowledged", async (t) => {
  const dir = tempDir(t);
  const node = await populate(t, dir);
  const before = await snapshot(node);
  await kill9(node);

  const restarted = await start(t, dir);
  await expectSameState(t, before, restarted);

  // Twice more, with a block and a transaction each time, right before the kill.
  let current = restarted;
  for (let round = 1; round <= 2; round++) {
    await ok(`${current.url}/transactions/new`, { sender: `round-${round}`, recipient: "Mark", amount: round });
    const mined = await ok<MineBody>(`${current.url}/mine`);
    await ok(`${current.url}/transactions/new`, { sender: `after-${round}`, recipient: "Mark", amount: round });
    const state = await snapshot(current);
    await kill9(current);
    current = await start(t, dir);
    const now = await snapshot(current);
    t.equal(current.nodeId, before.nodeId, `round ${round}: the same node id`);
    t.same(now.chain, state.chain, `round ${round}: the same chain`);
    t.same(now.chain.chain[mined.index - 1]?.proof, mined.proof, `round ${round}: the acknowledged block is there`);
    t.same(now.pending, state.pending, `round ${round}: the same pending transactions`);
  }
  await current.stop();
});

t.test("a second node on a data directory in use exits 1 saying so", async (t) => {
  const dir = tempDir(t);
  const first = await start(t, dir);
  const second = await runCli(["--port", "0", "--data-dir", dir, ...FLAGS], 30_000);
  t.equal(second.code, 1, "exit code 1");
  t.match(second.stderr, dir, "stderr names the directory");
  t.match(second.stderr, /in use|another toychain process|locked/i, "and says it is in use");
  t.notMatch(second.stdout, "node listening", "the second node never listens");
  // The first is unharmed.
  t.equal((await request(`${first.url}/chain`)).status, 200);
  await first.stop();
});

t.test("another --difficulty on an existing directory exits 1 naming the directory", async (t) => {
  const dir = tempDir(t);
  const node = await populate(t, dir, 1);
  await node.stop();
  const run = await runCli(["--port", "0", "--data-dir", dir, "--difficulty", String(DIFFICULTY + 2)], 30_000);
  t.equal(run.code, 1, "exit code 1");
  t.match(run.stderr, dir, "stderr names the directory");
  t.match(run.stderr, `difficulty is ${DIFFICULTY}`, "and the stored difficulty");
  t.notMatch(run.stdout, "node listening");
  // The store is untouched: the right difficulty still opens it.
  const again = await start(t, dir);
  t.equal(again.logs.find((line) => line.msg === "node listening")?.length, 2);
  await again.stop();
});

/** XORs every 7th byte of a file past its first and before its last 64 bytes. */
function garble(file: string): void {
  const bytes = fs.readFileSync(file);
  for (let i = 64; i < bytes.length - 64; i += 7) bytes[i] = (bytes[i] as number) ^ 0xff;
  fs.writeFileSync(file, bytes);
}

const tables = (dir: string) => fs.readdirSync(dir).filter((name) => name.endsWith(".ldb"));

interface Damage {
  name: string;
  damage: (dir: string) => Promise<void> | void;
  /** What stderr must say besides naming the directory. */
  says?: RegExp;
  todo?: string;
}

const DAMAGES: Damage[] = [
  {
    name: "a tampered block",
    says: /damaged.*block 3/,
    async damage(dir) {
      const db = new ClassicLevel<string, unknown>(dir, { valueEncoding: "json" });
      await db.open();
      const key = await blockKeyAt(db, 3);
      const block = (await db.get(key)) as Block;
      await db.put(key, { ...block, transactions: [{ sender: "thief", recipient: "me", amount: 1e6 }] });
      await db.close();
    },
  },
  {
    name: "a broken link",
    says: /damaged.*block 2/,
    async damage(dir) {
      const db = new ClassicLevel<string, unknown>(dir, { valueEncoding: "json" });
      await db.open();
      const entry = (await db.get(indexKey(2))) as { hash: string };
      await db.put(indexKey(2), { ...entry, previous_hash: "0".repeat(64) });
      await db.close();
    },
  },
  {
    name: "a block value that is not JSON",
    async damage(dir) {
      const db = new ClassicLevel<string, string>(dir);
      await db.open();
      await db.put(await blockKeyAt(db as ClassicLevel<string, unknown>, 2), '{"index":2,"garbage');
      await db.close();
    },
  },
  {
    name: "a garbled MANIFEST",
    damage(dir) {
      const manifest = fs.readdirSync(dir).find((name) => name.startsWith("MANIFEST-"));
      if (manifest === undefined) throw new Error(`no MANIFEST in ${dir}`);
      const file = path.join(dir, manifest);
      const bytes = fs.readFileSync(file);
      for (let i = 8; i < Math.min(bytes.length, 40); i++) bytes[i] = 0xa5;
      fs.writeFileSync(file, bytes);
    },
  },
  {
    name: "garbled table files",
    damage(dir) {
      for (const table of tables(dir)) garble(path.join(dir, table));
    },
  },
  {
    name: "table files cut short",
    damage(dir) {
      for (const table of tables(dir)) fs.truncateSync(path.join(dir, table), 100);
    },
  },
  {
    name: "a table file missing",
    damage(dir) {
      for (const table of tables(dir)) fs.rmSync(path.join(dir, table));
    },
  },
];

t.test("a damaged store is refused with exit 1 and a message naming the directory", async (t) => {
  // One stored state, copied for each kind of damage; a clean restart has moved
  // LevelDB's write-ahead log into table files (.ldb), so there are some to damage.
  const base = tempDir(t);
  await (await populate(t, base)).stop();
  await (await start(t, base)).stop();
  t.ok(tables(base).length > 0, "the store has table files");

  const dirs = DAMAGES.map(() => tempDir(t));
  for (const [i, { damage }] of DAMAGES.entries()) {
    fs.cpSync(base, dirs[i] as string, { recursive: true });
    await damage(dirs[i] as string);
  }
  // The refused starts are independent: side by side, to keep the test short.
  const runs = await Promise.all(dirs.map((dir) => runCli(["--port", "0", "--data-dir", dir, ...FLAGS], 60_000)));
  for (const [i, { name, says, todo }] of DAMAGES.entries()) {
    const run = runs[i] as Awaited<ReturnType<typeof runCli>>;
    const dir = dirs[i] as string;
    t.test(name, async (t) => {
      t.equal(run.code, 1, "exit code 1");
      t.notMatch(run.stdout, "node listening", "it never listens, so never serves the broken chain");
      const options = todo === undefined ? {} : { todo };
      t.match(run.stderr, `toychain: The store in ${dir}`, "a message naming the directory", options);
      if (says) t.match(run.stderr, says, `it says ${says}`);
      t.notMatch(run.stderr, /\n\s+at /, "no stack trace", options);
    });
  }

  // The undamaged original still opens.
  const again = await start(t, base);
  t.equal(again.logs.find((line) => line.msg === "node listening")?.length, 4, "the undamaged copy still opens");
  await again.stop();
});

t.test("GET /chain?from=&limit= pages the chain; bad values answer 400", async (t) => {
  const dir = tempDir(t);
  const node = await populate(t, dir, 6);
  const full = await ok<ChainBody>(`${node.url}/chain`);
  t.equal(full.length, 7);
  t.equal(full.chain.length, 7, "the full chain stays the default");

  const page = (query: string) => ok<ChainBody>(`${node.url}/chain?${query}`);
  t.same(await page("from=2&limit=3"), { chain: full.chain.slice(1, 4), length: 7 }, "blocks 2 to 4");
  t.same(await page("from=5"), { chain: full.chain.slice(4), length: 7 }, "from 5 to the tip");
  t.same(await page("limit=2"), { chain: full.chain.slice(0, 2), length: 7 }, "the first 2");
  t.same(await page("from=7&limit=5"), { chain: full.chain.slice(6), length: 7 }, "a page past the tip is cut");
  t.same(await page("from=8"), { chain: [], length: 7 }, "from past the tip: no blocks, and the length");
  t.same(await page("from=1&limit=10000"), full, "the largest page");

  // Pages put together give the chain.
  const pieces: Block[] = [];
  for (let from = 1; from <= full.length; from += 3) pieces.push(...(await page(`from=${from}&limit=3`)).chain);
  t.same(pieces, full.chain, "pages of 3 put together give the whole chain");

  for (const query of [
    "from=0",
    "from=-1",
    "from=abc",
    "from=1.5",
    "limit=0",
    "limit=-3",
    "limit=10001",
    "limit=two",
    "from=1&from=2",
    "offset=3",
  ]) {
    const reply = await request<Message>(`${node.url}/chain?${query}`);
    t.equal(reply.status, 400, `?${query}: 400`);
    t.type(reply.body.message, "string", `?${query}: with a message`);
  }
  const empty = await request<ChainBody | Message>(`${node.url}/chain?limit=`);
  t.equal(empty.status, 400, "?limit= (empty): 400, not an empty page");

  // After a restart the pages come from the stored chain.
  await node.stop();
  const restarted = await start(t, dir);
  t.same(
    await ok<ChainBody>(`${restarted.url}/chain?from=3&limit=2`),
    { chain: full.chain.slice(2, 4), length: 7 },
    "the same page after a restart",
  );
  await restarted.stop();
});
