import { type Account, type Block, type ChainSpec, EMPTY_ACCOUNT, isReward, type Transaction } from "../chain/index.js";
import {
  checkTransfer,
  messageId,
  SignatureError,
  type SignedTransaction,
  signedTransferBytes,
  signingMessage,
} from "../keys/index.js";
import {
  type AccountsLookup,
  AccountsPool,
  type Admission,
  type Dropped,
  type NewTransfer,
  type PendingEntry,
  type PooledTransfer,
  type Refill,
  ReservedSenderError,
} from "../mempool/index.js";
import { SignatureBatcher, type SignatureVerifier, type Verdict } from "../signatures/index.js";
import type { LedgerReader, LedgerWrite } from "./interface.js";
import { TipAccounts } from "./tip-accounts.js";

/**
 * The pending transfers of an accounts chain: the AccountsPool (its rules,
 * in memory) over the ledger's state in the store. A transfer is admitted
 * once its addresses pass their checksums and its signature verifies for
 * this chain, against its sender's account at the tip; blocks and
 * reorganisations take out what they confirm or make invalid.
 *
 * The cheap checks run on the caller's turn; the signatures of the transfers
 * that arrive together are verified as one batch by the verifier (on every
 * core: SignatureBatcher), and the batch is then admitted in arrival order.
 */
export class AccountsMempool {
  readonly #spec: ChainSpec;
  readonly #prefix: string;
  readonly #reader: LedgerReader;
  readonly pool: AccountsPool;
  readonly #batcher: SignatureBatcher<NewTransfer, Admission>;
  /** Counts the tips the pool was checked against: a block connected, or a reorganisation. */
  #tipVersion = 0;
  /** The accounts read lately, as they are at that tip. */
  readonly #tipAccounts = new TipAccounts();

  /** The pool over `reader`'s accounts, whose admissions' signatures `verifier` checks. */
  constructor(spec: ChainSpec, reader: LedgerReader, pool: AccountsPool, verifier: SignatureVerifier) {
    if (spec.ledger.kind !== "accounts") throw new Error("an AccountsMempool needs an accounts chain");
    this.#spec = spec;
    this.#prefix = spec.ledger.prefix;
    this.#reader = reader;
    this.pool = pool;
    this.#batcher = new SignatureBatcher(verifier, (batch) => this.#admitBatch(batch));
  }

  /**
   * The pool the store held, each entry checked again against the ledger at
   * the tip; returns it with the entries dropped (delete them).
   */
  static async restore(
    spec: ChainSpec,
    reader: LedgerReader,
    capacity: number,
    stored: readonly PendingEntry[],
    verifier: SignatureVerifier,
  ): Promise<{ mempool: AccountsMempool; dropped: Dropped[] }> {
    const entries = stored.map(({ seq, tx }) => ({ seq, ...described(spec, tx as SignedTransaction) }));
    const accounts = await lookupOf(
      reader,
      entries.map((entry) => entry.tx.sender),
    );
    const { pool, dropped } = AccountsPool.restore(capacity, entries, accounts);
    return { mempool: new AccountsMempool(spec, reader, pool, verifier), dropped };
  }

  get size(): number {
    return this.pool.size;
  }

  get capacity(): number {
    return this.pool.capacity;
  }

  list(): Transaction[] {
    return this.pool.list().map((entry) => entry.tx);
  }

  /**
   * Admits a transfer: first the cheap checks, on this turn: the reserved
   * sender (ReservedSenderError), its addresses' checksums (AddressError
   * naming the field), its fields and its signature's form
   * (TransactionError); then its signature for this chain, verified in this
   * turn's batch (SignatureError; SignatureCheckError when the verifier
   * fails); then, in arrival order, the pool's rules against its sender's
   * account (a TransferRefusedError).
   */
  async admit(tx: SignedTransaction): Promise<Admission> {
    if (isReward(tx)) throw new ReservedSenderError(tx.sender);
    const signature = checkTransfer(this.#spec.id, this.#prefix, tx);
    return this.#batcher.submit(signature, described(this.#spec, tx, signature.message));
  }

  /**
   * A batch whose signatures were verified, in arrival order: each transfer
   * whose signature verifies is added to the pool against its sender's
   * account at the tip, the batch's senders read at once.
   */
  #admitBatch(batch: readonly Verdict<NewTransfer>[]): Promise<PromiseSettledResult<Admission>[]> {
    const senders = new Set(batch.flatMap(({ item, valid }) => (valid ? [item.tx.sender] : [])));
    return this.#atTip([...senders], (account) =>
      batch.map(({ item, valid }): PromiseSettledResult<Admission> => {
        try {
          if (!valid) throw new SignatureError(item.tx.sender);
          return { status: "fulfilled", value: this.pool.add(item, account(item.tx.sender)) };
        } catch (reason) {
          return { status: "rejected", reason };
        }
      }),
    );
  }

  /**
   * An address's confirmed account and its pending transfers, from it (in
   * nonce order) and to it (in arrival order), as of one tip: what
   * GET /accounts/{address} shows, whose next nonce is the account's plus
   * those pending from it.
   */
  standing(address: string): Promise<{ account: Account; from: PooledTransfer[]; to: PooledTransfer[] }> {
    return this.#atTip([address], (account) => ({
      account: account(address),
      from: this.pool.pendingFrom(address),
      to: this.pool.pendingTo(address),
    }));
  }

  /**
   * `use` of the accounts of `addresses` at the tip the pool was last
   * checked against, with the pool as it is then: `use` runs in the turn
   * the accounts were read, before any block or reorganisation.
   */
  async #atTip<T>(addresses: readonly string[], use: (account: AccountsLookup) => T): Promise<T> {
    for (;;) {
      const version = this.#tipVersion;
      const accounts = new Map<string, Account>();
      const unread: string[] = [];
      for (const address of addresses) {
        const known = this.#tipAccounts.get(address);
        if (known === undefined) unread.push(address);
        else accounts.set(address, known);
      }
      const found = unread.length === 0 ? undefined : await this.#reader.accounts(unread);
      // A block or a reorganisation while the accounts were read: read them again at the new tip.
      if (version !== this.#tipVersion) continue;
      for (const address of unread) {
        const account = found?.get(address);
        this.#tipAccounts.remember(address, account);
        accounts.set(address, account ?? EMPTY_ACCOUNT);
      }
      return use((address) => accounts.get(address) ?? EMPTY_ACCOUNT);
    }
  }

  /** For the next block: at most `limit` transfers, by fee rate, each sender's in nonce order. */
  take(limit: number): PendingEntry[] {
    return this.pool.select(limit).map(({ seq, id, tx }) => ({ seq, id, tx }));
  }

  /**
   * A block was connected with `write`: its transfers leave the pool, and so
   * do those it made invalid. Returns what left, for the store and the log.
   */
  connected(block: Block, write: LedgerWrite): { confirmed: PooledTransfer[]; dropped: Dropped[] } {
    // The write placed the block's transactions under their ids: its transfers are those with a sender.
    const included = write.places.put.flatMap(({ id, height, sender }) =>
      height === block.index && sender !== undefined ? [{ id, sender }] : [],
    );
    this.#tipVersion++;
    this.#tipAccounts.connected(write.accounts);
    return this.pool.confirmed(included, afterWrite(write, new Map()));
  }

  /**
   * Before a reorganisation with `write`: reads what its refill needs, the
   * accounts of the senders of our dropped blocks' transfers (`returned`, in
   * chain order) and of those pending, as they are after it.
   */
  async prepareRefill(returned: readonly Transaction[], write: Pick<LedgerWrite, "accounts">): Promise<PreparedRefill> {
    const fresh = returned.filter((tx) => !isReward(tx)).map((tx) => described(this.#spec, tx as SignedTransaction));
    const senders = new Set([
      ...fresh.map((entry) => entry.tx.sender),
      ...this.pool.list().map((entry) => entry.tx.sender),
    ]);
    const stored = await this.#reader.accounts([...senders].filter((sender) => !write.accounts.has(sender)));
    return { fresh, senders, lookup: afterWrite(write, stored) };
  }

  /**
   * The reorganisation: the returned transfers and those pending are
   * admitted again against the new tip. Undefined, changing nothing, when a
   * sender came into the pool after `prepared` was read (prepare again).
   * Returns what was added (store it) and removed or refused (delete it; log it).
   */
  refill(prepared: PreparedRefill): Refill | undefined {
    if (this.pool.list().some((entry) => !prepared.senders.has(entry.tx.sender))) return undefined;
    this.#tipVersion++;
    this.#tipAccounts.clear();
    return this.pool.refill(prepared.fresh, prepared.lookup);
  }
}

/** What a reorganisation's refill read beforehand (see AccountsMempool.prepareRefill). */
export interface PreparedRefill {
  fresh: NewTransfer[];
  senders: ReadonlySet<string>;
  lookup: AccountsLookup;
}

/**
 * A transfer with its id and size (its canonical JSON's, as a block holds
 * it, for its fee rate), as the pool takes them; `message`, its
 * signingMessage, if already made.
 */
function described(spec: ChainSpec, tx: SignedTransaction, message = signingMessage(spec.id, tx)): NewTransfer {
  const { sender, recipient, amount, fee, nonce, signature } = tx;
  const transfer = { sender, recipient, amount, fee, nonce, signature };
  return { id: messageId(message), tx: transfer, bytes: signedTransferBytes(message) };
}

/** The accounts of `senders`, read from the store, as the pool reads them. */
async function lookupOf(reader: LedgerReader, senders: readonly string[]): Promise<AccountsLookup> {
  const found = await reader.accounts([...new Set(senders)]);
  return (address) => found.get(address) ?? EMPTY_ACCOUNT;
}

/** The accounts after a write: what it changed, else what the store held before it (`stored`). */
const afterWrite =
  (write: Pick<LedgerWrite, "accounts">, stored: ReadonlyMap<string, Account>): AccountsLookup =>
  (address) => {
    if (write.accounts.has(address)) return write.accounts.get(address) ?? EMPTY_ACCOUNT;
    return stored.get(address) ?? EMPTY_ACCOUNT;
  };
