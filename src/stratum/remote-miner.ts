import { hashValue, proofHash } from "../chain/index.js";
import { CANCELLED, JobControl, type MinerPool, pause, type SearchResult } from "../mining/index.js";
import { type RemoteJob, StratumAuthorizationError, StratumClient, type StratumClientEvents } from "./client.js";
import { StratumCode, StratumError } from "./errors.js";
import type { NonceRange } from "./ranges.js";

/** The first wait before reconnecting to a node that went away; it doubles up to MAX_RECONNECT_MS. */
export const FIRST_RECONNECT_MS = 500;
export const MAX_RECONNECT_MS = 30_000;

export interface RemoteMinerOptions {
  host: string;
  port: number;
  /** What mining.subscribe says the miner is. */
  agent: string;
  name: string;
  token: string;
  pool: MinerPool;
  /** Told what happens, a line each. */
  log: (line: string) => void;
  /** How often the rate is printed, in ms. */
  reportMs: number;
  /** Aborted to stop: the job ends at once, the connection closes. */
  signal: AbortSignal;
}

/** A miner's counts since it started. */
export interface RemoteMinerCounts {
  hashes: number;
  accepted: number;
  stale: number;
  refused: number;
  /** Accepted shares that were blocks too. */
  blocks: number;
}

/**
 * `toychain miner`: mines for a node over Stratum with this machine's
 * MinerPool (the node's own kernels and threads). Each job is searched in
 * the session's range of nonces against the share target; every proof found
 * is sent as a share and the search goes on past it. A new job stops the
 * running search at once (the pool's JobControl), whatever its clean flag:
 * its block pays more or extends a new tip. When the node goes away the
 * miner reconnects, waiting from FIRST_RECONNECT_MS, doubling to
 * MAX_RECONNECT_MS; an authorization the node refuses ends it.
 */
export class RemoteMiner {
  readonly #options: RemoteMinerOptions;
  readonly counts: RemoteMinerCounts = { hashes: 0, accepted: 0, stale: 0, refused: 0, blocks: 0 };
  #job: RemoteJob | undefined;
  #control: JobControl | undefined;
  /** The running search, while one runs. */
  #search: Promise<SearchResult> | undefined;
  /** Wakes the search loop: a new job, or the connection gone. */
  #wake: (() => void) | undefined;
  /** The counts at the last report, for the rate since. */
  #lastReport = { at: performance.now(), hashes: 0 };

  constructor(options: RemoteMinerOptions) {
    this.#options = options;
  }

  /** Mines until the signal aborts; rejects with StratumAuthorizationError when the node refuses this miner. */
  async run(): Promise<void> {
    const { signal, log, reportMs } = this.#options;
    let failures = 0;
    const reporter = setInterval(() => this.#report(), reportMs);
    try {
      while (!signal.aborted) {
        const ended = await this.#session(() => {
          failures = 0;
        }).then(
          () => undefined,
          (error: unknown) => error,
        );
        if (signal.aborted) break;
        if (ended instanceof StratumAuthorizationError) throw ended;
        failures++;
        const wait = Math.min(MAX_RECONNECT_MS, FIRST_RECONNECT_MS * 2 ** (failures - 1));
        log(`${ended instanceof Error ? ended.message : "the connection ended"}; reconnecting in ${wait} ms`);
        await pause(wait, signal);
      }
    } finally {
      clearInterval(reporter);
    }
  }

  /** One connection: subscribe, authorize (then `authorized`), mine its jobs until it ends; rejects with why it ended. */
  async #session(authorized: () => void): Promise<void> {
    const { host, port, agent, name, token, log, signal } = this.#options;
    let closed: Error | undefined;
    const events: StratumClientEvents = {
      job: (job) => {
        this.#job = job;
        const stopping = this.#search;
        this.#control?.cancel();
        this.#wake?.();
        if (job.clean && stopping !== undefined) this.#dropped(job, stopping);
      },
      closed: (error) => {
        closed = error;
        this.#control?.cancel();
        this.#wake?.();
      },
    };
    const { client, session, range } = await StratumClient.open(host, port, agent, name, token, events);
    authorized();
    log(`connected to ${host}:${port} as ${name}: session ${session}, nonces ${range.start} to ${range.end}`);
    const stop = () => client.close();
    signal.addEventListener("abort", stop, { once: true });
    try {
      await this.#mine(client, range, () => closed);
    } finally {
      signal.removeEventListener("abort", stop);
      client.close();
      this.#job = undefined;
    }
    throw closed ?? new Error("the connection ended");
  }

  /** Searches each job the client gets, until the connection closes. */
  async #mine(client: StratumClient, range: NonceRange, closed: () => Error | undefined): Promise<void> {
    const { pool, name } = this.#options;
    let header: string | undefined;
    let from = range.start;
    while (closed() === undefined) {
      const job = this.#job;
      if (job === undefined) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        continue;
      }
      // The same header again (a new share target): go on past the nonces already searched.
      if (job.header !== header) {
        header = job.header;
        from = range.start;
      }
      if (from > range.end) {
        // Every nonce of this job searched (2^40 of them): wait for the next job.
        this.#job = undefined;
        continue;
      }
      const control = new JobControl({ start: from, end: range.end });
      this.#control = control;
      this.#search = pool.search(job.header, job.shareTarget, control);
      const result = await this.#search;
      this.#search = undefined;
      this.#control = undefined;
      this.counts.hashes += result.hashes;
      from = control.claimedEnd;
      if (result.nonce !== null) this.#submit(client, name, job, result.nonce);
      else if (control.state !== CANCELLED && this.#job === job) this.#job = undefined;
    }
  }

  /**
   * Logs a clean job (a new tip: the block mined is won) that stopped a
   * search, as it came, with how long the search took to stop on every
   * thread: bench:pool measures from the node's new tip to every miner idle.
   */
  #dropped(job: RemoteJob, stopping: Promise<SearchResult>): void {
    const at = new Date().toISOString();
    const from = performance.now();
    stopping.then(
      () =>
        this.#options.log(
          `clean job ${job.id} for block ${job.height} at ${at}: the old search stopped in ${(performance.now() - from).toFixed(2)} ms`,
        ),
      () => undefined,
    );
  }

  #submit(client: StratumClient, name: string, job: RemoteJob, nonce: number): void {
    const block = this.#isBlock(job, nonce);
    client.submit(name, job.id, nonce).then(
      () => {
        this.counts.accepted++;
        if (block) {
          this.counts.blocks++;
          this.#options.log(`share ${nonce} for block ${job.height} is a block: sent to the node`);
        }
      },
      (error: unknown) => {
        // A share still on its way when the connection closed is lost, not refused: the next session's jobs are new.
        if (!(error instanceof StratumError)) return;
        if (error.code === StratumCode.STALE) {
          this.counts.stale++;
          return;
        }
        this.counts.refused++;
        this.#options.log(`share ${nonce} refused: ${error.message}`);
      },
    );
  }

  #isBlock(job: RemoteJob, nonce: number): boolean {
    return hashValue(proofHash(job.header, nonce)) <= job.blockTarget;
  }

  #report(): void {
    const { accepted, stale, refused, blocks } = this.counts;
    const rate = this.#rateMhps();
    this.#options.log(
      `${rate.toFixed(2)} MH/s on ${this.#options.pool.threads} threads (${this.#options.pool.kernel}); shares: ${accepted} accepted, ${stale} stale, ${refused} refused; blocks ${blocks}`,
    );
  }

  #rateMhps(): number {
    const now = performance.now();
    const hashes = this.counts.hashes + (this.#control?.hashes ?? 0);
    const rate = (hashes - this.#lastReport.hashes) / ((now - this.#lastReport.at) / 1000) / 1e6;
    this.#lastReport = { at: now, hashes };
    return rate;
  }
}
