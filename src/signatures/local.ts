import { chooseBackend, type VerifyBackend } from "./backend.js";
import { SignatureBatch } from "./batch.js";
import type { SignatureJobs, SignatureVerifier } from "./interface.js";

const packed = (jobs: SignatureJobs): SignatureBatch =>
  jobs instanceof SignatureBatch ? jobs : SignatureBatch.pack(jobs);

/** Verifies on the calling thread, with a backend (backend.ts; by default auto's choice): the whole batch in one call. */
export class LocalVerifier implements SignatureVerifier {
  readonly backend: VerifyBackend;

  constructor(backend: VerifyBackend = chooseBackend("auto").backend) {
    this.backend = backend;
  }

  verifyEach(jobs: SignatureJobs): Promise<boolean[]> {
    const results = new Uint8Array(jobs.length);
    this.backend.verifyRange(packed(jobs), 0, jobs.length, results);
    return Promise.resolve(Array.from(results, (verified) => verified === 1));
  }

  firstFailure(jobs: SignatureJobs): Promise<number> {
    return Promise.resolve(this.backend.verifyRange(packed(jobs), 0, jobs.length));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
