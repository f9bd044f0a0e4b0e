import { type Block, MAX_BLOCK_TRANSACTIONS } from "../chain/index.js";
import type { LedgerWrite } from "./interface.js";
import type { Ledger } from "./ledger.js";
import type { StoredBlocks } from "./reindex.js";

/**
 * Transactions a switch of chains writes at most in one atomic batch, about
 * (whole blocks: a block larger than this is one piece): a larger switch is
 * written in pieces of this size (see disconnectDown and connectFrom). One
 * full block (10,000): a piece's parsed blocks and records are garbage once
 * it is written, and the main thread's heap grows with them until V8
 * collects. A fresh node's sync of 300,000 transfers peaked at 544 to 581
 * MiB with pieces of one block against 623 to 705 MiB with two (20,000;
 * three and six runs on the shared 2-core Xeon, README "Where the memory
 * goes"), its CPU about the same.
 */
export const DEFAULT_SWITCH_PIECE = MAX_BLOCK_TRANSACTIONS;

/** What writing the ledger in pieces needs of the store. */
export interface PieceStore {
  /**
   * A piece of the ledger, in one atomic batch with the height of the
   * chain's index the ledger is then at, when it is behind the index
   * (a start that finds it so connects the rest: connectFrom), or with the
   * note of it deleted when `at` is undefined (the ledger is at the tip).
   */
  writeLedgerTo(write: LedgerWrite, at: number | undefined): Promise<void>;
}

/**
 * The first half of a switch too large for one batch: disconnects our
 * blocks from `top` down to the one after `fork` in pieces of about `piece`
 * transactions, each written with the height it leaves the ledger at. The
 * chain's index is not touched: a crash leaves our chain with its ledger
 * behind, which the next start connects again. `read` gives our block at a
 * height; `written` is told the height each piece leaves the ledger at.
 * Returns the pieces written.
 */
export async function disconnectDown(
  ledger: Ledger,
  store: PieceStore,
  read: (height: number) => Promise<Block>,
  fork: number,
  top: number,
  piece: number,
  written: (at: number) => void = () => undefined,
): Promise<number> {
  let pieces = 0;
  let height = top;
  while (height > fork) {
    const blocks: Block[] = [];
    let transactions = 0;
    while (height > fork && transactions < piece) {
      const block = await read(height);
      blocks.push(block);
      transactions += block.transactions.length;
      height--;
    }
    // Ledger.write disconnects in chain order.
    await store.writeLedgerTo(await ledger.write([blocks.reverse()], []), height);
    pieces++;
    written(height);
  }
  return pieces;
}

/**
 * Connects the blocks of the stored chain after `at` (where its ledger is)
 * up to its tip, in pieces of about `piece` transactions, each written with
 * the height it brings the ledger to, the last with the note deleted: the
 * second half of a switch too large for one batch, once the index names
 * the new chain, and what a start does when it finds the ledger behind (a
 * crash cut such a switch short). `written` is told the height each piece
 * brings the ledger to. Returns the pieces written.
 */
export async function connectFrom(
  ledger: Ledger,
  store: PieceStore,
  view: StoredBlocks,
  at: number,
  piece: number,
  written: (at: number) => void = () => undefined,
): Promise<number> {
  let pieces = 0;
  let blocks: Block[] = [];
  let transactions = 0;
  const flush = async (): Promise<void> => {
    const last = (blocks.at(-1) as Block).index;
    await store.writeLedgerTo(await ledger.write([], [blocks]), last === view.length ? undefined : last);
    pieces++;
    written(last);
    blocks = [];
    transactions = 0;
  };
  for await (const batch of view.blocks(at + 1, view.length)) {
    for (const block of batch) {
      blocks.push(block);
      transactions += block.transactions.length;
      if (transactions >= piece) await flush();
    }
  }
  if (blocks.length > 0) await flush();
  if (pieces === 0) await store.writeLedgerTo(await ledger.write([], []), undefined);
  return pieces;
}
