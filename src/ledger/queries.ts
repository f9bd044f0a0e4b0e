import { setTimeout as sleep } from "node:timers/promises";
import type { Account, Block, Transaction } from "../chain/index.js";
import { decodeAddress } from "../keys/index.js";
import type { PooledTransfer, Transfer } from "../mempool/index.js";
import { LedgerMovedError, UnknownTransactionError } from "./errors.js";
import type { TxPlace } from "./interface.js";
import type { Ledger } from "./ledger.js";
import type { AccountsMempool } from "./mempool.js";

/** An address as the ledger and the pool see it. */
export interface AccountState {
  address: string;
  /** The confirmed balance and the nonce of its last confirmed transfer (0: none). */
  account: Account;
  /** The nonce its next transfer takes: the confirmed one, plus those pending from it, plus one. */
  nextNonce: number;
  /** Its pending transfers, in nonce order. */
  pendingFrom: PooledTransfer[];
  /** The pending transfers to it, in arrival order. */
  pendingTo: PooledTransfer[];
}

/** A transaction of a block of our chain, and how deep that block is. */
export interface ConfirmedTransaction {
  id: string;
  /** Its block's height. */
  height: number;
  /** Its place in the block: 0 first, the reward last. */
  position: number;
  /** 1 in the tip's block, one more for each block on top of it. */
  confirmations: number;
  transaction: Transaction;
}

/** A page of an address's confirmed transactions, newest first. */
export interface HistoryEntries {
  transactions: ConfirmedTransaction[];
  /** The cursor of the next (older) page, or undefined at the end. */
  next?: string;
}

export type TransactionStatus =
  | { status: "pending"; id: string; transaction: Transfer }
  | ({ status: "confirmed" } & ConfirmedTransaction);

/** What the queries read: the ledger over the store, the pool, our chain's hashes, and the store's blocks. */
export interface QuerySources {
  ledger: Ledger;
  mempool: AccountsMempool;
  chain: { readonly length: number; hashAt(height: number): string | undefined };
  blocks(at: readonly { height: number; hash: string }[]): Promise<Block[]>;
}

/**
 * A read that met a reorganisation is tried this many times in all, this
 * long apart: the places index is written in the switch's own batch, so one
 * sync later it names the new chain's blocks.
 */
const ATTEMPTS = 3;
const RETRY_MS = 50;

/**
 * What the API tells of an accounts chain: an address's balance, nonce and
 * pending transfers, its confirmed transactions a page at a time, and where a
 * transaction is. A confirmed transaction is read from its block, found by
 * the places index (its height and position) and our chain's hash at that
 * height; the places index lags the chain in memory by a write's sync, so a
 * place whose block is no longer ours at that height (a reorganisation in
 * flight) is read again rather than shown.
 */
export class LedgerQueries {
  readonly #sources: QuerySources;
  readonly #prefix: string;

  constructor(sources: QuerySources) {
    const { ledger } = sources.ledger.spec;
    if (ledger.kind !== "accounts") throw new Error("LedgerQueries needs an accounts chain");
    this.#sources = sources;
    this.#prefix = ledger.prefix;
  }

  /** An address's account and pending transfers; AddressError (field "address") for a text that is not one of ours. */
  async account(address: string): Promise<AccountState> {
    decodeAddress(this.#prefix, address, "address");
    const { account, from, to } = await this.#sources.mempool.standing(address);
    return { address, account, nextNonce: account.nonce + from.length + 1, pendingFrom: from, pendingTo: to };
  }

  /** At most `limit` of an address's confirmed transactions, newest first, older than the cursor `before`. */
  async history(address: string, limit: number, before?: string): Promise<HistoryEntries> {
    decodeAddress(this.#prefix, address, "address");
    return this.#consistent(async () => {
      const page = await this.#sources.ledger.reader.history(address, limit, before);
      const transactions = await this.#located(page.places);
      if (transactions === undefined) return undefined;
      return { transactions, ...(page.next === undefined ? {} : { next: page.next }) };
    });
  }

  /**
   * A transaction pending here, or in a block of our chain; else
   * UnknownTransactionError. The pool is asked first: a block takes a
   * transfer out of it in the turn its write (and so its place) is issued.
   */
  async transaction(id: string): Promise<TransactionStatus> {
    const pending = this.#sources.mempool.pool.get(id);
    if (pending !== undefined) return { status: "pending", id, transaction: pending.tx };
    const [confirmed] = await this.#consistent(async () => {
      const place = await this.#sources.ledger.reader.placeOf(id);
      return place === undefined ? [] : this.#located([place]);
    });
    if (confirmed === undefined) throw new UnknownTransactionError(id);
    return { status: "confirmed", ...confirmed };
  }

  /** `read`'s answer, read again while it is undefined (see #located), ATTEMPTS times at most. */
  async #consistent<T>(read: () => Promise<T | undefined>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const answer = await read();
      if (answer !== undefined) return answer;
      if (attempt === ATTEMPTS) throw new LedgerMovedError(ATTEMPTS);
      await sleep(RETRY_MS);
    }
  }

  /**
   * The transactions at `places`, read from the blocks our chain holds at
   * their heights; undefined when one of those blocks does not hold the
   * place's transaction there (the chain moved since the places were read).
   */
  async #located(places: readonly TxPlace[]): Promise<ConfirmedTransaction[] | undefined> {
    const { chain, ledger } = this.#sources;
    const length = chain.length;
    const at: { height: number; hash: string }[] = [];
    for (const height of new Set(places.map((place) => place.height))) {
      const hash = chain.hashAt(height);
      if (hash === undefined) return undefined;
      at.push({ height, hash });
    }
    const blocks = new Map((await this.#sources.blocks(at)).map((block) => [block.index, block]));
    const found: ConfirmedTransaction[] = [];
    for (const { id, height, position } of places) {
      const transaction = blocks.get(height)?.transactions[position];
      if (transaction === undefined || ledger.idOf(transaction, height) !== id) return undefined;
      found.push({ id, height, position, confirmations: length - height + 1, transaction });
    }
    return found;
  }
}
