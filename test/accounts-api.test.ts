import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { type Transaction, walkthroughSpec } from "../src/chain/index.js";
import {
  decryptKey,
  readKeystore,
  type SignedTransaction,
  sign,
  signingMessage,
  transactionId,
} from "../src/keys/index.js";
import { REWARD_KEY_FILE, REWARD_PASSPHRASE_FILE } from "../src/ledger/index.js";
import type { AccountBody, AccountTransactionsBody, ConfirmedTransactionBody } from "../src/schemas/index.js";
import { type NodeProcess, request, runCli, startNode } from "./helpers/node-process.js";
import { newWallet, rewardWallet, transfer } from "./helpers/wallets.js";

/**
 * The accounts ledger through the API of real node processes, as a user
 * meets it: a chain made with `chain new --ledger accounts`, a node whose
 * rewards go to the key in its data dir, transfers signed with that key,
 * balances on that node and on a second one that syncs from it, every
 * refusal with its status and message and the state left as it was, an
 * account's history in pages, and a transaction from pending to confirmed.
 */

const dir = mkdtempSync(join(tmpdir(), "toychain-accounts-api-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const specFile = join(dir, "accounts.json");
// A low hash rate sets the easiest target the chain allows: blocks in a few ms on one thread.
const made = await runCli([
  ...["chain", "new", "--out", specFile, "--block-time", "5"],
  ...["--ledger", "accounts", "--reward", "1000", "--hashrate", "1e3"],
]);
if (made.code !== 0) throw new Error(`chain new failed: ${made.stderr}`);

const FLAGS = ["--chain", specFile, "--threads", "1"];
const a = await startNode([...FLAGS, "--data-dir", join(dir, "a")], { t });
const b = await startNode(FLAGS, { t });

const { body: stats } = await request<{ chain: { id: string; address_prefix: string; reward_address: string } }>(
  `${a.url}/stats`,
);
const chainId = stats.chain.id;
const prefix = stats.chain.address_prefix;

// The wallet of the key node a made in its data dir, opened with the passphrase it wrote beside it.
const miner = await rewardWallet(join(dir, "a"));
const payee = newWallet(prefix);
const ADDED = "Transaction added to the list of current transactions and will be mined into the block at index";
const REWARD = 1000;

interface Refusal {
  message: string;
  errors?: { field: string; message: string }[];
}

const accountOf = async (node: NodeProcess, address: string): Promise<AccountBody> => {
  const { status, body } = await request<AccountBody>(`${node.url}/accounts/${address}`);
  if (status !== 200) throw new Error(`GET /accounts/${address} answered ${status}: ${JSON.stringify(body)}`);
  return body;
};
const post = (node: NodeProcess, tx: Transaction) =>
  request<{ message: string; id?: string } & Partial<Refusal>>(`${node.url}/transactions/new`, { body: tx });
const mine = async (node: NodeProcess): Promise<{ index: number; transactions: Transaction[] }> => {
  const { status, body } = await request<{ index: number; transactions: Transaction[] }>(`${node.url}/mine`, {
    timeoutMs: 60_000,
  });
  if (status !== 200) throw new Error(`GET /mine answered ${status}: ${JSON.stringify(body)}`);
  return body;
};
const statusOf = (node: NodeProcess, id: string) => request(`${node.url}/transactions/${id}`);
/** b asks a for its chain, which has more work. */
const resolveB = async (): Promise<string> =>
  (await request<{ message: string }>(`${b.url}/nodes/resolve`, { timeoutMs: 60_000 })).body.message;
/** What a refusal must leave unchanged: both accounts and the pool. */
const state = async (node: NodeProcess) => ({
  miner: await accountOf(node, miner.address),
  payee: await accountOf(node, payee.address),
  pending: (await request(`${node.url}/transactions/pending`)).body,
});
const unsigned = (tx: Transaction): Omit<SignedTransaction, "signature"> => {
  const { sender, recipient, amount, fee = 0, nonce = 0 } = tx;
  return { sender, recipient, amount, fee, nonce };
};

t.equal(stats.chain.reward_address, miner.address, "node a's rewards go to the key it made in its data dir");

t.test("two wallets: mine to one, send to the other, and both balances are right on both nodes", async (t) => {
  for (let i = 0; i < 3; i++) await mine(a);
  t.same(
    await accountOf(a, miner.address),
    { address: miner.address, balance: 3 * REWARD, nonce: 0, next_nonce: 1, pending: { from: [], to: [] } },
    "three blocks' rewards",
  );

  const pay = transfer(chainId, miner, payee.address, { amount: 250, fee: 2, nonce: 1 });
  const id = transactionId(chainId, pay as SignedTransaction);
  const posted = await post(a, pay);
  t.equal(posted.status, 200);
  t.same(posted.body, { message: `${ADDED} 5`, id }, "taken, with the transfer's id");

  t.same((await statusOf(a, id)).body, { id, status: "pending", transaction: pay }, "pending");
  t.same(
    await accountOf(a, miner.address),
    {
      address: miner.address,
      balance: 3 * REWARD,
      nonce: 0,
      next_nonce: 2,
      pending: { from: [{ id, transaction: pay }], to: [] },
    },
    "the sender: its balance unchanged until a block, its next nonce after the pending one",
  );
  t.same(
    await accountOf(a, payee.address),
    {
      address: payee.address,
      balance: 0,
      nonce: 0,
      next_nonce: 1,
      pending: { from: [], to: [{ id, transaction: pay }] },
    },
    "the payee: paid, pending",
  );

  const block = await mine(a);
  t.equal(block.index, 5);
  t.same(block.transactions, [pay, { sender: "0", recipient: miner.address, amount: REWARD + 2 }], "with the fee");
  const confirmed = { id, status: "confirmed", block: 5, position: 0, transaction: pay };
  t.same((await statusOf(a, id)).body, { ...confirmed, confirmations: 1 }, "confirmed in block 5");

  const expected = {
    miner: {
      address: miner.address,
      balance: 4 * REWARD - 250 - 2 + 2,
      nonce: 1,
      next_nonce: 2,
      pending: { from: [], to: [] },
    },
    payee: { address: payee.address, balance: 250, nonce: 0, next_nonce: 1, pending: { from: [], to: [] } },
  };
  t.same(await accountOf(a, miner.address), expected.miner, "node a: the sender paid 252 and earned the fee back");
  t.same(await accountOf(a, payee.address), expected.payee, "node a: the payee holds 250");

  const registered = await request(`${b.url}/nodes/register`, { body: { nodes: [a.url] } });
  t.equal(registered.status, 200);
  t.equal(await resolveB(), "Our chain was replaced", "node b syncs node a's chain");
  t.same(await accountOf(b, miner.address), expected.miner, "node b: the same sender's account");
  t.same(await accountOf(b, payee.address), expected.payee, "node b: the same payee's account");
  t.same((await statusOf(b, id)).body, { ...confirmed, confirmations: 1 }, "node b: confirmed in block 5");

  await mine(a);
  t.same((await statusOf(a, id)).body, { ...confirmed, confirmations: 2 }, "a block on top: 2 confirmations");
  t.equal(await resolveB(), "Our chain was replaced");
  t.same((await statusOf(b, id)).body, { ...confirmed, confirmations: 2 }, "on node b too, once it has the block");
});

t.test("refusals: each with its status and reason, the state unchanged", async (t) => {
  const before = await state(a);
  t.equal(before.miner.nonce, 1, "the miner's first transfer is confirmed");
  const next = { amount: 10, fee: 1, nonce: 2 };
  const genuine = transfer(chainId, miner, payee.address, next);
  const forged = {
    ...genuine,
    signature: Buffer.from(sign(payee.secretKey, signingMessage(chainId, unsigned(genuine)))).toString("hex"),
  };
  const otherChain = transfer(walkthroughSpec(16).id, miner, payee.address, next);
  const replayed = transfer(chainId, miner, payee.address, { amount: 250, fee: 2, nonce: 1 });
  const gap = transfer(chainId, miner, payee.address, { ...next, nonce: 4 });
  const badSignature = `signature does not verify for sender ${miner.address}`;
  const cases: [string, Transaction, number, Refusal][] = [
    [
      "a forged signature (the payee's key over the miner's transfer)",
      forged,
      400,
      { message: badSignature, errors: [{ field: "signature", message: badSignature }] },
    ],
    [
      "a signature made for another chain",
      otherChain,
      400,
      { message: badSignature, errors: [{ field: "signature", message: badSignature }] },
    ],
    [
      "a replayed transaction (confirmed already)",
      replayed,
      409,
      { message: `nonce 1 from ${miner.address} is used: its last confirmed is 1` },
    ],
    ["a nonce gap", gap, 409, { message: `nonce 4 from ${miner.address} leaves a gap: the next is 2` }],
  ];
  for (const [name, tx, status, body] of cases) {
    const refused = await post(a, tx);
    t.equal(refused.status, status, `${name}: ${status}`);
    t.same(refused.body, body, `${name}: the reason`);
    t.same(await state(a), before, `${name}: the state is unchanged`);
  }
});

t.test("an overspend split across two transfers meant for one block: the second is refused", async (t) => {
  const { balance } = await accountOf(a, miner.address);
  const part = Math.floor(balance * 0.6);
  const first = transfer(chainId, miner, payee.address, { amount: part, fee: 0, nonce: 2 });
  const second = transfer(chainId, miner, payee.address, { amount: part, fee: 0, nonce: 3 });
  t.equal((await post(a, first)).status, 200, "the first fits the balance");
  const before = await state(a);

  const refused = await post(a, second);
  t.equal(refused.status, 422);
  t.same(refused.body, {
    message: `${miner.address} holds ${balance}, and its pending transfers with this one need ${2 * part}`,
  });
  t.same(await state(a), before, "the state is unchanged");
  const again = await post(a, first);
  t.equal(again.status, 409, "the first posted again while pending: 409");
  t.same(again.body, { message: `transfer ${transactionId(chainId, first as SignedTransaction)} is pending already` });
  t.same(await state(a), before, "the state is unchanged");

  const block = await mine(a);
  t.same(
    block.transactions,
    [first, { sender: "0", recipient: miner.address, amount: REWARD }],
    "the block holds the first only",
  );
  t.equal((await accountOf(a, miner.address)).balance, balance - part + REWARD);
  t.equal((await accountOf(a, payee.address)).balance, 250 + part);
  t.equal(await resolveB(), "Our chain was replaced");
  t.same(await state(b), await state(a), "node b agrees");
});

t.test("an account's history, newest first, in pages", async (t) => {
  const history = (address: string, query = "") =>
    request<AccountTransactionsBody & Refusal>(`${a.url}/accounts/${address}/transactions${query}`);
  const whole = await history(miner.address, "?limit=100");
  t.equal(whole.status, 200);
  const tip = (await request<{ length: number }>(`${a.url}/chain/tip`)).body.length;
  t.equal(tip, 7, "blocks 2 to 7 were mined by node a");
  const transactions = whole.body.transactions as ConfirmedTransactionBody[];
  t.same(
    transactions.map((entry) => [entry.block, entry.position, entry.confirmations]),
    [
      [7, 1, 1],
      [7, 0, 1],
      [6, 0, 2],
      [5, 1, 3],
      [5, 0, 3],
      [4, 0, 4],
      [3, 0, 5],
      [2, 0, 6],
    ],
    "its six rewards and its two transfers, newest first, each with its block, place and confirmations",
  );
  t.equal(whole.body.next, null, "one page holds them all");
  t.same(
    transactions[4]?.transaction,
    transfer(chainId, miner, payee.address, { amount: 250, fee: 2, nonce: 1 }),
    "each with its transaction",
  );

  const pages: ConfirmedTransactionBody[][] = [];
  let before: string | null | undefined;
  do {
    const page = await history(miner.address, `?limit=2${before ? `&before=${before}` : ""}`);
    t.equal(page.status, 200);
    pages.push(page.body.transactions as ConfirmedTransactionBody[]);
    before = page.body.next;
  } while (before !== null);
  t.same(
    pages.map((page) => page.length),
    [2, 2, 2, 2],
    "pages of 2, the last one saying it is the last",
  );
  t.same(pages.flat(), transactions, "the pages, joined, are the whole history");
  const defaultPage = await history(miner.address);
  t.same(defaultPage.body.transactions, transactions, "20 a page by default");

  const payeeHistory = await history(payee.address);
  t.same(
    (payeeHistory.body.transactions as ConfirmedTransactionBody[]).map((entry) => [entry.block, entry.position]),
    [
      [7, 0],
      [5, 0],
    ],
    "the payee's: the two transfers paying it",
  );

  for (const [query, message] of [
    ["?limit=0", "Invalid query: limit must be >= 1"],
    ["?limit=101", "Invalid query: limit must be <= 100"],
    ["?before=8", 'Invalid query: before must match pattern "^[0-9]{16}/[0-9]{5}$"'],
  ] as const) {
    const refused = await history(miner.address, query);
    t.equal(refused.status, 400, `${query}: 400`);
    t.equal(refused.body.message, message);
  }
});

t.test("a mistyped address or id: 400 naming the field; an unknown id: 404", async (t) => {
  const last = miner.address.at(-1);
  const mistyped = `${miner.address.slice(0, -1)}${last === "q" ? "p" : "q"}`;
  const message = `address "${mistyped}" is not a ${prefix} address: its checksum fails`;
  for (const path of [`/accounts/${mistyped}`, `/accounts/${mistyped}/transactions`]) {
    const refused = await request(`${a.url}${path}`);
    t.equal(refused.status, 400, `${path}: 400`);
    t.same(refused.body, { message, errors: [{ field: "address", message }] });
  }
  const badId = await request(`${a.url}/transactions/${"z".repeat(64)}`);
  t.equal(badId.status, 400);
  t.same(badId.body, {
    message: 'Invalid transaction id: id must match pattern "^[0-9a-f]{64}$"',
    errors: [{ field: "id", message: 'must match pattern "^[0-9a-f]{64}$"' }],
  });
  const unknown = "ab".repeat(32);
  const missing = await statusOf(a, unknown);
  t.equal(missing.status, 404);
  t.same(missing.body, {
    id: unknown,
    status: "unknown",
    message: `Transaction ${unknown} is unknown to this node: it is neither pending nor in a block of its chain (a transfer is known once a node took it, and a peer's only once this node has its block)`,
  });
  const walk = await request(`${a.url}/transactions/new`);
  t.equal(walk.status, 405, "GET /transactions/new is still a wrong method, not an id");
});

t.test("on the walkthrough's chain, which keeps no accounts: 404 saying so", async (t) => {
  const names = await startNode(["--difficulty", "8", "--threads", "1"], { t });
  const message =
    "This node's chain, walkthrough, keeps no accounts: its ledger is names, the walkthrough's transactions between any names. " +
    'Accounts, balances and transfer ids are kept on chains made with "toychain chain new --ledger accounts"';
  for (const path of [
    `/accounts/${payee.address}`,
    `/accounts/${payee.address}/transactions`,
    `/transactions/${"ab".repeat(32)}`,
  ]) {
    const answer = await request(`${names.url}${path}`);
    t.equal(answer.status, 404, `${path}: 404`);
    t.same(answer.body, { message }, `${path}: says why`);
  }
});

t.test("a node started with TOYCHAIN_PASSPHRASE seals its reward key with it", async (t) => {
  const dataDir = join(dir, "c");
  const passphrase = "correct horse battery staple";
  const c = await startNode([...FLAGS, "--data-dir", dataDir], {
    t,
    env: { ...process.env, TOYCHAIN_PASSPHRASE: passphrase },
  });
  const file = await readKeystore(join(dataDir, REWARD_KEY_FILE));
  const { body } = await request<{ chain: { reward_address: string } }>(`${c.url}/stats`);
  t.equal(body.chain.reward_address, file.address, "its rewards go to that key");
  t.ok(await decryptKey(file, passphrase), "which the passphrase opens");
  t.notOk(existsSync(join(dataDir, REWARD_PASSPHRASE_FILE)), "and no passphrase file is written");
});
