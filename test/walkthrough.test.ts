import t, { type Test } from "tap";
import {
  type Block,
  type ChainBody,
  chainProblem,
  hashOf,
  NODE_ID,
  type ResolveBody,
  reward,
  type Tx,
} from "./helpers/chain-check.js";
import { type NodeProcess, request, startNode } from "./helpers/node-process.js";

/**
 * The walkthrough of the seed, on two real node processes, as a user would
 * follow it with curl: register, transact, mine, mine again on one, resolve.
 */

const DIFFICULTY = 12;
const FLAGS = ["--threads", "2", "--difficulty", String(DIFFICULTY)];

interface Mined {
  message: string;
  index: number;
  transactions: Tx[];
  proof: number;
  previous_hash: string;
}
interface Pending {
  transactions: Tx[];
  length: number;
}

const peerName = (node: NodeProcess) => `127.0.0.1:${node.port}`;

async function register(t: Tap, on: NodeProcess, other: NodeProcess): Promise<void> {
  const res = await request(`${on.url}/nodes/register`, { body: { nodes: [`http://127.0.0.1:${other.port}`] } });
  t.equal(res.status, 200, `register ${peerName(other)} on ${peerName(on)}`);
  t.same(res.body, { message: "1 new nodes have been successfully added", total_nodes: [peerName(other)] });
}

async function mine(t: Tap, on: NodeProcess): Promise<Mined> {
  const res = await request<Mined>(`${on.url}/mine`);
  t.equal(res.status, 200, `GET /mine on ${peerName(on)}`);
  t.equal(res.body.message, "New Block Forged");
  return res.body;
}

const getChain = async (node: NodeProcess) => (await request<ChainBody>(`${node.url}/chain`)).body;
const getPending = async (node: NodeProcess) => (await request<Pending>(`${node.url}/transactions/pending`)).body;

type Tap = Test;

const LEA_10: Tx = { sender: "Lea", recipient: "Mark", amount: 10 };
const LEA_5: Tx = { sender: "Lea", recipient: "Mark", amount: 5 };

t.test("the walkthrough on two nodes: the node behind adopts the longer chain", async (t) => {
  const [a, b] = await Promise.all([startNode(FLAGS, { t }), startNode(FLAGS, { t })]);
  t.match(a.nodeId, NODE_ID, "node ids are 32 lowercase hex digits");
  t.not(a.nodeId, b.nodeId, "the two nodes have different ids");

  // Registering nodes, both ways, with the walkthrough's exact answer.
  await register(t, a, b);
  await register(t, b, a);

  // Adding transactions: Lea sends 10, then 5, to Mark, on both nodes.
  for (const node of [a, b]) {
    for (const tx of [LEA_10, LEA_5]) {
      const res = await request(`${node.url}/transactions/new`, { body: tx });
      t.equal(res.status, 200);
      t.same(res.body, {
        message: "Transaction added to the list of current transactions and will be mined into the block at index 2",
      });
    }
    t.same(await getPending(node), { transactions: [LEA_10, LEA_5], length: 2 }, "the mempool holds both, in order");
  }

  // Mining on both: each forges block 2 with both transactions, then its own reward.
  const genesisHash = hashOf((await getChain(a)).chain[0] as Block);
  for (const node of [a, b]) {
    const block = await mine(t, node);
    t.equal(block.index, 2);
    t.same(block.transactions, [LEA_10, LEA_5, reward(node.nodeId)], "Lea's two transactions, then the reward");
    t.equal(block.previous_hash, genesisHash, "block 2 follows the shared genesis");
    t.ok(Number.isSafeInteger(block.proof) && block.proof >= 0, "the proof is a non-negative integer");
    t.same(await getPending(node), { transactions: [], length: 0 }, "the mempool is empty after the block");
  }

  // Mining again on the second node only: block 3 holds just the reward.
  const third = await mine(t, b);
  t.equal(third.index, 3);
  t.same(third.transactions, [reward(b.nodeId)]);

  const chainA = await getChain(a);
  const chainB = await getChain(b);
  t.equal(chainA.length, 2);
  t.equal(chainB.length, 3);
  t.equal(chainB.chain.length, 3);
  t.equal(chainProblem(chainA.chain, DIFFICULTY), null, "the first node's chain links and proves");
  t.equal(chainProblem(chainB.chain, DIFFICULTY), null, "the second node's chain links and proves");
  t.notSame(chainA.chain[1], chainB.chain[1], "the two blocks 2 differ (rewards, timestamps)");

  // Resolving on the first node: it adopts the second's chain.
  const resolvedA = await request<ResolveBody>(`${a.url}/nodes/resolve`);
  t.equal(resolvedA.status, 200);
  t.equal(resolvedA.body.message, "Our chain was replaced");
  t.same(resolvedA.body.new_chain, chainB.chain, "new_chain is the second node's chain");
  t.notOk("chain" in resolvedA.body, "a replacement answers new_chain, not chain");
  t.match(resolvedA.body.peers, [{ node: peerName(b), reached: true, verdict: "adopted", length: 3 }]);
  t.equal(resolvedA.body.peers.length, 1);

  // Resolving on the second node: its chain stays.
  const resolvedB = await request<ResolveBody>(`${b.url}/nodes/resolve`);
  t.equal(resolvedB.status, 200);
  t.equal(resolvedB.body.message, "Our chain is authoritative");
  t.same(resolvedB.body.chain, chainB.chain);
  t.notOk("new_chain" in resolvedB.body);
  t.match(resolvedB.body.peers, [{ node: peerName(a), reached: true, verdict: "not longer", length: 3 }]);

  const afterA = await getChain(a);
  t.same(afterA, await getChain(b), "both nodes now serve the same chain");
  t.same(afterA, chainB);

  // The adopted chain holds Lea's transactions: the first node must not mine them again.
  t.same(await getPending(a), { transactions: [], length: 0 }, "nothing is pending on the first node");
  const fourth = await mine(t, a);
  t.equal(fourth.index, 4);
  t.same(fourth.transactions, [reward(a.nodeId)], "block 4 holds only the first node's reward");
  t.equal(fourth.previous_hash, hashOf(chainB.chain[2] as Block), "block 4 extends the adopted chain");
  const final = await getChain(a);
  t.equal(final.length, 4);
  t.equal(chainProblem(final.chain, DIFFICULTY), null);
  const leas = final.chain.flatMap((block) => block.transactions).filter((tx) => tx.sender === "Lea");
  t.same(leas, [LEA_10, LEA_5], "Lea's transactions appear once on the chain");

  // The logs: every job is logged, and so is the replacement.
  const forged = await b.waitForLog((line) => line.msg === "block forged" && line.index === 3);
  t.match(forged, {
    index: 3,
    threads: 2,
    difficulty: DIFFICULTY,
    hashes: Number,
    seconds: Number,
    mhps: Number,
    winner: Number,
  });
  t.ok((forged.hashes as number) > 0, "the job tried some hashes");
  t.ok([0, 1].includes(forged.winner as number), "the winner is one of the two workers");
  const forgedOnA = await a.waitForLog((line) => line.msg === "block forged" && line.index === 4);
  t.match(forgedOnA, { threads: 2, difficulty: DIFFICULTY, transactions: 1 });
  const replaced = await a.waitForLog((line) => line.msg === "chain replaced");
  t.match(replaced, { from: peerName(b), length: 3 });
  t.notOk(
    b.logs.some((line) => line.msg === "chain replaced"),
    "the second node never replaced its chain",
  );
});

t.test("a node whose block was orphaned keeps its orphaned transactions", async (t) => {
  const [a, b] = await Promise.all([startNode(FLAGS, { t }), startNode(FLAGS, { t })]);
  await register(t, a, b);

  const x: Tx = { sender: `Orphan-${process.pid}-${Date.now()}`, recipient: "Mark", amount: 3.25 };
  const added = await request(`${a.url}/transactions/new`, { body: x });
  t.equal(added.status, 200);
  const minedA = await mine(t, a);
  t.same(minedA.transactions, [x, reward(a.nodeId)], "A's block 2 holds X");

  const b2 = await mine(t, b);
  const b3 = await mine(t, b);
  t.same([b2.index, b3.index], [2, 3]);
  t.same(b2.transactions, [reward(b.nodeId)], "B's blocks are empty but for the reward");
  t.same(b3.transactions, [reward(b.nodeId)]);

  const resolved = await request<ResolveBody>(`${a.url}/nodes/resolve`);
  t.equal(resolved.body.message, "Our chain was replaced");
  t.same(resolved.body.new_chain, (await getChain(b)).chain);

  t.same(await getPending(a), { transactions: [x], length: 1 }, "X is pending again, and A's reward is not");

  const next = await mine(t, a);
  t.equal(next.index, 4);
  t.same(next.transactions, [x, reward(a.nodeId)], "A's next block holds X again");
  const chain = await getChain(a);
  t.equal(chainProblem(chain.chain, DIFFICULTY), null);
  t.equal(chain.chain.flatMap((block) => block.transactions).filter((tx) => tx.sender === x.sender).length, 1);
  t.same(await getPending(a), { transactions: [], length: 0 });
});
