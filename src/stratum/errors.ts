/**
 * Stratum's error codes, as pools answer a refused request:
 * `"error": [CODE, "message", null]`.
 */
export const StratumCode = {
  OTHER: 20,
  STALE: 21,
  DUPLICATE: 22,
  ABOVE_TARGET: 23,
  UNAUTHORIZED: 24,
  NOT_SUBSCRIBED: 25,
} as const;
export type StratumCode = (typeof StratumCode)[keyof typeof StratumCode];

/** A request refused with one of Stratum's codes and a message naming the problem. */
export class StratumError extends Error {
  override readonly name = "StratumError";

  constructor(
    readonly code: StratumCode,
    message: string,
  ) {
    super(message);
  }
}

/** A line longer than the cap, without its newline: the connection is closed, since its framing is lost. */
export class LineTooLongError extends Error {
  override readonly name = "LineTooLongError";

  constructor(readonly limit: number) {
    super(`a line longer than ${limit} bytes`);
  }
}
