/** The node is shutting down: the peers' answers were abandoned and our chain kept. */
export class ResolveStoppedError extends Error {
  override readonly name = "ResolveStoppedError";
  constructor() {
    super("The node is shutting down; the resolve was abandoned and our chain kept");
  }
}
