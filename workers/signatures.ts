import { move, transferableSymbol, valueSymbol } from "piscina";
import { backendNamed } from "../src/signatures/backend.js";
import { SignatureBatch } from "../src/signatures/batch.js";
import type { ChunkAnswer, ChunkTask } from "../src/signatures/interface.js";

/**
 * One worker's chunk of a batch of signatures, verified by the pinned rule
 * with the backend its pool chose (src/signatures/backend.ts: libsodium
 * through the native addon, or node:crypto). Loads nothing else but Piscina's
 * move (about 15 ms more of a start, measured): a worker starts in a few tens
 * of ms.
 */

/** A chunk's answer, its buffer moved back to the pool's thread, which frees it (see ChunkAnswer). */
function answer<T>(value: T, buffer: ArrayBuffer): ReturnType<typeof move> {
  const moved: ChunkAnswer<T> = { answer: value, buffer };
  return move({ [transferableSymbol]: [buffer], [valueSymbol]: moved });
}

/** Whether each job's signature verifies: 1 or 0, in the jobs' order. */
export function verifyEach({ buffer, backend }: ChunkTask): ReturnType<typeof move> {
  const batch = new SignatureBatch(buffer);
  const results = new Uint8Array(batch.length);
  backendNamed(backend).verifyRange(batch, 0, batch.length, results);
  return answer(results, buffer);
}

/**
 * Jobs verified between two looks at the shared stop flag: at 20,000
 * verifies a second, about 3 ms, a chunk's own trip to its worker and back.
 */
const STOP_STEP = 64;

/**
 * The index in the whole batch of the chunk's first failing job, or -1: -1
 * too once another chunk has found a failure before the jobs it is at, which
 * makes the rest of this chunk moot. A failure found lowers the shared flag.
 */
export function firstFailure(task: ChunkTask): ReturnType<typeof move> {
  return answer(firstFailureIn(task), task.buffer);
}

function firstFailureIn({ buffer, backend, first, stop }: ChunkTask): number {
  const batch = new SignatureBatch(buffer);
  const flag = new Int32Array(stop as SharedArrayBuffer);
  const verifier = backendNamed(backend);
  for (let from = 0; from < batch.length; from += STOP_STEP) {
    if (Atomics.load(flag, 0) < first + from) return -1;
    const failed = verifier.verifyRange(batch, from, Math.min(from + STOP_STEP, batch.length));
    if (failed < 0) continue;
    const index = first + failed;
    for (let seen = Atomics.load(flag, 0); index < seen; ) {
      const swapped = Atomics.compareExchange(flag, 0, seen, index);
      if (swapped === seen) break;
      seen = swapped;
    }
    return index;
  }
  return -1;
}
