import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import t from "tap";
import { random } from "../bench/lib/random.js";
import type { Block, Transaction } from "../src/chain/index.js";
import { type SignedTransaction, transactionId } from "../src/keys/index.js";
import type { AccountBody } from "../src/schemas/index.js";
import { ledgerOf, reindexed } from "./helpers/ledger-records.js";
import { type LogLine, type NodeProcess, request, runCli, startNode } from "./helpers/node-process.js";
import { newWallet, rewardWallet, type TestWallet, transfer } from "./helpers/wallets.js";

/**
 * The accounts ledger after kill -9, on real processes, amid chain switches.
 * Node A mines by itself (--mine) while a client posts transfers to it, and
 * sends each one A acknowledges to node B as well, now and then a rival of it
 * instead (the same nonce, another amount). B mines when the test asks it
 * (GET /mine), a branch of its own: it never hears of A's blocks. Each
 * round, while A is down, B mines past A's chain; A then starts, mines
 * blocks holding the client's transfers, and is made to resolve: it must
 * switch to B's branch, dropping blocks of its own whose transfers come back
 * to its pool (unless B's branch holds them), with those pending, while it
 * mines on and a block of its own may be in flight. A is killed with SIGKILL
 * at a random moment after, round after round; each time:
 *
 * - its ledger on disk (accounts, undo data, the transactions' places and
 *   histories) equals what --reindex rebuilds from its blocks, record for
 *   record;
 * - every transfer A acknowledged is in its chain or pending, exactly once,
 *   or was dropped with its reason in A's log because B's branch made it
 *   invalid (B's rival took its nonce).
 *
 * LEDGER_CRASH_SEED repeats a run.
 */

const ROUNDS = 4;
/** How many blocks B mines past A's chain before A starts: more than A mines before it switches, on a loaded machine too. */
const LEAD = 100;
/** Of the transfers A acknowledges, B gets a rival of one in RIVAL_ODDS instead of the transfer. */
const RIVAL_ODDS = 16;
const SEED = Number(process.env.LEDGER_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const pick = random(SEED);
const between = (min: number, max: number) => min + pick(max - min + 1);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A dropped transfer as a node logs it. */
interface LoggedDrop {
  id: string;
  reason: string;
}

/**
 * The ids of the transfers a node logged it dropped because a chain it
 * switched to made them invalid: their nonce used there, or their sender's
 * balance there too low; and, behind the first of those, the later nonces
 * that this left with a gap. A gap behind nothing logged is a loss.
 * (The test's transfers have one sender.)
 */
function droppedBySwitch(node: NodeProcess, nonceOf: (id: string) => number | undefined): string[] {
  const ids: string[] = [];
  for (const line of node.logs) {
    if (!/^the replaced chain left \d+ pending transfers invalid: dropped$/.test(line.msg)) continue;
    const drops = line.dropped as LoggedDrop[];
    const nonce = ({ id, reason }: LoggedDrop) => Number(/^nonce (\d+) /.exec(reason)?.[1] ?? nonceOf(id));
    const invalid = drops.filter(({ reason }) => / is used: | holds \d+, and its pending transfers /.test(reason));
    const first = Math.min(...invalid.map(nonce));
    for (const drop of drops) {
      if (invalid.includes(drop) || (/ leaves a gap: /.test(drop.reason) && nonce(drop) > first)) ids.push(drop.id);
    }
  }
  return ids;
}

t.test(`kill -9 amid blocks and chain switches leaves the ledger --reindex would build (seed ${SEED})`, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "toychain-ledger-crash-"));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const spec = path.join(dir, "spec.json");
  // Blocks of about a million hashes, never easier (--pow-limit initial), dated up to 416 s ahead: some 15 to 40 ms
  // apart on one thread of this Xeon, so that A, however fast its kernel, mines far fewer blocks than LEAD before
  // it resolves.
  const made = await runCli([
    ...["chain", "new", "--out", spec, "--block-time", "1", "--half-life", "10000", "--hashrate", "1e6"],
    ...["--pow-limit", "initial", "--ledger", "accounts", "--reward", "1000000"],
  ]);
  t.equal(made.code, 0, made.stderr);
  const dataDir = path.join(dir, "a");
  const bDir = path.join(dir, "b");
  // No gossip: A hears of B's branch only when the test has it resolve, and B never of A's.
  const flags = ["--chain", spec, "--threads", "1"];
  const b = await startNode([...flags, "--data-dir", bDir], { t });
  const bLength = async () => (await request<{ length: number }>(`${b.url}/chain/tip`)).body.length;
  // The payer is B's reward key: every block of B's branch pays it, and A's blocks take nothing from it.
  for (let i = 0; i < 30; i++) await request(`${b.url}/mine`);
  let a = await startNode([...flags, "--data-dir", dataDir], { t });
  await request(`${a.url}/nodes/register`, { body: { nodes: [b.url] } });
  t.equal((await request(`${a.url}/nodes/resolve`)).body.message, "Our chain was replaced", "A starts on B's chain");
  const chainId = (await request<{ chain: { id: string } }>(`${a.url}/stats`)).body.chain.id;
  let aLength = (await request<{ length: number }>(`${a.url}/chain/tip`)).body.length;
  const payer: TestWallet = await rewardWallet(bDir);
  const prefix = payer.address.slice(0, payer.address.indexOf("1"));
  const payees = [newWallet(prefix), newWallet(prefix)];
  const acked = new Map<string, SignedTransaction>();
  const dropped = new Set<string>();
  /** The log lines of A's earlier processes, for the report of a transfer lost. */
  const earlier: LogLine[] = [];
  let nonce = 0;
  let rivals = 0;
  let switches = 0;
  /** Goes on from A's next nonce for the payer. */
  const resync = async (): Promise<void> => {
    const account = await request<AccountBody>(`${a.url}/accounts/${payer.address}`).catch(() => undefined);
    if (account?.status === 200) nonce = account.body.next_nonce - 1;
  };
  /** Posts the payer's next transfer to A, remembering it when acknowledged, and gives B it or a rival of it. */
  const post = async (): Promise<void> => {
    const signed = (amount: number, nonce: number) =>
      transfer(chainId, payer, (payees[pick(2)] as TestWallet).address, {
        amount,
        fee: between(0, 3),
        nonce,
      }) as SignedTransaction;
    const tx = signed(between(1, 1000), nonce + 1);
    const res = await request<{ id?: string }>(`${a.url}/transactions/new`, { body: tx }).catch(() => undefined);
    if (res !== undefined && res.status >= 400 && res.status < 500) await resync();
    if (res?.status !== 200) return;
    nonce++;
    acked.set(res.body.id as string, tx);
    const rival = pick(RIVAL_ODDS) === 0;
    if (rival) rivals++;
    // B refuses what does not follow its own chain and pool: that is B's business.
    await request(`${b.url}/transactions/new`, { body: rival ? signed(tx.amount + 1, tx.nonce) : tx }).catch(
      () => undefined,
    );
  };
  await a.stop();

  for (let round = 1; round <= ROUNDS; round++) {
    // A is down: B's branch grows past A's chain.
    while ((await bLength()) < aLength + LEAD) await request(`${b.url}/mine`);
    a = await startNode([...flags, "--data-dir", dataDir, "--mine", "--port", String(a.port)], { t });
    // A transfer whose answer the kill cut off may be durable, its nonce taken: posting another with that nonce
    // would replace it, and a block of A's might then confirm the one replaced.
    await resync();
    let running = true;
    const posting = (async () => {
      while (running) await post();
    })();
    // B mines beside A, every few milliseconds, on its own branch.
    const bMines = (async () => {
      while (running) {
        await request(`${b.url}/mine`).catch(() => undefined);
        await sleep(between(0, 20));
      }
    })();
    // A's blocks after the fork hold acknowledged transfers: this round's, and from round 2 the last round's.
    await a.waitForLog((line) => line.msg === "block forged" && Number(line.transactions) > 1, 30_000);
    await sleep(between(0, 200));
    // A mines on meanwhile: should it have caught up with B's branch, B mines LEAD blocks more and A resolves again.
    let replaced = false;
    let attempts = 0;
    for (; attempts < 5 && !replaced; attempts++) {
      if (attempts > 0) for (let i = 0; i < LEAD; i++) await request(`${b.url}/mine`);
      const resolved = await request(`${a.url}/nodes/resolve`, { timeoutMs: 120_000 });
      replaced = resolved.body.message === "Our chain was replaced";
    }
    t.ok(replaced, `round ${round}: A switched to B's longer branch (resolves: ${attempts})`);
    await sleep(between(0, 1000));
    a.process.kill("SIGKILL");
    await new Promise((resolve) => a.process.once("exit", resolve));
    running = false;
    await Promise.all([posting, bMines]);

    const replacedLines = a.logs.filter((line) => line.msg === "chain replaced" && Number(line.dropped) > 0);
    switches += replacedLines.length;
    const switched = replacedLines[0];
    const forgedBefore =
      switched === undefined
        ? []
        : a.logs
            .slice(0, a.logs.indexOf(switched))
            .filter(
              (line) =>
                line.msg === "block forged" &&
                Number(line.index) > Number(switched.fork) &&
                Number(line.transactions) > 1,
            );
    t.ok(forgedBefore.length > 0, `round ${round}: the switch dropped blocks of A's holding transfers`);
    for (const id of droppedBySwitch(a, (id) => acked.get(id)?.nonce)) dropped.add(id);
    const forged = a.logs.filter((line) => line.msg === "block forged").length;
    t.comment(
      `round ${round}: A forged ${forged} blocks and switched branches ${replacedLines.length} times before the kill, ` +
        `dropping ${forgedBefore.length} blocks of its own that held transfers`,
    );

    const onDisk = await ledgerOf(dataDir);
    t.ok(
      Object.keys(onDisk).some((key) => key.startsWith("a/")),
      `round ${round}: the ledger holds accounts`,
    );
    t.same(onDisk, await reindexed(t, spec, dataDir), `round ${round}: the ledger on disk is what --reindex rebuilds`);

    // Without --mine, the state holds still while it is read.
    const still = await startNode([...flags, "--data-dir", dataDir], { t });
    const { chain } = (await request<{ chain: Block[] }>(`${still.url}/chain`)).body;
    aLength = chain.length;
    const pending = (await request<{ transactions: Transaction[] }>(`${still.url}/transactions/pending`)).body
      .transactions;
    const ids = [...chain.flatMap((block) => block.transactions.slice(0, -1)), ...pending].map((tx) =>
      transactionId(chainId, tx as SignedTransaction),
    );
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    const gone = new Set([...acked.keys()].filter((id) => dropped.has(id) && !counts.has(id)));
    const lost = [...acked.keys()].filter((id) => counts.get(id) !== 1 && !gone.has(id));
    for (const id of lost) {
      const said = [...earlier, ...a.logs, ...still.logs].filter((line) => JSON.stringify(line).includes(id));
      t.comment(
        `lost ${id} (nonce ${acked.get(id)?.nonce}, ${counts.get(id) ?? 0} times in the chain or pending); ` +
          `A's lines that name it: ${said.map((line) => JSON.stringify(line)).join(" ") || "none"}`,
      );
    }
    t.same(
      lost,
      [],
      `round ${round}: each of the ${acked.size} acknowledged transfers is in the chain or pending, once, ` +
        `or was dropped with its reason (${gone.size} so far)`,
    );
    await still.stop();
    earlier.push(...a.logs, ...still.logs);
  }
  await b.stop();
  t.ok(switches >= ROUNDS, `A switched to B's branch over blocks of its own ${switches} times in all`);
  t.comment(`B got ${rivals} rivals of the ${acked.size} transfers A acknowledged`);
});
