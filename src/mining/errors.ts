/** The node is shutting down: the job was stopped and no block will be forged. */
export class MinerStoppedError extends Error {
  override readonly name = "MinerStoppedError";
  constructor() {
    super("The node is shutting down; no block was forged");
  }
}
