/** The bytes of one SHA-256 hash. */
const HASH_BYTES = 32;

/**
 * The hash of every block of a chain, 32 bytes each in one growable buffer:
 * what the node keeps in memory per block, whatever the blocks hold.
 */
export class HashIndex {
  #bytes: Buffer;
  #length = 0;

  constructor(capacity = 1024) {
    this.#bytes = Buffer.alloc(capacity * HASH_BYTES);
  }

  get length(): number {
    return this.#length;
  }

  /** The hash at `position` (0-based), as lowercase hex; undefined past the end. */
  at(position: number): string | undefined {
    if (!Number.isInteger(position) || position < 0 || position >= this.#length) return undefined;
    return this.#bytes.toString("hex", position * HASH_BYTES, (position + 1) * HASH_BYTES);
  }

  push(hash: string): void {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new RangeError(`not a SHA-256 hash: ${hash}`);
    if ((this.#length + 1) * HASH_BYTES > this.#bytes.length) {
      const grown = Buffer.alloc(this.#bytes.length * 2);
      this.#bytes.copy(grown);
      this.#bytes = grown;
    }
    this.#bytes.write(hash, this.#length * HASH_BYTES, HASH_BYTES, "hex");
    this.#length++;
  }

  /** Keeps the first `length` hashes. */
  truncate(length: number): void {
    this.#length = Math.min(this.#length, length);
  }
}
