import type { KernelCalibration, KernelName, ThreadPriority } from "../../workers/kernel/index.js";
import type { Block, NetworkRules } from "../chain/index.js";

/** What every worker of a pool knows from its start. */
export interface MinerWorkerData {
  /** The portable kernel's WebAssembly, as the main thread read it, when it is a candidate. */
  portableModule?: Uint8Array;
}

/** The pool's first task, on one worker: measure each candidate kernel and pick the fastest. */
export interface CalibrateTask {
  candidates: KernelName[];
  /** The calibration's whole budget, in ms, shared by the candidates. */
  ms: number;
}

export type CalibrateOutcome = KernelCalibration;

/** What the pool hands each worker for one job. */
export interface SearchTask {
  /** H: the 64 hex characters of the block's hash without its proof. */
  header: string;
  /** A proof's hash, read as a 256-bit big-endian number, is at most this. */
  target: bigint;
  kernel: KernelName;
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
  /** How this worker's thread yields: "SCHED_IDLE" or "nice 19", or why neither could be set. */
  priority: ThreadPriority;
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

/**
 * A job as the node's remote miners get it (src/stratum): the block it
 * forges is at `index`, and a proof is a nonce whose hash of H and the nonce
 * is at most `target`.
 */
export interface MiningJob {
  /** Counts the node's jobs: one number a job, for as long as the node runs. */
  seq: number;
  index: number;
  header: string;
  target: bigint;
  /** Its parent is not the previous job's: proofs for the jobs before it are stale. */
  clean: boolean;
}

/** Why Miner.submitProof did not make a proof the next block. */
export type RefusedProof = "stale" | "no proof" | "late";

/** A segment of a long chain to check in a worker: its first block is the previous segment's last. */
export interface SegmentTask {
  blocks: Block[];
  /** The timestamps of the blocks before the segment's first, for the median rule. */
  before: number[];
  rules: NetworkRules;
}

/** The hashes of the segment's checked blocks, or the rule the segment broke. */
export type SegmentOutcome = { hashes: string[] } | { reason: string; blockIndex: number | undefined };
