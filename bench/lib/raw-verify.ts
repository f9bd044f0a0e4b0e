import { createPublicKey, type KeyObject, verify } from "node:crypto";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { backendNamed, type VerifyBackendName } from "../../src/signatures/backend.js";
import { SignatureBatch } from "../../src/signatures/batch.js";

/**
 * The verify rates the signature pool is measured against, over a batch's
 * signatures, on this thread or on several at once (how the machine's cores
 * scale):
 * - raw: node:crypto's verify alone, each public key's KeyObject made
 *   beforehand, none of the pinned rule's checks;
 * - libsodium or node:crypto: a signature backend (src/signatures/backend.ts)
 *   over the whole batch in one call, the pinned rule's checks included,
 *   as a signature worker runs it.
 */
export type VerifyRateKind = "raw" | VerifyBackendName;

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

const FAILED = "a signature of the bench's batch does not verify";

/** A function that verifies the whole batch once, throwing if any signature fails, made ready beforehand. */
function verifier(kind: VerifyRateKind, batch: SignatureBatch): () => void {
  if (kind === "raw") {
    const jobs = prepared(batch);
    return () => {
      for (const { message, key, signature } of jobs)
        if (!verify(null, message, key, signature)) throw new Error(FAILED);
    };
  }
  const backend = backendNamed(kind);
  const results = new Uint8Array(batch.length);
  return () => {
    if (backend.verifyRange(batch, 0, batch.length, results) >= 0) throw new Error(FAILED);
  };
}

/** Signatures a second of one pass. */
function timed(run: () => void, count: number): number {
  const started = performance.now();
  run();
  return count / ((performance.now() - started) / 1000);
}

/** node:crypto's raw rate on this thread. */
export const rawVerifyRate = (batch: SignatureBatch): number => verifyRate("raw", batch);

/** A kind's rate on this thread. */
export const verifyRate = (kind: VerifyRateKind, batch: SignatureBatch): number =>
  timed(verifier(kind, batch), batch.length);

/** node:crypto's raw rate on `threads` threads at once, summed. */
export const rawVerifyRateOn = (threads: number, batch: SignatureBatch): Promise<number> =>
  verifyRateOn("raw", threads, batch);

/** The rates of `threads` threads each verifying the whole batch by `kind`, started together once all are ready, summed. */
export async function verifyRateOn(kind: VerifyRateKind, threads: number, batch: SignatureBatch): Promise<number> {
  const workers = Array.from(
    { length: threads },
    () => new Worker(new URL(import.meta.url), { workerData: { rawVerify: batch.buffer.slice(0), kind } }),
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
  const batch = new SignatureBatch(workerData.rawVerify);
  const run = verifier(workerData.kind as VerifyRateKind, batch);
  port.once("message", () => port.postMessage(timed(run, batch.length)));
  port.postMessage(0);
}
