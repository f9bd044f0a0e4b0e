import type { Account } from "../chain/index.js";

/** A block's undo data: every account it touched, as it was before (null: it had no record), as Bitcoin Core's undo files keep the coins a block spent. */
export type UndoRecord = [address: string, before: Account | null][];

/** Where a confirmed transaction is: its block's height and its position in the block (0 first; the reward last). */
export interface TxPlace {
  id: string;
  height: number;
  position: number;
  /** Its sender, absent for a reward. */
  sender?: string;
  recipient: string;
}

/**
 * What connecting and disconnecting blocks change in the ledger's part of
 * the store, written in the same atomic batch as the blocks' index:
 *
 * - every account touched, as it is afterwards (null: back to no record);
 * - undo data put for each block connected, by its height (a reorganisation
 *   only ever disconnects blocks of our chain, so the height names one), and
 *   deleted for each height the chain no longer reaches;
 * - the transactions' places (the index behind GET /transactions/{id} and
 *   an account's history), put and deleted the same way.
 */
export interface LedgerWrite {
  accounts: Map<string, Account | null>;
  undo: { put: [height: number, record: UndoRecord][]; del: number[] };
  places: { put: TxPlace[]; del: TxPlace[] };
}

/**
 * A cursor in an address's history: the height (16 digits) and position (5)
 * of the last transaction a page gave, which the next page starts below.
 */
export const HISTORY_CURSOR_PATTERN = "^[0-9]{16}/[0-9]{5}$";

/** One page of an account's confirmed transactions, newest first. */
export interface HistoryPage {
  places: TxPlace[];
  /** Where the next (older) page starts (HISTORY_CURSOR_PATTERN), or undefined at the end. */
  next?: string;
}

/** What the ledger reads of the store. */
export interface LedgerReader {
  /** The records of these addresses that exist. */
  accounts(addresses: readonly string[]): Promise<Map<string, Account>>;
  /** The undo data of the block of our chain at `height`. */
  undoOf(height: number): Promise<UndoRecord>;
  /** Where a confirmed transaction is, or undefined. */
  placeOf(id: string): Promise<TxPlace | undefined>;
  /** An address's confirmed transactions, newest first, at most `limit`, from `before` (a cursor a page gave) on. */
  history(address: string, limit: number, before?: string): Promise<HistoryPage>;
}
