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

/** Failure records by peer id: one for resolves, one for announcements (see PeerSet). */
export class HealthRecords {
  readonly #records = new Map<string, PeerHealth>();

  get(id: string): PeerHealth | undefined {
    return this.#records.get(id);
  }

  /** The peer's record when it is being skipped at `now`. */
  backingOff(id: string, now: number): (PeerHealth & { retryAt: number }) | undefined {
    const health = this.#records.get(id);
    return isBackingOff(health, now) ? health : undefined;
  }

  failed(id: string, reason: string, now: number): PeerHealth {
    const health = failed(this.#records.get(id), reason, now);
    this.#records.set(id, health);
    return health;
  }

  succeeded(id: string): void {
    this.#records.delete(id);
  }

  /** The peers with a failure on record, for /stats: `retryAt` only while one is skipped. */
  failing(now: number): { id: string; health: PeerHealth }[] {
    return [...this.#records].map(([id, record]) => ({ id, health: shown(record, now) }));
  }
}

/** A record as /stats shows it at `now`: `retryAt` only while the peer is skipped. */
export function shown(record: PeerHealth, now: number): PeerHealth {
  if (isBackingOff(record, now)) return record;
  const { retryAt: _passed, ...health } = record;
  return health;
}
