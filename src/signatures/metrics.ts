import { Counter, type Registry } from "prom-client";

/** Where a batch of signatures was verified: on the pool's worker threads, or on the thread that asked (a small batch). */
export const VERIFIED_ON = ["workers", "caller"] as const;
export type VerifiedOn = (typeof VERIFIED_ON)[number];

/** What a SignaturePool has been asked: batches, and the signatures they held, by where they were verified. */
export interface SignatureCounts {
  batches: Record<VerifiedOn, number>;
  signatures: Record<VerifiedOn, number>;
}

export const noSignatureCounts = (): SignatureCounts => ({
  batches: { workers: 0, caller: 0 },
  signatures: { workers: 0, caller: 0 },
});

/**
 * The signature pool's counters on the node's /metrics, read from the pool
 * at each scrape. A firstFailure batch counts all its signatures, though its
 * workers stop at a failure.
 */
export function registerSignatureMetrics(registry: Registry, read: () => SignatureCounts): void {
  const registers = [registry];
  const counter = (name: string, help: string, field: keyof SignatureCounts) =>
    new Counter({
      name,
      help,
      labelNames: ["on"],
      registers,
      collect() {
        const counts = read()[field];
        this.reset();
        for (const on of VERIFIED_ON) this.inc({ on }, counts[on]);
      },
    });
  counter(
    "toychain_signature_batches_total",
    "Batches of Ed25519 signatures verified (a peer's page, a block), by where: the worker pool, or the calling thread for a small batch",
    "batches",
  );
  counter(
    "toychain_signatures_total",
    "Ed25519 signatures in those batches, by where they were verified: the worker pool, or the calling thread",
    "signatures",
  );
}
