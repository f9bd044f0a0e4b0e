import type { Logger } from "pino";
import { type Block, type Chain, nextTarget, nextTimestamp, powHeader, type Transaction } from "../chain/index.js";
import type { LedgerWrite } from "../ledger/index.js";
import type { PendingEntry } from "../mempool/index.js";
import { CANCELLED, JobControl } from "./control.js";
import { MinerStoppedError } from "./errors.js";
import type { SearchResult } from "./interface.js";
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
  log: Logger;
}

const RECENT_JOBS = 20;
/** How often a running job reports its progress: a few times a second. */
const PROGRESS_INTERVAL_MS = 250;

/** A running job's progress so far. */
export interface JobProgress {
  index: number;
  hashes: number;
  seconds: number;
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

  /** Mines the next block; resolves when it is on the chain. */
  mine(): Promise<MinedBlock> {
    const turn = this.#queue.then(() => this.#mineOnTip());
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
    const { chain, mempool, pool, maxTransactionsPerBlock, persist, prepare, confirm, reward, log } = this.#deps;
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
      const control = new JobControl();
      const startedAt = performance.now();
      const job: RunningJob = { index, transactions: included.length, control, startedAt, refreshed: false };
      this.#job = job;
      const header = powHeader({ index, timestamp, transactions, previous_hash: parentHash, ...stated });
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
      const block: Block = {
        index,
        timestamp,
        transactions,
        proof: search.nonce,
        previous_hash: parentHash,
        ...stated,
      };
      // Its transfers' signatures were verified as they entered the pool.
      chain.append(block, { signatures: false });
      const removed = confirm(block, included, ledger);
      const mined: MinedBlock = { block, confirmed: included, removed, search, ...(ledger ? { ledger } : {}) };
      await persist(mined);
      this.#record(search, index, true);
      log.info(
        {
          index,
          threads: pool.threads,
          ...(rules.pow.kind === "fixed" ? { difficulty: rules.pow.difficulty } : stated),
          kernel: search.kernel,
          hashes: search.hashes,
          seconds: Number(search.seconds.toFixed(3)),
          mhps: Number((search.hashes / search.seconds / 1e6).toFixed(2)),
          winner: search.winner,
          stopLatencyMs: Number(search.stopLatencyMs.toFixed(3)),
          transactions: transactions.length,
        },
        "block forged",
      );
      return mined;
    }
  }
}
