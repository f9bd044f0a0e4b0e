import { StaleBlockError } from "./errors.js";
import { blockHash } from "./hash.js";
import { HashIndex } from "./hash-index.js";
import { checkBlock, type HashList } from "./rules.js";
import type { NetworkRules } from "./spec.js";
import { MEDIAN_SPAN } from "./time.js";
import type { Block } from "./types.js";
import { WorkIndex } from "./work-index.js";

/** What the node holds of a chain whose blocks live in the store. */
export interface ChainState {
  /** Every block's hash, the genesis first. */
  hashes: HashIndex;
  /** Every block's cumulative work, the genesis first. */
  work: WorkIndex;
  tip: Block;
  /** The timestamps of the last MEDIAN_SPAN blocks (fewer in a shorter chain), oldest first. */
  recent: number[];
}

/** A chain to adopt: ours up to the height `fork`, then blocks with these hashes, already checked. */
export interface Adoption {
  fork: number;
  hashes: HashList;
  /** The work of those blocks, from the fork's on: it holds each block's bits. */
  work: WorkIndex;
  tip: Block;
  /** The timestamps of its last MEDIAN_SPAN blocks, oldest first. */
  recent: readonly number[];
}

/**
 * The node's chain in memory: only what is small per block (its hash, and on
 * a retargeting chain its bits and cumulative work, see WorkIndex), the tip
 * and the last timestamps. The blocks themselves are in the store. No I/O.
 */
export class Chain {
  #hashes: HashIndex;
  #work: WorkIndex;
  #tip: Block;
  #recent: number[];

  constructor(
    readonly rules: NetworkRules,
    state?: ChainState,
  ) {
    if (state === undefined) {
      const hashes = new HashIndex();
      hashes.push(blockHash(rules.genesis));
      const work = new WorkIndex(rules.pow);
      work.push(rules.genesis.bits);
      state = { hashes, work, tip: rules.genesis, recent: [rules.genesis.timestamp] };
    }
    this.#hashes = state.hashes;
    this.#work = state.work;
    this.#tip = state.tip;
    this.#recent = state.recent.slice(-MEDIAN_SPAN);
  }

  get length(): number {
    return this.#hashes.length;
  }

  get tip(): Block {
    return this.#tip;
  }

  get tipHash(): string {
    return this.#hashes.at(this.#hashes.length - 1) as string;
  }

  /** The hash of the block at `height` (its index, 1 for the genesis); undefined past the tip. */
  hashAt(height: number): string | undefined {
    return this.#hashes.at(height - 1);
  }

  /** The chain's work: the sum of its blocks', the genesis included. */
  get work(): bigint {
    return this.#work.total;
  }

  /** The work of the chain up to the block at `height` (1 for the genesis); undefined past the tip. */
  workAt(height: number): bigint | undefined {
    return height < 1 ? undefined : this.#work.at(height);
  }

  /** The timestamps of the last MEDIAN_SPAN blocks, oldest first: what the next block's is checked against. */
  get recentTimestamps(): number[] {
    return [...this.#recent];
  }

  /**
   * Appends a block mined on our tip, after checking it against every rule
   * (but its transfers' signatures with `signatures: false`, for transfers
   * verified as they entered our pool).
   */
  append(block: Block, { signatures = true } = {}): void {
    if (block.previous_hash !== this.tipHash) throw new StaleBlockError(this.tipHash, block.previous_hash);
    checkBlock(block, this.#tip, this.tipHash, this.rules, { recent: this.#recent, signatures });
    this.#hashes.push(blockHash(block));
    this.#work.push(block.bits);
    this.#tip = block;
    this.#recent.push(block.timestamp);
    if (this.#recent.length > MEDIAN_SPAN) this.#recent.shift();
  }

  /** Swaps in a better chain, already checked, that shares ours up to its fork point. */
  adopt({ fork, hashes, work, tip, recent }: Adoption): void {
    this.#hashes.truncate(fork);
    this.#work.truncate(fork);
    for (let i = 0; i < hashes.length; i++) {
      this.#hashes.push(hashes.at(i) as string);
      this.#work.push(work.bitsAt(i));
    }
    this.#tip = tip;
    this.#recent = recent.slice(-MEDIAN_SPAN);
  }
}
