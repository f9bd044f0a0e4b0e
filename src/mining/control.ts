/**
 * The memory one mining job shares between the pool and its workers:
 *
 *   Int32 [0]  state   RUNNING, FOUND (a worker won) or CANCELLED (the pool gave up)
 *   BigInt[1]  next    the next unclaimed chunk of the nonce space
 *   BigInt[2]  hashes  nonces tried so far, added by each worker after each batch
 *
 * Workers claim chunks with an atomic add, so a slow thread never holds the
 * job back, and poll `state` between batches, so the first find stops all.
 *
 * The search starts at 10^15, the first 16-digit nonce: from there to
 * 2^53-1 every nonce has 16 digits, so the digits that change with each
 * nonce sit in the second block's word 3 and the words before it change once
 * in 10^4 nonces, which the native kernels compute once (see
 * workers/kernel/native/kernel.h). About 8 * 10^15 nonces remain.
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

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(24)) {
    this.#state = new Int32Array(buffer, 0, 1);
    this.#counters = new BigInt64Array(buffer, 8, 2);
  }

  get state(): JobState {
    return Atomics.load(this.#state, 0) as JobState;
  }

  /** Claims the next chunk and returns its first nonce, or -1 once the nonce space is spent. */
  claimChunk(): number {
    const start = FIRST_NONCE + Number(Atomics.add(this.#counters, 0, 1n)) * CHUNK_SIZE;
    return start > MAX_NONCE ? -1 : start;
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
    return Atomics.compareExchange(this.#state, 0, RUNNING, FOUND) === RUNNING;
  }

  /** Stops the job with no result (the tip moved); false when a worker already won. */
  cancel(): boolean {
    return Atomics.compareExchange(this.#state, 0, RUNNING, CANCELLED) === RUNNING;
  }
}
