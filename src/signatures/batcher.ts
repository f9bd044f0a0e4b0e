import { SignatureCheckError, SignaturePoolClosedError } from "./errors.js";
import type { SignatureJob, SignatureVerifier } from "./interface.js";

/** An item of a batch, with whether its signature verified. */
export interface Verdict<T> {
  item: T;
  valid: boolean;
}

/** What settles a batch: each item's outcome, in the batch's order. */
export type Settle<T, R> = (batch: readonly Verdict<T>[]) => Promise<PromiseSettledResult<R>[]>;

interface Waiting<T, R> {
  job: SignatureJob;
  item: T;
  resolve(value: R): void;
  reject(reason: unknown): void;
}

/** The verifier's answer for a batch, or why it gave none; never rejects. */
type Answer = { valid: boolean[] } | { failed: SignatureCheckError | SignaturePoolClosedError };

/**
 * How many signatures a batch gathers at most before it goes to the
 * verifier. Under load, a turn of the event loop reads tens of request
 * bodies; sent only at the turn's end, their batch kept its first
 * signatures waiting for the last to be read, then for all of them to be
 * verified on one thread, some 2 ms at 45 us a verify, while the node's
 * 50 clients each waited. Sent by sixteens, the workers start while the
 * turn goes on, and each answer comes after 16 verifies. bench:ledger's
 * signed section, idle Xeon, one run each: 7,044 requests a second at the
 * turn's end alone, 8,479 at 16, 8,559 at 12, 7,609 at 8 (the trips' cost
 * outgrowing what they save).
 */
export const FLUSH_AT = 16;

/**
 * Verifies the signatures submitted in one turn of the event loop as
 * batches of at most `flushAt` (FLUSH_AT), and settles the batches one at a
 * time, in the order they were submitted.
 *
 * The items submitted while the event loop runs its I/O callbacks (the
 * request bodies it read in that turn) form a batch, which goes to the
 * verifier as one verifyEach once it holds `flushAt` or once they have run
 * (setImmediate), whichever comes first: the verifier decides where its
 * jobs run (SignaturePool: on the calling thread below its threshold, else
 * on its workers). A lone item is thus verified in the turn it came,
 * waiting for no timer and no other item.
 * Batches are verified concurrently, but `settle` takes them in turn: a
 * batch is settled once the one before it has been, and `settle` sees its
 * items in submission order with their verdicts, so what it does (admitting
 * transfers) happens in arrival order whichever batch's signatures were
 * verified first.
 *
 * Each submit resolves or rejects with its item's outcome. A verifier that
 * fails (rejects, or answers for another number of jobs) rejects every item
 * of the batch with a SignatureCheckError, or the pool's
 * SignaturePoolClosedError if it was closed under them, and `settle` never
 * sees them.
 */
export class SignatureBatcher<T, R> {
  readonly #verifier: SignatureVerifier;
  readonly #settle: Settle<T, R>;
  /** The batch being gathered in this turn; undefined when none is. */
  #gathering: Waiting<T, R>[] | undefined;
  /** Ends when the last batch handed on has been settled: the next one is settled after it. */
  #settled: Promise<void> = Promise.resolve();

  readonly #flushAt: number;

  constructor(verifier: SignatureVerifier, settle: Settle<T, R>, { flushAt = FLUSH_AT }: { flushAt?: number } = {}) {
    if (!Number.isInteger(flushAt) || flushAt < 1) throw new RangeError(`SignatureBatcher: batches of ${flushAt}`);
    this.#verifier = verifier;
    this.#settle = settle;
    this.#flushAt = flushAt;
  }

  /** Verifies `job` in this turn's batch, then settles `item` with its verdict, in turn. */
  submit(job: SignatureJob, item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (this.#gathering === undefined) {
        const gathering: Waiting<T, R>[] = [];
        this.#gathering = gathering;
        setImmediate(() => {
          if (this.#gathering === gathering) this.#flush(gathering);
        });
      }
      this.#gathering.push({ job, item, resolve, reject });
      if (this.#gathering.length >= this.#flushAt) this.#flush(this.#gathering);
    });
  }

  #flush(batch: Waiting<T, R>[]): void {
    this.#gathering = undefined;
    const answer = this.#verify(batch.map((waiting) => waiting.job));
    this.#settled = this.#settled.then(() => this.#finish(batch, answer));
  }

  /** The verifier's answer, held as a value: it may fail while an earlier batch is still being settled. */
  async #verify(jobs: readonly SignatureJob[]): Promise<Answer> {
    try {
      const valid = await this.#verifier.verifyEach(jobs);
      if (valid.length !== jobs.length) {
        throw new Error(`the verifier answered for ${valid.length} signatures, not ${jobs.length}`);
      }
      return { valid };
    } catch (error) {
      return {
        failed: error instanceof SignaturePoolClosedError ? error : new SignatureCheckError(jobs.length, error),
      };
    }
  }

  async #finish(batch: readonly Waiting<T, R>[], answer: Promise<Answer>): Promise<void> {
    const verdicts = await answer;
    if ("failed" in verdicts) {
      for (const waiting of batch) waiting.reject(verdicts.failed);
      return;
    }
    let outcomes: PromiseSettledResult<R>[];
    try {
      outcomes = await this.#settle(batch.map(({ item }, i) => ({ item, valid: verdicts.valid[i] === true })));
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    for (const [i, waiting] of batch.entries()) {
      const outcome = outcomes[i];
      if (outcome?.status === "fulfilled") waiting.resolve(outcome.value);
      else waiting.reject(outcome?.reason ?? new Error(`the batch's settling gave no outcome for item ${i}`));
    }
  }
}
