/** A question about accounts asked of a node whose chain has none: the walkthrough's names ledger. */
export class NoAccountsError extends Error {
  override readonly name = "NoAccountsError";
  constructor(readonly chain: string) {
    super(
      `This node's chain, ${chain}, keeps no accounts: its ledger is names, the walkthrough's transactions between any names. ` +
        'Accounts, balances and transfer ids are kept on chains made with "toychain chain new --ledger accounts"',
    );
  }
}

/** A transaction id that is neither pending here nor in a block of this node's chain. */
export class UnknownTransactionError extends Error {
  override readonly name = "UnknownTransactionError";
  constructor(readonly id: string) {
    super(
      `Transaction ${id} is unknown to this node: it is neither pending nor in a block of its chain ` +
        "(a transfer is known once a node took it, and a peer's only once this node has its block)",
    );
  }
}

/**
 * A read of confirmed transactions that kept meeting a reorganisation in
 * flight: the places it read named blocks the chain no longer held.
 */
export class LedgerMovedError extends Error {
  override readonly name = "LedgerMovedError";
  constructor(attempts: number) {
    super(`The chain was being reorganised during each of ${attempts} reads of its transactions; retry`);
  }
}
