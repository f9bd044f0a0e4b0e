import { verify } from "../keys/index.js";
import type { SignatureJob, SignatureVerifier } from "./interface.js";

/** Verifies on the calling thread, one signature after another. */
export class LocalVerifier implements SignatureVerifier {
  verifyEach(jobs: readonly SignatureJob[]): Promise<boolean[]> {
    return Promise.resolve(jobs.map((job) => verify(job.publicKey, job.message, job.signature)));
  }

  firstFailure(jobs: readonly SignatureJob[]): Promise<number> {
    return Promise.resolve(jobs.findIndex((job) => !verify(job.publicKey, job.message, job.signature)));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
