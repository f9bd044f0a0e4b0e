import type { SignedTransaction } from "../keys/index.js";
import {
  AlreadyPendingError,
  InsufficientFundsError,
  NonceGapError,
  NonceUsedError,
  PoolFullError,
  ReplacementFeeError,
  type TransferRefusedError,
} from "./errors.js";
import { compareFeeRate, type Rated } from "./fee-rate.js";
import { KeyedHeap } from "./keyed-heap.js";
import { admitChain, costOf } from "./sender-chain.js";

/** A signed transfer (src/keys): amount ≥ 1, fee ≥ 0, nonce ≥ 1, all safe integers; signature 128 hex. */
export type Transfer = SignedTransaction;

/** What the chain says a sender has: confirmed balance, and the nonce of its last confirmed transfer (0: none). */
export interface SenderAccount {
  balance: number;
  nonce: number;
}

/** A transfer in the pool, under the sequence number the caller stores it by. */
export interface PooledTransfer {
  seq: number;
  id: string;
  tx: Transfer;
  /** its size in bytes, for the fee rate */
  bytes: number;
}

/** A transfer offered to the pool, with what the caller computed of it: its id (signature verified) and size. */
export type NewTransfer = Omit<PooledTransfer, "seq">;

/** What the chain's tip says of an address; an address it never saw has { balance: 0, nonce: 0 }. */
export type AccountsLookup = (address: string) => SenderAccount;

/** A transfer that left the pool, or never entered it, with the error `add` would refuse it with: for the log. */
export interface Dropped<T extends NewTransfer = PooledTransfer> {
  entry: T;
  reason: TransferRefusedError;
}

/** What `add` did: the new entry (store it), and what it took the place of (delete it from the store). */
export interface Admission {
  entry: PooledTransfer;
  /** The pending transfer of the same sender and nonce, which paid a lower fee. */
  replaced: PooledTransfer | null;
  /** The lowest fee rate transfer that made room, when the pool was full. */
  evicted: Dropped | null;
}

/** What a block took out of the pool: the transfers it holds, and those it made invalid. */
export interface Confirmation {
  confirmed: PooledTransfer[];
  dropped: Dropped[];
}

/** What a reorganisation's refill did. */
export interface Refill {
  /** Returned transfers admitted, each under a new seq: store them. */
  added: PooledTransfer[];
  /** Pooled transfers that are no longer valid, or were evicted: delete them from the store. */
  removed: Dropped[];
  /** Returned transfers not admitted (never stored). */
  refused: Dropped<NewTransfer>[];
}

/** A pool rebuilt from the store, and the stored entries it dropped (delete them). */
export interface Restored {
  pool: AccountsPool;
  dropped: Dropped[];
}

/** A sender's pending transfers, in nonce order from its last confirmed nonce + 1, and their amounts and fees. */
interface SenderState {
  chain: PooledTransfer[];
  /** At most the sender's balance when it was last checked, so a safe integer. */
  spend: number;
}

const rated = (entry: PooledTransfer): Rated => ({ fee: entry.tx.fee, bytes: entry.bytes });

/** The order of a block: higher fee rate first; of equal rates, the earlier arrival. */
const blockFirst = (a: PooledTransfer, b: PooledTransfer): boolean => {
  const rate = compareFeeRate(rated(a), rated(b));
  return rate > 0 || (rate === 0 && a.seq < b.seq);
};

/** The order of eviction, the reverse of a block's: lower fee rate first; of equal rates, the later arrival. */
const evictFirst = (a: PooledTransfer, b: PooledTransfer): boolean => blockFirst(b, a);

/**
 * The mempool of an accounts ledger: pending signed transfers, each of which
 * would be valid on the chain's tip in its sender's nonce order. For each
 * sender, the pool holds nonces from its last confirmed + 1 with no gap,
 * whose amounts and fees together fit its confirmed balance; coins pending
 * TO a sender do not count, since the transfer bringing them may never be
 * mined (conservative: a sender may have to wait for a block).
 *
 * It does no I/O, checks no signature and reads no clock: the caller
 * verifies the signature and computes the id and size, stores entries under
 * their seq, and passes what the chain says of accounts. Every change
 * returns what left the pool, so that the caller deletes it from the store
 * and logs it with its reason.
 *
 * Indexes (s senders with pending transfers, n transfers):
 * - by id, in seq order (`get`, `list`); by sender, in nonce order; by
 *   recipient (`pendingTo`);
 * - `heads`: each sender's lowest pending nonce by block order, which `select`
 *   walks from the top;
 * - `tails`: each sender's last pending nonce by eviction order: only a
 *   last one may be evicted, since evicting one before it would strand the
 *   later ones.
 */
export class AccountsPool {
  readonly #byId = new Map<string, PooledTransfer>();
  readonly #bySender = new Map<string, SenderState>();
  readonly #byRecipient = new Map<string, Set<PooledTransfer>>();
  #heads = new KeyedHeap<PooledTransfer>(blockFirst);
  #tails = new KeyedHeap<PooledTransfer>(evictFirst);
  #nextSeq = 1;

  /** An empty pool holding at most `capacity` transfers (the node's --max-pending). */
  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity ${capacity} is not a whole number ≥ 1`);
    }
  }

  /**
   * The pool the store held: `entries` are re-admitted by the rules against
   * `accounts`, each keeping its seq; what fails a rule, or does not fit
   * `capacity` by the eviction rule, is dropped. New seqs start after the
   * largest of `entries`. O(n log n).
   */
  static restore(capacity: number, entries: readonly PooledTransfer[], accounts: AccountsLookup): Restored {
    const pool = new AccountsPool(capacity);
    for (const entry of entries) pool.#nextSeq = Math.max(pool.#nextSeq, entry.seq + 1);
    return { pool, dropped: pool.#rebuild(entries, accounts) };
  }

  /** How many transfers are pending. */
  get size(): number {
    return this.#byId.size;
  }

  /** The pending transfer with this id: O(1). */
  get(id: string): PooledTransfer | undefined {
    return this.#byId.get(id);
  }

  /** Every pending transfer, in arrival (seq) order: O(n). */
  list(): PooledTransfer[] {
    return [...this.#byId.values()];
  }

  /** The pending transfers from `address`, in nonce order: O(result). */
  pendingFrom(address: string): PooledTransfer[] {
    return [...(this.#bySender.get(address)?.chain ?? [])];
  }

  /** The pending transfers to `address`, in arrival order: O(result). */
  pendingTo(address: string): PooledTransfer[] {
    return [...(this.#byRecipient.get(address) ?? [])];
  }

  /**
   * Admits a transfer whose signature the caller verified, against its
   * sender's `account` on the tip. Its nonce must be the sender's next
   * (confirmed + pending + 1), or a pending one it replaces with a strictly
   * higher fee; the sender's pending amounts and fees with it must fit the
   * balance. When the pool is full, the lowest fee rate last-of-its-sender
   * (another sender's: evicting the sender's own would strand this one) is
   * evicted if this one's rate is above it. Throws the TransferRefusedError
   * of the first rule it breaks, having changed nothing. O(log s).
   */
  add(transfer: NewTransfer, account: SenderAccount): Admission {
    const { tx } = transfer;
    if (!Number.isSafeInteger(transfer.bytes) || transfer.bytes < 1) {
      throw new RangeError(`a transfer's size of ${transfer.bytes} bytes is not a whole number ≥ 1`);
    }
    if (this.#byId.has(transfer.id)) throw new AlreadyPendingError(transfer.id);
    const state = this.#bySender.get(tx.sender);
    const first = account.nonce + 1;
    const head = state?.chain[0];
    if (head !== undefined && head.tx.nonce !== first) {
      throw new Error(
        `the pool's first nonce from ${tx.sender} is ${head.tx.nonce}, but its account's next is ${first}: ` +
          "the pool missed a block (confirmed) or a reorganisation (refill)",
      );
    }
    if (tx.nonce < first) throw new NonceUsedError(tx.sender, tx.nonce, account.nonce);
    const next = first + (state?.chain.length ?? 0);
    if (tx.nonce > next) throw new NonceGapError(tx.sender, tx.nonce, next);
    const replaced = state?.chain[tx.nonce - first] ?? null;
    if (replaced !== null && tx.fee <= replaced.tx.fee) {
      throw new ReplacementFeeError(tx.sender, tx.nonce, replaced.tx.fee);
    }
    const needed = BigInt(state?.spend ?? 0) - (replaced === null ? 0n : costOf(replaced.tx)) + costOf(tx);
    if (needed > BigInt(account.balance)) throw new InsufficientFundsError(tx.sender, account.balance, needed);
    const evicted = replaced === null ? this.#makeRoom(transfer) : null;
    const entry: PooledTransfer = { seq: this.#nextSeq++, id: transfer.id, tx, bytes: transfer.bytes };
    if (replaced === null) this.#append(entry, Number(needed));
    else this.#replace(replaced, entry, Number(needed));
    return { entry, replaced, evicted };
  }

  /**
   * At most `limit` pending transfers for a block, in an order valid on the
   * tip: by fee rate, highest first (ties: earlier arrival), each sender's in
   * nonce order, a transfer eligible only once the lower nonces of its sender
   * are selected. Since every sender's pending transfers fit its balance, no
   * prefix of the result overdraws. Nothing leaves the pool until
   * `confirmed`.
   *
   * A frontier heap holds the candidates: the top of `heads`, then a
   * selected head's two children in `heads` (each of which comes after it),
   * and a selected transfer's next nonce. Each selection adds at most three,
   * so O(k log k) for k selected, whatever the number of senders.
   */
  select(limit: number): PooledTransfer[] {
    const selected: PooledTransfer[] = [];
    const frontier = new KeyedHeap<{ entry: PooledTransfer; node: number | null }>((a, b) =>
      blockFirst(a.entry, b.entry),
    );
    const offer = (entry: PooledTransfer | undefined, node: number | null): void => {
      if (entry !== undefined) frontier.set(entry.id, { entry, node });
    };
    offer(this.#heads.at(0), 0);
    while (selected.length < limit) {
      const best = frontier.pop();
      if (best === undefined) break;
      const { entry, node } = best;
      selected.push(entry);
      if (node !== null) {
        offer(this.#heads.at(2 * node + 1), 2 * node + 1);
        offer(this.#heads.at(2 * node + 2), 2 * node + 2);
      }
      const chain = (this.#bySender.get(entry.tx.sender) as SenderState).chain;
      offer(chain[entry.tx.nonce - (chain[0] as PooledTransfer).tx.nonce + 1], null);
    }
    return selected;
  }

  /**
   * After a block is connected (ours or a peer's): `included` are its
   * transfers, each with its id and sender; `accounts` reads the new tip.
   * The pooled ones leave; then every sender of the block is checked again,
   * since a peer's block may spend a nonce or coins under an id the pool
   * does not hold: nonces the block used are dropped, and from the first
   * transfer the new balance no longer covers, that one and every later
   * nonce. O(b + p + t log s): b transfers in the block, t senders of
   * them, p pending from those.
   */
  confirmed(included: Iterable<{ id: string; sender: string }>, accounts: AccountsLookup): Confirmation {
    const confirmed: PooledTransfer[] = [];
    const senders = new Set<string>();
    for (const { id, sender } of included) {
      senders.add(sender);
      const entry = this.#byId.get(id);
      if (entry === undefined) continue;
      senders.add(entry.tx.sender);
      confirmed.push(entry);
      this.#unindex(entry);
    }
    const dropped: Dropped[] = [];
    for (const sender of senders) {
      const state = this.#bySender.get(sender);
      if (state === undefined) continue;
      const left = state.chain.filter((entry) => this.#byId.get(entry.id) === entry);
      const chain = admitChain(left, accounts(sender));
      for (const drop of chain.dropped) this.#unindex(drop.entry);
      dropped.push(...chain.dropped);
      this.#setChain(sender, { chain: chain.kept, spend: chain.spend });
    }
    return { confirmed, dropped };
  }

  /**
   * After a reorganisation: `returned` are the transfers of the blocks left
   * behind that the new chain lacks, in their blocks' order; `accounts` reads
   * the new tip. The pool is rebuilt from them and what it holds, each
   * sender's in nonce order, by the rules of `add`; then, while it holds
   * more than `capacity`, the lowest fee rate last-of-its-sender is evicted.
   * Returned transfers admitted get new seqs, after the pool's. O(n log n)
   * over the pool and the returned transfers.
   */
  refill(returned: readonly NewTransfer[], accounts: AccountsLookup): Refill {
    const firstNew = this.#nextSeq;
    const fresh = returned.map(({ id, tx, bytes }) => ({ seq: this.#nextSeq++, id, tx, bytes }));
    const dropped = this.#rebuild([...this.#byId.values(), ...fresh], accounts);
    const isNew = (entry: PooledTransfer) => entry.seq >= firstNew;
    return {
      added: fresh.filter((entry) => this.#byId.get(entry.id) === entry),
      removed: dropped.filter((drop) => !isNew(drop.entry)),
      refused: dropped
        .filter((drop) => isNew(drop.entry))
        .map(({ entry: { id, tx, bytes }, reason }) => ({ entry: { id, tx, bytes }, reason })),
    };
  }

  /**
   * Empties the pool, then admits `entries` sender by sender by the rules,
   * each under its seq, and evicts down to `capacity`. Returns the dropped
   * and the evicted. O(n log n).
   */
  #rebuild(entries: readonly PooledTransfer[], accounts: AccountsLookup): Dropped[] {
    const bySender = new Map<string, PooledTransfer[]>();
    for (const entry of entries) {
      const own = bySender.get(entry.tx.sender);
      if (own === undefined) bySender.set(entry.tx.sender, [entry]);
      else own.push(entry);
    }
    this.#byId.clear();
    this.#bySender.clear();
    this.#byRecipient.clear();
    this.#heads = new KeyedHeap(blockFirst);
    this.#tails = new KeyedHeap(evictFirst);
    const dropped: Dropped[] = [];
    const kept: PooledTransfer[] = [];
    for (const [sender, own] of bySender) {
      const chain = admitChain(own, accounts(sender));
      dropped.push(...chain.dropped);
      kept.push(...chain.kept);
      this.#setChain(sender, { chain: chain.kept, spend: chain.spend });
    }
    for (const entry of kept.sort((a, b) => a.seq - b.seq)) this.#index(entry);
    const evicted: PooledTransfer[] = [];
    while (this.#byId.size > this.capacity) {
      const victim = this.#tails.peek() as PooledTransfer;
      this.#removeLast(victim);
      evicted.push(victim);
    }
    for (const entry of evicted) {
      const cutoff = this.#tails.peekExcept(entry.tx.sender);
      dropped.push({
        entry,
        reason: new PoolFullError(this.capacity, cutoff === undefined ? null : rated(cutoff), entry.bytes),
      });
    }
    return dropped;
  }

  /**
   * Makes room for `transfer` when the pool is full, evicting the lowest fee
   * rate last-of-its-sender of another sender if `transfer`'s rate is above
   * it; otherwise throws PoolFullError naming that rate. O(log s).
   */
  #makeRoom(transfer: NewTransfer): Dropped | null {
    if (this.#byId.size < this.capacity) return null;
    const victim = this.#tails.peekExcept(transfer.tx.sender);
    const incoming: Rated = { fee: transfer.tx.fee, bytes: transfer.bytes };
    if (victim === undefined || compareFeeRate(incoming, rated(victim)) <= 0) {
      throw new PoolFullError(this.capacity, victim === undefined ? null : rated(victim), transfer.bytes);
    }
    this.#removeLast(victim);
    return { entry: victim, reason: new PoolFullError(this.capacity, incoming, victim.bytes) };
  }

  /** Adds `entry`, its sender's next nonce, whose pending transfers then spend `spend`. O(log s). */
  #append(entry: PooledTransfer, spend: number): void {
    const state = this.#bySender.get(entry.tx.sender);
    if (state === undefined) {
      this.#setChain(entry.tx.sender, { chain: [entry], spend });
    } else {
      state.chain.push(entry);
      state.spend = spend;
      this.#tails.set(entry.tx.sender, entry);
    }
    this.#index(entry);
  }

  /** Puts `entry` in the place of `old`, of the same sender and nonce, whose pending transfers then spend `spend`. O(log s). */
  #replace(old: PooledTransfer, entry: PooledTransfer, spend: number): void {
    const state = this.#bySender.get(old.tx.sender) as SenderState;
    const at = old.tx.nonce - (state.chain[0] as PooledTransfer).tx.nonce;
    state.chain[at] = entry;
    state.spend = spend;
    if (at === 0) this.#heads.set(entry.tx.sender, entry);
    if (at === state.chain.length - 1) this.#tails.set(entry.tx.sender, entry);
    this.#unindex(old);
    this.#index(entry);
  }

  /** Removes `entry`, the last nonce of its sender. O(log s). */
  #removeLast(entry: PooledTransfer): void {
    const state = this.#bySender.get(entry.tx.sender) as SenderState;
    state.chain.pop();
    state.spend -= Number(costOf(entry.tx));
    this.#setChain(entry.tx.sender, state);
    this.#unindex(entry);
  }

  /** Sets a sender's pending transfers (none: it leaves), and its place in `heads` and `tails`. O(log s). */
  #setChain(sender: string, { chain, spend }: SenderState): void {
    const head = chain[0];
    const tail = chain[chain.length - 1];
    if (head === undefined || tail === undefined) {
      this.#bySender.delete(sender);
      this.#heads.delete(sender);
      this.#tails.delete(sender);
      return;
    }
    this.#bySender.set(sender, { chain, spend });
    this.#heads.set(sender, head);
    this.#tails.set(sender, tail);
  }

  /** Indexes `entry` by id and recipient. O(1). */
  #index(entry: PooledTransfer): void {
    this.#byId.set(entry.id, entry);
    const toRecipient = this.#byRecipient.get(entry.tx.recipient);
    if (toRecipient === undefined) this.#byRecipient.set(entry.tx.recipient, new Set([entry]));
    else toRecipient.add(entry);
  }

  /** Removes `entry` from the id and recipient indexes. O(1). */
  #unindex(entry: PooledTransfer): void {
    this.#byId.delete(entry.id);
    const toRecipient = this.#byRecipient.get(entry.tx.recipient);
    toRecipient?.delete(entry);
    if (toRecipient?.size === 0) this.#byRecipient.delete(entry.tx.recipient);
  }
}
