import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import t from "tap";
import { random } from "../bench/lib/random.js";
import type { Block, Transaction } from "../src/chain/index.js";
import { type SignedTransaction, transactionId } from "../src/keys/index.js";
import { ledgerOf, reindexed } from "./helpers/ledger-records.js";
import { type NodeProcess, request, runCli, startNode } from "./helpers/node-process.js";
import { newWallet, rewardWallet, type TestWallet, transfer } from "./helpers/wallets.js";

/**
 * The accounts ledger after kill -9, on real processes. Node A mines by
 * itself (--mine) beside node B, which the test has mine every few
 * milliseconds, each gossiping its blocks to the other: the two fork when
 * they mine at once, and A connects blocks and switches branches (between
 * rounds A mines a branch of its own too, for B's to race),
 * while a client posts transfers to it, paid from coins deep in the chain
 * they share (so no switch of branches makes them invalid). A is killed with SIGKILL at a random
 * moment, round after round; each time:
 *
 * - its ledger on disk (accounts, undo data, the transactions' places and
 *   histories) equals what --reindex rebuilds from its blocks, record for
 *   record;
 * - every transfer A acknowledged is in its chain or pending, exactly once.
 *
 * LEDGER_CRASH_SEED repeats a run.
 */

const ROUNDS = 4;
const SEED = Number(process.env.LEDGER_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const pick = random(SEED);
const between = (min: number, max: number) => min + pick(max - min + 1);

t.test(`kill -9 amid blocks and reorgs leaves the ledger --reindex would build (seed ${SEED})`, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "toychain-ledger-crash-"));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const spec = path.join(dir, "spec.json");
  // Blocks of about 65,536 hashes (the pow limit), dated up to 416 s ahead: a few ms apart on one thread.
  const made = await runCli([
    ...["chain", "new", "--out", spec, "--block-time", "1", "--half-life", "10000", "--hashrate", "5e4"],
    ...["--ledger", "accounts", "--reward", "1000000"],
  ]);
  t.equal(made.code, 0, made.stderr);
  const dataDir = path.join(dir, "a");
  const bDir = path.join(dir, "b");
  const flags = ["--chain", spec, "--threads", "1", "--gossip"];
  // B mines when the test asks it (GET /mine), so that its chain grows only while A is up.
  const b = await startNode([...flags, "--data-dir", bDir], { t });
  // The payer is B's reward key, funded deep in the chain both share: no switch of branches takes its coins away.
  for (let i = 0; i < 30; i++) await request(`${b.url}/mine`);
  let a = await startNode([...flags, "--data-dir", dataDir], { t });
  await request(`${a.url}/nodes/register`, { body: { nodes: [b.url] } });
  await a.waitForLog((line) => line.msg === "chain replaced");
  const chainId = (await request<{ chain: { id: string } }>(`${a.url}/stats`)).body.chain.id;
  const payer: TestWallet = await rewardWallet(bDir);
  const prefix = payer.address.slice(0, payer.address.indexOf("1"));
  const payees = [newWallet(prefix), newWallet(prefix)];
  const acked = new Map<string, SignedTransaction>();
  let nonce = 0;
  let reorgs = 0;
  /** Posts the payer's next transfer to `node`, remembering it when acknowledged. */
  const post = async (node: NodeProcess): Promise<void> => {
    const tx = transfer(chainId, payer, (payees[pick(2)] as TestWallet).address, {
      amount: between(1, 1000),
      fee: between(0, 3),
      nonce: nonce + 1,
    }) as SignedTransaction;
    const res = await request<{ id?: string }>(`${node.url}/transactions/new`, { body: tx }).catch(() => undefined);
    if (res?.status === 200) {
      nonce++;
      acked.set(res.body.id as string, tx);
    }
  };
  await a.stop();

  for (let round = 1; round <= ROUNDS; round++) {
    a = await startNode([...flags, "--data-dir", dataDir, "--mine", "--port", String(a.port)], { t });
    await request(`${a.url}/nodes/register`, { body: { nodes: [b.url] } });
    await request(`${b.url}/nodes/register`, { body: { nodes: [a.url] } });
    // B mines beside A, every few milliseconds: the two fork, and A switches branches when B's gets ahead.
    let racing = true;
    const bMines = (async () => {
      while (racing) {
        await request(`${b.url}/mine`);
        await new Promise((resolve) => setTimeout(resolve, between(0, 20)));
      }
    })();
    const killAt = performance.now() + between(300, 1500);
    while (performance.now() < killAt) await post(a);
    a.process.kill("SIGKILL");
    await new Promise((resolve) => a.process.once("exit", resolve));
    racing = false;
    await bMines;
    const switched = a.logs.filter((line) => line.msg === "chain replaced" && Number(line.dropped) > 0).length;
    reorgs += switched;
    const forged = a.logs.filter((line) => line.msg === "block forged").length;
    t.comment(`round ${round}: A forged ${forged} blocks and switched branches ${switched} times before the kill`);

    const onDisk = await ledgerOf(dataDir);
    t.ok(
      Object.keys(onDisk).some((key) => key.startsWith("a/")),
      `round ${round}: the ledger holds accounts`,
    );
    t.same(onDisk, await reindexed(t, spec, dataDir), `round ${round}: the ledger on disk is what --reindex rebuilds`);

    // Without --mine or gossip, the state holds still while it is read.
    const still = await startNode(["--chain", spec, "--threads", "1", "--data-dir", dataDir], { t });
    const { chain } = (await request<{ chain: Block[] }>(`${still.url}/chain`)).body;
    const pending = (await request<{ transactions: Transaction[] }>(`${still.url}/transactions/pending`)).body
      .transactions;
    const ids = [...chain.flatMap((block) => block.transactions.slice(0, -1)), ...pending].map((tx) =>
      transactionId(chainId, tx as SignedTransaction),
    );
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    const lost = [...acked.keys()].filter((id) => counts.get(id) !== 1);
    t.same(
      lost,
      [],
      `round ${round}: each of the ${acked.size} acknowledged transfers is in the chain or pending, once`,
    );
    await still.stop();
  }
  await b.stop();
  // Forks come when the two mine at once: how often varies with the machine's load.
  t.comment(`A switched to B's branch over blocks of its own ${reorgs} times in all`);
});
