import { CheckThreads, type HeldCheckThreads, holdCheckThreads } from "../checks/index.js";
import { chooseBackend, type VerifyBackend } from "./backend.js";
import { SignatureBatch } from "./batch.js";
import { SignaturePoolClosedError } from "./errors.js";
import type { ChunkAnswer, ChunkTask, FirstFailureOptions, SignatureJobs, SignatureVerifier } from "./interface.js";
import { LocalVerifier } from "./local.js";
import { noSignatureCounts, type SignatureCounts, type VerifiedOn } from "./metrics.js";

/**
 * Below this many signatures a batch is verified on the calling thread, and
 * no chunk sent to a worker holds fewer. Measured on the 2-core Xeon while
 * other work loaded it (load average 3 to 5): a chunk's trip to a warm
 * worker and back costs about 0.25 ms beyond its verifies, and a verify
 * 0.2 ms (0.13 on the idle machine), so two chunks answer sooner than the
 * calling thread from about 3 signatures (0.25 + n/2 x 0.2 < n x 0.2), and a
 * batch sent costs the calling thread less than verifying it from 2. A
 * peer's page or block of any size is far above it.
 */
export const POOL_THRESHOLD = 4;

/**
 * Chunks a large batch is split into, per thread, each of at least
 * SHARED_CHUNK signatures. One a thread would leave every thread but the
 * slowest idle at the end of a batch, and a thread is often slower: beside
 * a peer's page's signatures, a thread checks the next page (the threads
 * are shared: CheckThreads), or another process takes its core. With several, a thread that finishes
 * early takes the next chunk. Each costs a trip to a worker, about 0.25 ms,
 * against some 35 ms of verifies in 256 signatures.
 */
export const CHUNKS_PER_THREAD = 4;
const SHARED_CHUNK = 256;

/**
 * The fewest signatures a chunk holds, unless the whole batch is fewer: then
 * it is one chunk. A trip to a worker costs more than its message: waking a
 * sleeping thread, and Piscina's bookkeeping on both sides, 50 to 150 µs of
 * CPU in all (measured on the 2-core Xeon, empty tasks, two threads), against
 * some 45 µs a verify with libsodium. The transfers posted to a busy node
 * come in batches of a few tens; split in two, each batch paid a second trip
 * for half its verifies, and the next batch, verified meanwhile on the other
 * thread, keeps both busy anyway.
 */
export const MIN_CHUNK = 64;

/** The stop flag's value while no chunk has found a failure: past any index. */
const NO_FAILURE = 0x7fffffff;

export interface SignaturePoolOptions {
  /**
   * The threads it verifies on, shared with what else checks on them (the
   * node's page pool), and closed by whoever made them; without them, the
   * pool makes its own (`threads`, `idleTimeoutMs`, `worker`) and closes them.
   */
  checks?: CheckThreads;
  /** Worker threads at most (default availableParallelism()); they start on demand and stop when idle. */
  threads?: number;
  /** Below this many signatures a batch is verified on the calling thread (default POOL_THRESHOLD). */
  threshold?: number;
  /** The fewest signatures a chunk sent to a worker holds, but a smaller batch's one (default MIN_CHUNK). */
  minChunk?: number;
  /** How long an idle worker stays up (default 30 s). */
  idleTimeoutMs?: number;
  /** What verifies the signatures, here and on the workers (default: auto's choice, backend.ts). */
  backend?: VerifyBackend;
  /** The workers' module (default workers/checks.js): another only in tests. */
  worker?: string;
}

/**
 * Verifies batches of Ed25519 signatures on every core (Piscina): a batch is
 * split into chunks, a few per thread, each packed in one buffer that is moved to
 * its worker, not copied. A batch too small to be worth the crossing is
 * verified on the calling thread. firstFailure's chunks share a flag, so that
 * a chunk stops once a failure is known before the job it is at; the answer
 * is still the first failing job in order. No worker starts until a batch
 * comes: a node on the walkthrough's chain, which has no signatures, starts none.
 */
export class SignaturePool implements SignatureVerifier {
  readonly threads: number;
  readonly threshold: number;
  readonly minChunk: number;
  readonly backend: VerifyBackend;
  readonly #held: HeldCheckThreads;
  readonly #local: LocalVerifier;
  readonly #counts: SignatureCounts;
  #closed = false;

  constructor({
    checks,
    threads,
    threshold = POOL_THRESHOLD,
    minChunk = MIN_CHUNK,
    idleTimeoutMs,
    backend = chooseBackend("auto").backend,
    worker,
  }: SignaturePoolOptions = {}) {
    if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError(`SignaturePool: threshold ${threshold}`);
    if (!Number.isInteger(minChunk) || minChunk < 1) throw new RangeError(`SignaturePool: chunks of ${minChunk}`);
    this.#held = holdCheckThreads(checks, () => new CheckThreads({ threads, idleTimeoutMs, worker }));
    this.threads = this.#held.checks.threads;
    this.threshold = threshold;
    this.minChunk = minChunk;
    this.backend = backend;
    this.#local = new LocalVerifier(backend);
    this.#counts = noSignatureCounts(backend.name);
  }

  /** What the pool has been asked so far. */
  get counts(): SignatureCounts {
    return {
      backend: this.#counts.backend,
      batches: { ...this.#counts.batches },
      signatures: { ...this.#counts.signatures },
      chunks: this.#counts.chunks,
    };
  }

  async verifyEach(jobs: SignatureJobs): Promise<boolean[]> {
    if (this.#onCaller(jobs)) return this.#local.verifyEach(jobs);
    const chunks = await Promise.all(this.#chunks(jobs).map((task) => this.#run<Uint8Array>("verifyEach", task)));
    const results: boolean[] = [];
    for (const chunk of chunks) for (const verified of chunk) results.push(verified === 1);
    return results;
  }

  /** With `mootFrom`, the chunks' shared flag is lowered to it once it resolves: the chunks past it stop. */
  async firstFailure(jobs: SignatureJobs, { mootFrom }: FirstFailureOptions = {}): Promise<number> {
    if (this.#onCaller(jobs)) return this.#local.firstFailure(jobs);
    const stop = new SharedArrayBuffer(4);
    const flag = new Int32Array(stop);
    flag[0] = NO_FAILURE;
    mootFrom?.then(
      (index) => {
        for (let seen = Atomics.load(flag, 0); index < seen; ) {
          const swapped = Atomics.compareExchange(flag, 0, seen, index);
          if (swapped === seen) break;
          seen = swapped;
        }
      },
      () => undefined,
    );
    const failures = await Promise.all(
      this.#chunks(jobs).map((task) => this.#run<number>("firstFailure", { ...task, stop })),
    );
    // The chunks are in order: the first that failed holds the first failure.
    return failures.find((index) => index >= 0) ?? -1;
  }

  /**
   * Any batch asked after fails with SignaturePoolClosedError, and so do
   * those on the threads once they are stopped: here, when the pool made
   * them, or by whoever made them.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#held.close();
  }

  /** Counts the batch; true when it is verified here, being below the threshold. */
  #onCaller(jobs: SignatureJobs): boolean {
    if (this.#closed || this.#held.checks.closed) throw new SignaturePoolClosedError();
    const on: VerifiedOn = jobs.length < this.threshold ? "caller" : "workers";
    this.#counts.batches[on]++;
    this.#counts.signatures[on] += jobs.length;
    return on === "caller";
  }

  /**
   * The batch in chunks, sizes within one of each other: one a thread (fewer
   * if some would hold less than minChunk or the threshold, at least one),
   * or up to CHUNKS_PER_THREAD a thread for a batch large enough that each
   * holds SHARED_CHUNK.
   */
  #chunks(jobs: SignatureJobs): ChunkTask[] {
    const perThread = Math.min(CHUNKS_PER_THREAD, Math.max(1, Math.floor(jobs.length / (this.threads * SHARED_CHUNK))));
    const fewest = Math.max(this.minChunk, this.threshold);
    const count = Math.max(1, Math.min(this.threads * perThread, Math.floor(jobs.length / fewest)));
    const tasks: ChunkTask[] = [];
    for (let i = 0, start = 0; i < count; i++) {
      const end = start + Math.floor(jobs.length / count) + (i < jobs.length % count ? 1 : 0);
      const batch =
        jobs instanceof SignatureBatch ? jobs.slice(start, end) : SignatureBatch.pack(jobs.slice(start, end));
      tasks.push({ buffer: batch.buffer, backend: this.backend.name, first: start });
      start = end;
    }
    this.#counts.chunks += tasks.length;
    return tasks;
  }

  async #run<T>(name: "verifyEach" | "firstFailure", task: ChunkTask): Promise<T> {
    try {
      const { answer } = await this.#held.checks.run<ChunkAnswer<T>>(name, task, [task.buffer]);
      return answer;
    } catch (error) {
      // Piscina's own error for a task its close cut ("Terminating worker thread"), said as what it is.
      if (this.#closed || this.#held.checks.closed) throw new SignaturePoolClosedError();
      throw error;
    }
  }
}
