import { pino } from "pino";
import t from "tap";
import { ChainAnswers } from "../src/api/chain-body.js";
import { fastLane } from "../src/api/fast-lane.js";
import type { Block, Transaction } from "../src/chain/index.js";
import { type SignedTransaction, sign, signingMessage } from "../src/keys/index.js";
import { AccountsMempool, Ledger } from "../src/ledger/index.js";
import { AccountsPool } from "../src/mempool/index.js";
import { checkSignedTransaction } from "../src/schemas/index.js";
import {
  LocalVerifier,
  SignatureBatcher,
  type SignatureJob,
  type SignatureJobs,
  SignaturePool,
  type SignatureVerifier,
  type Verdict,
} from "../src/signatures/index.js";
import { MemoryStore } from "../src/storage/index.js";
import { accountsChain } from "./helpers/accounts-chain.js";
import { serve } from "./helpers/sync-peer.js";
import { newWallet, type TestWallet, transfer } from "./helpers/wallets.js";

/**
 * Admission in batches (src/signatures/batcher.ts, src/ledger/mempool.ts):
 * the signatures submitted in one turn of the event loop go to the verifier
 * as one batch, batches are settled in the order they came whichever the
 * verifier answers first, a bad signature fails only its own transfer, a
 * lone one is verified alone, and a verifier that fails fails its batch's
 * transfers (500 through the API), never another batch's.
 */

/** A verifier whose every verifyEach waits until the test answers it: `calls` in order, each with its jobs. */
class HeldVerifier implements SignatureVerifier {
  readonly calls: { jobs: SignatureJobs; answer(): void; fail(error: Error): void }[] = [];
  readonly #local = new LocalVerifier();
  #waiters: (() => void)[] = [];

  verifyEach(jobs: SignatureJobs): Promise<boolean[]> {
    return new Promise((resolve, reject) => {
      this.calls.push({
        jobs,
        answer: () => void this.#local.verifyEach(jobs).then(resolve),
        fail: reject,
      });
      for (const waiter of this.#waiters.splice(0)) waiter();
    });
  }

  firstFailure(jobs: SignatureJobs): Promise<number> {
    return this.#local.firstFailure(jobs);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Resolves once the verifier has been asked `count` batches in all. */
  async asked(count: number): Promise<void> {
    while (this.calls.length < count) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}

/** A verifier that verifies at once, and records each batch it was asked. */
class RecordingVerifier extends LocalVerifier {
  readonly batches: SignatureJobs[] = [];
  override verifyEach(jobs: SignatureJobs): Promise<boolean[]> {
    this.batches.push(jobs);
    return super.verifyEach(jobs);
  }
}

const SUBSIDY = 1000;
const { spec, prefix, blockOn } = accountsChain("signature-batcher", SUBSIDY);
const [lea, mark, ann] = [newWallet(prefix), newWallet(prefix), newWallet(prefix)] as [
  TestWallet,
  TestWallet,
  TestWallet,
];

/** A job signed by `wallet` over `text` (or one that does not verify: signed over something else). */
function job(wallet: TestWallet, text: string, { forged = false } = {}): SignatureJob {
  const message = Buffer.from(text);
  const signature = sign(wallet.secretKey, forged ? Buffer.from(`not ${text}`) : message);
  return { publicKey: wallet.publicKey, message, signature };
}

/** An accounts pool over a store where lea, mark and ann each mined a block (SUBSIDY each), checked by `verifier`. */
async function funded(verifier: SignatureVerifier): Promise<AccountsMempool> {
  const store = new MemoryStore();
  await store.create("0".repeat(32), { genesisHash: spec.id, difficulty: 0, chain: spec.name }, spec.genesis);
  const ledger = new Ledger(spec, store);
  let parent: Block = spec.genesis;
  for (const miner of [lea, mark, ann]) {
    const block = blockOn(parent, [], miner);
    await store.appendBlock(block, [], await ledger.write([], [[block]]));
    parent = block;
  }
  return new AccountsMempool(spec, store, new AccountsPool(100), verifier);
}

const pay = (from: TestWallet, nonce: number, amount = 10): SignedTransaction =>
  transfer(spec.id, from, mark.address, { amount, fee: 1, nonce }) as SignedTransaction;

/** `tx` with a signature of the sender's key over another transfer: well formed, and not the sender's over this one. */
const forged = (tx: SignedTransaction, from: TestWallet): SignedTransaction => ({
  ...tx,
  signature: Buffer.from(sign(from.secretKey, signingMessage(spec.id, { ...tx, amount: tx.amount + 1 }))).toString(
    "hex",
  ),
});

/** What each of `outcomes` came to: its value, or its error's name and message. */
const outcomesOf = async <R>(outcomes: Promise<R>[]) =>
  (await Promise.allSettled(outcomes)).map((outcome) =>
    outcome.status === "fulfilled"
      ? { value: outcome.value }
      : { error: (outcome.reason as Error).name, message: (outcome.reason as Error).message },
  );

/** The outcomes of two jobs submitted in one turn to a batcher on `verifier` that settles every item it is given. */
function twoThrough(verifier: SignatureVerifier) {
  const batcher = new SignatureBatcher<string, string>(verifier, async (batch) =>
    batch.map(({ item }) => ({ status: "fulfilled", value: item })),
  );
  return outcomesOf([batcher.submit(job(lea, "a"), "a"), batcher.submit(job(lea, "b"), "b")]);
}

t.test("what is submitted in one turn is verified as one batch, and settled in submission order", async (t) => {
  const verifier = new RecordingVerifier();
  const settled: Verdict<string>[][] = [];
  const batcher = new SignatureBatcher<string, string>(verifier, async (batch) => {
    settled.push([...batch]);
    return batch.map(({ item, valid }) => ({ status: "fulfilled", value: `${item} ${valid ? "verifies" : "fails"}` }));
  });
  const jobs = [job(lea, "one"), job(mark, "two", { forged: true }), job(ann, "three")];
  const outcomes = await Promise.all(jobs.map((each, i) => batcher.submit(each, ["one", "two", "three"][i] as string)));
  t.same(outcomes, ["one verifies", "two fails", "three verifies"], "each item's outcome, the bad one's its own");
  t.equal(verifier.batches.length, 1, "the verifier was asked once");
  t.same(verifier.batches[0], jobs, "with the three jobs, in the order they came");
  t.same(
    settled,
    [
      [
        { item: "one", valid: true },
        { item: "two", valid: false },
        { item: "three", valid: true },
      ],
    ],
    "and the batch was settled once, in that order, with the verdicts",
  );
});

t.test("a lone submission is verified alone, waiting for no other", async (t) => {
  const verifier = new RecordingVerifier();
  const batcher = new SignatureBatcher<string, boolean>(verifier, async (batch) =>
    batch.map(({ valid }) => ({ status: "fulfilled", value: valid })),
  );
  const lone = job(lea, "alone");
  t.equal(await batcher.submit(lone, "alone"), true, "it verifies");
  t.same(verifier.batches, [[lone]], "in a batch of its own");
});

t.test("a turn's submissions go to the verifier by flushAt, and are settled in the order they came", async (t) => {
  const verifier = new HeldVerifier();
  const settled: string[] = [];
  const batcher = new SignatureBatcher<string, string>(
    verifier,
    async (batch) =>
      batch.map(({ item, valid }) => {
        settled.push(item);
        return { status: "fulfilled", value: `${item} ${valid ? "verifies" : "fails"}` };
      }),
    { flushAt: 2 },
  );
  const items = ["a", "b", "c", "d", "e"];
  const outcomes = items.map((item) => batcher.submit(job(ann, item, { forged: item === "d" }), item));
  t.same(
    verifier.calls.map((call) => call.jobs.length),
    [2, 2],
    "in the same turn, before it ends: two full batches already handed on",
  );
  await verifier.asked(3);
  t.same(
    verifier.calls.map((call) => call.jobs.length),
    [2, 2, 1],
    "the rest at the turn's end",
  );
  for (const call of [...verifier.calls].reverse()) call.answer();
  t.same(await Promise.all(outcomes), ["a verifies", "b verifies", "c verifies", "d fails", "e verifies"]);
  t.same(settled, items, "settled in submission order, though answered last batch first");
  t.throws(() => new SignatureBatcher(verifier, async () => [], { flushAt: 0 }), RangeError);
});

t.test("batches are settled in the order they came, whichever the verifier answers first", async (t) => {
  const verifier = new HeldVerifier();
  const settled: string[] = [];
  const batcher = new SignatureBatcher<string, string>(verifier, async (batch) =>
    batch.map(({ item }) => {
      settled.push(item);
      return { status: "fulfilled", value: item };
    }),
  );
  const first = [batcher.submit(job(lea, "a"), "a"), batcher.submit(job(lea, "b"), "b")];
  await verifier.asked(1);
  const second = [batcher.submit(job(mark, "c"), "c")];
  await verifier.asked(2);
  t.same(
    verifier.calls.map((call) => call.jobs.length),
    [2, 1],
    "two turns, two batches, both handed to the verifier before either is answered",
  );
  verifier.calls[1]?.answer();
  verifier.calls[0]?.answer();
  t.same(await Promise.all([...first, ...second]), ["a", "b", "c"]);
  t.same(settled, ["a", "b", "c"], "the second batch, verified first, was settled after the first");
});

t.test("a verifier that fails fails its batch's items with SignatureCheckError, and no other batch", async (t) => {
  const verifier = new HeldVerifier();
  const settled: string[] = [];
  const batcher = new SignatureBatcher<string, string>(verifier, async (batch) =>
    batch.map(({ item }) => {
      settled.push(item);
      return { status: "fulfilled", value: item };
    }),
  );
  const failing = [batcher.submit(job(lea, "a"), "a"), batcher.submit(job(lea, "b"), "b")];
  await verifier.asked(1);
  const next = batcher.submit(job(mark, "c"), "c");
  await verifier.asked(2);
  verifier.calls[0]?.fail(new Error("the worker thread died"));
  verifier.calls[1]?.answer();
  const message = "the check of a batch of 2 signatures failed: the worker thread died";
  t.same(await outcomesOf(failing), [
    { error: "SignatureCheckError", message },
    { error: "SignatureCheckError", message },
  ]);
  t.equal(await next, "c", "the next batch is verified and settled");
  t.same(settled, ["c"], "the failed batch was never settled: its items were not judged");

  const miscounting: SignatureVerifier = {
    verifyEach: async () => [true],
    firstFailure: async () => -1,
    close: async () => undefined,
  };
  const counted = "the check of a batch of 2 signatures failed: the verifier answered for 1 signatures, not 2";
  t.same(
    await twoThrough(miscounting),
    [
      { error: "SignatureCheckError", message: counted },
      { error: "SignatureCheckError", message: counted },
    ],
    "so does one that answers for another number of signatures",
  );

  const closed = new SignaturePool({ threads: 1 });
  await closed.close();
  const closedMessage = "The node is stopping: its signature workers are closed";
  t.same(
    await twoThrough(closed),
    [
      { error: "SignaturePoolClosedError", message: closedMessage },
      { error: "SignaturePoolClosedError", message: closedMessage },
    ],
    "a pool closed as the node stops: its own error, which the API answers 503, not a failed check",
  );
});

t.test("the pool admits a batch in arrival order, a bad signature failing only its own transfer", async (t) => {
  const verifier = new RecordingVerifier();
  const mempool = await funded(verifier);
  const [one, two, three] = [pay(lea, 1), pay(lea, 2), pay(lea, 3)];
  const bad = forged(pay(mark, 1), mark);
  const annPays = pay(ann, 1);
  const outcomes = await outcomesOf([one, bad, two, annPays, three].map((tx) => mempool.admit(tx)));
  t.same(
    outcomes.map((outcome) => (outcome.value === undefined ? outcome : { admitted: outcome.value.entry.tx })),
    [
      { admitted: one },
      { error: "SignatureError", message: `signature does not verify for sender ${mark.address}` },
      { admitted: two },
      { admitted: annPays },
      { admitted: three },
    ],
    "lea's nonces 1, 2 and 3, posted without waiting, are all admitted; mark's forged one alone is refused",
  );
  t.equal(verifier.batches.length, 1, "the five signatures were verified as one batch");
  t.same(
    mempool.list().map((tx) => [tx.sender, tx.nonce]),
    [
      [lea.address, 1],
      [lea.address, 2],
      [ann.address, 1],
      [lea.address, 3],
    ],
    "the pool holds the four, in arrival order",
  );
});

t.test("a sender's nonces in two batches are admitted in order, the second batch verified first", async (t) => {
  const verifier = new HeldVerifier();
  const mempool = await funded(verifier);
  const first = mempool.admit(pay(lea, 1));
  await verifier.asked(1);
  const second = mempool.admit(pay(lea, 2));
  await verifier.asked(2);
  verifier.calls[1]?.answer();
  verifier.calls[0]?.answer();
  t.same(
    (await Promise.all([first, second])).map(({ entry }) => entry.tx.nonce),
    [1, 2],
    "nonce 2 waited for nonce 1's admission: no gap",
  );
});

t.test("the cheap checks come before the batch, with their errors, and cost the verifier nothing", async (t) => {
  const verifier = new RecordingVerifier();
  const mempool = await funded(verifier);
  const typo = `${mark.address.slice(0, -1)}${mark.address.endsWith("q") ? "p" : "q"}`;
  await t.rejects(mempool.admit({ ...pay(lea, 1), recipient: typo }), { name: "AddressError", field: "recipient" });
  await t.rejects(mempool.admit({ ...pay(lea, 1), signature: "ab" }), {
    name: "TransactionError",
    field: "signature",
    message: "signature must be 128 lower-case hex digits (64 bytes), not 2",
  });
  await t.rejects(mempool.admit({ ...pay(lea, 1), sender: "0" }), { name: "ReservedSenderError" });
  await t.rejects(mempool.admit({ ...pay(lea, 1), nonce: 0 }), { name: "TransactionError", field: "nonce" });
  t.same(verifier.batches, [], "none of them reached the verifier");
});

t.test("through the API: a bad signature answers 400 as before, a failed verifier 500, logged", async (t) => {
  const verifier = new HeldVerifier();
  const mempool = await funded(verifier);
  const lines: { level: number; msg: string; err?: { type: string; message: string } }[] = [];
  const log = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const url = await serve(
    t,
    fastLane(
      {
        answers: new ChainAnswers({
          durableTip: { length: 1, hash: "", work: "0", chain: "" },
          durableTipBlock: undefined,
          view: () => Promise.reject(new Error("no chain here")),
        }),
        check: checkSignedTransaction,
        addTransaction: async (tx: Transaction) => ({
          index: 5,
          id: (await mempool.admit(tx as SignedTransaction)).entry.id,
        }),
        log,
      },
      () => undefined,
      (_req, res) => res.end("{}"),
    ),
  );
  const post = async (tx: SignedTransaction) => {
    const response = await fetch(`${url}/transactions/new`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(tx),
    });
    return { status: response.status, body: await response.json() };
  };

  const bad = post(forged(pay(lea, 1), lea));
  await verifier.asked(1);
  verifier.calls[0]?.answer();
  const message = `signature does not verify for sender ${lea.address}`;
  t.same(await bad, { status: 400, body: { message, errors: [{ field: "signature", message }] } });

  const failing = post(pay(lea, 1));
  await verifier.asked(2);
  verifier.calls[1]?.fail(new Error("the worker thread died"));
  t.same(await failing, {
    status: 500,
    body: { message: "Internal error: the node could not check the signature, and did not take the transfer; retry" },
  });
  const logged = lines.filter((line) => line.msg === "request failed");
  t.equal(logged.length, 1, "the failure is logged");
  t.same(logged[0]?.err?.type, "SignatureCheckError");
  t.match(logged[0]?.err?.message, /the worker thread died/, "with its cause");
  t.same(mempool.list(), [], "and nothing was taken");

  const retried = post(pay(lea, 1));
  await verifier.asked(3);
  verifier.calls[2]?.answer();
  t.equal((await retried).status, 200, "a retry is taken");
});
