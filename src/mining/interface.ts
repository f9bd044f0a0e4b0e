import type { KernelName } from "../../workers/kernel/index.js";
import type { Block, NetworkRules } from "../chain/index.js";

/** What every worker of a pool knows from its start. */
export interface MinerWorkerData {
  kernel: KernelName;
  /** The portable kernel's WebAssembly, as the main thread read it, when that is the kernel. */
  portableModule?: Uint8Array;
}

/** What the pool hands each worker for one job. */
export interface SearchTask {
  /** H: the 64 hex characters of the block's hash without its proof. */
  header: string;
  difficulty: number;
  /** The job's JobControl memory. */
  control: SharedArrayBuffer;
  worker: number;
}

/** What each worker reports when it stops. */
export interface SearchOutcome {
  worker: number;
  /** The proof this worker found and won with, or null. */
  nonce: number | null;
  /** When it stopped: ms since the epoch, sub-millisecond, comparable across threads. */
  stoppedAt: number;
}

/** A finished job, summed over its workers. */
export interface SearchResult {
  /** The winning proof, or null when the job was cancelled. */
  nonce: number | null;
  winner: number | null;
  kernel: KernelName;
  hashes: number;
  seconds: number;
  /** From the find to the last worker stopped, in ms (0 when nothing was found). */
  stopLatencyMs: number;
}

/** A segment of a long chain to check in a worker: its first block is the previous segment's last. */
export interface SegmentTask {
  blocks: Block[];
  /** The timestamps of the blocks before the segment's first, for the median rule. */
  before: number[];
  rules: NetworkRules;
}

/** The hashes of the segment's checked blocks, or the rule the segment broke. */
export type SegmentOutcome = { hashes: string[] } | { reason: string; blockIndex: number | undefined };
