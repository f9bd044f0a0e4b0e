/** A user transaction that claims to come from the reward sender. */
export class ReservedSenderError extends Error {
  override readonly name = "ReservedSenderError";
  constructor(readonly sender: string) {
    super(`sender "${sender}" is reserved for mining rewards`);
  }
}
