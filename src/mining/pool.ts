import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import { WORKER_EXEC_ARGV } from "../../workers/exec-argv.js";
import { type KernelName, resolveKernel } from "../../workers/kernel/index.js";
import { readPortableModule } from "../../workers/kernel/portable.js";
import { type Block, checkSegment, InvalidChainError, MEDIAN_SPAN, type NetworkRules } from "../chain/index.js";
import { JobControl } from "./control.js";
import type {
  MinerWorkerData,
  SearchOutcome,
  SearchResult,
  SearchTask,
  SegmentOutcome,
  SegmentTask,
} from "./interface.js";

const WORKER = new URL("../../workers/miner.js", import.meta.url).href;
const VALIDATOR = new URL("../../workers/validate.js", import.meta.url).href;

/** Below this many blocks a segment is checked on the calling thread: shipping it costs more. */
export const PARALLEL_VALIDATION_MIN = 2048;

export const defaultThreads = (): number => availableParallelism();

/**
 * A warm Piscina pool of `threads` workers. Each job runs one task per worker;
 * the tasks share a JobControl, so they split the nonce space and stop together.
 * With the portable kernel, the workers get its module's bytes from this
 * thread, which read them once: a worker started later (Piscina replaces one
 * that dies) needs nothing from the disk.
 */
export class MinerPool {
  readonly #piscina: Piscina;

  constructor(
    readonly threads: number,
    readonly kernel: KernelName = resolveKernel("auto").name,
  ) {
    const workerData: MinerWorkerData =
      kernel === "portable" ? { kernel, portableModule: readPortableModule() } : { kernel };
    this.#piscina = new Piscina({
      filename: WORKER,
      workerData,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: 1,
      execArgv: WORKER_EXEC_ARGV,
    });
  }

  /** Searches a proof for `header`; resolves once every worker has stopped. */
  async search(header: string, difficulty: number, control: JobControl): Promise<SearchResult> {
    const started = performance.now();
    const outcomes = (await Promise.all(
      Array.from({ length: this.threads }, (_, worker) =>
        this.#piscina.run({ header, difficulty, control: control.buffer, worker } satisfies SearchTask),
      ),
    )) as SearchOutcome[];
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

  /** Starts every worker and loads its kernel, so the first real job is not slowed by it. */
  async warmUp(): Promise<void> {
    await this.search("0".repeat(64), 1, new JobControl());
  }

  /**
   * checkSegment (every block but the first, which is taken as checked; `before`
   * are the timestamps of the blocks before it), spread over the workers for a
   * long segment: each checks one part's links and proofs.
   */
  async checkSegment(blocks: Block[], before: readonly number[], rules: NetworkRules): Promise<string[]> {
    if (blocks.length < PARALLEL_VALIDATION_MIN) return checkSegment(blocks, rules, { before });
    const times = [...before.slice(1 - MEDIAN_SPAN), ...blocks.map((block) => block.timestamp)];
    const offset = times.length - blocks.length;
    const size = Math.ceil((blocks.length - 1) / this.threads);
    const tasks = Array.from({ length: this.threads }, (_, i): SegmentTask => {
      const start = i * size;
      const part = times.slice(Math.max(0, offset + start - (MEDIAN_SPAN - 1)), offset + start);
      return { blocks: blocks.slice(start, start + size + 1), before: part, rules };
    });
    const outcomes = (await Promise.all(
      tasks.map((task) => this.#piscina.run(task, { filename: VALIDATOR })),
    )) as SegmentOutcome[];
    const hashes: string[] = [];
    for (const outcome of outcomes) {
      if ("reason" in outcome) throw new InvalidChainError(outcome.reason, outcome.blockIndex);
      hashes.push(...outcome.hashes);
    }
    return hashes;
  }

  async close(): Promise<void> {
    await this.#piscina.close({ force: true });
  }
}
