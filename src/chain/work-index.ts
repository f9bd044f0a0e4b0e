import type { PowRule } from "./spec.js";
import { HASH_SPACE, targetFromBits } from "./target.js";
import { blockWork } from "./work.js";

/** The bytes of a cumulative work: 256 bits, as Bitcoin's nChainWork. */
const WORK_BYTES = 32;

/**
 * The cumulative work of a run of blocks at every position, known without
 * reading a block: the genesis counts (as in Bitcoin), so a chain of h blocks
 * holds the work of all h.
 *
 * On a fixed chain every block holds the same work, and the work of the
 * first n blocks is base + n x blockWork(target): nothing is kept per block.
 * On a retargeting chain each block's compact bits (4 bytes) and the work up
 * to and including it (32 bytes, big-endian) are kept: 36 bytes a block, in
 * two growable buffers. Work of 2^256 or more would take 2^256 hashes and is
 * refused (RangeError).
 */
export class WorkIndex {
  /** The work of every block of a fixed chain; undefined on a retargeting one. */
  readonly #fixed: bigint | undefined;
  /** The work before the first block kept: 0 for a whole chain, the fork's for a peer's blocks after it. */
  readonly #base: bigint;
  #length = 0;
  #bits: Uint32Array;
  #work: Buffer;
  #total: bigint;

  constructor(pow: PowRule, { base = 0n, capacity = 1024 }: { base?: bigint; capacity?: number } = {}) {
    this.#fixed = pow.kind === "fixed" ? blockWork(pow.target) : undefined;
    this.#base = base;
    this.#total = base;
    const kept = this.#fixed === undefined ? capacity : 0;
    this.#bits = new Uint32Array(kept);
    this.#work = Buffer.alloc(kept * WORK_BYTES);
  }

  /** Blocks kept. */
  get length(): number {
    return this.#length;
  }

  /** The work of all the blocks kept, and the base. */
  get total(): bigint {
    return this.#total;
  }

  /** The work up to the first `count` blocks (0: the base); undefined past the end. */
  at(count: number): bigint | undefined {
    if (!Number.isInteger(count) || count < 0 || count > this.#length) return undefined;
    if (this.#fixed !== undefined) return this.#base + BigInt(count) * this.#fixed;
    if (count === 0) return this.#base;
    const end = count * WORK_BYTES;
    return BigInt(`0x${this.#work.toString("hex", end - WORK_BYTES, end)}`);
  }

  /** The bits the block at `position` (0-based) states, as 8 hex digits; undefined on a fixed chain or past the end. */
  bitsAt(position: number): string | undefined {
    if (this.#fixed !== undefined || !Number.isInteger(position) || position < 0 || position >= this.#length) {
      return undefined;
    }
    return (this.#bits[position] as number).toString(16).padStart(8, "0");
  }

  /** Adds a checked block: `bits` is what it states (none on a fixed chain). */
  push(bits: string | undefined): void {
    if (this.#fixed !== undefined) {
      this.#length++;
      this.#total += this.#fixed;
      return;
    }
    if (bits === undefined || !/^[0-9a-f]{8}$/.test(bits)) throw new RangeError(`not compact bits: ${bits}`);
    const compact = Number.parseInt(bits, 16);
    const total = this.#total + blockWork(targetFromBits(compact));
    if (total >= HASH_SPACE) throw new RangeError(`a chain's work stays below 2^256, not ${total}`);
    if (this.#length === this.#bits.length) {
      const bitsGrown = new Uint32Array(Math.max(1024, this.#bits.length * 2));
      bitsGrown.set(this.#bits);
      this.#bits = bitsGrown;
      const workGrown = Buffer.alloc(bitsGrown.length * WORK_BYTES);
      this.#work.copy(workGrown);
      this.#work = workGrown;
    }
    this.#bits[this.#length] = compact;
    this.#work.write(total.toString(16).padStart(WORK_BYTES * 2, "0"), this.#length * WORK_BYTES, WORK_BYTES, "hex");
    this.#length++;
    this.#total = total;
  }

  /** Keeps the first `length` blocks. */
  truncate(length: number): void {
    if (length >= this.#length) return;
    this.#length = Math.max(0, length);
    this.#total = this.at(this.#length) as bigint;
  }
}
