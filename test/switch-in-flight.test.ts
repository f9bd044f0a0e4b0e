import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClassicLevel } from "classic-level";
import { pino } from "pino";
import t, { type Test } from "tap";
import { type Block, newChainSpec, specFromFile } from "../src/chain/index.js";
import { type SignedTransaction, transactionId } from "../src/keys/index.js";
import { createLogger } from "../src/log.js";
import { ToyNode } from "../src/node.js";
import { LevelStore } from "../src/storage/index.js";
import { NodeNetwork } from "./helpers/node-network.js";
import { readChain } from "./helpers/read-chain.js";
import { until } from "./helpers/until.js";
import { newWallet, transfer } from "./helpers/wallets.js";

/**
 * A chain switch while a block of ours is still being written. The node
 * takes its block's transfers out of the pool as soon as the block is on
 * its chain in memory, and writes it to disk after; a better chain adopted
 * before that write is durable drops the block. Its transfers must come back
 * to the pool (they are valid on the new chain), in memory and on disk, as
 * must the transfer acknowledged after them, whose nonce follows theirs.
 *
 * The disk is made slow on purpose: every synced LevelDB write (a node's
 * durable writes) waits until the test lets it go, so the block's write is
 * in flight for as long as the switch takes, as it may be on a loaded machine.
 */

const log = createLogger("silent");
// Targets at the pow limit (about 2^255): two hashes a block on average, so that the nodes mine at once.
const spec = specFromFile(
  newChainSpec({
    name: "in-flight",
    blockTime: 1,
    halfLife: 10_000,
    hashesPerSecond: 1,
    now: 1_700_000_000,
    ledger: "accounts",
    reward: 1000,
    powLimit: 0x207fffff,
  }),
);
const prefix = spec.ledger.kind === "accounts" ? spec.ledger.prefix : "";

/** What a chained LevelDB batch's write is called with. */
type BatchWrite = (this: unknown, options?: { sync?: boolean }) => Promise<void>;

/**
 * Holds every synced LevelDB batch write from `hold()` until `release()`,
 * in their order: a disk on which a durable write is in flight for as long
 * as the test wants. `restore()` puts the disk back.
 */
async function slowDisk(dir: string): Promise<{ hold: () => void; release: () => void; restore: () => void }> {
  const db = new ClassicLevel(dir);
  await db.open();
  const batch = db.batch();
  const prototype = Object.getPrototypeOf(batch) as { write: BatchWrite };
  await batch.close();
  await db.close();
  const write = prototype.write;
  let gate: Promise<void> = Promise.resolve();
  let open = () => {};
  prototype.write = async function (this: unknown, options) {
    if (options?.sync === true) await gate;
    return write.call(this, options);
  };
  return {
    hold: () => {
      gate = new Promise((resolve) => {
        open = resolve;
      });
    },
    release: () => open(),
    restore: () => {
      prototype.write = write;
    },
  };
}

/** How many times each id is in `chain` (rewards excluded) or in `pending`. */
function countIds(chain: readonly Block[], pending: readonly SignedTransaction[]): Map<string, number> {
  const counts = new Map<string, number>();
  const transfers = [...chain.flatMap((block) => block.transactions.slice(0, -1)), ...pending];
  for (const tx of transfers) {
    const id = transactionId(spec.id, tx as SignedTransaction);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/**
 * Puts A and B (in that order) on the test's network by their hosts, and has
 * both share A's first three blocks, whose rewards are A's reward address's
 * coins; then each knows the other.
 */
async function shareFirstBlocks(
  t: Test,
  peers: Record<string, ToyNode>,
  nodes: Record<string, ToyNode>,
): Promise<void> {
  Object.assign(peers, nodes);
  const [[aHost, a], [bHost, b]] = Object.entries(nodes) as [[string, ToyNode], [string, ToyNode]];
  for (let i = 0; i < 3; i++) await a.mine();
  await b.registerNodes([aHost]);
  t.ok((await b.resolve()).replaced, "B holds A's chain");
  await a.registerNodes([bHost]);
}

t.test("a switch while our block is written returns its transfers to the pool, and the disk's", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "toychain-switch-in-flight-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const disk = await slowDisk(join(dir, "probe"));
  t.teardown(() => {
    disk.release();
    disk.restore();
  });
  const payer = newWallet(prefix);
  const payee = newWallet(prefix);
  const peers: Record<string, ToyNode> = {};
  const network = new NodeNetwork(peers);
  const open = (rewardAddress: string) =>
    ToyNode.open({ chain: spec, threads: 1, log, network, rewardAddress, store: new LevelStore(join(dir, "a")) });
  let a = await open(payer.address);
  t.teardown(() => a.close());
  const b = await ToyNode.open({ chain: spec, threads: 1, log, network, rewardAddress: newWallet(prefix).address });
  t.teardown(() => b.close());
  await shareFirstBlocks(t, peers, { "127.0.0.1:7501": a, "127.0.0.1:7502": b });

  const acked: string[] = [];
  const send = async (nonce: number): Promise<void> => {
    const tx = transfer(spec.id, payer, payee.address, { amount: 10 * nonce, fee: 1, nonce });
    const { id } = await a.addTransaction(tx);
    acked.push(id as string);
  };
  for (let nonce = 1; nonce <= 3; nonce++) await send(nonce);
  // B's branch, two blocks on the shared three, has more work than A's one block more.
  for (let i = 0; i < 2; i++) await b.mine();

  disk.hold();
  const mining = a.mine();
  await until(
    () => Promise.resolve(a.chain.length),
    (length) => length === 5,
    "A's block 5 on its chain in memory",
    20_000,
  );
  t.equal(a.mempool.size, 0, "block 5 took the three transfers out of the pool while it is written");
  const late = send(4);
  const resolving = a.resolve();
  await until(
    () => Promise.resolve(a.chain.tipHash),
    (hash) => hash === b.chain.tipHash,
    "A switched to B's branch in memory",
    20_000,
  );
  disk.release();
  await Promise.all([mining, late]);
  t.ok((await resolving).replaced, "A adopted B's branch");
  t.equal(acked.length, 4, "four transfers acknowledged");

  const pendingIds = a.accounts?.mempool.pool.list().map((entry) => entry.id) ?? [];
  t.same(pendingIds.toSorted(), [...acked].toSorted(), "the four are pending in memory: B's branch holds none");
  const inMemory = countIds(await readChain(a), a.mempool.list() as SignedTransaction[]);
  t.same(
    acked.filter((id) => inMemory.get(id) !== 1),
    [],
    "each acknowledged transfer is in A's chain or pending, once",
  );

  await a.close();
  disk.restore();
  a = await open(payer.address);
  const onDisk = countIds(await readChain(a), a.mempool.list() as SignedTransaction[]);
  t.same(
    acked.filter((id) => onDisk.get(id) !== 1),
    [],
    "after a restart from the disk, each acknowledged transfer is in the chain or pending, once",
  );
  t.equal(a.mempool.size, 4, "the four are pending after the restart");
});

t.test(
  "a switch whose dropped blocks hold more transfers than --max-pending says how many it did not take back",
  async (t) => {
    const lines: { level: number; msg: string; beyond?: number }[] = [];
    const logged = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const payer = newWallet(prefix);
    const payee = newWallet(prefix);
    const peers: Record<string, ToyNode> = {};
    const network = new NodeNetwork(peers);
    const a = await ToyNode.open({
      chain: spec,
      threads: 1,
      log: logged,
      network,
      rewardAddress: payer.address,
      maxPending: 2,
    });
    t.teardown(() => a.close());
    const b = await ToyNode.open({ chain: spec, threads: 1, log, network, rewardAddress: newWallet(prefix).address });
    t.teardown(() => b.close());
    await shareFirstBlocks(t, peers, { "127.0.0.1:7511": a, "127.0.0.1:7512": b });
    // A's two blocks hold two transfers each, four in all; its pool holds two.
    let nonce = 0;
    for (let block = 0; block < 2; block++) {
      for (let i = 0; i < 2; i++) {
        nonce++;
        await a.addTransaction(transfer(spec.id, payer, payee.address, { amount: 10 * nonce, fee: 1, nonce }));
      }
      await a.mine();
    }
    for (let i = 0; i < 3; i++) await b.mine();
    t.ok((await a.resolve()).replaced, "A adopted B's longer branch, dropping its two blocks");
    t.equal(a.mempool.size, 2, "its pool took back as many as it holds");
    const warning = lines.find((line) => line.msg.includes("more transfers than --max-pending holds"));
    t.match(warning, { level: 40, beyond: 2 }, "and warned that the other two were not taken back");
  },
);
