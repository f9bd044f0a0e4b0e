import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import t from "tap";
import { blockHash, newChainSpec, nextTarget } from "../src/chain/index.js";
import { parseChainSpec } from "../src/specs/index.js";
import { type Block, type ChainBody, chainProblem, reward, type Tx } from "./helpers/chain-check.js";
import { type LogLine, type NodeProcess, request, startNode } from "./helpers/node-process.js";
import { until } from "./helpers/until.js";

/**
 * --mine on real processes: a node that mines block after block by itself,
 * takes in the transactions that arrive, answers GET /mine with the next
 * block it forges, and stops cleanly. Gossip is in mine-gossip.test.ts, a
 * kill -9 in crash-mine.test.ts.
 */

/** A block in milliseconds on one thread: the node forges many while a test looks. */
const FAST = "20";
/** A job that does not end while a test runs (2^40 hashes: hours on one thread). */
const NEVER = "40";
const ONE_THREAD = ["--threads", "1"];
const MINE_STOPPED = "The node is shutting down; no block was forged";
const REFRESHED = "taking in the transactions that arrived: mining the block again with them and a new timestamp";
/** The bound on a prompt stop: the helper kills the node after it, which fails the exit's check. */
const PROMPT_EXIT_MS = 8_000;

interface MineBody {
  message: string;
  index: number;
  transactions: Tx[];
  proof: number;
  previous_hash: string;
}

interface StatsBody {
  mining: string;
  chain_length: number;
  job: { index: number } | null;
}

const chainOf = async (node: NodeProcess): Promise<Block[]> =>
  (await request<ChainBody>(`${node.url}/chain`)).body.chain;
const statsOf = async (node: NodeProcess): Promise<StatsBody> => (await request<StatsBody>(`${node.url}/stats`)).body;
const forgedLines = (node: NodeProcess): LogLine[] => node.logs.filter((line) => line.msg === "block forged");
const errorLines = (node: NodeProcess): LogLine[] => node.logs.filter((line) => line.level >= 50);
const holds = (block: Block, tx: Tx) =>
  block.transactions.some(
    (each) => each.sender === tx.sender && each.recipient === tx.recipient && each.amount === tx.amount,
  );

t.test(
  "a --mine node forges blocks by itself; a transaction posted is in a block by the index it was told",
  async (t) => {
    const node = await startNode(["--mine", "--difficulty", FAST, ...ONE_THREAD], { t });
    t.ok(
      node.logs.some((line) => line.msg.startsWith("mining continuously") && line.refreshMs === 2000),
      "it logs that it mines continuously, with the refresh interval",
    );
    t.equal((await statsOf(node)).mining, "continuous", "/stats says it mines continuously");
    const grown = await until(
      () => chainOf(node),
      (chain) => chain.length >= 4,
      "blocks forged with no /mine asked",
    );
    t.ok(grown.length >= 4, `the chain grew to ${grown.length} blocks with no request`);
    for (const block of grown.slice(1)) {
      t.same(block.transactions.at(-1), reward(node.nodeId), `block ${block.index} pays this node its reward`);
    }

    const tx = { sender: "alice", recipient: "bob", amount: 7 };
    const added = await request<{ message: string }>(`${node.url}/transactions/new`, { body: tx });
    t.equal(added.status, 200);
    const told = Number(/at index (\d+)$/.exec(added.body.message)?.[1]);
    const chain = await until(
      () => chainOf(node),
      (chain) => chain.some((block) => holds(block, tx)),
      "the transaction in a block",
    );
    const holder = chain.find((block) => holds(block, tx)) as Block;
    t.ok(holder.index <= told, `it is in block ${holder.index}, at the latest the block ${told} the answer named`);
    t.equal(chainProblem(chain, Number(FAST)), null, "the chain is valid");
    const forged = await node.waitForLog((line) => line.msg === "block forged" && line.index === holder.index, 30_000);
    t.equal(forged.transactions, holder.transactions.length, 'each block is logged "block forged", as /mine logs it');
    t.same(errorLines(node), [], "no error logged");
  },
);

t.test("a running job takes in the transactions that arrived, without waiting for its block", async (t) => {
  const node = await startNode(["--mine", "--difficulty", NEVER, ...ONE_THREAD], { t });
  const { job } = await until(
    () => statsOf(node),
    (stats) => stats.job !== null,
    "a job in /stats",
  );
  t.equal(job?.index, 2, "it mines block 2");
  const tx = { sender: "carol", recipient: "dave", amount: 3 };
  const added = await request<{ message: string }>(`${node.url}/transactions/new`, { body: tx });
  t.equal(added.status, 200);
  const line = await node.waitForLog((line) => line.msg === REFRESHED, 30_000);
  t.match(line, { index: 2, taken: 0, pending: 1 }, "the job for block 2 restarts to take in the one that arrived");
  const stats = await statsOf(node);
  t.equal(stats.chain_length, 1, "no block was needed for that");
  t.equal(stats.job?.index, 2, "it mines block 2 again, now with the transaction");
  const again = node.logs.filter((line) => line.msg === REFRESHED).length;
  const second = { sender: "carol", recipient: "erin", amount: 4 };
  await request(`${node.url}/transactions/new`, { body: second });
  const next = await node.waitForLog(
    (line) => line.msg === REFRESHED && line.taken === 1 && line.pending === 2,
    30_000,
  );
  t.match(next, { index: 2 }, "and again for the next one, the first one kept");
  t.ok(node.logs.filter((line) => line.msg === REFRESHED).length > again);
});

t.test("GET /mine on a --mine node answers with the next block it forges, in /mine's shape", async (t) => {
  const node = await startNode(["--mine", "--difficulty", FAST, ...ONE_THREAD], { t });
  for (let round = 0; round < 3; round++) {
    const before = (await request<{ length: number }>(`${node.url}/chain/tip`)).body.length;
    const answers = await Promise.all([1, 2].map(() => request<MineBody>(`${node.url}/mine`)));
    for (const answer of answers) {
      t.equal(answer.status, 200);
      t.same(Object.keys(answer.body), ["message", "index", "transactions", "proof", "previous_hash"], "the same keys");
      t.equal(answer.body.message, "New Block Forged");
      t.ok(answer.body.index > before, `block ${answer.body.index}, past the tip (${before}) when asked`);
      t.same(answer.body.transactions.at(-1), reward(node.nodeId), "with this node's reward");
    }
    // Asked together, they wait for the same block, unless one came in after it was forged (a loaded
    // machine may take that long between the two): then it waits for the next. Either way no second
    // job competes: every answer is the chain's block at its height, logged once.
    const bodies = answers.map((answer) => answer.body);
    const [first, second] = bodies as [MineBody, MineBody];
    if (first.index === second.index) t.same(first, second, "the same height: the same block");
    const chain = await chainOf(node);
    for (const body of bodies) {
      t.match(
        chain[body.index - 1],
        { index: body.index, proof: body.proof, previous_hash: body.previous_hash },
        `block ${body.index} is in the chain`,
      );
      // The log line is written before the answer, on another pipe: it may reach the test after it.
      await node.waitForLog((line) => line.msg === "block forged" && line.index === body.index, 30_000);
      t.equal(
        forgedLines(node).filter((line) => line.index === body.index).length,
        1,
        `the node logged "block forged" once for block ${body.index}`,
      );
    }
  }
  t.same(errorLines(node), [], "no error logged");
});

t.test("without --mine nothing changes: it mines only when asked", async (t) => {
  const node = await startNode(["--difficulty", "8", ...ONE_THREAD], { t });
  const stats = await statsOf(node);
  t.equal(stats.mining, "on request", "/stats says it mines on request");
  t.equal(stats.job, null, "no job runs");
  t.notOk(
    node.logs.some((line) => line.msg.startsWith("mining continuously")),
    "it does not log that it mines continuously",
  );
  const mined = await request<MineBody>(`${node.url}/mine`);
  t.match(mined.body, { message: "New Block Forged", index: 2 }, "GET /mine forges block 2 as in the walkthrough");
  t.equal((await request<{ length: number }>(`${node.url}/chain/tip`)).body.length, 2, "and the chain stays there");
});

t.test(
  "SIGTERM while mining: a GET /mine waiting answers 503, the node exits 0 promptly, nothing logged as an error",
  async (t) => {
    const node = await startNode(["--mine", "--difficulty", NEVER, ...ONE_THREAD], { t });
    await until(
      () => statsOf(node),
      (stats) => stats.job !== null,
      "a job in /stats",
    );
    const mining = request<{ message: string }>(`${node.url}/mine`);
    // A request sent after it, answered: the node accepted the connections in order, so it holds the /mine.
    await statsOf(node);
    const exit = await node.stop(PROMPT_EXIT_MS);
    t.same(exit, { code: 0, signal: null }, `exit 0 within ${PROMPT_EXIT_MS} ms`);
    const answer = await mining;
    t.equal(answer.status, 503, "the GET /mine waiting gets 503");
    t.equal(answer.body.message, MINE_STOPPED, "saying no block was forged");
    t.ok(
      node.logs.some((line) => line.msg === "node stopped"),
      'it logs "node stopped"',
    );
    t.same(errorLines(node), [], "no error logged");
  },
);

t.test(
  "SIGTERM while blocks are being written: exit 0, and every block logged forged is there after a restart",
  async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "toychain-mine-"));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    for (let round = 1; round <= 3; round++) {
      const node = await startNode(["--data-dir", dir, "--mine", "--difficulty", "14", ...ONE_THREAD], { t });
      const tx = { sender: `round-${round}`, recipient: "zed", amount: round };
      t.equal((await request(`${node.url}/transactions/new`, { body: tx })).status, 200);
      await node.waitForLog((line) => line.msg === "block forged" && Number(line.index) > 3 * round, 30_000);
      const exit = await node.stop(PROMPT_EXIT_MS);
      t.same(exit, { code: 0, signal: null }, `round ${round}: exit 0 within ${PROMPT_EXIT_MS} ms`);
      t.same(errorLines(node), [], `round ${round}: no error logged`);
      const last = Math.max(...forgedLines(node).map((line) => Number(line.index)));

      const after = await startNode(["--data-dir", dir, "--difficulty", "14", ...ONE_THREAD], { t });
      const chain = await chainOf(after);
      t.ok(
        chain.length >= last,
        `round ${round}: the chain holds ${chain.length} blocks, block ${last} the last logged`,
      );
      t.equal(chainProblem(chain, 14), null, `round ${round}: the chain is valid`);
      const pending = (await request<{ transactions: Tx[] }>(`${after.url}/transactions/pending`)).body.transactions;
      const there = chain.some((block) => holds(block, tx)) || pending.some((each) => each.sender === tx.sender);
      t.ok(there, `round ${round}: the transaction acknowledged is in the chain or pending`);
      await after.stop();
    }
  },
);

t.test("--mine on a spec's chain: every block states the bits aserti3-2d sets, dated in whole seconds", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "toychain-mine-spec-"));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  // 10^5 hashes a block at first: quick on any kernel; aserti3-2d then raises the target's work as blocks come early.
  const file = newChainSpec({
    name: "quick",
    blockTime: 1,
    halfLife: 60,
    hashesPerSecond: 100_000,
    now: Date.now() / 1000 - 30,
  });
  const specPath = path.join(dir, "quick.json");
  fs.writeFileSync(specPath, JSON.stringify(file, null, 2));
  const spec = parseChainSpec(JSON.stringify(file), specPath);
  const node = await startNode(["--chain", specPath, "--mine", ...ONE_THREAD], { t });
  const mined = await request<MineBody & { bits: string }>(`${node.url}/mine`);
  t.match(mined.body, { message: "New Block Forged", bits: /^[0-9a-f]{8}$/ }, "GET /mine names the next block's bits");
  const chain = await until(
    () => chainOf(node),
    (chain) => chain.length >= 6,
    "blocks forged by themselves",
  );
  for (let i = 1; i < chain.length; i++) {
    const block = chain[i] as Block & { bits?: string };
    const parent = chain[i - 1] as Block;
    t.equal(block.previous_hash, blockHash(parent), `block ${block.index} links to its parent`);
    t.equal(block.bits, nextTarget(spec, parent).bits, `block ${block.index} states the bits aserti3-2d sets`);
    t.ok(Number.isInteger(block.timestamp), `block ${block.index} is dated in whole seconds`);
  }
  t.same(errorLines(node), [], "no error logged");
});
