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
 * What verifies batches of signatures: on this thread (LocalVerifier) or on
 * every core. Either answers exactly as src/keys' verify does, job by job.
 */
export interface SignatureVerifier {
  /** Whether each job's signature verifies, in the jobs' order. */
  verifyEach(jobs: readonly SignatureJob[]): Promise<boolean[]>;
  /**
   * The index of the first job whose signature does not verify, or -1 if
   * all do: what a block's check needs, which may stop at the first failure.
   */
  firstFailure(jobs: readonly SignatureJob[]): Promise<number>;
  close(): Promise<void>;
}
