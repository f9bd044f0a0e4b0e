/** A proof-of-work search over one header at one difficulty. */
export interface Kernel {
  readonly name: KernelName;
  /** Nonces per call to search: a fraction of a millisecond, the delay before a stop is seen. */
  readonly batch: number;
  /**
   * Tries nonces start, start+1, ... start+count-1 and returns the first whose
   * SHA-256(H || decimal(nonce)) has `difficulty` leading zero bits, or -1.
   */
  search(start: number, count: number): number;
}

export type KernelName = "native" | "portable";
