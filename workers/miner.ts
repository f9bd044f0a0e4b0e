import { workerData } from "piscina";
import { CHUNK_SIZE, JobControl, RUNNING } from "../src/mining/control.js";
import type {
  CalibrateOutcome,
  CalibrateTask,
  MinerWorkerData,
  SearchOutcome,
  SearchTask,
} from "../src/mining/interface.js";
import { createKernel, measureKernel, type ThreadPriority } from "./kernel/index.js";
import { lowerThreadPriority } from "./kernel/native.js";
import { usePortableModule } from "./kernel/portable.js";

const { portableModule } = workerData as MinerWorkerData;
if (portableModule) usePortableModule(portableModule);

/**
 * A mining thread runs at the lowest priority (SCHED_IDLE, or nice 19), set
 * on its first search (the pool's warm-up), after its start and the
 * calibration, which then are not slowed by a busy machine: the event loop,
 * the page and validation workers and every other process win the CPU, and
 * mining loses nothing on an idle machine.
 */
function yieldToEverythingElse(): ThreadPriority {
  try {
    return { lowered: lowerThreadPriority() };
  } catch (error) {
    return { failed: (error as Error).message.split("\n")[0] ?? "unknown" };
  }
}
let priority: ThreadPriority | undefined;

const now = (): number => performance.timeOrigin + performance.now();

/**
 * One worker's share of a job: claim chunks of the nonce space until some
 * worker finds a proof, the pool cancels, or the space is spent.
 */
export default function search(task: SearchTask): SearchOutcome {
  priority ??= yieldToEverythingElse();
  const control = new JobControl(task.control);
  const kernel = createKernel(task.kernel, task.header, task.target);
  let nonce: number | null = null;
  claiming: while (control.state === RUNNING) {
    const start = control.claimChunk();
    if (start < 0) break;
    const end = Math.min(start + CHUNK_SIZE, control.end + 1);
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
  return { worker: task.worker, nonce, stoppedAt: now(), priority };
}

/**
 * Measures each candidate kernel on this thread, in two rounds so a moment
 * of load on the machine does not decide, and keeps each one's better round.
 */
export function calibrate(task: CalibrateTask): CalibrateOutcome {
  const each = Math.max(2, task.ms / task.candidates.length / 2);
  const rates = task.candidates.map((name) => ({ name, hashesPerSecond: 0 }));
  for (let round = 0; round < 2; round++) {
    for (const rate of rates) rate.hashesPerSecond = Math.max(rate.hashesPerSecond, measureKernel(rate.name, each));
  }
  const best = rates.reduce((a, b) => (b.hashesPerSecond > a.hashesPerSecond ? b : a));
  return { kernel: best.name, rates };
}
