import { workerData } from "piscina";
import { CHUNK_SIZE, JobControl, MAX_NONCE, RUNNING } from "../src/mining/control.js";
import type { MinerWorkerData, SearchOutcome, SearchTask } from "../src/mining/interface.js";
import { createKernel } from "./kernel/index.js";
import { usePortableModule } from "./kernel/portable.js";

const { kernel: kernelName, portableModule } = workerData as MinerWorkerData;
if (portableModule) usePortableModule(portableModule);

const now = (): number => performance.timeOrigin + performance.now();

/**
 * One worker's share of a job: claim chunks of the nonce space until some
 * worker finds a proof, the pool cancels, or the space is spent.
 */
export default function search(task: SearchTask): SearchOutcome {
  const control = new JobControl(task.control);
  const kernel = createKernel(kernelName, task.header, task.difficulty);
  let nonce: number | null = null;
  claiming: while (control.state === RUNNING) {
    const start = control.claimChunk();
    if (start < 0) break;
    const end = Math.min(start + CHUNK_SIZE, MAX_NONCE + 1);
    for (let from = start; from < end; from += kernel.batch) {
      if (control.state !== RUNNING) break claiming;
      const count = Math.min(kernel.batch, end - from);
      const found = kernel.search(from, count);
      control.addHashes(found < 0 ? count : found - from + 1);
      if (found < 0) continue;
      if (control.win()) nonce = found;
      break claiming;
    }
  }
  return { worker: task.worker, nonce, stoppedAt: now() };
}
