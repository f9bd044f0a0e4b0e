/** An address given to /nodes/register that is not a usable http(s) node address. */
export class InvalidPeerAddressError extends Error {
  override readonly name = "InvalidPeerAddressError";
  constructor(
    readonly address: string,
    readonly position: number,
    readonly reason: string,
  ) {
    super(`Invalid node address ${JSON.stringify(address)}: ${reason}`);
  }
}

/** A peer that could not be reached or did not answer 200 in time. */
export class PeerUnreachableError extends Error {
  override readonly name: string = "PeerUnreachableError";
}

/** A peer that answered with a status other than 200. */
export class PeerStatusError extends PeerUnreachableError {
  override readonly name = "PeerStatusError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** A peer whose answer is refused before it is parsed: a type other than JSON, compressed, too large. */
export class PeerDataError extends Error {
  override readonly name = "PeerDataError";
}

/** A registration that would take the node past its peer limit. */
export class TooManyPeersError extends Error {
  override readonly name = "TooManyPeersError";
  constructor(have: number, adding: number, limit: number) {
    super(`Cannot add ${adding} nodes to the ${have} registered: a node keeps at most ${limit}`);
  }
}
