import { verify } from "../keys/index.js";
import { SignatureBatch } from "./batch.js";
import type { SignatureJob, SignatureJobs, SignatureVerifier } from "./interface.js";

/** The job at `index` of either form of jobs. */
export const jobAt = (jobs: SignatureJobs, index: number): SignatureJob =>
  jobs instanceof SignatureBatch ? jobs.job(index) : (jobs[index] as SignatureJob);

const verifies = ({ publicKey, message, signature }: SignatureJob): boolean => verify(publicKey, message, signature);

/** Verifies on the calling thread, one signature after another. */
export class LocalVerifier implements SignatureVerifier {
  verifyEach(jobs: SignatureJobs): Promise<boolean[]> {
    return Promise.resolve(Array.from({ length: jobs.length }, (_, i) => verifies(jobAt(jobs, i))));
  }

  firstFailure(jobs: SignatureJobs): Promise<number> {
    for (let i = 0; i < jobs.length; i++) if (!verifies(jobAt(jobs, i))) return Promise.resolve(i);
    return Promise.resolve(-1);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
