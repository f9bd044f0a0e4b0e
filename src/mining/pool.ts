import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import { WORKER_EXEC_ARGV } from "../../workers/exec-argv.js";
import {
  type KernelCalibration,
  type KernelName,
  type LoweredPriority,
  resolveKernel,
  restoreThreadPriority,
  type ThreadPriority,
} from "../../workers/kernel/index.js";
import { readPortableModule } from "../../workers/kernel/portable.js";
import {
  type Block,
  checkSegment,
  InvalidChainError,
  MEDIAN_SPAN,
  type NetworkRules,
  targetForLeadingZeroBits,
} from "../chain/index.js";
import { JobControl } from "./control.js";
import type {
  CalibrateOutcome,
  CalibrateTask,
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

/** The calibration's budget: it runs on one worker while the store opens, and start-up waits for it. */
export const CALIBRATION_MS = 40;

/** What warmUp found: the kernel chosen and the rates, and how the mining threads yield. */
export interface WarmUp {
  calibration: KernelCalibration;
  priority: ThreadPriority;
}

/** What close() did to the mining threads' priority before stopping them. */
export interface PriorityRestored {
  /** The threads whose priority was lowered and is normal again (or which were gone). */
  restored: number;
  /** Why the others kept theirs (the system refused): they exit only as the machine's idle time lets them. */
  refused?: string;
}

/**
 * A warm Piscina pool of `threads` mining workers. Each job runs one task per
 * worker; the tasks share a JobControl, so they split the nonce space and stop
 * together. The pool mines with the fastest of its candidate kernels, which
 * warmUp measures. With the portable kernel among them, the workers get its
 * module's bytes from this thread, which read them once: a worker started
 * later (Piscina replaces one that dies) needs nothing from the disk.
 *
 * The mining threads run at the lowest priority, so long segments are checked
 * on a second pool, started when one comes and stopped when idle. A thread
 * at SCHED_IDLE gets almost no CPU on a busy machine, not even to exit:
 * close() gives them their priority back first, where the system allows.
 */
export class MinerPool {
  readonly #piscina: Piscina;
  readonly #validators: Piscina;
  readonly #candidates: readonly KernelName[];
  #kernel: KernelName;
  #priority: ThreadPriority | undefined;
  /** Each mining thread's lowered priority, by its id: one entry a thread (Piscina replaces one that dies, rarely). */
  readonly #lowered = new Map<number, LoweredPriority>();

  constructor(
    readonly threads: number,
    kernels: KernelName | readonly KernelName[] = resolveKernel("auto").candidates,
  ) {
    this.#candidates = typeof kernels === "string" ? [kernels] : kernels;
    const first = this.#candidates[0];
    if (first === undefined) throw new RangeError("MinerPool: no kernel to mine with");
    this.#kernel = first;
    const workerData: MinerWorkerData = this.#candidates.includes("portable")
      ? { portableModule: readPortableModule() }
      : {};
    // A node whose remote miners do all its mining (--threads 0) starts no mining thread: its pool only waits.
    this.#piscina = new Piscina({
      filename: WORKER,
      workerData,
      minThreads: threads,
      maxThreads: Math.max(1, threads),
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: 1,
      execArgv: WORKER_EXEC_ARGV,
    });
    this.#validators = new Piscina({
      filename: VALIDATOR,
      minThreads: 0,
      maxThreads: Math.max(1, threads),
      idleTimeout: 10_000,
      concurrentTasksPerWorker: 1,
      execArgv: WORKER_EXEC_ARGV,
    });
  }

  /** The kernel the pool mines with: its first candidate until warmUp has calibrated them. */
  get kernel(): KernelName {
    return this.#kernel;
  }

  /**
   * Searches a proof for `header`, one whose hash, read as a 256-bit
   * big-endian number, is at most `target`; resolves once every worker has stopped.
   */
  async search(header: string, target: bigint, control: JobControl): Promise<SearchResult> {
    const started = performance.now();
    if (this.threads === 0) {
      // Only remote miners search: the job lasts until it is won or cancelled.
      await control.settled();
      const seconds = (performance.now() - started) / 1000;
      return { nonce: null, winner: null, kernel: this.#kernel, hashes: 0, seconds, stopLatencyMs: 0 };
    }
    const outcomes = (await Promise.all(
      Array.from({ length: this.threads }, (_, worker) =>
        this.#piscina.run({
          header,
          target,
          kernel: this.#kernel,
          control: control.buffer,
          worker,
        } satisfies SearchTask),
      ),
    )) as SearchOutcome[];
    this.#priority ??= outcomes.find((o) => "failed" in o.priority)?.priority ?? outcomes[0]?.priority;
    for (const { priority } of outcomes)
      if ("lowered" in priority) this.#lowered.set(priority.lowered.thread, priority.lowered);
    const seconds = (performance.now() - started) / 1000;
    const winner = outcomes.find((o) => o.nonce !== null);
    const lastStop = Math.max(...outcomes.map((o) => o.stoppedAt));
    return {
      nonce: winner?.nonce ?? null,
      winner: winner?.worker ?? null,
      kernel: this.#kernel,
      hashes: control.hashes,
      seconds,
      stopLatencyMs: winner ? Math.max(0, lastStop - winner.stoppedAt) : 0,
    };
  }

  /**
   * Calibrates the candidate kernels on one worker (CALIBRATION_MS in all)
   * and mines with the fastest; then starts every worker on a job of one
   * nonce, so the first real job is not slowed by loading the kernel.
   */
  async warmUp(): Promise<WarmUp> {
    if (this.threads === 0) {
      return { calibration: { kernel: this.#kernel, rates: [] }, priority: { failed: "no mining thread of its own" } };
    }
    const task: CalibrateTask = { candidates: [...this.#candidates], ms: CALIBRATION_MS };
    const calibration = (await this.#piscina.run(task, { name: "calibrate" })) as CalibrateOutcome;
    this.#kernel = calibration.kernel;
    await this.search("0".repeat(64), targetForLeadingZeroBits(0), new JobControl());
    return { calibration, priority: this.#priority ?? { failed: "no mining thread has searched" } };
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
    const parts = Math.max(1, this.threads);
    const size = Math.ceil((blocks.length - 1) / parts);
    const tasks = Array.from({ length: parts }, (_, i): SegmentTask => {
      const start = i * size;
      const part = times.slice(Math.max(0, offset + start - (MEDIAN_SPAN - 1)), offset + start);
      return { blocks: blocks.slice(start, start + size + 1), before: part, rules };
    });
    const outcomes = (await Promise.all(tasks.map((task) => this.#validators.run(task)))) as SegmentOutcome[];
    const hashes: string[] = [];
    for (const outcome of outcomes) {
      if ("reason" in outcome) throw new InvalidChainError(outcome.reason, outcome.blockIndex);
      hashes.push(...outcome.hashes);
    }
    return hashes;
  }

  /** Stops the threads, the mining ones first given their normal priority back; resolves once all have exited. */
  async close(): Promise<PriorityRestored> {
    let restored = 0;
    let refused: string | undefined;
    for (const lowered of this.#lowered.values()) {
      const outcome = restoreThreadPriority(lowered);
      if (outcome === true) restored++;
      else refused ??= outcome;
    }
    this.#lowered.clear();
    await Promise.all([this.#piscina.close({ force: true }), this.#validators.close({ force: true })]);
    return refused === undefined ? { restored } : { restored, refused };
  }
}
