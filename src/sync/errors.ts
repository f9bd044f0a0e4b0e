import { PeerUnreachableError } from "../peers/index.js";

/** The node is shutting down: the peers' answers were abandoned and our chain kept. */
export class ResolveStoppedError extends Error {
  override readonly name = "ResolveStoppedError";
  constructor() {
    super("The node is shutting down; the resolve was abandoned and our chain kept");
  }
}

/** A resolve that ran out of time: the peer being read when it did is the one that made it wait. */
export class ResolveDeadlineError extends PeerUnreachableError {
  override readonly name = "ResolveDeadlineError";
  constructor(readonly deadlineMs: number) {
    super(`it had not sent its chain when the resolve's deadline of ${deadlineMs / 1000} s passed`);
  }
}
