import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { type Block, blockHash, feesOf, type Transaction } from "../src/chain/index.js";
import { type SignedTransaction, transactionId } from "../src/keys/index.js";
import type { AccountBody } from "../src/schemas/index.js";
import { loadChainSpec } from "../src/specs/index.js";
import { type NodeProcess, request, runCli, startNode } from "./helpers/node-process.js";
import { mineOn, workOf } from "./helpers/spec-chain.js";
import { sendJson, serve, servesChain } from "./helpers/sync-peer.js";
import { newWallet, type TestWallet, transfer } from "./helpers/wallets.js";

/**
 * A peer's accounts chain, against a real node process: the peer is a
 * loopback server that serves, as a node does (tip, fork point, pages),
 * blocks this test forged with valid proofs of work. A block whose reward
 * is above its subsidy plus its fees is refused with that reason, and the
 * peer backs off. A fork that spends the coins our branch spent, once, is a
 * valid reorganisation: the accounts are the peer branch's, our transfer
 * that it conflicts with is dropped from the mempool (logged), and the
 * other transfer of our dropped block is pending again. A fork that spends
 * the same coins twice (in two blocks, with a nonce used again, or within
 * one block) is refused with the ledger's reason. Every refusal leaves the
 * tip, the accounts and the mempool as they were.
 */

const dir = mkdtempSync(join(tmpdir(), "toychain-accounts-peers-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const specFile = join(dir, "peers.json");
// An accounts chain (chain new's default) whose pow limit, about 2^255, takes two hashes a block on average, so
// that the test forges valid proofs at once. Blocks dated a second apart from the genesis are on its schedule
// and a node's are behind it: every block's target is that limit, and the longer of two chains holds more work.
const made = await runCli([
  ...["chain", "new", "--out", specFile, "--block-time", "1", "--half-life", "10000"],
  ...["--hashrate", "1", "--pow-limit", "207fffff", "--reward", "1000"],
]);
if (made.code !== 0) throw new Error(`chain new failed: ${made.stderr}`);
const SPEC = loadChainSpec(specFile, 16);
const CHAIN_ID = SPEC.id;
const SUBSIDY = 1000;
const PREFIX = SPEC.ledger.kind === "accounts" ? SPEC.ledger.prefix : "";
const FLAGS = ["--chain", specFile, "--threads", "1", "--peer-timeout", "5000"];

const lea = newWallet(PREFIX);
const mark = newWallet(PREFIX);
const cleo = newWallet(PREFIX);
const dan = newWallet(PREFIX);
const eve = newWallet(PREFIX);
const finn = newWallet(PREFIX);
/** Whom the peers' forged blocks reward. */
const miner = newWallet(PREFIX);
const WALLETS = { lea, mark, cleo, dan, eve, finn, miner };

/** `chain` and a block on its tip holding `transfers`, then a reward to `to`: by default the subsidy plus the fees. */
function on(chain: readonly Block[], transfers: Transaction[], to: TestWallet, reward?: number): Block[] {
  const amount = reward ?? SUBSIDY + Number(feesOf(transfers));
  const parent = chain[chain.length - 1] as Block;
  return [...chain, mineOn(SPEC, parent, [...transfers, { sender: "0", recipient: to.address, amount }], 1)];
}

interface Peer {
  url: string;
  /** The peer as the node names it in its reports: host:port. */
  id: string;
  /** Serves `chain` from now on. */
  serving(chain: Block[]): void;
}

/** A loopback peer serving `first` as a node does, its tip claiming the work its blocks hold. */
async function peerServing(t: Test, first: Block[]): Promise<Peer> {
  let chain = first;
  const url = await serve(t, (req, res) =>
    servesChain(chain, 0, (step, _req, answer) => {
      if (step !== "tip") return false;
      const tip = chain[chain.length - 1] as Block;
      sendJson(answer, { length: chain.length, hash: blockHash(tip), work: String(workOf(chain)), chain: CHAIN_ID });
      return true;
    })(req, res),
  );
  return {
    url,
    id: new URL(url).host,
    serving: (next) => {
      chain = next;
    },
  };
}

interface PeerReport {
  node: string;
  reached: boolean;
  verdict: string;
  reason?: string;
  failures?: number;
}
interface Resolved {
  message: string;
  peers: PeerReport[];
}
interface Mined {
  index: number;
  transactions: Transaction[];
}

const idOf = (tx: Transaction): string => transactionId(CHAIN_ID, tx as SignedTransaction);
const resolve = async (node: NodeProcess): Promise<Resolved> =>
  (await request<Resolved>(`${node.url}/nodes/resolve`, { timeoutMs: 60_000 })).body;
/** Whose account is read: a test's wallet, or a node's reward address. */
type Holder = Pick<TestWallet, "address">;
const accountOf = async (node: NodeProcess, wallet: Holder): Promise<AccountBody> => {
  const { status, body } = await request<AccountBody>(`${node.url}/accounts/${wallet.address}`);
  if (status !== 200) throw new Error(`GET /accounts/${wallet.address} answered ${status}: ${JSON.stringify(body)}`);
  return body;
};
/** An account with nothing pending from or to it. */
const settled = (wallet: Holder, balance: number, nonce: number): AccountBody => ({
  address: wallet.address,
  balance,
  nonce,
  next_nonce: nonce + 1,
  pending: { from: [], to: [] },
});
const post = async (node: NodeProcess, tx: Transaction): Promise<void> => {
  const { status, body } = await request(`${node.url}/transactions/new`, { body: tx });
  if (status !== 200) throw new Error(`POST /transactions/new answered ${status}: ${JSON.stringify(body)}`);
};
const mine = async (node: NodeProcess): Promise<Mined> => {
  const { status, body } = await request<Mined>(`${node.url}/mine`, { timeoutMs: 60_000 });
  if (status !== 200) throw new Error(`GET /mine answered ${status}: ${JSON.stringify(body)}`);
  return body;
};
/** The address a node's rewards go to: the key it made, in memory here. */
const rewardsOf = async (node: NodeProcess): Promise<Holder> => ({
  address: (await request<{ chain: { reward_address: string } }>(`${node.url}/stats`)).body.chain.reward_address,
});
/** What a refused chain must leave as it was: the tip, every account the test knows, the node's own, and the pool. */
const stateOf = async (node: NodeProcess) => {
  const accounts: Record<string, AccountBody> = {};
  for (const [name, holder] of Object.entries({ ...WALLETS, node: await rewardsOf(node) })) {
    accounts[name] = await accountOf(node, holder);
  }
  return {
    tip: (await request(`${node.url}/chain/tip`)).body,
    accounts,
    pending: (await request(`${node.url}/transactions/pending`)).body,
  };
};

/**
 * A node on the chain the peer serves at first, `base` (the genesis, then
 * blocks 2 and 3), adopted by a resolve.
 */
async function nodeOn(t: Test, base: Block[]): Promise<{ node: NodeProcess; peer: Peer }> {
  const node = await startNode(FLAGS, { t });
  const peer = await peerServing(t, base);
  await request(`${node.url}/nodes/register`, { body: { nodes: [peer.url] } });
  const adopted = await resolve(node);
  if (adopted.message !== "Our chain was replaced")
    throw new Error(`the base was not adopted: ${JSON.stringify(adopted)}`);
  return { node, peer };
}

t.test("a peer's block whose reward is above its subsidy plus its fees: refused, the peer backs off", async (t) => {
  const base = on(on([SPEC.genesis], [], lea), [], lea);
  const { node, peer } = await nodeOn(t, base);
  t.same(await accountOf(node, lea), settled(lea, 2 * SUBSIDY, 0), "two blocks' rewards to Lea");
  // Lea's transfer, pending here; the peer's block 4 holds it too, and pays its miner 1 more than it may.
  const pay = transfer(CHAIN_ID, lea, cleo.address, { amount: 100, fee: 3, nonce: 1 });
  await post(node, pay);
  const greedy = on(on(base, [pay], miner, SUBSIDY + 3 + 1), [], miner);
  peer.serving(greedy);
  const before = await stateOf(node);

  const reason = `block 4: the reward must be the subsidy ${SUBSIDY} plus the block's fees 3, ${SUBSIDY + 3}, not ${SUBSIDY + 4}`;
  for (let failures = 1; failures <= 3; failures++) {
    const resolved = await resolve(node);
    t.equal(resolved.message, "Our chain is authoritative", `resolve ${failures}: ours is kept`);
    t.match(resolved.peers, [{ node: peer.id, reached: true, verdict: "invalid", failures }], "the peer is invalid");
    t.equal(resolved.peers[0]?.reason, reason, "with the rule it broke");
    t.same(await stateOf(node), before, `resolve ${failures}: the tip, the accounts and the pool are unchanged`);
  }
  const warned = await node.waitForLog((line) => line.msg === "peer chain not usable" && line.reason === reason);
  t.match(warned, { node: peer.id, verdict: "invalid" }, "the log says why");
  t.match((await resolve(node)).peers, [{ node: peer.id, verdict: "skipped" }], "then the peer backs off");
  t.same(await stateOf(node), before, "and nothing changed");
});

/**
 * The base both branches share: blocks 2 and 3 reward Lea and Dan. Our
 * branch, mined by the node: block 4, where Lea pays Mark all she holds and
 * Dan pays Eve.
 */
async function ourBranch(t: Test) {
  const base = on(on([SPEC.genesis], [], lea), [], dan);
  const { node, peer } = await nodeOn(t, base);
  const toMark = transfer(CHAIN_ID, lea, mark.address, { amount: 990, fee: 10, nonce: 1 });
  const toEve = transfer(CHAIN_ID, dan, eve.address, { amount: 100, fee: 1, nonce: 1 });
  await post(node, toMark);
  await post(node, toEve);
  const ours = await mine(node);
  return { base, node, peer, toMark, toEve, ours };
}

t.test("a peer's fork that spends the coins our branch spent: a valid reorganisation", async (t) => {
  const { base, node, peer, toMark, toEve, ours } = await ourBranch(t);
  t.equal(ours.index, 4);
  t.same(ours.transactions.slice(0, -1), [toMark, toEve], "our block 4 holds both transfers, the higher fee first");
  const us = await rewardsOf(node);
  t.same(await accountOf(node, lea), settled(lea, 0, 1), "our branch: Lea paid all she held");
  t.same(await accountOf(node, mark), settled(mark, 990, 0), "to Mark");
  t.same(await accountOf(node, us), settled(us, SUBSIDY + 11, 0), "and the node earned the fees");

  // The peer's branch: block 4 pays Lea's coins to Cleo instead, and block 5 gives it more work than ours.
  const toCleo = transfer(CHAIN_ID, lea, cleo.address, { amount: 995, fee: 5, nonce: 1 });
  const fork = on(on(base, [toCleo], miner), [], miner);
  const ourWork = BigInt((await request<{ work: string }>(`${node.url}/chain/tip`)).body.work);
  t.ok(workOf(fork) > ourWork, "the fork holds more work than our chain");
  peer.serving(fork);
  const resolved = await resolve(node);
  t.equal(resolved.message, "Our chain was replaced");
  t.match(resolved.peers, [{ node: peer.id, verdict: "adopted", length: 5 }]);
  t.same((await request(`${node.url}/chain/tip`)).body.hash, blockHash(fork[4] as Block), "the peer's tip is ours");

  t.same(await accountOf(node, lea), settled(lea, 0, 1), "Lea: her coins and nonce are spent, by the peer's branch");
  t.same(await accountOf(node, cleo), settled(cleo, 995, 0), "Cleo has them");
  t.same(await accountOf(node, mark), settled(mark, 0, 0), "Mark no longer does");
  t.same(await accountOf(node, us), settled(us, 0, 0), "nor the node its reward for our dropped block");
  t.same(await accountOf(node, miner), settled(miner, 2 * SUBSIDY + 5, 0), "the peer's miner has its two");

  const dropped = await node.waitForLog((line) => line.msg.startsWith("the replaced chain left"));
  t.equal(dropped.msg, "the replaced chain left 1 pending transfers invalid: dropped");
  t.same(
    dropped.dropped,
    [{ id: idOf(toMark), reason: `nonce 1 from ${lea.address} is used: its last confirmed is 1` }],
    "Lea's transfer to Mark, which the peer's branch conflicts with, is dropped and logged",
  );
  const unknown = await request<{ status: string }>(`${node.url}/transactions/${idOf(toMark)}`);
  t.equal(unknown.status, 404, "it is neither pending nor confirmed");
  t.equal(unknown.body.status, "unknown");

  t.same(
    (await request(`${node.url}/transactions/pending`)).body,
    { transactions: [toEve], length: 1 },
    "Dan's transfer to Eve, of our dropped block, is pending again",
  );
  t.same(await accountOf(node, dan), {
    ...settled(dan, SUBSIDY, 0),
    next_nonce: 2,
    pending: { from: [{ id: idOf(toEve), transaction: toEve }], to: [] },
  });
  t.same(await accountOf(node, eve), {
    ...settled(eve, 0, 0),
    pending: { from: [], to: [{ id: idOf(toEve), transaction: toEve }] },
  });

  const next = await mine(node);
  t.equal(next.index, 6);
  t.same(next.transactions.slice(0, -1), [toEve], "the next block confirms it");
  t.same(await accountOf(node, eve), settled(eve, 100, 0));
  t.same(await accountOf(node, dan), settled(dan, SUBSIDY - 101, 1));
});

t.test(
  "a peer's fork that spends the same coins twice: refused with the ledger's reason, nothing changed",
  async (t) => {
    const { base, node, peer } = await ourBranch(t);
    // Something pending, which a refused chain must leave pending: Dan's second transfer.
    await post(node, transfer(CHAIN_ID, dan, finn.address, { amount: 50, fee: 1, nonce: 2 }));
    const before = await stateOf(node);
    t.equal(before.accounts.mark?.balance, 990, "our branch paid Mark");

    const toCleo = transfer(CHAIN_ID, lea, cleo.address, { amount: 995, fee: 5, nonce: 1 });
    const forks: [string, Block[], string][] = [
      [
        "Lea's coins spent again in the fork's next block",
        on(
          on(on(base, [toCleo], miner), [transfer(CHAIN_ID, lea, finn.address, { amount: 500, nonce: 2 })], miner),
          [],
          miner,
        ),
        `block 5: transaction 1: ${lea.address} spends 500 (amount 500 and fee 0) but holds 0`,
      ],
      [
        "Lea's nonce 1 used again in the fork's next block",
        on(
          on(on(base, [toCleo], miner), [transfer(CHAIN_ID, lea, finn.address, { amount: 1, nonce: 1 })], miner),
          [],
          miner,
        ),
        `block 5: transaction 1: nonce 1 from ${lea.address}, whose next is 2 (already used)`,
      ],
      [
        "Lea's coins spent twice within one block",
        on(
          on(
            on(
              base,
              [
                transfer(CHAIN_ID, lea, cleo.address, { amount: 600, nonce: 1 }),
                transfer(CHAIN_ID, lea, finn.address, { amount: 600, nonce: 2 }),
              ],
              miner,
            ),
            [],
            miner,
          ),
          [],
          miner,
        ),
        `block 4: transaction 2: ${lea.address} spends 600 (amount 600 and fee 0) but holds 400`,
      ],
    ];
    for (const [failures, [name, fork, reason]] of forks.map((entry, i) => [i + 1, entry] as const)) {
      peer.serving(fork);
      const resolved = await resolve(node);
      t.equal(resolved.message, "Our chain is authoritative", `${name}: ours is kept`);
      t.match(resolved.peers, [{ node: peer.id, reached: true, verdict: "invalid", failures }], `${name}: invalid`);
      t.equal(resolved.peers[0]?.reason, reason, `${name}: ${reason}`);
      t.same(await stateOf(node), before, `${name}: the tip, the accounts and the pool are unchanged`);
    }
    t.match((await resolve(node)).peers, [{ node: peer.id, verdict: "skipped" }], "after three, the peer backs off");
  },
);
