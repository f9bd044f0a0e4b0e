/**
 * Per-peer failure counts. A peer that failed FAILURES_BEFORE_BACKOFF times in
 * a row is skipped for a while, twice as long after each further failure; one
 * good answer, or registering the peer again, clears its record.
 */

export const FAILURES_BEFORE_BACKOFF = 3;
export const FIRST_BACKOFF_MS = 30_000;
export const MAX_BACKOFF_MS = 15 * 60_000;

export interface PeerHealth {
  /** Failed resolves in a row. */
  failures: number;
  /** Why the last one failed. */
  lastError?: string;
  /** Epoch milliseconds before which the peer is not asked; absent when it is asked. */
  retryAt?: number;
}

export function backoffMs(failures: number): number {
  if (failures < FAILURES_BEFORE_BACKOFF) return 0;
  return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (failures - FAILURES_BEFORE_BACKOFF));
}

/** The record after one more failure at `now`. */
export function failed(health: PeerHealth | undefined, reason: string, now: number): PeerHealth {
  const failures = (health?.failures ?? 0) + 1;
  const wait = backoffMs(failures);
  return wait > 0 ? { failures, lastError: reason, retryAt: now + wait } : { failures, lastError: reason };
}

export function isBackingOff(health: PeerHealth | undefined, now: number): health is PeerHealth & { retryAt: number } {
  return health?.retryAt !== undefined && now < health.retryAt;
}
