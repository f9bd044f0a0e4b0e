/** A chain (ours, a peer's, a stored one) that breaks a rule of the network. */
export class InvalidChainError extends Error {
  override readonly name = "InvalidChainError";
  constructor(
    readonly reason: string,
    /** The index of the first offending block, when one is at fault. */
    readonly blockIndex?: number,
  ) {
    super(blockIndex === undefined ? reason : `block ${blockIndex}: ${reason}`);
  }
}

/** A block that does not extend our tip. */
export class StaleBlockError extends Error {
  override readonly name = "StaleBlockError";
  constructor(
    readonly expectedPreviousHash: string,
    readonly actualPreviousHash: string,
  ) {
    super(`block does not extend the tip ${expectedPreviousHash} (it names ${actualPreviousHash})`);
  }
}
