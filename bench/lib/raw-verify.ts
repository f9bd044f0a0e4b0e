import { createPublicKey, type KeyObject, verify } from "node:crypto";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { SignatureBatch } from "../../src/signatures/batch.js";

/**
 * node:crypto's verify alone, what the signature pool is measured against:
 * over a batch's signatures, each public key's KeyObject made beforehand,
 * on this thread, or on several at once (how the machine's cores scale).
 */

/** The batch's jobs with their KeyObjects, made once a key. */
function prepared(batch: SignatureBatch) {
  const keys = new Map<string, KeyObject>();
  return Array.from({ length: batch.length }, (_, i) => {
    const x = Buffer.from(batch.publicKey(i)).toString("base64url");
    let key = keys.get(x);
    if (key === undefined) {
      key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
      keys.set(x, key);
    }
    return { message: batch.message(i), signature: batch.signature(i), key };
  });
}

/** Signatures a second; every one must verify. */
function timed(jobs: ReturnType<typeof prepared>): number {
  const started = performance.now();
  for (const { message, key, signature } of jobs) {
    if (!verify(null, message, key, signature)) throw new Error("a signature of the bench's chain does not verify");
  }
  return jobs.length / ((performance.now() - started) / 1000);
}

/** The rate on this thread. */
export const rawVerifyRate = (batch: SignatureBatch): number => timed(prepared(batch));

/** The rates of `threads` threads each verifying the whole batch, started together once all are ready, summed. */
export async function rawVerifyRateOn(threads: number, batch: SignatureBatch): Promise<number> {
  const workers = Array.from(
    { length: threads },
    () => new Worker(new URL(import.meta.url), { workerData: { rawVerify: batch.buffer.slice(0) } }),
  );
  try {
    const next = (worker: Worker) =>
      new Promise<number>((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
      });
    await Promise.all(workers.map(next));
    const rates = workers.map(next);
    for (const worker of workers) worker.postMessage("go");
    return (await Promise.all(rates)).reduce((sum, rate) => sum + rate, 0);
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

if (!isMainThread && workerData?.rawVerify instanceof ArrayBuffer && parentPort !== null) {
  const port = parentPort;
  const jobs = prepared(new SignatureBatch(workerData.rawVerify));
  port.once("message", () => port.postMessage(timed(jobs)));
  port.postMessage(0);
}
