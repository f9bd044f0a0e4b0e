import type { Logger } from "pino";
import {
  type Block,
  type Chain,
  nextTarget,
  nextTimestamp,
  powHeader,
  proofMeetsTarget,
  type Transaction,
} from "../chain/index.js";
import type { LedgerWrite } from "../ledger/index.js";
import type { PendingEntry } from "../mempool/index.js";
import { CANCELLED, JobControl } from "./control.js";
import { MinerStoppedError } from "./errors.js";
import type { MiningJob, RefusedProof, SearchResult } from "./interface.js";
import type { MinerPool } from "./pool.js";

export interface MinedBlock {
  block: Block;
  /** The pending entries the block confirmed. */
  confirmed: PendingEntry[];
  /** The seqs of the pending entries that left the pool with it (those it confirmed and, on an accounts chain, those it made invalid). */
  removed: number[];
  /** On an accounts chain, what the block changes in the ledger. */
  ledger?: LedgerWrite;
  search: SearchResult;
}

/** What the miner needs of the pending transactions. */
export interface MinerPending {
  readonly size: number;
  /** For the next block: at most `limit`, in the block's order. */
  take(limit: number): PendingEntry[];
}

/** A finished job, as /stats shows it. */
export interface JobStats {
  index: number;
  forged: boolean;
  hashes: number;
  seconds: number;
  hashesPerSecond: number;
  winner: number | null;
  /** When it ended, in ms since the epoch. */
  finishedAt: number;
}

export interface MinerDeps {
  chain: Chain;
  mempool: MinerPending;
  pool: MinerPool;
  maxTransactionsPerBlock: number;
  /** The reward of a block holding `transactions`, to this node: last in the block. */
  reward: (transactions: readonly Transaction[]) => Transaction;
  /**
   * On an accounts chain, what connecting the block (of which the proof is
   * still unknown) changes in the ledger: computed when its job starts, on
   * the tip the job mines on. Undefined on the walkthrough's chain.
   */
  prepare?: (template: Block) => Promise<LedgerWrite>;
  /** The block is on our chain in memory: what it included leaves the pool, with what it made invalid; returns the seqs that left. */
  confirm: (block: Block, included: readonly PendingEntry[], ledger: LedgerWrite | undefined) => number[];
  /** Makes a forged block durable; the request is answered after it. */
  persist: (mined: MinedBlock) => Promise<void>;
  /** Told of every finished job, forged or restarted. */
  observe: (search: SearchResult, forged: boolean, index: number) => void;
  /** Told of the running job's progress every PROGRESS_INTERVAL_MS. */
  progress?: (progress: JobProgress) => void;
  /** Told of every job as it starts, for remote miners (src/stratum). */
  announceJob?: (job: MiningJob) => void;
  /** The nonces this node's own threads search: all 16-digit ones unless given (a node with remote miners keeps to one range). */
  nonces?: { start: number; end: number };
  log: Logger;
}

const RECENT_JOBS = 20;
/**
 * The jobs on the tip a remote miner's proof may still be for: the running
 * one and those it replaced to take in new transactions. Older ones, or any
 * on another tip, are stale.
 */
export const LIVE_JOBS = 8;
/** How often a running job reports its progress: a few times a second. */
const PROGRESS_INTERVAL_MS = 250;

/** A running job's progress so far. */
export interface JobProgress {
  index: number;
  hashes: number;
  seconds: number;
}

/** A job remote miners may still send a proof for: what forging its block needs. */
interface LiveJob {
  seq: number;
  /** The job as remote miners get it. */
  announced: MiningJob;
  parentHash: string;
  template: Block;
  included: PendingEntry[];
  ledger: LedgerWrite | undefined;
  header: string;
  target: bigint;
}

/** A remote miner's proof, waiting for the running job to stop. */
interface ExternalProof {
  job: LiveJob;
  nonce: number;
  by: string;
}

/** The job running now: what it mines, and the memory that stops it. */
interface RunningJob {
  index: number;
  transactions: number;
  control: JobControl;
  startedAt: number;
  /** Set when refresh() stopped it to take in the transactions that arrived. */
  refreshed: boolean;
}

/**
 * Forges blocks on the chain's tip, one job at a time. Concurrent requests
 * queue, so each mines the next index at its turn; a job whose tip moves
 * (a replaced chain) stops at once and starts over on the new tip.
 */
export class Miner {
  #queue: Promise<unknown> = Promise.resolve();
  #job: RunningJob | undefined;
  #stopped = false;
  #seq = 0;
  /** The live jobs, oldest first, all on #liveParent. */
  readonly #live = new Map<number, LiveJob>();
  #liveParent: string | undefined;
  #current: MiningJob | undefined;
  #external: ExternalProof | undefined;
  /** A request is being mined (#mineOnTip runs): only then can a remote proof end a job. */
  #mining = false;
  readonly #recent: JobStats[] = [];
  readonly #deps: MinerDeps;

  constructor(deps: MinerDeps) {
    this.#deps = deps;
  }

  get job(): Readonly<RunningJob> | undefined {
    return this.#job;
  }

  /** The last finished jobs, newest last. */
  get recent(): readonly JobStats[] {
    return this.#recent;
  }

  /** The job announced last, as remote miners get it, or undefined before the first. */
  get current(): MiningJob | undefined {
    return this.#current;
  }

  /** Job `seq` as remote miners got it, while a proof for it may still forge a block: live, and on the tip. */
  live(seq: number): MiningJob | undefined {
    const job = this.#live.get(seq);
    return job !== undefined && job.parentHash === this.#deps.chain.tipHash ? job.announced : undefined;
  }

  /** Mines the next block; resolves when it is on the chain. */
  mine(): Promise<MinedBlock> {
    const turn = this.#queue.then(async () => {
      this.#mining = true;
      try {
        return await this.#mineOnTip();
      } finally {
        this.#mining = false;
        this.#external = undefined;
      }
    });
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  /**
   * The index of the block that will hold the pending transaction at
   * `position` (0-based, arrival order): the running job has already chosen
   * its transactions, and each block takes at most maxTransactionsPerBlock.
   */
  indexFor(position: number): number {
    const { chain, maxTransactionsPerBlock } = this.#deps;
    const taken = this.#job?.transactions ?? 0;
    if (position < taken) return chain.tip.index + 1;
    const next = chain.tip.index + 1 + (this.#job ? 1 : 0);
    return next + Math.floor((position - taken) / maxTransactionsPerBlock);
  }

  /** Stops the running job, which then restarts on the current tip. */
  restart(): void {
    this.#job?.control.cancel();
  }

  /**
   * Stops the running job when it is at least `maxAgeMs` old and its block
   * has room for pending transactions that arrived after it began: it then
   * starts over on the same tip with them and a new timestamp. True when it
   * did (see ContinuousMiner, which calls it).
   */
  refresh(maxAgeMs: number): boolean {
    const job = this.#job;
    const { mempool, maxTransactionsPerBlock } = this.#deps;
    if (job === undefined || performance.now() - job.startedAt < maxAgeMs) return false;
    // Nothing leaves the mempool during a job but by a new tip, which restarts it: what it did not take arrived since.
    if (job.transactions >= Math.min(mempool.size, maxTransactionsPerBlock)) return false;
    if (!job.control.cancel()) return false;
    job.refreshed = true;
    return true;
  }

  /**
   * A remote miner's proof for job `seq`: if that job is live and the proof
   * meets its block's target, the running job stops and forges that job's
   * block with it (its reward is this node's, as for a block of its own
   * threads). Returns true then, or why not: the job is no longer live
   * ("stale"), the hash is above the target ("no proof"), or another proof
   * already ends the job ("late").
   */
  submitProof(seq: number, nonce: number, by: string): true | RefusedProof {
    const job = this.#live.get(seq);
    if (!this.#mining || job === undefined || job.parentHash !== this.#deps.chain.tipHash) return "stale";
    if (!proofMeetsTarget(job.header, nonce, job.target)) return "no proof";
    if (this.#external !== undefined) return "late";
    const running = this.#job;
    // A running job its own threads already won goes on to forge their block.
    if (running !== undefined && !running.control.cancel()) return "late";
    this.#external = { job, nonce, by };
    return true;
  }

  /** Stops mining for good: the running and queued requests fail with MinerStoppedError. */
  stop(): void {
    this.#stopped = true;
    this.restart();
  }

  #record(search: SearchResult, index: number, forged: boolean): void {
    const hashesPerSecond = search.seconds > 0 ? search.hashes / search.seconds : 0;
    this.#recent.push({
      index,
      forged,
      hashes: search.hashes,
      seconds: search.seconds,
      hashesPerSecond,
      winner: search.winner,
      finishedAt: Date.now(),
    });
    if (this.#recent.length > RECENT_JOBS) this.#recent.shift();
    this.#deps.observe(search, forged, index);
  }

  async #mineOnTip(): Promise<MinedBlock> {
    const { chain, mempool, pool, maxTransactionsPerBlock, prepare, reward, log } = this.#deps;
    const { rules } = chain;
    for (;;) {
      if (this.#stopped) throw new MinerStoppedError();
      const parentHash = chain.tipHash;
      const index = chain.tip.index + 1;
      const included = mempool.take(maxTransactionsPerBlock);
      const timestamp = nextTimestamp(chain.recentTimestamps, Date.now() / 1000, rules);
      const early = timestamp - rules.maxFutureSeconds - Date.now() / 1000;
      if (early > 0) {
        // Whole-second timestamps past the median: blocks faster than about 6 a second run ahead of the clock.
        log.info(
          { index, timestamp, waitSeconds: Number(early.toFixed(3)) },
          "the next block would be dated further ahead of the clock than peers accept: waiting for the clock",
        );
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, early * 1000)));
        continue;
      }
      const { target, bits } = nextTarget(rules, chain.tip);
      const stated = bits === undefined ? {} : { bits };
      const taken = included.map((entry) => entry.tx);
      const transactions = [...taken, reward(taken)];
      const template: Block = { index, timestamp, transactions, proof: 0, previous_hash: parentHash, ...stated };
      const ledger = prepare === undefined ? undefined : await prepare(template);
      // The ledger was read for this tip: one that moved meanwhile needs another template.
      if (chain.tipHash !== parentHash) continue;
      const header = powHeader({ index, timestamp, transactions, previous_hash: parentHash, ...stated });
      const live = this.#announce({ parentHash, template, included, ledger, header, target });
      const control = new JobControl(this.#deps.nonces);
      const startedAt = performance.now();
      const job: RunningJob = { index, transactions: included.length, control, startedAt, refreshed: false };
      this.#job = job;
      // A remote proof that came while this job was being prepared ends it before it starts.
      if (this.#external !== undefined) control.cancel();
      const { progress } = this.#deps;
      const ticker =
        progress &&
        setInterval(
          () => progress({ index, hashes: control.hashes, seconds: (performance.now() - startedAt) / 1000 }),
          PROGRESS_INTERVAL_MS,
        );
      const search = await pool.search(header, target, control).finally(() => {
        this.#job = undefined;
        clearInterval(ticker);
      });
      const external = this.#takeExternal();
      if (search.nonce === null && external !== undefined && chain.tipHash === external.job.parentHash) {
        return this.#forge(external.job, external.nonce, search, external.by, live.seq);
      }
      if (search.nonce === null || chain.tipHash !== parentHash) {
        if (this.#stopped) throw new MinerStoppedError();
        this.#record(search, index, false);
        if (chain.tipHash === parentHash && job.refreshed) {
          log.info(
            { index, hashes: search.hashes, taken: included.length, pending: mempool.size },
            "taking in the transactions that arrived: mining the block again with them and a new timestamp",
          );
          continue;
        }
        const why =
          control.state === CANCELLED || chain.tipHash !== parentHash
            ? "the tip moved during the job; mining again on the new tip"
            : "nonce space spent without a proof; mining again with a new timestamp";
        log.info({ index, hashes: search.hashes }, why);
        continue;
      }
      return this.#forge(live, search.nonce, search, undefined, live.seq);
    }
  }

  /** Records job `fields` as live on its parent (the first on a new parent is clean) and tells the remote miners. */
  #announce(fields: Omit<LiveJob, "seq" | "announced">): LiveJob {
    const seq = ++this.#seq;
    const clean = this.#liveParent !== fields.parentHash;
    if (clean) {
      this.#live.clear();
      this.#liveParent = fields.parentHash;
    }
    const { template, header, target } = fields;
    const announced: MiningJob = { seq, index: template.index, header, target, clean };
    const live: LiveJob = { seq, announced, ...fields };
    this.#live.set(seq, live);
    if (this.#live.size > LIVE_JOBS) this.#live.delete(this.#live.keys().next().value as number);
    this.#current = announced;
    this.#deps.announceJob?.(announced);
    return live;
  }

  #takeExternal(): ExternalProof | undefined {
    const external = this.#external;
    this.#external = undefined;
    return external;
  }

  /**
   * Forges live job `job`'s block with proof `nonce`, found by this node's
   * threads (`by` undefined) or by a remote miner: on the chain, out of the
   * pool, durable, logged. `running` is the seq of the job that was running.
   */
  async #forge(
    job: LiveJob,
    nonce: number,
    search: SearchResult,
    by: string | undefined,
    running: number,
  ): Promise<MinedBlock> {
    const { chain, pool, persist, confirm, log } = this.#deps;
    const { rules } = chain;
    const block: Block = { ...job.template, proof: nonce };
    // Its transfers' signatures were verified as they entered the pool.
    chain.append(block, { signatures: false });
    const removed = confirm(block, job.included, job.ledger);
    const found: SearchResult = by === undefined ? search : { ...search, nonce, winner: null };
    const mined: MinedBlock = {
      block,
      confirmed: job.included,
      removed,
      search: found,
      ...(job.ledger ? { ledger: job.ledger } : {}),
    };
    await persist(mined);
    this.#record(found, block.index, true);
    log.info(
      {
        index: block.index,
        threads: pool.threads,
        ...(rules.pow.kind === "fixed" ? { difficulty: rules.pow.difficulty } : { bits: block.bits }),
        kernel: search.kernel,
        hashes: search.hashes,
        seconds: Number(search.seconds.toFixed(3)),
        mhps: Number((search.hashes / search.seconds / 1e6).toFixed(2)),
        winner: found.winner,
        ...(by === undefined ? {} : { by, job: job.seq, running }),
        stopLatencyMs: Number(search.stopLatencyMs.toFixed(3)),
        transactions: block.transactions.length,
      },
      by === undefined ? "block forged" : "block forged with a remote miner's proof",
    );
    return mined;
  }
}
