import type { Logger } from "pino";
import { MinerStoppedError } from "./errors.js";
import type { MinedBlock, Miner } from "./miner.js";

/**
 * How old a running job's block may get before it is mined again with the
 * transactions that arrived meanwhile (and a new timestamp): 2 s.
 *
 * Proof of work is memoryless: every hash is a fresh draw, so a job stopped
 * and started over on a new block has lost nothing, and the next proof is
 * as near as before. A restart costs only the few milliseconds the workers
 * take to stop and start, under 1% of the hash rate at one restart in 2 s.
 * The interval bounds how long a transaction waits outside the block being
 * mined (2 s, plus the REFRESH_CHECK_MS between checks), and it keeps a burst
 * of transactions from restarting the job at each one, which would cost the
 * whole hash rate. A job whose block is full, or which nothing joined, goes on.
 */
export const REFRESH_MS = 2000;
/** How often the running job's age is checked against REFRESH_MS. */
export const REFRESH_CHECK_MS = 250;
/** The wait after a block that could not be forged; it doubles with each failure in a row, up to MAX_RETRY_MS. */
export const FIRST_RETRY_MS = 1000;
export const MAX_RETRY_MS = 60_000;

/** The wait before the `failures`-th attempt in a row after a failure. */
export const retryMs = (failures: number): number => Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (failures - 1));

/** Resolves after `ms`, or as soon as `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

export interface ContinuousMinerDeps {
  miner: Pick<Miner, "refresh">;
  /** Forges the next block on the tip and resolves once it is durable; rejects with MinerStoppedError once mining stops. */
  forge: () => Promise<MinedBlock>;
  /** The index of the block that would extend our chain now. */
  nextIndex: () => number;
  /** Aborted when the node stops: no block is begun after it. */
  signal: AbortSignal;
  log: Logger;
  /** REFRESH_MS unless given (tests). */
  refreshMs?: number;
  /** REFRESH_CHECK_MS unless given (tests). */
  checkMs?: number;
  /** How a failure's retry waits; pause unless given (tests). */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** A GET /mine waiting for the next block forged at `from` or later. */
interface Waiter {
  from: number;
  resolve: (mined: MinedBlock) => void;
  reject: (error: unknown) => void;
}

/**
 * --mine: forges block after block on the tip until the node stops. Each
 * block is forged as a GET /mine forges it (the same Miner, reward, log line,
 * events and announcement); a new tip restarts the job at once (the Miner's
 * restart), and a job older than REFRESH_MS restarts with the transactions
 * that arrived. A block that cannot be forged (the store failing, a worker
 * dying) is logged and retried after a wait that doubles, so an error never
 * spins. GET /mine does not start a job of its own: it waits for next().
 */
export class ContinuousMiner {
  readonly #deps: ContinuousMinerDeps;
  readonly #waiters = new Set<Waiter>();
  #running: Promise<void> | undefined;

  constructor(deps: ContinuousMinerDeps) {
    this.#deps = deps;
  }

  /** Starts the loop (once). */
  start(): void {
    this.#running ??= this.#run();
  }

  /** Resolves once the loop has ended after the node began stopping: a block being written is durable by then. */
  async stopped(): Promise<void> {
    await this.#running;
  }

  /**
   * The next block this node forges that extends the tip as it is now: at
   * the next index, or later when a peer's block took that index first.
   * Rejects with MinerStoppedError when the node stops first, and with the
   * error when forging the next block fails.
   */
  next(): Promise<MinedBlock> {
    if (this.#deps.signal.aborted) return Promise.reject(new MinerStoppedError());
    return new Promise((resolve, reject) => {
      this.#waiters.add({ from: this.#deps.nextIndex(), resolve, reject });
    });
  }

  async #run(): Promise<void> {
    const { miner, forge, signal, log } = this.#deps;
    const refreshMs = this.#deps.refreshMs ?? REFRESH_MS;
    const wait = this.#deps.wait ?? pause;
    const checker = setInterval(() => miner.refresh(refreshMs), this.#deps.checkMs ?? REFRESH_CHECK_MS);
    let failures = 0;
    try {
      while (!signal.aborted) {
        try {
          const mined = await forge();
          failures = 0;
          this.#forged(mined);
        } catch (error) {
          if (error instanceof MinerStoppedError || signal.aborted) break;
          failures++;
          const ms = retryMs(failures);
          const reason = error instanceof Error ? error.message : String(error);
          log.error(
            { err: error, failures, retryInMs: ms },
            `mining continuously: no block could be forged (${reason}); trying again in ${ms} ms`,
          );
          this.#failed(error);
          await wait(ms, signal);
        }
      }
    } finally {
      clearInterval(checker);
      this.#failed(new MinerStoppedError());
    }
  }

  #forged(mined: MinedBlock): void {
    for (const waiter of this.#waiters) {
      if (mined.block.index < waiter.from) continue;
      this.#waiters.delete(waiter);
      waiter.resolve(mined);
    }
  }

  #failed(error: unknown): void {
    for (const waiter of this.#waiters) waiter.reject(error);
    this.#waiters.clear();
  }
}
