import { type Account, EMPTY_ACCOUNT } from "../chain/index.js";

/**
 * How many accounts the mempool keeps as the tip has them: at some 200 bytes
 * each (an address, its record and the map's entry), a few MB.
 */
export const TIP_ACCOUNTS = 16_384;

/**
 * The accounts the mempool read lately, as they are at the tip it was last
 * checked against, the oldest read first: a sender posting transfers one
 * after another, as wallets and exchanges do, is read from the store once,
 * not at each one. Every block connected updates what it changed; a
 * reorganisation clears them all. At most `size`, the oldest dropped first.
 */
export class TipAccounts {
  readonly #known = new Map<string, Account>();

  constructor(readonly size = TIP_ACCOUNTS) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`TipAccounts: ${size} accounts`);
  }

  get count(): number {
    return this.#known.size;
  }

  /** The account of `address` at the tip, if it is kept. */
  get(address: string): Account | undefined {
    return this.#known.get(address);
  }

  /** What the store holds for `address` at the tip (undefined: no record). */
  remember(address: string, account: Account | undefined): void {
    if (!this.#known.delete(address) && this.#known.size >= this.size) {
      this.#known.delete(this.#known.keys().next().value as string);
    }
    this.#known.set(address, account ?? EMPTY_ACCOUNT);
  }

  /** A block connected, which left these accounts so (null: no record): those kept are updated. */
  connected(accounts: ReadonlyMap<string, Account | null>): void {
    for (const [address, account] of accounts) {
      if (this.#known.has(address)) this.#known.set(address, account ?? EMPTY_ACCOUNT);
    }
  }

  clear(): void {
    this.#known.clear();
  }
}
