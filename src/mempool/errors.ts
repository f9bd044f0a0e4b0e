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
