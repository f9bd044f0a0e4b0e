import { Counter, Gauge, type Registry } from "prom-client";
import { VERIFY_BACKENDS, type VerifyBackendName } from "./backend.js";

/** Where a batch of signatures was verified: on the pool's worker threads, or on the thread that asked (a small batch). */
export const VERIFIED_ON = ["workers", "caller"] as const;
export type VerifiedOn = (typeof VERIFIED_ON)[number];

/**
 * What a SignaturePool verifies with, and has been asked: batches, and the
 * signatures they held, by where they were verified; and the chunks the
 * workers' batches were split into, each a trip to a worker and back.
 */
export interface SignatureCounts {
  backend: VerifyBackendName;
  batches: Record<VerifiedOn, number>;
  signatures: Record<VerifiedOn, number>;
  chunks: number;
}

export const noSignatureCounts = (backend: VerifyBackendName): SignatureCounts => ({
  backend,
  batches: { workers: 0, caller: 0 },
  signatures: { workers: 0, caller: 0 },
  chunks: 0,
});

/**
 * The signature pool's counters on the node's /metrics, read from the pool
 * at each scrape. A firstFailure batch counts all its signatures, though its
 * workers stop at a failure. And which backend verifies them (backend.ts):
 * 1 for the one used, 0 for the other.
 */
export function registerSignatureMetrics(registry: Registry, read: () => SignatureCounts): void {
  const registers = [registry];
  const counter = (name: string, help: string, field: "batches" | "signatures") =>
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
  new Counter({
    name: "toychain_signature_chunks_total",
    help: "Chunks the worker pool's batches were split into, each a trip to a worker thread and back",
    registers,
    collect() {
      this.reset();
      this.inc(read().chunks);
    },
  });
  new Gauge({
    name: "toychain_signature_backend",
    help: "The backend that verifies Ed25519 signatures, 1 for the one used: libsodium when the system's passes its self-test, else node:crypto",
    labelNames: ["backend"],
    registers,
    collect() {
      const used = read().backend;
      for (const backend of VERIFY_BACKENDS) this.set({ backend }, backend === used ? 1 : 0);
    },
  });
}
