import type { Logger } from "pino";
import { type Block, type BlockTemplate, type Chain, powHeader, rewardFor } from "../chain/index.js";
import type { Mempool } from "../mempool/index.js";
import { JobControl } from "./control.js";
import type { SearchResult } from "./interface.js";
import type { MinerPool } from "./pool.js";

export interface MinedBlock {
  block: Block;
  search: SearchResult;
}

/**
 * Forges blocks on the chain's tip, one job at a time. Concurrent requests
 * queue, so each mines the next index at its turn; a job whose tip moves
 * (a replaced chain) stops at once and starts over on the new tip.
 */
export class Miner {
  #queue: Promise<unknown> = Promise.resolve();
  #job: JobControl | undefined;

  constructor(
    private readonly chain: Chain,
    private readonly mempool: Mempool,
    private readonly pool: MinerPool,
    private readonly nodeId: string,
    private readonly maxTransactionsPerBlock: number,
    private readonly log: Logger,
  ) {}

  /** Mines the next block; resolves when it is on the chain. */
  mine(): Promise<MinedBlock> {
    const turn = this.#queue.then(() => this.#mineOnTip());
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  /** Stops the running job, which then restarts on the current tip. */
  restart(): void {
    this.#job?.cancel();
  }

  async #mineOnTip(): Promise<MinedBlock> {
    const { difficulty } = this.chain.rules;
    for (;;) {
      const parentHash = this.chain.tipHash;
      const included = this.mempool.peek(this.maxTransactionsPerBlock);
      const template: BlockTemplate = {
        index: this.chain.tip.index + 1,
        timestamp: Date.now() / 1000,
        transactions: [...included, rewardFor(this.nodeId)],
        previous_hash: parentHash,
      };
      this.#job = new JobControl();
      const search = await this.pool.search(powHeader(template), difficulty, this.#job);
      this.#job = undefined;
      const { nonce } = search;
      if (nonce === null || this.chain.tipHash !== parentHash) {
        this.log.info(
          { index: template.index, hashes: search.hashes },
          nonce === null && this.chain.tipHash === parentHash
            ? "nonce space spent without a proof; retrying with a new timestamp"
            : "the tip moved during the job; mining again on the new tip",
        );
        continue;
      }
      const { index, timestamp, transactions, previous_hash } = template;
      const block: Block = { index, timestamp, transactions, proof: nonce, previous_hash };
      this.chain.append(block);
      this.mempool.confirm(included);
      this.log.info(
        {
          index: block.index,
          threads: this.pool.threads,
          difficulty,
          kernel: search.kernel,
          hashes: search.hashes,
          seconds: Number(search.seconds.toFixed(3)),
          mhps: Number((search.hashes / search.seconds / 1e6).toFixed(2)),
          winner: search.winner,
          stopLatencyMs: Number(search.stopLatencyMs.toFixed(3)),
          transactions: block.transactions.length,
        },
        "block forged",
      );
      return { block, search };
    }
  }
}
