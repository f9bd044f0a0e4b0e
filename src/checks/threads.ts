import { availableParallelism } from "node:os";
import type { TransferListItem } from "node:worker_threads";
import { Piscina } from "piscina";
import { WORKER_EXEC_ARGV } from "../../workers/exec-argv.js";

const WORKER = new URL("../../workers/checks.js", import.meta.url).href;

/** What the check threads run (workers/checks.ts's exports). */
export type CheckTaskName = "verifyEach" | "firstFailure" | "page" | "warmUpPage";

export interface CheckThreadsOptions {
  /** Worker threads at most (default availableParallelism()); they start on demand and stop when idle. */
  threads?: number;
  /** One thread starts at once and is never stopped: a node that syncs at every block (gossip) keeps it. */
  keep?: boolean;
  /** How long an idle thread stays up (default 30 s). */
  idleTimeoutMs?: number;
  /** The threads' module (default workers/checks.js): another only in tests. */
  worker?: string;
}

/**
 * The node's threads for what it checks off the main thread (Piscina): the
 * signature pool's chunks of signatures and the page pool's pages of peers'
 * chains run on the same threads, one task at a time each, in the order
 * they were asked. So `threads` bounds every check the node makes at once:
 * a node given one thread checks a page and verifies its signatures on one
 * core, not two. A page's signatures, sent ahead as the page is checked,
 * wait for a free thread like any chunk: with two threads, one checks the
 * page while the other verifies what it sent, and both verify the rest.
 */
export class CheckThreads {
  readonly threads: number;
  readonly #create: () => Piscina;
  #piscina: Piscina;
  #closed = false;
  /** Tasks asked and not yet answered, on whichever pool. */
  #running = 0;
  /** release() was asked while tasks ran: the threads are replaced once the last one is answered. */
  #releasing = false;
  /** Threads released, stopping. */
  #retiring: Promise<void> = Promise.resolve();

  constructor({
    threads = availableParallelism(),
    keep = false,
    idleTimeoutMs = 30_000,
    worker = WORKER,
  }: CheckThreadsOptions = {}) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`CheckThreads: ${threads} threads`);
    this.threads = threads;
    this.#create = () =>
      new Piscina({
        filename: worker,
        minThreads: keep ? 1 : 0,
        maxThreads: threads,
        idleTimeout: idleTimeoutMs,
        concurrentTasksPerWorker: 1,
        execArgv: WORKER_EXEC_ARGV,
        // A page is parsed in a thread: its heap is bounded, a young generation of 8 MiB collected often.
        resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 8 },
      });
    this.#piscina = this.#create();
  }

  /** Whether close() was called: the tasks on the threads then, and any asked after, fail. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Runs `name` on a free thread (or once one is free), `transferList`'s
   * buffers moved to it, not copied; rejects once the threads are closed
   * (Piscina would start new ones).
   */
  run<T>(name: CheckTaskName, task: unknown, transferList: readonly TransferListItem[] = []): Promise<T> {
    if (this.#closed) return Promise.reject(new Error(`the check threads are closed: ${name} not run`));
    this.#running++;
    const answer = this.#piscina.run(task, { name, transferList: [...transferList] }) as Promise<T>;
    return answer.finally(() => {
      this.#running--;
      if (this.#running === 0 && this.#releasing) this.#replace();
    });
  }

  /**
   * Lets go of the memory the threads hold: a thread keeps the heap its
   * largest task grew, a page's parse some 30 to 50 MiB, however long it
   * then idles. The threads are stopped and new ones start as tasks come
   * (with `keep`, one at once); tasks on the threads finish first: with
   * some running, the threads are replaced once the last is answered.
   * A sync of many pages calls it before its switch, which checks nothing
   * on them and is when the node's memory peaks.
   */
  release(): void {
    if (this.#closed) return;
    this.#releasing = true;
    if (this.#running === 0) this.#replace();
  }

  #replace(): void {
    this.#releasing = false;
    const old = this.#piscina;
    this.#piscina = this.#create();
    // Nothing runs on them: they only stop.
    this.#retiring = Promise.all([this.#retiring, old.close({ force: true })]).then(() => undefined);
  }

  /** Stops the threads: the tasks on them fail. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#releasing = false;
    await Promise.all([this.#piscina.close({ force: true }), this.#retiring]);
  }
}

/** The check threads a pool runs on, and what its close does to them. */
export interface HeldCheckThreads {
  checks: CheckThreads;
  /** Closes them if the pool made them; threads it was given are closed by whoever made them. */
  close(): Promise<void>;
}

/** The threads a pool was given (shared: the node's), or else its own, made by `own`, which its close stops. */
export function holdCheckThreads(given: CheckThreads | undefined, own: () => CheckThreads): HeldCheckThreads {
  if (given !== undefined) return { checks: given, close: async () => undefined };
  const checks = own();
  return { checks, close: () => checks.close() };
}
