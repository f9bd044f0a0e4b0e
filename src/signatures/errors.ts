/**
 * The verifier failed to answer for a batch of signatures (a worker thread
 * that died, a pool closed under it): the node's fault, not the signer's.
 * None of the batch's items was judged, so none was taken.
 */
export class SignatureCheckError extends Error {
  override readonly name = "SignatureCheckError";
  constructor(
    /** How many signatures the batch held. */
    readonly count: number,
    cause: unknown,
  ) {
    super(
      `the check of a batch of ${count} signatures failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
  }
}

/**
 * The signature pool was closed, as the node stops: a batch asked of it
 * after, or still on its workers then, is not judged. A state the node
 * announces (503), not a fault of its own.
 */
export class SignaturePoolClosedError extends Error {
  override readonly name = "SignaturePoolClosedError";
  constructor() {
    super("The node is stopping: its signature workers are closed");
  }
}
