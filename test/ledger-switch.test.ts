import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import t, { type Test } from "tap";
import { ledgerOf, recordOf, reindexed } from "./helpers/ledger-records.js";
import { type NodeProcess, request, runCli, startNode } from "./helpers/node-process.js";
import { newWallet, rewardWallet, type TestWallet, transfer } from "./helpers/wallets.js";

/**
 * A switch of chains too large for one batch (--switch-piece), on real
 * processes. Node A builds a chain of blocks holding signed transfers; a
 * node with blocks of its own (a branch it drops) adopts it:
 *
 * - with --switch-piece 4, in several pieces: its log says how many, its
 *   accounts answer as A's, and its ledger on disk is what --reindex
 *   rebuilds, record for record;
 * - with --switch-piece 1, killed with SIGKILL once the first piece of its
 *   own blocks' disconnection is written, or of A's blocks' connection: its
 *   store notes the ledger behind its chain (m/ledger-at), the restart
 *   connects the rest before serving (on its own chain, or on A's), its
 *   ledger is then what --reindex rebuilds, and a resolve adopts A's chain.
 */

const TRANSFERS_PER_BLOCK = 3;
const BLOCKS = 12;
const OWN_BLOCKS = 4;
/** Nodes killed at most, each on a fresh data dir, until a kill lands amid the half of the switch the test is for. */
const KILL_ATTEMPTS = 5;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "toychain-ledger-switch-"));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const spec = path.join(dir, "spec.json");

interface Account {
  balance: number;
  nonce: number;
}

const accountAt = async (node: NodeProcess, address: string): Promise<Account> =>
  (await request<Account>(`${node.url}/accounts/${address}`)).body;
const tipOf = async (node: NodeProcess) =>
  (await request<{ length: number; hash: string }>(`${node.url}/chain/tip`)).body;

/** Starts a node on `dataDir` that mines `blocks` blocks of its own (rewards only), to be dropped by the switch. */
async function withOwnBranch(t: Test, dataDir: string, flags: readonly string[]): Promise<NodeProcess> {
  const node = await startNode(["--chain", spec, "--threads", "1", "--data-dir", dataDir, ...flags], { t });
  for (let i = 0; i < OWN_BLOCKS; i++) await request(`${node.url}/mine`);
  return node;
}

t.test("a switch larger than --switch-piece is written in pieces, and finished after a SIGKILL", async (t) => {
  // Blocks of about 65,536 hashes (the pow limit), dated up to 416 s ahead: a few ms apart on one thread.
  const made = await runCli([
    ...["chain", "new", "--out", spec, "--block-time", "1", "--half-life", "10000", "--hashrate", "5e4"],
    ...["--ledger", "accounts", "--reward", "1000000"],
  ]);
  t.equal(made.code, 0, made.stderr);
  const aDir = path.join(dir, "a");
  const a = await startNode(["--chain", spec, "--threads", "1", "--data-dir", aDir], { t });
  await request(`${a.url}/mine`);
  const chainId = (await request<{ chain: { id: string } }>(`${a.url}/stats`)).body.chain.id;
  const payer = await rewardWallet(aDir);
  const prefix = payer.address.slice(0, payer.address.indexOf("1"));
  const payees: TestWallet[] = [newWallet(prefix), newWallet(prefix), newWallet(prefix)];
  let nonce = 0;
  for (let block = 0; block < BLOCKS; block++) {
    for (let i = 0; i < TRANSFERS_PER_BLOCK; i++) {
      const to = (payees[(block + i) % payees.length] as TestWallet).address;
      const tx = transfer(chainId, payer, to, { amount: 10 + block, fee: 1, nonce: ++nonce });
      const posted = await request(`${a.url}/transactions/new`, { body: tx });
      t.equal(posted.status, 200, "A takes the transfer");
    }
    await request(`${a.url}/mine`);
  }
  const target = await tipOf(a);
  const expected = await Promise.all([payer, ...payees].map((wallet) => accountAt(a, wallet.address)));
  const transactions = BLOCKS * (TRANSFERS_PER_BLOCK + 1) + 2;

  t.test("in pieces", async (t) => {
    const bDir = path.join(dir, "b");
    const b = await withOwnBranch(t, bDir, ["--switch-piece", "4"]);
    await request(`${b.url}/nodes/register`, { body: { nodes: [a.url] } });
    const resolved = await request<{ message: string }>(`${b.url}/nodes/resolve`);
    t.equal(resolved.status, 200, "the resolve answers");
    const replaced = await b.waitForLog((line) => line.msg.startsWith("chain replaced"));
    t.equal(replaced.dropped, OWN_BLOCKS, "B dropped its own blocks");
    // Its own 4 rewards in 1 piece, then the chain's transactions after the genesis, 4 or more a piece, whole blocks.
    t.ok(
      Number(replaced.pieces) >= 1 + Math.floor(transactions / 8),
      `the ledger was written in ${replaced.pieces} pieces`,
    );
    t.same(await tipOf(b), target, "B's tip is A's");
    t.same(
      await Promise.all([payer, ...payees].map((wallet) => accountAt(b, wallet.address))),
      expected,
      "B's accounts answer as A's",
    );
    await b.stop();
    t.equal(await recordOf(bDir, "m/ledger-at"), undefined, "no note of a ledger behind is left");
    t.same(await ledgerOf(bDir), await reindexed(t, spec, bDir), "B's ledger on disk is what --reindex rebuilds");
  });

  // Killed amid its own blocks' disconnection, a node restarts on its own chain; amid A's blocks' connection, on A's.
  const halves = [
    { name: "our blocks disconnected", piece: "a piece of our blocks disconnected", restartsOn: OWN_BLOCKS + 1 },
    {
      name: "the adopted blocks connected",
      piece: "a piece of the adopted blocks connected",
      restartsOn: target.length,
    },
  ];
  for (const [i, half] of halves.entries()) {
    t.test(`SIGKILL once a piece of ${half.name} is written`, async (t) => {
      // The kill follows the log line by the time this process takes to read it, during which the node writes on: on
      // a loaded machine, past the few pieces of our blocks' disconnection. A kill that lands past the half is another
      // round, on a fresh data dir.
      let cDir = "";
      let c: NodeProcess | undefined;
      for (let attempt = 1; attempt <= KILL_ATTEMPTS && c === undefined; attempt++) {
        cDir = path.join(dir, `c${i}-${attempt}`);
        const node = await withOwnBranch(t, cDir, ["--switch-piece", "1", "--log-level", "debug"]);
        await request(`${node.url}/nodes/register`, { body: { nodes: [a.url] } });
        void request(`${node.url}/nodes/resolve`).catch(() => undefined);
        await node.waitForLog((line) => line.msg === `the switch's ledger: ${half.piece}`);
        node.process.kill("SIGKILL");
        await new Promise((resolve) => node.process.once("exit", resolve));
        const tip = (await recordOf(cDir, "m/tip")) as { height: number };
        if (tip.height === half.restartsOn) c = node;
        else t.comment(`attempt ${attempt}: the kill landed on a chain of ${tip.height} blocks, past ${half.name}`);
      }
      if (c === undefined) {
        t.fail(`no kill in ${KILL_ATTEMPTS} attempts landed amid ${half.name}`);
        return;
      }
      const at = await recordOf(cDir, "m/ledger-at");
      t.type(at, "number", `the store notes its ledger behind its chain, at block ${at}`);
      t.notOk(
        c.logs.some((line) => line.msg.startsWith("chain replaced")),
        "the kill came before the switch was done",
      );

      c = await startNode(["--chain", spec, "--threads", "1", "--data-dir", cDir, "--switch-piece", "1"], { t });
      const finished = await c.waitForLog((line) => line.msg.startsWith("ledger connected up to the tip"));
      t.ok(Number(finished.pieces) >= 1, `the restart connected the rest in ${finished.pieces} pieces`);
      t.equal((await tipOf(c)).length, half.restartsOn, `C restarted on a chain of ${half.restartsOn} blocks`);
      await c.stop();
      t.equal(await recordOf(cDir, "m/ledger-at"), undefined, "the note is gone");
      t.same(await ledgerOf(cDir), await reindexed(t, spec, cDir), "C's ledger on disk is what --reindex rebuilds");

      c = await startNode(["--chain", spec, "--threads", "1", "--data-dir", cDir], { t });
      await request(`${c.url}/nodes/register`, { body: { nodes: [a.url] } });
      await request(`${c.url}/nodes/resolve`);
      t.same(await tipOf(c), target, "C's tip is A's after a resolve");
      t.same(
        await Promise.all([payer, ...payees].map((wallet) => accountAt(c, wallet.address))),
        expected,
        "C's accounts answer as A's",
      );
      await c.stop();
    });
  }
  t.teardown(() => a.stop());
});
