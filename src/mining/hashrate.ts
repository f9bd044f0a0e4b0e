import { JobControl } from "./control.js";
import type { MinerPool } from "./pool.js";

/** A header no block has: what a measurement mines on. */
const MEASURE_HEADER = "f".repeat(64);

/** What a pool sustains: hashes per second over every thread, with the kernel it mined with. */
export interface HashRate {
  hashesPerSecond: number;
  hashes: number;
  seconds: number;
}

/**
 * Mines on every thread of a warm pool for `seconds` at a target no hash
 * reaches, then cancels: the rate the pool sustains, from its own counter.
 */
export async function measureHashRate(pool: MinerPool, seconds: number, control = new JobControl()): Promise<HashRate> {
  const timer = setTimeout(() => control.cancel(), seconds * 1000);
  try {
    const result = await pool.search(MEASURE_HEADER, 0n, control);
    return { hashesPerSecond: result.hashes / result.seconds, hashes: result.hashes, seconds: result.seconds };
  } finally {
    clearTimeout(timer);
  }
}
