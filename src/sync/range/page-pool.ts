import { MessageChannel } from "node:worker_threads";
import { Piscina } from "piscina";
import { WORKER_EXEC_ARGV } from "../../../workers/exec-argv.js";
import { SignatureBatch, type SignatureVerifier } from "../../signatures/index.js";
import type { PageOutcome, PageSignatures, PageTask } from "./interface.js";

const WORKER = new URL("../../../workers/page.js", import.meta.url).href;

/**
 * One worker thread, started on demand and stopped when idle (or kept, for a
 * node that syncs at every block), that checks the pages of peers' chains
 * one at a time: the API keeps answering while a page is parsed and its
 * proofs are checked.
 */
export class PagePool {
  readonly #piscina: Piscina;

  /** `keep`: the thread starts at once and is never stopped, since starting one takes a while. */
  constructor({ keep = false }: { keep?: boolean } = {}) {
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
    const ahead = new Promise<{ signatures: PageSignatures; failure: Promise<number> }>((resolve) => {
      port1.once("message", (signatures: PageSignatures) => {
        const failure = verifier.firstFailure(new SignatureBatch(signatures.buffer), { mootFrom });
        // Awaited below, unless the page is refused before any signature: then its failure is moot.
        failure.catch(() => undefined);
        resolve({ signatures, failure });
      });
    });
    try {
      const { reached, ...outcome } = (await this.#piscina.run(
        { ...task, early: port2 },
        { transferList: [task.bytes.buffer as ArrayBuffer, port2] },
      )) as PageOutcome;
      reach(reached ?? 0);
      if (reached === undefined || reached === 0) return outcome;
      const { signatures, failure } = await ahead;
      const cut: PageSignatures = {
        ...signatures,
        verdict: failure.then((failed) => (failed < reached ? failed : -1)),
      };
      return "valid" in outcome ? { valid: { ...outcome.valid, signatures: cut } } : { ...outcome, signatures: cut };
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
