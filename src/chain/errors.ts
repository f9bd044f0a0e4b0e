/** A chain (ours, a peer's, a stored one) that breaks a rule of the network. */
export class InvalidChainError extends Error {
  override readonly name: string = "InvalidChainError";
  constructor(
    readonly reason: string,
    /** The index of the first offending block, when one is at fault. */
    readonly blockIndex?: number,
  ) {
    super(blockIndex === undefined ? reason : `block ${blockIndex}: ${reason}`);
  }
}

/**
 * Compact bits that state no usable target: negative, overflowing 256 bits, or
 * zero. Bitcoin's CheckProofOfWork refuses the same three.
 */
export class InvalidBitsError extends InvalidChainError {
  override readonly name = "InvalidBitsError";
  constructor(
    readonly bits: number,
    why: string,
    blockIndex?: number,
  ) {
    super(`bits 0x${bits.toString(16).padStart(8, "0")} state no target: ${why}`, blockIndex);
  }
}

/**
 * A block dated further ahead of our clock than the chain allows (2 hours on
 * the walkthrough's chain). It is refused now, but it is not invalid for
 * ever: the same block is accepted once our clock has caught up (or the
 * peer's has been set right and its chain re-mined).
 */
export class FutureBlockError extends InvalidChainError {
  override readonly name = "FutureBlockError";
  constructor(block: { index: number; timestamp: number }, now: number, limitSeconds: number) {
    const ahead =
      limitSeconds % 3600 === 0
        ? `${((block.timestamp - now) / 3600).toFixed(2)} hours ahead of this node's clock (${now}), more than the ${limitSeconds / 3600} allowed`
        : `${(block.timestamp - now).toFixed(0)} seconds ahead of this node's clock (${now}), more than the ${limitSeconds} allowed`;
    super(`timestamp ${block.timestamp} is ${ahead}; it may be accepted once the clocks agree`, block.index);
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

/** A block locator none of whose blocks is in our chain: the asker's chain is of another network. */
export class NoCommonBlockError extends Error {
  override readonly name = "NoCommonBlockError";
  constructor(entries: number) {
    super(`None of the locator's ${entries} blocks is in this node's chain: it starts from another genesis block`);
  }
}

/** A block hash that names no block of this node's chain: unknown here, or of a branch the chain left. */
export class UnknownBlockError extends Error {
  override readonly name = "UnknownBlockError";
  constructor(readonly hash: string) {
    super(`Block ${hash} is not in this node's chain`);
  }
}

/** A chain spec whose parameters do not make a chain, or whose genesis does not commit to them. */
export class ChainSpecError extends Error {
  override readonly name = "ChainSpecError";
  constructor(
    readonly chain: string,
    readonly reason: string,
  ) {
    super(`the chain spec ${JSON.stringify(chain)} is not valid: ${reason}`);
  }
}
