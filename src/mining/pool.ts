import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import { type KernelName, resolveKernel } from "../../workers/kernel/index.js";
import type { JobControl } from "./control.js";
import type { MinerWorkerData, SearchOutcome, SearchResult, SearchTask } from "./interface.js";

const WORKER = new URL("../../workers/miner.js", import.meta.url).href;

export const defaultThreads = (): number => availableParallelism();

/**
 * A warm Piscina pool of `threads` workers. Each job runs one task per worker;
 * the tasks share a JobControl, so they split the nonce space and stop together.
 */
export class MinerPool {
  readonly #piscina: Piscina<SearchTask, SearchOutcome>;

  constructor(
    readonly threads: number,
    readonly kernel: KernelName = resolveKernel("auto").name,
  ) {
    const workerData: MinerWorkerData = { kernel };
    this.#piscina = new Piscina({
      filename: WORKER,
      workerData,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: 1,
    });
  }

  /** Searches a proof for `header`; resolves once every worker has stopped. */
  async search(header: string, difficulty: number, control: JobControl): Promise<SearchResult> {
    const started = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: this.threads }, (_, worker) =>
        this.#piscina.run({ header, difficulty, control: control.buffer, worker }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const winner = outcomes.find((o) => o.nonce !== null);
    const lastStop = Math.max(...outcomes.map((o) => o.stoppedAt));
    return {
      nonce: winner?.nonce ?? null,
      winner: winner?.worker ?? null,
      kernel: this.kernel,
      hashes: control.hashes,
      seconds,
      stopLatencyMs: winner ? Math.max(0, lastStop - winner.stoppedAt) : 0,
    };
  }

  async close(): Promise<void> {
    await this.#piscina.close({ force: true });
  }
}
