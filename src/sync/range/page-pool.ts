import { MessageChannel } from "node:worker_threads";
import { CheckThreads, type HeldCheckThreads, holdCheckThreads } from "../../checks/index.js";
import { SignatureBatch, type SignatureVerifier } from "../../signatures/index.js";
import type { AheadSignatures, PageOutcome, PageSignatures, PageTask } from "./interface.js";
import { AHEAD_PIECE } from "./page.js";

export interface PagePoolOptions {
  /**
   * The threads it checks pages on, shared with the signature pool that
   * verifies the pages' signatures (the node's), and closed by whoever made
   * them. Without them, the pool makes its own: one thread, started on
   * demand and stopped when idle.
   */
  checks?: CheckThreads;
  /** How many signatures a page's check sends ahead at a time (AHEAD_PIECE; fewer only in tests). */
  aheadPiece?: number;
}

/**
 * Checks the pages of peers' chains on worker threads (workers/page.ts):
 * the API keeps answering while a page is parsed and its proofs are checked.
 */
export class PagePool {
  readonly #held: HeldCheckThreads;
  readonly #aheadPiece: number;

  constructor({ checks, aheadPiece = AHEAD_PIECE }: PagePoolOptions = {}) {
    if (!Number.isInteger(aheadPiece) || aheadPiece < 1) throw new RangeError(`PagePool: pieces of ${aheadPiece}`);
    this.#aheadPiece = aheadPiece;
    this.#held = holdCheckThreads(checks, () => new CheckThreads({ threads: 1 }));
  }

  /**
   * The page's buffer is moved to the worker, not copied (`bytes` is empty
   * afterwards), unless it is a view on a larger one, such as Node's pool of
   * small Buffers: then the page alone is copied.
   *
   * With `signatures`, on an accounts chain, the worker sends the page's
   * signatures ahead, once its schema has passed, and `signatures` verifies
   * them while the worker checks the other rules: the outcome's signatures
   * then carry that verification's answer (PageSignatures' verdict), cut to
   * those the check reached, which verifyPageSignatures awaits. A page refused
   * before any signature is reached never waits for them, and once the
   * check is answered the pool stops short of the signatures it did not
   * reach; those it verified meanwhile are the price of the overlap (the
   * serial check verified none past a broken rule).
   */
  check(task: PageTask, signatures?: SignatureVerifier): Promise<PageOutcome> {
    const { bytes } = task;
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    if (signatures !== undefined && task.rules.ledger.kind === "accounts") {
      return this.#checkAhead({ ...task, bytes: own }, signatures);
    }
    return this.#held.checks.run<PageOutcome>("page", { ...task, bytes: own }, [own.buffer as ArrayBuffer]);
  }

  async #checkAhead(task: PageTask, verifier: SignatureVerifier): Promise<PageOutcome> {
    const { port1, port2 } = new MessageChannel();
    // How many signatures the check reached: the pool stops short of the rest.
    let reach: (count: number) => void = () => undefined;
    const mootFrom = new Promise<number>((resolve) => {
      reach = resolve;
    });
    // The first failure any piece finds: the later pieces' jobs past it are moot too.
    let found: (index: number) => void = () => undefined;
    const failed = new Promise<number>((resolve) => {
      found = resolve;
    });
    const pieces: SignatureBatch[] = [];
    const failures: Promise<number>[] = [];
    let received = 0;
    let expected = Number.POSITIVE_INFINITY;
    let allReceived: () => void = () => undefined;
    const whole = new Promise<void>((resolve) => {
      allReceived = resolve;
    });
    port1.on("message", ({ buffer, first }: AheadSignatures) => {
      const piece = new SignatureBatch(buffer);
      const moot = Promise.race([mootFrom, failed]).then((index) => index - first);
      const failure = verifier.firstFailure(piece, { mootFrom: moot }).then((index) => {
        if (index < 0) return -1;
        found(first + index);
        return first + index;
      });
      // Awaited below, unless the page is refused before any signature: then its failure is moot.
      failure.catch(() => undefined);
      pieces.push(piece);
      failures.push(failure);
      received += piece.length;
      if (received >= expected) allReceived();
    });
    try {
      const { ahead, ...outcome } = await this.#held.checks.run<PageOutcome>(
        "page",
        { ...task, early: { port: port2, piece: this.#aheadPiece } },
        [task.bytes.buffer as ArrayBuffer, port2],
      );
      reach(ahead?.reached ?? 0);
      if (ahead === undefined || ahead.reached === 0) return outcome;
      // The pieces come on their own port: the answer may overtake the last of them.
      expected = ahead.sent;
      if (received >= expected) allReceived();
      await whole;
      const { reached } = ahead;
      const signatures: PageSignatures = {
        buffer: SignatureBatch.concat(pieces).buffer,
        perBlock: ahead.perBlock,
        // The pieces are in order: the first that failed holds the first failure.
        verdict: Promise.all(failures).then((each) => {
          const first = each.find((index) => index >= 0) ?? -1;
          return first < reached ? first : -1;
        }),
      };
      return "valid" in outcome ? { valid: { ...outcome.valid, signatures } } : { ...outcome, signatures };
    } finally {
      reach(0);
      port1.close();
    }
  }

  /**
   * Starts a thread and loads the page's modules there (they take a while)
   * while the first page is still on its way; resolves once it has.
   */
  warmUp(): Promise<void> {
    // A thread that cannot start fails the first page check too, which reports it.
    return this.#held.checks.run("warmUpPage", null).then(
      () => undefined,
      () => undefined,
    );
  }

  /** Lets go of the memory the check threads hold after pages (CheckThreads.release). */
  release(): void {
    this.#held.checks.release();
  }

  /** Stops the threads when the pool made them; shared ones are closed by whoever made them. */
  async close(): Promise<void> {
    await this.#held.close();
  }
}
