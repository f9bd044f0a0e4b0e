/**
 * The memory one mining job shares between the pool and its workers:
 *
 *   Int32 [0]  state   RUNNING, FOUND (a worker won) or CANCELLED (the pool gave up)
 *   BigInt[1]  next    the next unclaimed chunk of the job's nonces
 *   BigInt[2]  hashes  nonces tried so far, added by each worker after each batch
 *   BigInt[3]  start   the job's first nonce
 *   BigInt[4]  end     its last
 *
 * Workers claim chunks with an atomic add, so a slow thread never holds the
 * job back, and poll `state` between batches, so the first find stops all.
 *
 * The search starts at 10^15, the first 16-digit nonce: from there to
 * 2^53-1 every nonce has 16 digits, so the digits that change with each
 * nonce sit in the second block's word 3 and the words before it change once
 * in 10^4 nonces, which the native kernels compute once (see
 * workers/kernel/native/kernel.h). About 8 * 10^15 nonces remain. A job
 * may search a part of them only (a NonceRange): a node serving remote
 * miners keeps its own threads to one range and gives each miner another.
 */

export const CHUNK_SIZE = 1 << 16;
export const FIRST_NONCE = 10 ** 15;
export const MAX_NONCE = Number.MAX_SAFE_INTEGER;

export const RUNNING = 0;
export const FOUND = 1;
export const CANCELLED = 2;
export type JobState = typeof RUNNING | typeof FOUND | typeof CANCELLED;

export class JobControl {
  readonly #state: Int32Array;
  readonly #counters: BigInt64Array;

  readonly buffer: SharedArrayBuffer;

  /**
   * A new job over the nonces from `start` to `end`, both included (by
   * default all 16-digit ones); or, given a job's buffer, a worker's view of it.
   */
  constructor(job: SharedArrayBuffer | { start?: number; end?: number } = {}) {
    this.buffer = job instanceof SharedArrayBuffer ? job : new SharedArrayBuffer(40);
    this.#state = new Int32Array(this.buffer, 0, 1);
    this.#counters = new BigInt64Array(this.buffer, 8, 4);
    if (job instanceof SharedArrayBuffer) return;
    const { start = FIRST_NONCE, end = MAX_NONCE } = job;
    if (
      !(
        Number.isSafeInteger(start) &&
        Number.isSafeInteger(end) &&
        start >= FIRST_NONCE &&
        start <= end &&
        end <= MAX_NONCE
      )
    ) {
      throw new RangeError(`a job's nonces must run from ${FIRST_NONCE} to ${MAX_NONCE}, not ${start} to ${end}`);
    }
    this.#counters[2] = BigInt(start);
    this.#counters[3] = BigInt(end);
  }

  /** The first nonce past every chunk claimed so far: where a new job on the same header goes on without hashing a nonce twice. */
  get claimedEnd(): number {
    return Number(this.#counters[2]) + Number(Atomics.load(this.#counters, 0)) * CHUNK_SIZE;
  }

  /** The job's last nonce. */
  get end(): number {
    return Number(this.#counters[3]);
  }

  get state(): JobState {
    return Atomics.load(this.#state, 0) as JobState;
  }

  /** Claims the next chunk and returns its first nonce, or -1 once the nonce space is spent. */
  claimChunk(): number {
    const start = Number(this.#counters[2]) + Number(Atomics.add(this.#counters, 0, 1n)) * CHUNK_SIZE;
    return start > this.end ? -1 : start;
  }

  /** Nonces tried so far, by every worker: readable while the job runs. */
  get hashes(): number {
    return Number(Atomics.load(this.#counters, 1));
  }

  addHashes(count: number): void {
    Atomics.add(this.#counters, 1, BigInt(count));
  }

  /** Records a find: only the first caller wins, and every other worker stops. */
  win(): boolean {
    if (Atomics.compareExchange(this.#state, 0, RUNNING, FOUND) !== RUNNING) return false;
    Atomics.notify(this.#state, 0);
    return true;
  }

  /** Resolves once the job is no longer RUNNING: a pool with no threads of its own waits on it. */
  async settled(): Promise<void> {
    while (this.state === RUNNING) await Atomics.waitAsync(this.#state, 0, RUNNING).value;
  }

  /** Stops the job with no result (the tip moved); false when a worker already won. */
  cancel(): boolean {
    if (Atomics.compareExchange(this.#state, 0, RUNNING, CANCELLED) !== RUNNING) return false;
    Atomics.notify(this.#state, 0);
    return true;
  }
}
