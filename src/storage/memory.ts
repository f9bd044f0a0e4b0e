import { type Block, blockHash } from "../chain/index.js";
import type { ChainView, IndexEntry, Store, StoredState } from "./interface.js";

/** Blocks handed out at once by a view, as the LevelStore's. */
const READ_BATCH = 128;

/**
 * --in-memory: nothing survives the process, as in the walkthrough's node;
 * the blocks are kept here, in memory, since there is no disk.
 */
export class MemoryStore implements Store {
  readonly location = "memory";
  /** The chain; a replacement makes new arrays, so a view keeps the ones it took. */
  #blocks: Block[] = [];
  #hashes: string[] = [];

  load(): Promise<StoredState | undefined> {
    return Promise.resolve(undefined);
  }
  create(_nodeId: string, _network: unknown, genesis: Block): Promise<void> {
    this.#blocks = [genesis];
    this.#hashes = [blockHash(genesis)];
    return Promise.resolve();
  }
  addTransaction(): Promise<void> {
    return Promise.resolve();
  }
  evictPending(): Promise<void> {
    return Promise.resolve();
  }
  addPeers(): Promise<void> {
    return Promise.resolve();
  }
  appendBlock(block: Block): Promise<void> {
    this.#blocks.push(block);
    this.#hashes.push(blockHash(block));
    return Promise.resolve();
  }
  replaceChain(added: readonly Block[]): Promise<void> {
    const fork = (added[0] as Block).index - 1;
    this.#blocks = [...this.#blocks.slice(0, fork), ...added];
    this.#hashes = [...this.#hashes.slice(0, fork), ...added.map(blockHash)];
    return Promise.resolve();
  }
  blocks(at: readonly { height: number; hash: string }[]): Promise<Block[]> {
    return Promise.resolve(at.map(({ height }) => this.#blocks[height - 1] as Block));
  }
  view(): Promise<ChainView> {
    const blocks = this.#blocks;
    const hashes = this.#hashes;
    const length = blocks.length;
    return Promise.resolve({
      length,
      async *entries(from: number, to: number): AsyncGenerator<IndexEntry> {
        for (let height = from; height <= Math.min(to, length); height++) {
          const block = blocks[height - 1] as Block;
          yield { height, hash: hashes[height - 1] as string, previousHash: block.previous_hash };
        }
      },
      async *blocks(from: number, to: number): AsyncGenerator<Block[]> {
        for (let start = from; start <= Math.min(to, length); start += READ_BATCH) {
          yield blocks.slice(start - 1, Math.min(to, length, start + READ_BATCH - 1));
        }
      },
      close: () => Promise.resolve(),
    });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
