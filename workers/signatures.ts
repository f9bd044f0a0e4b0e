import { verify } from "../src/keys/ed25519.js";
import { SignatureBatch } from "../src/signatures/batch.js";
import type { ChunkTask } from "../src/signatures/interface.js";

/**
 * One worker's chunk of a batch of signatures, verified by the pinned rule
 * (src/keys' verify). Loads nothing else: a worker starts in a few tens of ms.
 */

/** Whether each job's signature verifies: 1 or 0, in the jobs' order. */
export function verifyEach({ buffer }: ChunkTask): Uint8Array {
  const batch = new SignatureBatch(buffer);
  const results = new Uint8Array(batch.length);
  for (let i = 0; i < batch.length; i++) {
    results[i] = verify(batch.publicKey(i), batch.message(i), batch.signature(i)) ? 1 : 0;
  }
  return results;
}

/**
 * The index in the whole batch of the chunk's first failing job, or -1: -1
 * too once another chunk has found a failure before the job it is at, which
 * makes the rest of this chunk moot. A failure found lowers the shared flag.
 */
export function firstFailure({ buffer, first, stop }: ChunkTask): number {
  const batch = new SignatureBatch(buffer);
  const flag = new Int32Array(stop as SharedArrayBuffer);
  for (let i = 0; i < batch.length; i++) {
    const index = first + i;
    if (Atomics.load(flag, 0) < index) return -1;
    if (verify(batch.publicKey(i), batch.message(i), batch.signature(i))) continue;
    for (let seen = Atomics.load(flag, 0); index < seen; ) {
      const swapped = Atomics.compareExchange(flag, 0, seen, index);
      if (swapped === seen) break;
      seen = swapped;
    }
    return index;
  }
  return -1;
}
