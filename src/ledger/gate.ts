import type { Account } from "../chain/index.js";
import type { HistoryPage, LedgerReader, TxPlace, UndoRecord } from "./interface.js";

/**
 * The ledger as the node's readers see it (the pool's admissions, the
 * miner's templates, the API's accounts and transactions): the store's,
 * but while a switch of chains writes the ledger in pieces (hold), reads
 * wait for it to finish, so that none sees a ledger half disconnected or
 * half connected: they answer from the state before the switch, or after.
 */
export class LedgerGate implements LedgerReader {
  readonly #inner: LedgerReader;
  /** Set while a switch holds the ledger: resolves when it is done. */
  #held: Promise<void> | undefined;
  /** Reads under way, which a switch lets finish before it writes. */
  #reading = 0;
  #drained: (() => void) | undefined;

  constructor(inner: LedgerReader) {
    this.#inner = inner;
  }

  /**
   * Runs `work` (which writes the ledger through the store itself) once the
   * reads under way are done, reads started meanwhile waiting for its end.
   * One switch at a time: the node's switches run in turn.
   */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    if (this.#held !== undefined) throw new Error("the ledger is already held by a switch");
    let release = (): void => undefined;
    this.#held = new Promise((resolve) => {
      release = resolve;
    });
    try {
      if (this.#reading > 0) {
        await new Promise<void>((resolve) => {
          this.#drained = resolve;
        });
      }
      return await work();
    } finally {
      this.#held = undefined;
      release();
    }
  }

  async #read<T>(read: () => Promise<T>): Promise<T> {
    while (this.#held !== undefined) await this.#held;
    this.#reading++;
    try {
      return await read();
    } finally {
      this.#reading--;
      if (this.#reading === 0 && this.#drained !== undefined) {
        this.#drained();
        this.#drained = undefined;
      }
    }
  }

  accounts(addresses: readonly string[]): Promise<Map<string, Account>> {
    return this.#read(() => this.#inner.accounts(addresses));
  }

  undoOf(height: number): Promise<UndoRecord> {
    return this.#read(() => this.#inner.undoOf(height));
  }

  placeOf(id: string): Promise<TxPlace | undefined> {
    return this.#read(() => this.#inner.placeOf(id));
  }

  history(address: string, limit: number, before?: string): Promise<HistoryPage> {
    return this.#read(() => this.#inner.history(address, limit, before));
  }
}
