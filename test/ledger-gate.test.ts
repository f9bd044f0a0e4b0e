import t from "tap";
import type { Account } from "../src/chain/index.js";
import { type HistoryPage, LedgerGate, type LedgerReader, type TxPlace, type UndoRecord } from "../src/ledger/index.js";

/**
 * The ledger's readers while a switch writes it in pieces (LedgerGate): a
 * read that comes during the switch answers with the state after it, never
 * one in between; a switch waits for the reads under way before it writes.
 */

/** A ledger of one account whose reads resolve when `release` is called, if `held`. */
class SlowLedger implements LedgerReader {
  balance = 100;
  held = false;
  #waiting: (() => void)[] = [];
  release(): void {
    for (const resume of this.#waiting.splice(0)) resume();
  }
  async accounts(addresses: readonly string[]): Promise<Map<string, Account>> {
    const balance = this.balance;
    if (this.held) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    return new Map(addresses.map((address) => [address, { balance, nonce: 0 }]));
  }
  undoOf(): Promise<UndoRecord> {
    return Promise.resolve([]);
  }
  placeOf(): Promise<TxPlace | undefined> {
    return Promise.resolve(undefined);
  }
  history(): Promise<HistoryPage> {
    return Promise.resolve({ places: [] });
  }
}

const balanceOf = async (reader: LedgerReader) => (await reader.accounts(["lea"])).get("lea")?.balance;

t.test("a read during a switch answers with the state after it, not one in between", async (t) => {
  const ledger = new SlowLedger();
  const gate = new LedgerGate(ledger);
  const seen: number[] = [];
  let step = (): void => undefined;
  const switching = gate.hold(async () => {
    ledger.balance = 50;
    // A read now, half way through the pieces.
    void balanceOf(gate).then((balance) => seen.push(balance as number));
    await new Promise<void>((resolve) => {
      step = resolve;
    });
    ledger.balance = 10;
  });
  await new Promise((resolve) => setImmediate(resolve));
  t.same(seen, [], "the read waits while the switch holds the ledger");
  step();
  await switching;
  await new Promise((resolve) => setImmediate(resolve));
  t.same(seen, [10], "then it answers with the state after the switch");
  t.equal(await balanceOf(gate), 10, "and so do reads after it");
});

t.test("a switch waits for the reads under way before it writes", async (t) => {
  const ledger = new SlowLedger();
  const gate = new LedgerGate(ledger);
  ledger.held = true;
  const reading = balanceOf(gate);
  await new Promise((resolve) => setImmediate(resolve));
  let started = false;
  const switching = gate.hold(async () => {
    started = true;
    ledger.balance = 0;
  });
  await new Promise((resolve) => setImmediate(resolve));
  t.notOk(started, "the switch has not started while a read is under way");
  ledger.held = false;
  ledger.release();
  t.equal(await reading, 100, "the read answers with the state before the switch");
  await switching;
  t.ok(started, "then the switch runs");
  t.equal(await balanceOf(gate), 0, "and reads see what it wrote");
});
