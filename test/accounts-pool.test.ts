import fc from "fast-check";
import t from "tap";
import {
  AccountsPool,
  AlreadyPendingError,
  compareFeeRate,
  InsufficientFundsError,
  type NewTransfer,
  NonceGapError,
  NonceUsedError,
  type PooledTransfer,
  PoolFullError,
  ReplacementFeeError,
  type SenderAccount,
} from "../src/mempool/index.js";
import { KeyedHeap } from "../src/mempool/keyed-heap.js";

/**
 * The accounts ledger's mempool, as a data structure: its admission rules and
 * their messages, block selection by fee rate in nonce order, eviction,
 * replacement, and what a block, a reorganisation and a restart do to it;
 * then random sequences of all of these against a naive model.
 */

const SIGNATURE = "ab".repeat(64);
const ALICE = "toy1alice";
const BOB = "toy1bob";
const CAROL = "toy1carol";
const DAVE = "toy1dave";

interface Options {
  amount?: number;
  fee?: number;
  bytes?: number;
  recipient?: string;
  id?: string;
}

/** A transfer as the API would pass it, its id made of its fields unless given. */
function transfer(sender: string, nonce: number, options: Options = {}): NewTransfer {
  const { amount = 10, fee = 1, bytes = 100, recipient = DAVE } = options;
  return {
    id: options.id ?? `${sender}:${nonce}:${amount}:${fee}:${recipient}`,
    tx: { sender, recipient, amount, fee, nonce, signature: SIGNATURE },
    bytes,
  };
}

/** An accounts lookup over a table; an address not in it has nothing. */
const lookup =
  (table: Record<string, SenderAccount>) =>
  (address: string): SenderAccount =>
    table[address] ?? { balance: 0, nonce: 0 };

const ids = (entries: readonly { id: string }[]): string[] => entries.map((entry) => entry.id);
const nonces = (entries: readonly PooledTransfer[]): number[] => entries.map((entry) => entry.tx.nonce);
const messages = (dropped: readonly { reason: Error }[]): string[] => dropped.map((drop) => drop.reason.message);
/** A block's transfers as `confirmed` takes them. */
const included = (entries: readonly NewTransfer[]) => entries.map(({ id, tx }) => ({ id, sender: tx.sender }));

t.test("a sender chains nonces, while its pending amounts and fees fit its confirmed balance", async (t) => {
  const pool = new AccountsPool(10);
  const alice = { balance: 100, nonce: 0 };
  const first = pool.add(transfer(ALICE, 1, { amount: 50, fee: 5 }), alice);
  t.same([first.entry.seq, first.replaced, first.evicted], [1, null, null], "the first gets seq 1");
  t.equal(pool.add(transfer(ALICE, 2, { amount: 40, fee: 5 }), alice).entry.seq, 2, "the next nonce gets seq 2");
  t.throws(
    () => pool.add(transfer(ALICE, 3, { amount: 1, fee: 0 }), alice),
    new InsufficientFundsError(ALICE, 100, 101n),
    "a transfer one coin past the balance is refused",
  );
  t.throws(
    () => pool.add(transfer(ALICE, 3, { amount: 1, fee: 0 }), alice),
    { message: "toy1alice holds 100, and its pending transfers with this one need 101" },
    "naming the balance and what the pending transfers with it need",
  );
  t.same(nonces(pool.pendingFrom(ALICE)), [1, 2], "and nothing changed");
  t.equal(pool.size, 2);
});

t.test("a nonce already confirmed is refused, naming the last confirmed one", async (t) => {
  const pool = new AccountsPool(10);
  const alice = { balance: 100, nonce: 5 };
  for (const nonce of [3, 5]) {
    t.throws(() => pool.add(transfer(ALICE, nonce), alice), NonceUsedError);
  }
  t.throws(() => pool.add(transfer(ALICE, 3), alice), {
    message: "nonce 3 from toy1alice is used: its last confirmed is 5",
  });
  t.equal(pool.add(transfer(ALICE, 6), alice).entry.tx.nonce, 6, "6 is the next");
});

t.test("a nonce past the next leaves a gap, counting the pending ones", async (t) => {
  const pool = new AccountsPool(10);
  const alice = { balance: 100, nonce: 3 };
  t.throws(() => pool.add(transfer(ALICE, 9), alice), new NonceGapError(ALICE, 9, 4));
  t.throws(() => pool.add(transfer(ALICE, 9), alice), {
    message: "nonce 9 from toy1alice leaves a gap: the next is 4",
  });
  pool.add(transfer(ALICE, 4), alice);
  t.throws(() => pool.add(transfer(ALICE, 6), alice), {
    message: "nonce 6 from toy1alice leaves a gap: the next is 5",
  });
});

t.test("coins pending to a sender do not pay for its transfers", async (t) => {
  const pool = new AccountsPool(10);
  pool.add(transfer(ALICE, 1, { amount: 50, recipient: BOB }), { balance: 100, nonce: 0 });
  t.throws(
    () => pool.add(transfer(BOB, 1, { amount: 10 }), { balance: 0, nonce: 0 }),
    { message: "toy1bob holds 0, and its pending transfers with this one need 11" },
    "Bob's 50 pending from Alice may never be mined",
  );
});

t.test("a transfer pending already is refused by its id", async (t) => {
  const pool = new AccountsPool(10);
  const alice = { balance: 100, nonce: 0 };
  pool.add(transfer(ALICE, 1), alice);
  t.throws(() => pool.add(transfer(ALICE, 1), alice), new AlreadyPendingError(`${ALICE}:1:10:1:${DAVE}`));
  t.throws(() => pool.add(transfer(ALICE, 1), alice), {
    message: `transfer ${ALICE}:1:10:1:${DAVE} is pending already`,
  });
});

t.test("a pool the chain moved past without telling it refuses to guess", async (t) => {
  const pool = new AccountsPool(10);
  pool.add(transfer(ALICE, 1), { balance: 100, nonce: 0 });
  t.throws(() => pool.add(transfer(ALICE, 3), { balance: 89, nonce: 1 }), {
    message: /first nonce from toy1alice is 1, but its account's next is 2: the pool missed a block/,
  });
});

t.test("a replacement of a pending nonce pays a strictly higher fee and keeps the sender covered", async (t) => {
  const pool = new AccountsPool(3);
  const alice = { balance: 100, nonce: 3 };
  pool.add(transfer(ALICE, 4, { fee: 10 }), alice);
  const fifth = pool.add(transfer(ALICE, 5, { amount: 50, fee: 10 }), alice).entry;
  pool.add(transfer(BOB, 1, { recipient: ALICE }), { balance: 100, nonce: 0 });

  for (const fee of [9, 10]) {
    t.throws(
      () => pool.add(transfer(ALICE, 4, { fee, amount: 11 }), alice),
      new ReplacementFeeError(ALICE, 4, 10),
      `a fee of ${fee} does not replace a fee of 10`,
    );
  }
  t.throws(() => pool.add(transfer(ALICE, 4, { fee: 10, amount: 11 }), alice), {
    message: "a replacement for nonce 4 from toy1alice must pay a fee above 10",
  });
  t.throws(
    () => pool.add(transfer(ALICE, 4, { fee: 11, amount: 30 }), alice),
    { message: "toy1alice holds 100, and its pending transfers with this one need 101" },
    "a replacement is counted with the later nonces it stays in front of",
  );

  const replacement = transfer(ALICE, 4, { fee: 11, amount: 5 });
  const { entry, replaced, evicted } = pool.add(replacement, alice);
  t.equal(replaced?.id, `${ALICE}:4:10:10:${DAVE}`, "the replaced transfer is returned, for the caller to delete");
  t.equal(evicted, null, "a full pool evicts nothing for a replacement: it does not grow");
  t.equal(entry.seq, 4, "the replacement has a seq of its own");
  t.equal(pool.size, 3);
  t.equal(pool.get(`${ALICE}:4:10:10:${DAVE}`), undefined, "the replaced one is gone");
  t.same(ids(pool.pendingFrom(ALICE)), [replacement.id, fifth.id], "in its nonce's place");
  t.same(ids(pool.list()), [fifth.id, `${BOB}:1:10:1:${ALICE}`, replacement.id], "and last in arrival order");
  t.same(ids(pool.pendingTo(DAVE)), [fifth.id, replacement.id], "and in the recipient's index");
});

t.test("blocks are filled by fee rate, each sender's nonces in order", async (t) => {
  const pool = new AccountsPool(10);
  const rich = { balance: 1_000, nonce: 0 };
  const low = pool.add(transfer(ALICE, 1, { fee: 1 }), rich).entry; // 0.01 per byte
  const high = pool.add(transfer(ALICE, 2, { fee: 50 }), rich).entry; // 0.5
  const bob = pool.add(transfer(BOB, 1, { fee: 10, bytes: 50 }), rich).entry; // 0.2
  const carol = pool.add(transfer(CAROL, 1, { fee: 30, bytes: 300 }), rich).entry; // 0.1
  const carolAgain = pool.add(transfer(CAROL, 2, { fee: 10, bytes: 100 }), rich).entry; // 0.1, later

  t.same(
    ids(pool.select(10)),
    ids([bob, carol, carolAgain, low, high]),
    "Alice's 0.5 per byte waits behind her 0.01; Carol's equal rates go in arrival order",
  );
  t.same(ids(pool.select(2)), ids([bob, carol]), "at most the limit, the best first");
  t.same(pool.select(0), [], "a limit of 0 selects nothing");
  t.equal(pool.size, 5, "selecting takes nothing out");

  const fast = pool.add(transfer(DAVE, 1, { fee: 6, bytes: 10 }), rich).entry; // 0.6
  t.same(ids(pool.select(3)), ids([fast, bob, carol]), "a higher rate goes first, whatever its arrival");
  const highest = pool.add(transfer(ALICE, 3, { fee: 1000, amount: 1 }), { balance: 2_000, nonce: 0 }).entry;
  t.same(
    ids(pool.select(10)),
    ids([fast, bob, carol, carolAgain, low, high, highest]),
    "Alice's 3, at 10 per byte, still waits behind her 1",
  );
});

t.test("fee rates are compared exactly, where floats would round them alike", async (t) => {
  const big = 2 ** 53 - 1;
  t.equal(big / 1000, (big - 1) / 1000, "as floats, the two rates are equal");
  t.ok(compareFeeRate({ fee: big, bytes: 1000 }, { fee: big - 1, bytes: 1000 }) > 0, "exactly, one is above");
  t.equal(compareFeeRate({ fee: 1, bytes: 3 }, { fee: 2, bytes: 6 }), 0, "1/3 and 2/6 are equal");

  const pool = new AccountsPool(10);
  const loaded = { balance: 2 ** 53 - 1, nonce: 0 };
  t.equal((big - 2) / 1000, (big - 3) / 1000, "so are these");
  const first = pool.add(transfer(ALICE, 1, { fee: big - 3, amount: 1, bytes: 1000 }), loaded).entry;
  const second = pool.add(transfer(BOB, 1, { fee: big - 3, amount: 1, bytes: 1000 }), loaded).entry;
  const best = pool.add(transfer(CAROL, 1, { fee: big - 2, amount: 1, bytes: 1000 }), loaded).entry;
  t.same(ids(pool.select(3)), ids([best, first, second]), "the fee one coin higher goes first, though it came last");
});

t.test("a full pool evicts the lowest fee rate that is last of its sender, if the new one pays more", async (t) => {
  const pool = new AccountsPool(3);
  const rich = { balance: 1_000, nonce: 0 };
  pool.add(transfer(ALICE, 1, { fee: 1 }), rich); // 0.01 per byte, but Alice's 2 follows it
  pool.add(transfer(ALICE, 2, { fee: 50 }), rich); // 0.5
  const bob = pool.add(transfer(BOB, 1, { fee: 200, bytes: 100 }), rich).entry; // 2 per byte

  t.throws(
    () => pool.add(transfer(CAROL, 1, { fee: 50 }), rich),
    new PoolFullError(3, { fee: 50, bytes: 100 }, 100),
    "a rate equal to the lowest evictable is refused",
  );
  t.throws(() => pool.add(transfer(CAROL, 1, { fee: 35, bytes: 70 }), rich), {
    message:
      "the mempool is full (3): a fee rate above 50/100 per byte is needed, a fee of at least 36 for this transfer's 70 bytes",
  });
  t.throws(() => pool.add(transfer(CAROL, 1, { fee: 25, bytes: 50 }), rich), {
    message:
      "the mempool is full (3): a fee rate above 50/100 per byte is needed, a fee of at least 26 for this transfer's 50 bytes",
  });
  t.equal(pool.size, 3, "nothing changed");

  const carol = transfer(CAROL, 1, { fee: 36, bytes: 70 });
  const { evicted } = pool.add(carol, rich);
  t.equal(evicted?.entry.id, `${ALICE}:2:10:50:${DAVE}`, "Alice's 2 is evicted, not her lower 1, which 2 follows");
  t.equal(
    evicted?.reason.message,
    "the mempool is full (3): a fee rate above 36/70 per byte is needed, a fee of at least 52 for this transfer's 100 bytes",
    "with the rate it would need now",
  );
  t.same(ids(pool.list()), [`${ALICE}:1:10:1:${DAVE}`, bob.id, carol.id]);

  t.throws(() => pool.add(transfer(DAVE, 1, { fee: 1, bytes: 200 }), rich), {
    message:
      "the mempool is full (3): a fee rate above 1/100 per byte is needed, a fee of at least 3 for this transfer's 200 bytes",
  });
  t.equal(pool.add(transfer(DAVE, 1, { fee: 3, bytes: 200 }), rich).evicted?.entry.tx.sender, ALICE, "Alice's 1 goes");
});

t.test("a sender's next nonce never evicts its own last, which it follows", async (t) => {
  const lone = new AccountsPool(1);
  const rich = { balance: 1_000, nonce: 0 };
  lone.add(transfer(ALICE, 1, { fee: 1 }), rich);
  t.throws(() => lone.add(transfer(ALICE, 2, { fee: 900 }), rich), {
    message: "the mempool is full (1): it holds no transfer this one may evict",
  });

  const pool = new AccountsPool(2);
  pool.add(transfer(ALICE, 1, { fee: 1 }), rich);
  pool.add(transfer(BOB, 1, { fee: 5 }), rich);
  const { evicted } = pool.add(transfer(ALICE, 2, { fee: 6 }), rich);
  t.equal(evicted?.entry.tx.sender, BOB, "Bob's transfer goes, though Alice's 1 pays less");
  t.same(nonces(pool.pendingFrom(ALICE)), [1, 2]);
  t.throws(
    () => pool.add(transfer(ALICE, 3, { fee: 900 }), rich),
    { message: /it holds no transfer this one may evict/ },
    "with only Alice's left, none may go for her",
  );
});

t.test("a block takes out its transfers, and whatever it made invalid", async (t) => {
  const pool = new AccountsPool(10);
  const accounts = { [ALICE]: { balance: 100, nonce: 0 }, [BOB]: { balance: 100, nonce: 0 } };
  const a1 = transfer(ALICE, 1, { amount: 20, fee: 2 });
  const a2 = transfer(ALICE, 2, { amount: 20, fee: 2 });
  const a3 = transfer(ALICE, 3, { amount: 20, fee: 2 });
  const b1 = transfer(BOB, 1, { amount: 30, fee: 3, recipient: CAROL });
  const b2 = transfer(BOB, 2, { amount: 30, fee: 3, recipient: CAROL });
  for (const one of [a1, a2, a3]) pool.add(one, accounts[ALICE]);
  for (const one of [b1, b2]) pool.add(one, accounts[BOB]);

  // Our block: Alice's 1, then Bob's 1; the chain moves on.
  accounts[ALICE] = { balance: 78, nonce: 1 };
  accounts[BOB] = { balance: 67, nonce: 1 };
  const ours = pool.confirmed(included([a1, b1]), lookup(accounts));
  t.same(ids(ours.confirmed), ids([a1, b1]), "the block's transfers leave");
  t.same(ours.dropped, [], "and the rest still holds");
  t.same(nonces(pool.pendingFrom(ALICE)), [2, 3]);
  t.same(ids(pool.pendingTo(CAROL)), ids([b2]));

  // A peer's block: Alice's 2 under another id, which spends more; and an unknown sender.
  const theirs = transfer(ALICE, 2, { amount: 50, fee: 5, id: "peer-a2" });
  accounts[ALICE] = { balance: 23, nonce: 2 };
  const peer = pool.confirmed(included([theirs, transfer(CAROL, 1)]), lookup(accounts));
  t.same(peer.confirmed, [], "none of the peer's transfers was ours");
  t.same(ids(peer.dropped.map((drop) => drop.entry)), ids([a2]), "ours for the same nonce is dropped");
  t.same(messages(peer.dropped), ["nonce 2 from toy1alice is used: its last confirmed is 2"]);
  t.same(nonces(pool.pendingFrom(ALICE)), [3], "Alice's 3 still fits the 23 left");

  accounts[ALICE] = { balance: 78, nonce: 2 };
  pool.add(transfer(ALICE, 4, { amount: 50, fee: 1 }), accounts[ALICE]);
  t.same(nonces(pool.pendingFrom(ALICE)), [3, 4]);
  // Another peer's block spends Bob's coins elsewhere, and Alice's 3: now 4 no longer fits, nor 5 after it.
  pool.add(transfer(ALICE, 5, { amount: 1, fee: 1 }), accounts[ALICE]);
  accounts[ALICE] = { balance: 40, nonce: 3 };
  accounts[BOB] = { balance: 10, nonce: 2 };
  const spent = pool.confirmed(
    [
      { id: a3.id, sender: ALICE },
      { id: "peer-b2", sender: BOB },
    ],
    lookup(accounts),
  );
  t.same(ids(spent.confirmed), ids([a3]));
  t.same(messages(spent.dropped), [
    "toy1alice holds 40, and its pending transfers with this one need 51",
    "nonce 5 from toy1alice leaves a gap: the next is 4",
    "nonce 2 from toy1bob is used: its last confirmed is 2",
  ]);
  t.equal(pool.size, 0);
  t.same(pool.pendingTo(CAROL), [], "the recipient's index is emptied too");
  t.same(pool.select(10), []);
});

t.test("after a reorganisation, returned transfers come back with the pending ones, by the same rules", async (t) => {
  const pool = new AccountsPool(4);
  // The tip before: Alice's 1 and 2 were mined; 3 is pending, as is Bob's 1.
  const a1 = transfer(ALICE, 1, { amount: 10, fee: 2 });
  const a2 = transfer(ALICE, 2, { amount: 10, fee: 2 });
  const a3 = pool.add(transfer(ALICE, 3, { amount: 10, fee: 2 }), { balance: 78, nonce: 2 }).entry;
  const b1 = pool.add(transfer(BOB, 1, { amount: 10, fee: 1 }), { balance: 50, nonce: 0 }).entry;
  // The new chain lacks Alice's block, holds a Carol transfer ours lacked, and Bob's 1 under another id.
  const c1 = transfer(CAROL, 1, { amount: 10, fee: 9 });
  const accounts = lookup({
    [ALICE]: { balance: 100, nonce: 0 },
    [BOB]: { balance: 39, nonce: 1 },
    [CAROL]: { balance: 0, nonce: 0 },
  });
  const { added, removed, refused } = pool.refill([c1, a1, a2], accounts);
  t.same(ids(added), ids([a1, a2]), "Alice's 1 and 2 are back");
  t.same(
    added.map((entry) => entry.seq),
    [4, 5],
    "under new seqs, after the pool's (3 went to the refused Carol transfer)",
  );
  t.same(ids(pool.pendingFrom(ALICE)), ids([a1, a2, a3]), "in front of her pending 3");
  t.same(
    removed.map((drop) => [drop.entry.id, drop.reason.message]),
    [[b1.id, "nonce 1 from toy1bob is used: its last confirmed is 1"]],
  );
  t.same(
    refused.map((drop) => [drop.entry, drop.reason.message]),
    [[c1, "toy1carol holds 0, and its pending transfers with this one need 19"]],
    "a returned transfer not admitted has no seq: it was never stored",
  );
  t.same(ids(pool.list()), ids([a3, a1, a2]), "listed in seq order");
  t.same(ids(pool.select(10)), ids([a1, a2, a3]));
});

t.test("a refill over capacity evicts the lowest fee rates last of their senders", async (t) => {
  const pool = new AccountsPool(3);
  const rich = { balance: 1_000, nonce: 0 };
  const b1 = pool.add(transfer(BOB, 1, { fee: 3 }), rich).entry;
  const c1 = pool.add(transfer(CAROL, 1, { fee: 2 }), rich).entry;
  const a1 = transfer(ALICE, 1, { fee: 1 });
  const a2 = transfer(ALICE, 2, { fee: 5 });
  const { added, removed, refused } = pool.refill([a1, a2], () => rich);
  t.same(ids(added), ids([a1, a2]), "Alice's chain stays: her 2 pays the most");
  t.same(
    removed.map((drop) => [drop.entry.id, drop.reason.message]),
    [
      [
        c1.id,
        "the mempool is full (3): a fee rate above 3/100 per byte is needed, a fee of at least 4 for this transfer's 100 bytes",
      ],
    ],
    "Carol's is the lowest rate of the last ones (Alice's 1 is lower, but her 2 follows it)",
  );
  t.same(refused, []);
  t.same(ids(pool.list()), ids([b1, a1, a2]));
});

t.test("a restart re-admits the stored entries under their seqs, and new seqs follow the largest", async (t) => {
  const stored: PooledTransfer[] = [
    { seq: 7, ...transfer(ALICE, 2, { fee: 4 }) },
    { seq: 3, ...transfer(ALICE, 1, { fee: 1 }) },
    { seq: 9, ...transfer(BOB, 1, { fee: 2 }) },
    { seq: 12, ...transfer(CAROL, 5) },
    { seq: 10, ...transfer(ALICE, 2, { fee: 3 }) },
  ];
  const accounts = lookup({ [ALICE]: { balance: 100, nonce: 0 }, [BOB]: { balance: 100, nonce: 0 } });
  const { pool, dropped } = AccountsPool.restore(2, stored, accounts);
  t.same(
    dropped.map((drop) => [drop.entry.seq, drop.reason.message]),
    [
      [10, "a replacement for nonce 2 from toy1alice must pay a fee above 4"],
      [12, "nonce 5 from toy1carol leaves a gap: the next is 1"],
      [
        9,
        "the mempool is full (2): a fee rate above 4/100 per byte is needed, a fee of at least 5 for this transfer's 100 bytes",
      ],
    ],
  );
  t.same(
    pool.list().map((entry) => entry.seq),
    [3, 7],
    "Alice's chain is kept, in seq order",
  );
  const next = pool.add(transfer(BOB, 1, { fee: 9 }), accounts(BOB));
  t.equal(next.entry.seq, 13, "the next seq follows 12, the largest stored");
  t.equal(next.evicted?.entry.seq, 7, "and capacity holds: Alice's 2 makes room");
  t.equal(pool.capacity, 2);
  t.throws(() => new AccountsPool(0), RangeError);
});

t.test("the keyed heap keeps its order through sets, deletes and pops, as a sorted list says", async (t) => {
  interface Item {
    key: string;
    value: number;
  }
  const first = (a: Item, b: Item): boolean => a.value < b.value || (a.value === b.value && a.key < b.key);
  const step = fc.record({
    kind: fc.constantFrom("set", "set", "delete", "pop"),
    key: fc.integer({ min: 0, max: 40 }).map(String),
    value: fc.integer({ min: 0, max: 20 }),
  });
  let checked = 0;
  fc.assert(
    fc.property(fc.array(step, { maxLength: 200, size: "max" }), (steps) => {
      const heap = new KeyedHeap<Item>(first);
      const model = new Map<string, Item>();
      for (const { kind, key, value } of steps) {
        const sorted = [...model.values()].sort((a, b) => (first(a, b) ? -1 : 1));
        if (kind === "set") {
          heap.set(key, { key, value });
          model.set(key, { key, value });
        } else if (kind === "delete") {
          heap.delete(key);
          model.delete(key);
        } else {
          if (heap.pop()?.key !== sorted[0]?.key) throw new Error("pop is not the first");
          if (sorted[0] !== undefined) model.delete(sorted[0].key);
        }
        const now = [...model.values()].sort((a, b) => (first(a, b) ? -1 : 1));
        if (heap.size !== model.size || heap.peek()?.key !== now[0]?.key) throw new Error("peek is not the first");
        if (heap.peekExcept(key)?.key !== now.find((item) => item.key !== key)?.key) throw new Error("peekExcept");
        for (let i = 1; i < heap.size; i++) {
          if (first(heap.at(i) as Item, heap.at((i - 1) >> 1) as Item))
            throw new Error(`position ${i} before its parent`);
        }
        checked++;
      }
    }),
    { numRuns: 200 },
  );
  t.ok(checked > 10_000, `${checked} steps checked`);
});

/* A naive model of the rules, over the pool's list, against which random operations are checked. */

const SENDERS = [ALICE, BOB, CAROL, DAVE, "toy1erin", "toy1frank", "toy1grace"];
const cost = (entry: NewTransfer): number => entry.tx.amount + entry.tx.fee;
/** Block order, naively: rate by BigInt cross-multiplication, then seq. */
const better = (a: PooledTransfer, b: PooledTransfer): boolean => {
  const left = BigInt(a.tx.fee) * BigInt(b.bytes);
  const right = BigInt(b.tx.fee) * BigInt(a.bytes);
  return left > right || (left === right && a.seq < b.seq);
};
const chainOf = (entries: readonly PooledTransfer[], sender: string): PooledTransfer[] =>
  entries.filter((entry) => entry.tx.sender === sender).sort((a, b) => a.tx.nonce - b.tx.nonce);

/** The outcome `add` should have: the error's class, or what it replaces or evicts. */
function expectedAdd(
  entries: readonly PooledTransfer[],
  next: NewTransfer,
  account: SenderAccount,
  capacity: number,
): string {
  const { tx } = next;
  if (entries.some((entry) => entry.id === next.id)) return "AlreadyPendingError";
  const chain = chainOf(entries, tx.sender);
  if (tx.nonce <= account.nonce) return "NonceUsedError";
  if (tx.nonce > account.nonce + chain.length + 1) return "NonceGapError";
  const replaced = chain.find((entry) => entry.tx.nonce === tx.nonce);
  if (replaced !== undefined && tx.fee <= replaced.tx.fee) return "ReplacementFeeError";
  const spend = chain.reduce((sum, entry) => sum + (entry === replaced ? 0 : cost(entry)), 0);
  if (spend + cost(next) > account.balance) return "InsufficientFundsError";
  if (replaced !== undefined) return `replaced ${replaced.id}`;
  if (entries.length < capacity) return "added";
  const lasts = SENDERS.filter((sender) => sender !== tx.sender)
    .map((sender) => chainOf(entries, sender).at(-1))
    .filter((last): last is PooledTransfer => last !== undefined);
  const victim = lasts.reduce<PooledTransfer | undefined>(
    (low, last) => (low === undefined || better(low, last) ? last : low),
    undefined,
  );
  const incoming = { ...next, seq: Number.MAX_SAFE_INTEGER };
  if (victim === undefined || !better(incoming, { ...victim, seq: 0 })) return "PoolFullError";
  return `evicted ${victim.id}`;
}

/** A block's order, naively: repeatedly the best of every sender's next transfer. */
function expectedSelect(entries: readonly PooledTransfer[], limit: number): string[] {
  const chains = SENDERS.map((sender) => chainOf(entries, sender));
  const picked: string[] = [];
  while (picked.length < limit) {
    const heads = chains.map((chain) => chain[0]).filter((head): head is PooledTransfer => head !== undefined);
    const best = heads.reduce<PooledTransfer | undefined>(
      (top, head) => (top && better(top, head) ? top : head),
      undefined,
    );
    if (best === undefined) break;
    picked.push(best.id);
    chains.find((chain) => chain[0] === best)?.shift();
  }
  return picked;
}

type Op =
  | { kind: "add"; sender: number; recipient: number; nonce: number; amount: number; fee: number; bytes: number }
  | { kind: "mine"; limit: number }
  | { kind: "foreign"; sender: number; amount: number }
  | { kind: "reorg"; depth: number; foreign: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("add" as const),
      sender: fc.nat(SENDERS.length - 1),
      recipient: fc.nat(SENDERS.length - 1),
      nonce: fc.integer({ min: -1, max: 4 }),
      amount: fc.integer({ min: 1, max: 40 }),
      fee: fc.integer({ min: 0, max: 12 }),
      // Few sizes, so that equal fee rates are common.
      bytes: fc.oneof(fc.constantFrom(1, 50, 100, 200), fc.integer({ min: 1, max: 300 })),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("mine" as const), limit: fc.nat(6) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("foreign" as const),
      sender: fc.nat(SENDERS.length - 1),
      amount: fc.integer({ min: 1, max: 60 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("reorg" as const),
      depth: fc.integer({ min: 1, max: 3 }),
      foreign: fc.boolean(),
    }),
  },
);

t.test("random adds, blocks, peers' blocks and reorganisations keep every rule, as a naive model says", async (t) => {
  let checked = 0;
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 12 }),
      fc.array(fc.integer({ min: 0, max: 120 }), { minLength: SENDERS.length, maxLength: SENDERS.length }),
      fc.array(op, { maxLength: 60, size: "max" }),
      (capacity, balances, ops) => {
        const pool = new AccountsPool(capacity);
        /** The tip's accounts, and for each block on top, the accounts before it and its transfers. */
        let accounts = new Map(SENDERS.map((sender, i) => [sender, { balance: balances[i] ?? 0, nonce: 0 }]));
        const blocks: { before: Map<string, SenderAccount>; transfers: NewTransfer[] }[] = [];
        const read = (address: string): SenderAccount => accounts.get(address) ?? { balance: 0, nonce: 0 };
        let peerIds = 0;

        /** Connects a block as the ledger would, failing on an overdraft or a nonce out of order (property c). */
        const connect = (transfers: NewTransfer[]): void => {
          const before = new Map([...accounts].map(([address, account]) => [address, { ...account }]));
          for (const { tx } of transfers) {
            const sender = read(tx.sender);
            if (tx.nonce !== sender.nonce + 1)
              throw new Error(`nonce ${tx.nonce} of ${tx.sender} after ${sender.nonce}`);
            if (tx.amount + tx.fee > sender.balance) throw new Error(`${tx.sender} overdraws`);
            accounts.set(tx.sender, { balance: sender.balance - tx.amount - tx.fee, nonce: tx.nonce });
            const recipient = read(tx.recipient);
            accounts.set(tx.recipient, { ...recipient, balance: recipient.balance + tx.amount });
          }
          blocks.push({ before, transfers });
        };
        const peerTransfer = (sender: string, amount: number): NewTransfer[] => {
          const account = read(sender);
          if (amount + 1 > account.balance) return [];
          return [transfer(sender, account.nonce + 1, { amount, fee: 1, id: `peer-${peerIds++}` })];
        };

        const invariants = (): void => {
          const entries = pool.list();
          if (pool.size > capacity || entries.length !== pool.size) throw new Error("size past capacity (d)");
          for (let i = 1; i < entries.length; i++) {
            if ((entries[i - 1] as PooledTransfer).seq >= (entries[i] as PooledTransfer).seq)
              throw new Error("list order");
          }
          for (const sender of SENDERS) {
            const account = read(sender);
            const chain = pool.pendingFrom(sender);
            // (a) nonces contiguous from confirmed + 1; (b) their spend within the balance.
            chain.forEach((entry, i) => {
              if (entry.tx.nonce !== account.nonce + 1 + i)
                throw new Error(`${sender}'s nonces are not contiguous (a)`);
            });
            if (chain.reduce((sum, entry) => sum + cost(entry), 0) > account.balance) {
              throw new Error(`${sender} is overdrawn by its pending (b)`);
            }
            const to = entries.filter((entry) => entry.tx.recipient === sender);
            if (ids(pool.pendingTo(sender)).join() !== ids(to).join()) throw new Error("pendingTo disagrees");
          }
          // (c) every block the pool would fill is valid.
          const all = pool.select(capacity);
          if (all.length !== entries.length) throw new Error("select(capacity) leaves some out");
          const saved = accounts;
          accounts = new Map(accounts);
          connect(all);
          blocks.pop();
          accounts = saved;
        };

        for (const step of ops) {
          const before = pool.list();
          if (step.kind === "add") {
            const sender = SENDERS[step.sender] as string;
            const account = read(sender);
            const nonce = account.nonce + pool.pendingFrom(sender).length + step.nonce;
            const next = transfer(sender, Math.max(1, nonce), {
              amount: step.amount,
              fee: step.fee,
              bytes: step.bytes,
              recipient: SENDERS[step.recipient] as string,
            });
            const expected = expectedAdd(before, next, account, capacity);
            let outcome: string;
            try {
              const { replaced, evicted } = pool.add(next, account);
              outcome = replaced ? `replaced ${replaced.id}` : evicted ? `evicted ${evicted.entry.id}` : "added";
            } catch (error) {
              outcome = (error as Error).name;
              if (pool.list().length !== before.length) throw new Error("a refused add changed the pool");
            }
            if (outcome !== expected) throw new Error(`add: ${outcome}, the model says ${expected}`);
          } else if (step.kind === "mine") {
            const block = pool.select(step.limit);
            if (ids(block).join() !== expectedSelect(before, step.limit).join()) throw new Error("select disagrees");
            connect(block);
            const { confirmed, dropped } = pool.confirmed(included(block), read);
            if (confirmed.length !== block.length || dropped.length > 0) throw new Error("our own block dropped some");
          } else if (step.kind === "foreign") {
            const block = peerTransfer(SENDERS[step.sender] as string, step.amount);
            connect(block);
            const { confirmed, dropped } = pool.confirmed(included(block), read);
            if (confirmed.length + dropped.length + pool.size !== before.length) throw new Error("a block lost some");
          } else {
            const undone = blocks.splice(Math.max(0, blocks.length - step.depth));
            if (undone[0] !== undefined) accounts = undone[0].before;
            if (step.foreign) connect(peerTransfer(ALICE, 5));
            const returned = undone.flatMap((block) => block.transfers);
            const { added, removed, refused } = pool.refill(returned, read);
            if (before.length + returned.length !== pool.size + removed.length + refused.length) {
              throw new Error("a reorganisation lost some");
            }
            if (added.some((entry) => pool.get(entry.id) !== entry)) throw new Error("added but not pooled");
          }
          invariants();
          checked++;
        }
      },
    ),
    { numRuns: 500 },
  );
  t.ok(checked > 1000, `${checked} operations checked`);
});
