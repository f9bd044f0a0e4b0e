import type { Block } from "../chain/index.js";
import type { LedgerWrite } from "./interface.js";
import type { Ledger } from "./ledger.js";

/** What a rebuild needs of the store: a note of the rebuild around its writes. */
export interface RebuildStore {
  startReindex(): Promise<void>;
  writeLedger(write: LedgerWrite): Promise<void>;
  finishReindex(): Promise<void>;
}

/** What a rebuild reads: the stored chain's blocks, in batches. */
export interface StoredBlocks {
  readonly length: number;
  blocks(from: number, to: number): AsyncIterable<Block[]>;
}

/** What a rebuild did, for the log. */
export interface Reindexed {
  blocks: number;
  ms: number;
}

/**
 * Rebuilds the ledger from the stored chain's blocks (--reindex, or a
 * rebuild a crash cut short): its records go, then each batch of blocks is
 * connected by the ledger's rules and written, in order. The store notes the
 * rebuild durably until it is done, so that one cut short runs again.
 */
export async function reindex(ledger: Ledger, store: RebuildStore, view: StoredBlocks): Promise<Reindexed> {
  const started = performance.now();
  await store.startReindex();
  // The genesis holds no transactions: the ledger starts empty at it.
  for await (const blocks of view.blocks(2, view.length)) {
    await store.writeLedger(await ledger.write([], [blocks]));
  }
  await store.finishReindex();
  return { blocks: view.length - 1, ms: performance.now() - started };
}
