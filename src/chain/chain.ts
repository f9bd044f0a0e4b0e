import { StaleBlockError } from "./errors.js";
import { blockHash } from "./hash.js";
import { checkBlock, forkPoint } from "./rules.js";
import { MEDIAN_SPAN } from "./time.js";
import type { Block, NetworkRules } from "./types.js";

/** A replacement of our chain by a longer one: what was dropped and what came in. */
export interface Reorg {
  /** Position (0-based) of the first block that differs. */
  fork: number;
  dropped: Block[];
  added: Block[];
}

/** The node's chain in memory: blocks, their hashes, and the serialized /chain body. */
export class Chain {
  #blocks: Block[];
  #hashes: string[];
  #json: string | undefined;

  constructor(
    readonly rules: NetworkRules,
    blocks: Block[] = [rules.genesis],
    hashes: string[] = blocks.map(blockHash),
  ) {
    this.#blocks = blocks;
    this.#hashes = hashes;
  }

  get length(): number {
    return this.#blocks.length;
  }

  get tip(): Block {
    return this.#blocks[this.#blocks.length - 1] as Block;
  }

  get tipHash(): string {
    return this.#hashes[this.#hashes.length - 1] as string;
  }

  get blocks(): readonly Block[] {
    return this.#blocks;
  }

  get hashes(): readonly string[] {
    return this.#hashes;
  }

  /** The timestamps of the last MEDIAN_SPAN blocks, oldest first: what the next block's is checked against. */
  get recentTimestamps(): number[] {
    return this.#blocks.slice(-MEDIAN_SPAN).map((block) => block.timestamp);
  }

  /** The body of GET /chain, serialized once per change of the chain. */
  toJSON(): string {
    this.#json ??= JSON.stringify({ chain: this.#blocks, length: this.#blocks.length });
    return this.#json;
  }

  /** Appends a block mined on our tip, after checking it against every rule. */
  append(block: Block): void {
    if (block.previous_hash !== this.tipHash) throw new StaleBlockError(this.tipHash, block.previous_hash);
    checkBlock(block, this.tip, this.tipHash, this.rules, { recent: this.recentTimestamps });
    this.#blocks.push(block);
    this.#hashes.push(blockHash(block));
    this.#json = undefined;
  }

  /** Swaps in an already validated chain (with its hashes) and reports the reorganisation. */
  replace(blocks: Block[], hashes: string[]): Reorg {
    const fork = forkPoint(this.#hashes, hashes);
    const dropped = this.#blocks.slice(fork);
    this.#blocks = blocks;
    this.#hashes = hashes;
    this.#json = undefined;
    return { fork, dropped, added: blocks.slice(fork) };
  }
}
