export {
  backendNamed,
  type ChosenBackend,
  chooseBackend,
  LIBSODIUM,
  type LibsodiumStatus,
  libsodiumBackend,
  nodeCryptoBackend,
  VERIFIER_CHOICES,
  VERIFY_BACKENDS,
  type VerifierChoice,
  VerifierUnavailableError,
  type VerifyBackend,
  type VerifyBackendName,
} from "./backend.js";
export { SignatureBatch, SignatureBatchBuilder } from "./batch.js";
export { FLUSH_AT, type Settle, SignatureBatcher, type Verdict } from "./batcher.js";
export { SignatureCheckError, SignaturePoolClosedError } from "./errors.js";
export type { FirstFailureOptions, SignatureJob, SignatureJobs, SignatureVerifier } from "./interface.js";
export { LocalVerifier } from "./local.js";
export {
  noSignatureCounts,
  registerSignatureMetrics,
  type SignatureCounts,
  VERIFIED_ON,
  type VerifiedOn,
} from "./metrics.js";
export { MIN_CHUNK, POOL_THRESHOLD, SignaturePool, type SignaturePoolOptions } from "./pool.js";
