import t from "tap";
import { type Account, type Block, EMPTY_ACCOUNT } from "../src/chain/index.js";
import type { SignedTransaction } from "../src/keys/index.js";
import { AccountsMempool, Ledger } from "../src/ledger/index.js";
import { TipAccounts } from "../src/ledger/tip-accounts.js";
import { AccountsPool, NonceUsedError } from "../src/mempool/index.js";
import { LocalVerifier } from "../src/signatures/index.js";
import { MemoryStore } from "../src/storage/index.js";
import { accountsChain } from "./helpers/accounts-chain.js";
import { newWallet, type TestWallet, transfer } from "./helpers/wallets.js";

/**
 * The accounts the mempool keeps as the tip has them (src/ledger/tip-accounts.ts):
 * a sender's later transfers are admitted without reading its account from
 * the store again; a block connected updates what it changed, so the
 * transfers it confirmed cannot be posted again; a reorganisation forgets
 * them all; and they are bounded, the oldest read dropped first.
 */

const account = (balance: number, nonce: number): Account => ({ balance, nonce });

t.test("TipAccounts: kept, updated by a block, cleared, at most its size", async (t) => {
  const tip = new TipAccounts(2);
  tip.remember("a", account(5, 1));
  tip.remember("b", undefined);
  t.same(tip.get("a"), account(5, 1));
  t.same(tip.get("b"), EMPTY_ACCOUNT, "an address with no record is kept as an empty account");
  t.equal(tip.get("c"), undefined, "one never read is not kept");
  tip.remember("a", account(5, 1));
  tip.remember("c", account(1, 0));
  t.equal(tip.count, 2);
  t.equal(tip.get("b"), undefined, "full: the oldest read (b; a was read again since) is dropped");
  tip.connected(
    new Map([
      ["a", null],
      ["d", account(9, 9)],
    ]),
  );
  t.same(tip.get("a"), EMPTY_ACCOUNT, "a block's changes to a kept account are taken");
  t.equal(tip.get("d"), undefined, "an account the block touched but no one read is not kept");
  tip.clear();
  t.equal(tip.count, 0);
  t.throws(() => new TipAccounts(0), RangeError);
});

const { spec, prefix, blockOn } = accountsChain("tip-accounts", 1000);
const [lea, mark] = [newWallet(prefix), newWallet(prefix)] as [TestWallet, TestWallet];
const pay = (nonce: number): SignedTransaction =>
  transfer(spec.id, lea, mark.address, { amount: 10, fee: 1, nonce }) as SignedTransaction;

/** A MemoryStore that counts the accounts it was asked, by address. */
class CountingStore extends MemoryStore {
  readonly reads = new Map<string, number>();
  override accounts(addresses: readonly string[]): Promise<Map<string, Account>> {
    for (const address of addresses) this.reads.set(address, (this.reads.get(address) ?? 0) + 1);
    return super.accounts(addresses);
  }
}

t.test("a sender's account is read once, and a block's changes are seen without reading it", async (t) => {
  const store = new CountingStore();
  await store.create("0".repeat(32), { genesisHash: spec.id, difficulty: 0, chain: spec.name }, spec.genesis);
  const ledger = new Ledger(spec, store);
  const funding = blockOn(spec.genesis, [], lea);
  await store.appendBlock(funding, [], await ledger.write([], [[funding]]));
  const mempool = new AccountsMempool(spec, store, new AccountsPool(10), new LocalVerifier());
  store.reads.clear();

  for (const nonce of [1, 2, 3]) await mempool.admit(pay(nonce));
  t.equal(store.reads.get(lea.address), 1, "three transfers of lea's: its account read once");

  const [first] = mempool.take(1);
  const block: Block = blockOn(funding, [first?.tx as SignedTransaction], mark);
  const write = await ledger.write([], [[block]]);
  await store.appendBlock(block, [], write);
  store.reads.clear();
  const { confirmed } = mempool.connected(block, write);
  t.same(
    confirmed.map((entry) => entry.tx.nonce),
    [1],
    "the block confirmed nonce 1",
  );
  await t.rejects(mempool.admit(pay(1)), NonceUsedError, "nonce 1 again: refused, the block's nonce is known");
  await mempool.admit(pay(4));
  t.equal(store.reads.get(lea.address), undefined, "not read again: the block updated the account kept");
  const { account: standing, from } = await mempool.standing(lea.address);
  t.same(standing, account(1000 - 11, 1), "what the block left: the subsidy less 10 and a fee of 1, nonce 1");
  t.same(
    from.map((entry) => entry.tx.nonce),
    [2, 3, 4],
  );

  const refill = mempool.refill(await mempool.prepareRefill([], { accounts: new Map() }));
  t.same(refill?.removed, [], "a reorganisation that changed nothing of lea's");
  await mempool.admit(pay(5));
  t.equal(store.reads.get(lea.address), 2, "after it, lea's account is read again (the refill read it too)");
});
