import {
  decodeAddress,
  isLowerHex,
  SIGNATURE_BYTES,
  SignatureError,
  type SignedTransaction,
  signingMessage,
  signingText,
  verify,
} from "../keys/index.js";
import type { SignatureJob } from "../signatures/interface.js";
import { InvalidChainError } from "./errors.js";
import { REWARD_SENDER } from "./genesis.js";
import type { ChainSpec } from "./spec.js";
import type { Block, Transaction } from "./types.js";

/**
 * The accounts ledger's rules, as pure functions. A block of an accounts
 * chain holds signed transfers, then its reward:
 *
 * - stateless (checkAccountsBlock): every transfer is well formed, its
 *   addresses pass their checksums, its signature verifies under the pinned
 *   rule of src/keys, and the reward pays exactly the subsidy plus the
 *   block's fees to an address;
 * - stateful (connectBlock): in the block's order, each sender's nonce is the
 *   one after its last, and no balance goes below zero at any point.
 *
 * Amounts are safe integers of the smallest unit; every sum is taken in
 * BigInt and must stay a safe integer, so that nodes agree bit for bit.
 */

/** What an address holds: its coins, and how many transfers it has sent. */
export interface Account {
  balance: number;
  nonce: number;
}

/** An address no block has touched. */
export const EMPTY_ACCOUNT: Readonly<Account> = Object.freeze({ balance: 0, nonce: 0 });

/** The accounts a block changed: each as it was before (null: it had no record), and as it is after. */
export interface BlockDelta {
  before: Map<string, Account | null>;
  after: Map<string, Account>;
}

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

const isSafeCount = (value: unknown, min: number): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= min;

/** The transfers of a block: every transaction but its last, the reward. */
export const transfersOf = (block: Block): readonly Transaction[] => block.transactions.slice(0, -1);

/**
 * Checks a transfer's fields, but its signature; `at` names it in messages.
 * Returns its sender's public key, which its addresses' decoding gave.
 */
function checkTransferShape(tx: Transaction, prefix: string, at: string, index: number): Uint8Array {
  const fail = (why: string): never => {
    throw new InvalidChainError(`${at}: ${why}`, index);
  };
  if (tx.sender === REWARD_SENDER) fail(`only the last transaction, the reward, may come from "${REWARD_SENDER}"`);
  if (!isSafeCount(tx.amount, 1)) fail(`amount ${tx.amount} is not a whole number from 1 to 2^53-1`);
  if (!isSafeCount(tx.fee, 0)) fail(`fee ${tx.fee} is not a whole number from 0 to 2^53-1`);
  if (!isSafeCount(tx.nonce, 1)) fail(`nonce ${tx.nonce} is not a whole number from 1 to 2^53-1`);
  if (!isLowerHex(tx.signature, 2 * SIGNATURE_BYTES)) fail("its signature is not 128 hex digits");
  try {
    decodeAddress(prefix, tx.recipient, "recipient");
    return decodeAddress(prefix, tx.sender, "sender");
  } catch (error) {
    return fail((error as Error).message);
  }
}

/** The sum of the transfers' fees, which the reward adds to the subsidy. */
export function feesOf(transfers: readonly Pick<Transaction, "fee">[]): bigint {
  let fees = 0n;
  for (const tx of transfers) fees += BigInt(tx.fee ?? 0);
  return fees;
}

/**
 * Takes the signatures a block's check leaves to others, in the order it
 * would have verified them: each transfer's, once its shape has passed, with
 * its block's index. A block's transfers come one after another, from its
 * first, so a job's place among its block's tells its transfer. The job is
 * made only if the sink asks for it (`job()`): a sink that only counts them
 * (the page worker's, which sent the jobs ahead) makes no message.
 */
export type SignatureSink = (job: () => SignatureJob, blockIndex: number) => void;

/** The refusal of block `blockIndex` whose transfer number `transfer` (from 1) has a signature that does not verify. */
export const signatureRefusal = (blockIndex: number, transfer: number, sender: string): InvalidChainError =>
  new InvalidChainError(`transaction ${transfer}: ${new SignatureError(sender).message}`, blockIndex);

/**
 * The stateless rules of an accounts block: the transfers' shapes and their
 * signatures, and the reward. `signatures` false: they were verified
 * already, at their admission to our mempool; a sink: each is given to it
 * instead, to be verified elsewhere (a peer's page's, in the signature
 * pool). A signature verified elsewhere that fails must be refused as this
 * check would have: signatureRefusal, unless a rule before it failed.
 */
export function checkAccountsBlock(
  block: Block,
  spec: ChainSpec,
  { signatures = true }: { signatures?: boolean | SignatureSink } = {},
): void {
  if (spec.ledger.kind !== "accounts") throw new Error("checkAccountsBlock needs an accounts chain");
  const { prefix } = spec.ledger;
  const transfers = transfersOf(block);
  for (const [i, tx] of transfers.entries()) {
    const senderKey = checkTransferShape(tx, prefix, `transaction ${i + 1}`, block.index);
    if (signatures === false) continue;
    // The shape's checks are verifyTransaction's but the signature's own: only it is left.
    if (signatures !== true) {
      signatures(() => signatureJob(tx, senderKey, spec), block.index);
      continue;
    }
    const job = signatureJob(tx, senderKey, spec);
    if (!verify(job.publicKey, job.message, job.signature)) throw signatureRefusal(block.index, i + 1, tx.sender);
  }
  checkAccountsReward(block, spec, prefix, transfers);
}

/** A transfer's signature to verify, once its shape has passed (checkTransferShape gave `senderKey`). */
const signatureJob = (tx: Transaction, senderKey: Uint8Array, spec: ChainSpec): SignatureJob => ({
  publicKey: senderKey,
  message: signingMessage(spec.id, tx as SignedTransaction),
  signature: Buffer.from(tx.signature as string, "hex"),
});

/**
 * Takes a transfer's signature job in its parts: the sender's key, the
 * signature in hex, the message as text (signingText), with its block's
 * position among the blocks checked; what SignatureBatchBuilder.add packs.
 */
export type SignaturePartsSink = (publicKey: Uint8Array, signatureHex: string, message: string, at: number) => void;

/**
 * The signatures of `blocks`' transfers, before any other check, given to
 * `take` one by one: what checkAccountsBlock gives its sink, in its order,
 * up to the first transfer whose shape fails (none after it). The blocks'
 * check can only reach fewer, never others: the jobs it gives a sink are
 * the first of these, one for one, so these may be verified while it runs.
 * Returns how many it gave.
 */
export function signatureJobsOf(blocks: readonly Block[], spec: ChainSpec, take: SignaturePartsSink): number {
  if (spec.ledger.kind !== "accounts") throw new Error("signatureJobsOf needs an accounts chain");
  const { prefix } = spec.ledger;
  let given = 0;
  for (const [at, block] of blocks.entries()) {
    for (const [i, tx] of transfersOf(block).entries()) {
      let senderKey: Uint8Array;
      try {
        senderKey = checkTransferShape(tx, prefix, `transaction ${i + 1}`, block.index);
      } catch (error) {
        if (error instanceof InvalidChainError) return given;
        throw error;
      }
      take(senderKey, tx.signature as string, signingText(spec.id, tx as SignedTransaction), at);
      given++;
    }
  }
  return given;
}

function checkAccountsReward(block: Block, spec: ChainSpec, prefix: string, transfers: readonly Transaction[]): void {
  const reward = block.transactions[block.transactions.length - 1];
  if (reward === undefined || reward.sender !== REWARD_SENDER) {
    throw new InvalidChainError("the last transaction must be the mining reward", block.index);
  }
  if (reward.fee !== undefined || reward.nonce !== undefined || reward.signature !== undefined) {
    throw new InvalidChainError("the reward has no fee, nonce or signature", block.index);
  }
  try {
    decodeAddress(prefix, reward.recipient, "the reward's recipient");
  } catch (error) {
    throw new InvalidChainError((error as Error).message, block.index);
  }
  const expected = BigInt(spec.reward) + feesOf(transfers);
  if (expected > MAX) throw new InvalidChainError("its fees and subsidy add up past 2^53-1", block.index);
  if (BigInt(reward.amount) !== expected) {
    throw new InvalidChainError(
      `the reward must be the subsidy ${spec.reward} plus the block's fees ${expected - BigInt(spec.reward)}, ${expected}, not ${reward.amount}`,
      block.index,
    );
  }
}

/** Every address a block reads and writes: its senders and recipients, the reward's among them, each once. */
export function touchedAddresses(block: Block): string[] {
  const addresses = new Set<string>();
  for (const tx of block.transactions) {
    if (tx.sender !== REWARD_SENDER) addresses.add(tx.sender);
    addresses.add(tx.recipient);
  }
  return [...addresses];
}

/**
 * Applies a block, already checked by checkAccountsBlock, to the accounts it
 * touches (`accounts` holds each of touchedAddresses' records that exists):
 * in order, each transfer's nonce must be the sender's next, and its amount
 * and fee must be covered by what the sender holds at that point; the
 * reward is credited last. Throws an InvalidChainError naming the
 * transaction and the rule; returns the accounts before and after.
 */
export function connectBlock(block: Block, accounts: ReadonlyMap<string, Account>): BlockDelta {
  const before = new Map<string, Account | null>();
  const after = new Map<string, Account>();
  const read = (address: string): Account => {
    const current = after.get(address);
    if (current !== undefined) return current;
    const stored = accounts.get(address);
    before.set(address, stored ?? null);
    const copy = { ...(stored ?? EMPTY_ACCOUNT) };
    after.set(address, copy);
    return copy;
  };
  const credit = (account: Account, amount: bigint, at: string): void => {
    const balance = BigInt(account.balance) + amount;
    if (balance > MAX) throw new InvalidChainError(`${at}: a balance would pass 2^53-1`, block.index);
    account.balance = Number(balance);
  };
  const transfers = transfersOf(block);
  for (const [i, tx] of transfers.entries()) {
    const at = `transaction ${i + 1}`;
    const sender = read(tx.sender);
    const nonce = tx.nonce as number;
    if (nonce !== sender.nonce + 1) {
      throw new InvalidChainError(
        `${at}: nonce ${nonce} from ${tx.sender}, whose next is ${sender.nonce + 1}${nonce <= sender.nonce ? " (already used)" : " (one is missing before it)"}`,
        block.index,
      );
    }
    const spent = BigInt(tx.amount) + BigInt(tx.fee as number);
    if (spent > BigInt(sender.balance)) {
      throw new InvalidChainError(
        `${at}: ${tx.sender} spends ${spent} (amount ${tx.amount} and fee ${tx.fee}) but holds ${sender.balance}`,
        block.index,
      );
    }
    sender.balance = Number(BigInt(sender.balance) - spent);
    sender.nonce = nonce;
    credit(read(tx.recipient), BigInt(tx.amount), at);
  }
  const reward = block.transactions[block.transactions.length - 1] as Transaction;
  credit(read(reward.recipient), BigInt(reward.amount), "the reward");
  return { before, after };
}
