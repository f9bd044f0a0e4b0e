import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import t, { type Test } from "tap";
import { type Account, type Block, blockHash, type Transaction } from "../src/chain/index.js";
import { Ledger } from "../src/ledger/index.js";
import { encodeBlock, LevelStore, MemoryStore, type Store } from "../src/storage/index.js";
import { accountsChain } from "./helpers/accounts-chain.js";
import { newWallet, type TestWallet, transfer } from "./helpers/wallets.js";

/**
 * The accounts ledger in the store (src/ledger with src/storage): blocks
 * connected on the tip and chains adopted over a fork write the accounts,
 * the undo data and the transactions' places in the blocks' own batch. After
 * any of them, the state equals the one a replay of the chain from its
 * genesis makes (what --reindex does), in the LevelStore and in memory alike.
 */

const SUBSIDY = 1000;
const { spec, prefix, blockOn: chainBlockOn } = accountsChain("ledger-store", SUBSIDY);
const [lea, mark, miner] = [newWallet(prefix), newWallet(prefix), newWallet(prefix)] as [
  TestWallet,
  TestWallet,
  TestWallet,
];

const blockOn = (parent: Block, transfers: Transaction[], to: TestWallet, salt = 0): Block =>
  chainBlockOn(parent, transfers, to, { salt });

/** The accounts a replay of `chain` (without its genesis) from nothing makes. */
async function replayed(chain: readonly Block[]): Promise<Map<string, Account>> {
  const memory = new MemoryStore();
  const ledger = new Ledger(spec, memory);
  const write = await ledger.write([], [chain]);
  const accounts = new Map<string, Account>();
  for (const [address, account] of write.accounts) if (account !== null) accounts.set(address, account);
  return accounts;
}

async function accountsOf(store: Store): Promise<Map<string, Account>> {
  return store.accounts([lea.address, mark.address, miner.address]);
}

const stores: [string, (t: Test) => Store][] = [
  [
    "LevelStore",
    (t) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "toychain-ledger-store-"));
      t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
      return new LevelStore(dir);
    },
  ],
  ["MemoryStore", () => new MemoryStore()],
];

for (const [name, make] of stores) {
  t.test(`${name}: connecting, reorganising and reading back the accounts ledger`, async (t) => {
    const store = make(t);
    await store.load();
    await store.create("0".repeat(32), { genesisHash: spec.id, difficulty: 0, chain: spec.name }, spec.genesis);
    t.teardown(() => store.close());
    const ledger = new Ledger(spec, store);
    const chain: Block[] = [];
    const append = async (block: Block): Promise<void> => {
      const write = await ledger.write([], [[block]]);
      await store.appendBlock(block, [], write);
      chain.push(block);
    };

    const b2 = blockOn(spec.genesis, [], lea);
    await append(b2);
    const pay1 = transfer(spec.id, lea, mark.address, { amount: 300, fee: 5, nonce: 1 });
    const b3 = blockOn(b2, [pay1], miner);
    await append(b3);
    const pay2 = transfer(spec.id, mark, lea.address, { amount: 100, fee: 1, nonce: 1 });
    const b4 = blockOn(b3, [pay2], miner);
    // The miner takes a block's transfers out of the pool as it issues the write: the place is read at once.
    const writing = store.appendBlock(b4, [], await ledger.write([], [[b4]]));
    chain.push(b4);
    t.same(
      await store.placeOf(ledger.idOf(pay2, 4)),
      { id: ledger.idOf(pay2, 4), height: 4, position: 0, sender: mark.address, recipient: lea.address },
      "a transaction's place reads back before its block's write is durable",
    );
    await writing;
    t.same(await accountsOf(store), await replayed(chain), "the accounts equal a replay of the chain");
    t.same((await store.accounts([lea.address])).get(lea.address), { balance: 1000 - 305 + 100, nonce: 1 });

    const placeOfPay1 = await store.placeOf(ledger.idOf(pay1, 3));
    t.same(placeOfPay1, {
      id: ledger.idOf(pay1, 3),
      height: 3,
      position: 0,
      sender: lea.address,
      recipient: mark.address,
    });
    const history = await store.history(lea.address, 2);
    t.same(
      history.places.map((place) => place.height),
      [4, 3],
      "an address's history, newest first, a page at a time",
    );
    const older = await store.history(lea.address, 2, history.next);
    t.same(
      older.places.map((place) => place.height),
      [2],
      "and the next page from its cursor",
    );
    t.equal(older.next, undefined, "the last page says so");

    // A fork after b2: b3' spends Lea's coins elsewhere, and b4', b5' follow it.
    const spendElsewhere = transfer(spec.id, lea, miner.address, { amount: 900, fee: 0, nonce: 1 });
    const b3x = blockOn(b2, [spendElsewhere], mark, 1);
    const b4x = blockOn(b3x, [], mark, 1);
    const b5x = blockOn(b4x, [], mark, 1);
    const fork = [b3x, b4x, b5x];
    await store.stage(
      fork.map((block) => {
        const { hash, bytes } = encodeBlock(block);
        return { height: block.index, hash, previousHash: block.previous_hash, bytes: Buffer.from(bytes) };
      }),
    );
    const write = await ledger.write([[b3, b4]], [fork]);
    const hashes = fork.map((block) => blockHash(block));
    await store.adoptStaged(
      { height: 2, hash: blockHash(b2) },
      hashes,
      { bitsAt: () => spec.genesis.bits },
      [],
      [],
      write,
    );
    chain.splice(1, 2, ...fork);
    t.same(
      await accountsOf(store),
      await replayed(chain),
      "after the reorganisation, the accounts equal a replay of the new chain",
    );
    t.equal(
      await store.placeOf(ledger.idOf(pay1, 3)),
      undefined,
      "a dropped block's transactions are no longer placed",
    );
    t.same(
      (await store.history(mark.address, 10)).places.map((place) => place.height),
      [5, 4, 3],
      "nor in the histories",
    );
    t.same(
      await store.undoOf(3),
      [
        [lea.address, { balance: 1000, nonce: 0 }],
        [miner.address, null],
        [mark.address, null],
      ],
      "the undo data of height 3 is the adopted block's",
    );
    t.ok(await store.undoOf(5), "and the new height has its own");

    await t.rejects(
      ledger.write([], [[blockOn(b5x, [pay1], miner)]]),
      { name: "InvalidChainError", message: /nonce 1 from .*, whose next is 2 \(already used\)/ },
      "a block spending Lea's coins again on the new branch is refused",
    );
  });
}
