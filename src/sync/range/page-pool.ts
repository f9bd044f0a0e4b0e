import { MessageChannel } from "node:worker_threads";
import { Piscina } from "piscina";
import { WORKER_EXEC_ARGV } from "../../../workers/exec-argv.js";
import { SignatureBatch, type SignatureVerifier } from "../../signatures/index.js";
import type { AheadSignatures, PageOutcome, PageSignatures, PageTask } from "./interface.js";
import { AHEAD_PIECE } from "./page.js";

const WORKER = new URL("../../../workers/page.js", import.meta.url).href;

/**
 * One worker thread, started on demand and stopped when idle (or kept, for a
 * node that syncs at every block), that checks the pages of peers' chains
 * one at a time: the API keeps answering while a page is parsed and its
 * proofs are checked.
 */
export class PagePool {
  readonly #piscina: Piscina;
  readonly #aheadPiece: number;

  /**
   * `keep`: the thread starts at once and is never stopped, since starting
   * one takes a while. `aheadPiece`: how many signatures the worker sends
   * ahead at a time (AHEAD_PIECE; fewer only in tests).
   */
  constructor({ keep = false, aheadPiece = AHEAD_PIECE }: { keep?: boolean; aheadPiece?: number } = {}) {
    if (!Number.isInteger(aheadPiece) || aheadPiece < 1) throw new RangeError(`PagePool: pieces of ${aheadPiece}`);
    this.#aheadPiece = aheadPiece;
    this.#piscina = new Piscina({
      filename: WORKER,
      minThreads: keep ? 1 : 0,
      maxThreads: 1,
      idleTimeout: 30_000,
      execArgv: WORKER_EXEC_ARGV,
      resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 8 },
    });
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
    return this.#piscina.run(
      { ...task, bytes: own },
      { transferList: [own.buffer as ArrayBuffer] },
    ) as Promise<PageOutcome>;
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
      const { ahead, ...outcome } = (await this.#piscina.run(
        { ...task, early: { port: port2, piece: this.#aheadPiece } },
        { transferList: [task.bytes.buffer as ArrayBuffer, port2] },
      )) as PageOutcome;
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

  /** Starts the worker (its modules take a while to load) while the first page is still on its way; resolves once it has. */
  warmUp(): Promise<void> {
    // A worker that cannot start fails the first page check too, which reports it.
    return this.#piscina.run(null, { name: "warmUp" }).then(
      () => undefined,
      () => undefined,
    );
  }

  async close(): Promise<void> {
    await this.#piscina.close({ force: true });
  }
}
