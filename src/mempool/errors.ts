import { feeAbove, formatFeeRate, type Rated } from "./fee-rate.js";

/** A user transaction that claims to come from the reward sender. */
export class ReservedSenderError extends Error {
  override readonly name = "ReservedSenderError";
  constructor(readonly sender: string) {
    super(`sender "${sender}" is reserved for mining rewards`);
  }
}

/** The mempool holds as many transactions as it may: the client should retry after the next block. */
export class MempoolFullError extends Error {
  override readonly name = "MempoolFullError";
  constructor(readonly capacity: number) {
    super(`The node already holds ${capacity} pending transactions; retry once a block has been mined`);
  }
}

/**
 * A transfer the accounts mempool refuses, by one of its rules. Its message
 * names the rule and the numbers, for the API to answer with a 4xx; a
 * transfer dropped later (after a block, a reorganisation or a restart)
 * carries the error it would be refused with then, for the log.
 */
export abstract class TransferRefusedError extends Error {}

/** A nonce at or below the sender's last confirmed one. */
export class NonceUsedError extends TransferRefusedError {
  override readonly name = "NonceUsedError";
  constructor(
    readonly sender: string,
    readonly nonce: number,
    readonly confirmedNonce: number,
  ) {
    super(`nonce ${nonce} from ${sender} is used: its last confirmed is ${confirmedNonce}`);
  }
}

/** A nonce past the sender's next: the ones between are neither confirmed nor pending. */
export class NonceGapError extends TransferRefusedError {
  override readonly name = "NonceGapError";
  constructor(
    readonly sender: string,
    readonly nonce: number,
    readonly next: number,
  ) {
    super(`nonce ${nonce} from ${sender} leaves a gap: the next is ${next}`);
  }
}

/** A transfer whose amount and fee, with those of the sender's pending transfers, exceed its confirmed balance. */
export class InsufficientFundsError extends TransferRefusedError {
  override readonly name = "InsufficientFundsError";
  constructor(
    readonly sender: string,
    readonly balance: number,
    /** Amounts and fees of the sender's pending transfers with this one (a BigInt: it may pass 2^53-1). */
    readonly needed: bigint,
  ) {
    super(`${sender} holds ${balance}, and its pending transfers with this one need ${needed}`);
  }
}

/** A transfer for a pending nonce of its sender that does not pay a higher fee than the one it would replace. */
export class ReplacementFeeError extends TransferRefusedError {
  override readonly name = "ReplacementFeeError";
  constructor(
    readonly sender: string,
    readonly nonce: number,
    /** The pending transfer's fee, which the replacement must exceed. */
    readonly fee: number,
  ) {
    super(`a replacement for nonce ${nonce} from ${sender} must pay a fee above ${fee}`);
  }
}

/** A transfer whose id is pending already. */
export class AlreadyPendingError extends TransferRefusedError {
  override readonly name = "AlreadyPendingError";
  constructor(readonly id: string) {
    super(`transfer ${id} is pending already`);
  }
}

/**
 * The accounts mempool holds `capacity` transfers, and this one's fee rate
 * is not above that of the lowest it may evict (`cutoff`, null when it may
 * evict none): the message names the rate and the fee this transfer's size
 * needs.
 */
export class PoolFullError extends TransferRefusedError {
  override readonly name = "PoolFullError";
  constructor(
    readonly capacity: number,
    readonly cutoff: Rated | null,
    bytes: number,
  ) {
    super(
      cutoff === null
        ? `the mempool is full (${capacity}): it holds no transfer this one may evict`
        : `the mempool is full (${capacity}): a fee rate above ${formatFeeRate(cutoff)} per byte is needed, ` +
            `a fee of at least ${feeAbove(cutoff, bytes)} for this transfer's ${bytes} bytes`,
    );
  }
}
