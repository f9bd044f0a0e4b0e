import {
  type Account,
  type Block,
  type ChainSpec,
  connectBlock,
  isReward,
  type Transaction,
  touchedAddresses,
} from "../chain/index.js";
import { transactionId } from "../keys/index.js";
import type { LedgerReader, LedgerWrite, TxPlace, UndoRecord } from "./interface.js";
import { rewardId } from "./reward-id.js";

/** Blocks in batches, in the order they are to be disconnected or connected. */
export type Batches = AsyncIterable<readonly Block[]> | Iterable<readonly Block[]>;

/**
 * The accounts ledger over the store: it turns blocks connected and
 * disconnected into one LedgerWrite, which the store writes in the same
 * batch as the blocks' index, so that after a crash the state is exactly
 * that of the durable tip. Reads go through an overlay of what this write
 * has changed so far; nothing is kept between writes, so memory grows with
 * the accounts one write touches, not with the accounts there are.
 */
export class Ledger {
  constructor(
    readonly spec: ChainSpec,
    readonly reader: LedgerReader,
  ) {}

  /** Every transaction's place in `block`, at `height`. */
  placesOf(block: Block): TxPlace[] {
    return block.transactions.map((tx, position) => this.#placeOf(tx, block.index, position));
  }

  /** The id of a transaction of the block at `height`: a transfer's signed id, or a reward's. */
  idOf(tx: Transaction, height: number): string {
    return isReward(tx) ? rewardId(this.spec.id, height, tx) : transactionId(this.spec.id, tx as Required<Transaction>);
  }

  #placeOf(tx: Transaction, height: number, position: number): TxPlace {
    return {
      id: this.idOf(tx, height),
      height,
      position,
      ...(isReward(tx) ? {} : { sender: tx.sender }),
      recipient: tx.recipient,
    };
  }

  /**
   * The write that disconnects `dropped` (our blocks after the fork, in
   * chain order) with their undo data, then connects `added` in order,
   * each by the ledger's rules (connectBlock: an InvalidChainError names the
   * block, the transaction and the rule, and nothing is written).
   */
  async write(dropped: Batches, added: Batches): Promise<LedgerWrite> {
    return (await this.writeUpTo(dropped, added, Number.POSITIVE_INFINITY)) as LedgerWrite;
  }

  /**
   * The same write when it moves at most `limit` transactions; undefined,
   * read no further, when it would move more (write it in pieces).
   */
  async writeUpTo(dropped: Batches, added: Batches, limit: number): Promise<LedgerWrite | undefined> {
    const write: LedgerWrite = { accounts: new Map(), undo: { put: [], del: [] }, places: { put: [], del: [] } };
    let transactions = 0;
    const within = await this.#apply(dropped, added, write.accounts, {
      disconnected: (block) => {
        write.undo.del.push(block.index);
        write.places.del.push(...this.placesOf(block));
        transactions += block.transactions.length;
        return transactions <= limit;
      },
      connected: (block, record) => {
        write.undo.put.push([block.index, record]);
        write.places.put.push(...this.placesOf(block));
        transactions += block.transactions.length;
        return transactions <= limit;
      },
    });
    return within ? write : undefined;
  }

  /**
   * What `write(dropped, added)` would do to the accounts, without keeping
   * its undo data or places: a switch too large for one write is checked by
   * its rules with this first (an InvalidChainError, and nothing is
   * written), and written in pieces after. Memory grows with the accounts
   * the blocks touch.
   */
  async check(dropped: Batches, added: Batches): Promise<Pick<LedgerWrite, "accounts">> {
    const accounts = new Map<string, Account | null>();
    await this.#apply(dropped, added, accounts, { disconnected: () => true, connected: () => true });
    return { accounts };
  }

  async #apply(
    dropped: Batches,
    added: Batches,
    overlay: Map<string, Account | null>,
    on: { disconnected: (block: Block) => boolean; connected: (block: Block, record: UndoRecord) => boolean },
  ): Promise<boolean> {
    for await (const batch of dropped) {
      for (const block of batch) {
        const record = await this.reader.undoOf(block.index);
        // Disconnecting from the tip down, the oldest block's record of an address is what the fork had.
        for (const [address, before] of record) if (!overlay.has(address)) overlay.set(address, before);
        if (!on.disconnected(block)) return false;
      }
    }
    for await (const batch of added) {
      for (const block of batch) {
        const touched = touchedAddresses(block);
        const stored = await this.reader.accounts(touched.filter((address) => !overlay.has(address)));
        const view = new Map<string, Account>();
        for (const address of touched) {
          const account = overlay.has(address) ? overlay.get(address) : stored.get(address);
          if (account) view.set(address, account);
        }
        const { before, after } = connectBlock(block, view);
        for (const [address, account] of after) overlay.set(address, account);
        if (!on.connected(block, [...before])) return false;
      }
    }
    return true;
  }
}
