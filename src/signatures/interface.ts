import type { VerifyBackendName } from "./backend.js";
import type { SignatureBatch } from "./batch.js";

/**
 * Ed25519 signatures to verify by the pinned rule of src/keys/ed25519.ts:
 * each a public key, the message it signed and the signature, as bytes.
 */
export interface SignatureJob {
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

/**
 * Jobs to verify: as objects, or packed in one buffer (SignatureBatch), as
 * they come from the page worker, which finds a peer's page's signatures.
 */
export type SignatureJobs = readonly SignatureJob[] | SignatureBatch;

/**
 * What verifies batches of signatures: on this thread (LocalVerifier) or on
 * every core. Either answers exactly as src/keys' verify does, job by job.
 */
export interface SignatureVerifier {
  /** Whether each job's signature verifies, in the jobs' order. */
  verifyEach(jobs: SignatureJobs): Promise<boolean[]>;
  /**
   * The index of the first job whose signature does not verify, or -1 if
   * all do: what a block's check needs, which may stop at the first failure.
   */
  firstFailure(jobs: SignatureJobs, options?: FirstFailureOptions): Promise<number>;
  close(): Promise<void>;
}

export interface FirstFailureOptions {
  /**
   * Once it resolves, failures from this index on no longer matter (the
   * page's check broke a rule before them): the verifier may stop short of
   * them, and then answer -1, or an index at or past it, where one fails.
   * Every job before it is still verified.
   */
  mootFrom?: Promise<number>;
}

/**
 * A chunk of a batch for one worker (workers/signatures.ts): its jobs packed
 * (SignatureBatch's buffer, moved), the backend that verifies them (the
 * pool's), and for firstFailure, the index of its
 * first job in the whole batch and the batch's shared stop flag: the lowest
 * index found failing so far by any chunk (2^31-1 while none has).
 */
export interface ChunkTask {
  buffer: ArrayBuffer;
  backend: VerifyBackendName;
  first: number;
  stop?: SharedArrayBuffer;
}

/**
 * A worker's answer to a chunk, and the chunk's buffer moved back with it.
 * The buffer was made on the pool's thread, and only the thread holding it
 * can free it, at its own collection; a worker that only verifies makes
 * almost no garbage and seldom collects, so the chunks it was sent would
 * pile up in it, about a page's signatures (3.6 MB) for each page a fresh
 * node syncs. Moved back, it is freed with the pool's thread's garbage.
 */
export interface ChunkAnswer<T> {
  answer: T;
  buffer: ArrayBuffer;
}
