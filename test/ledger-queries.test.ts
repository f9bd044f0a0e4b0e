import t from "tap";
import { type Block, blockHash, type Transaction } from "../src/chain/index.js";
import type { SignedTransaction } from "../src/keys/index.js";
import {
  AccountsMempool,
  Ledger,
  LedgerMovedError,
  LedgerQueries,
  UnknownTransactionError,
} from "../src/ledger/index.js";
import { AccountsPool } from "../src/mempool/index.js";
import { LocalVerifier } from "../src/signatures/index.js";
import { MemoryStore } from "../src/storage/index.js";
import { accountsChain } from "./helpers/accounts-chain.js";
import { newWallet, type TestWallet, transfer } from "./helpers/wallets.js";

/**
 * What the API reads of an accounts chain (src/ledger/queries.ts), over a
 * store and a pool, without HTTP: accounts with what is pending, histories,
 * a transaction's status; and a read that meets a reorganisation in flight
 * (a place naming a block our chain no longer holds at its height) read
 * again, then given up with LedgerMovedError.
 */

const SUBSIDY = 1000;
const { spec, prefix, blockOn: chainBlockOn } = accountsChain("ledger-queries", SUBSIDY);
const [lea, mark] = [newWallet(prefix), newWallet(prefix)] as [TestWallet, TestWallet];

const blockOn = (parent: Block, transfers: Transaction[], to: TestWallet, salt = 0): Block =>
  chainBlockOn(parent, transfers, to, { salt });

/** A store holding `blocks` after the genesis, a pool over it, and queries that read blocks through `read`. */
async function setUp(blocks: Block[], read?: (at: readonly { height: number }[]) => Block[]) {
  const store = new MemoryStore();
  await store.create("0".repeat(32), { genesisHash: spec.id, difficulty: 0, chain: spec.name }, spec.genesis);
  const ledger = new Ledger(spec, store);
  for (const block of blocks) await store.appendBlock(block, [], await ledger.write([], [[block]]));
  const chain = [spec.genesis, ...blocks];
  const hashes = chain.map((block) => blockHash(block));
  const mempool = new AccountsMempool(spec, store, new AccountsPool(10), new LocalVerifier());
  const queries = new LedgerQueries({
    ledger,
    mempool,
    chain: { length: chain.length, hashAt: (height) => hashes[height - 1] },
    blocks: (at) => Promise.resolve(read?.(at) ?? at.map(({ height }) => chain[height - 1] as Block)),
  });
  return { ledger, mempool, queries };
}

const b2 = blockOn(spec.genesis, [], lea);
const pay = transfer(spec.id, lea, mark.address, { amount: 300, fee: 5, nonce: 1 });
const b3 = blockOn(b2, [pay], lea);

t.test("an account, its pending transfers and its next nonce", async (t) => {
  const { mempool, queries, ledger } = await setUp([b2, b3]);
  const next = transfer(spec.id, lea, mark.address, { amount: 50, fee: 1, nonce: 2 });
  await mempool.admit(next as SignedTransaction);
  const account = await queries.account(lea.address);
  t.same(account.account, { balance: 2 * SUBSIDY + 5 - 305, nonce: 1 });
  t.equal(account.nextNonce, 3, "the confirmed nonce, the pending one, plus one");
  t.same(
    account.pendingFrom.map((entry) => entry.tx),
    [next],
  );
  t.same(
    (await queries.account(mark.address)).pendingTo.map((entry) => entry.tx),
    [next],
  );
  t.same((await queries.account(mark.address)).account, { balance: 300, nonce: 0 });
  await t.rejects(queries.account(`${lea.address}x`), { name: "AddressError", field: "address" });

  const id = ledger.idOf(pay, 3);
  t.same(await queries.transaction(id), {
    status: "confirmed",
    id,
    height: 3,
    position: 0,
    confirmations: 1,
    transaction: pay,
  });
  t.same((await queries.transaction(account.pendingFrom[0]?.id ?? "")).status, "pending");
  await t.rejects(queries.transaction("0".repeat(64)), new UnknownTransactionError("0".repeat(64)));
});

t.test("a history, newest first, in pages", async (t) => {
  const { queries } = await setUp([b2, b3]);
  const first = await queries.history(lea.address, 2);
  t.same(
    first.transactions.map((entry) => [entry.height, entry.position, entry.confirmations]),
    [
      [3, 1, 1],
      [3, 0, 1],
    ],
  );
  const second = await queries.history(lea.address, 2, first.next);
  t.same(
    second.transactions.map((entry) => [entry.height, entry.position, entry.confirmations]),
    [[2, 0, 2]],
  );
  t.equal(second.next, undefined, "the last page");
});

t.test("a place whose block our chain no longer holds: read again, then LedgerMovedError", async (t) => {
  // The places name b3 at height 3, but our chain holds another block there: a reorganisation in flight.
  const b3x = blockOn(b2, [], mark, 1);
  let reads = 0;
  const { queries, ledger } = await setUp([b2, b3], (at) => {
    reads++;
    return at.map(({ height }) => (height === 3 ? b3x : b2));
  });
  const id = ledger.idOf(pay, 3);
  await t.rejects(queries.transaction(id), new LedgerMovedError(3));
  t.equal(reads, 3, "three reads, then it gives up");
  await t.rejects(queries.history(mark.address, 10), { name: "LedgerMovedError" });

  let settling = 0;
  const { queries: settled } = await setUp([b2, b3], (at) =>
    at.map(({ height }) => (height === 3 && settling++ === 0 ? b3x : height === 3 ? b3 : b2)),
  );
  t.same((await settled.transaction(id)).status, "confirmed", "once the chain settles, the read answers");
  t.equal(settling, 2, "on its second read");
});
