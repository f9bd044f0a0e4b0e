/** A store whose content breaks the chain rules: the node refuses to serve it. */
export class DamagedStoreError extends Error {
  override readonly name: string = "DamagedStoreError";
  constructor(
    readonly location: string,
    readonly reason: string,
  ) {
    super(`The store in ${location} is damaged (${reason}); restore it from a backup or start with another --data-dir`);
  }
}

/** A stored block that is missing or whose bytes no longer hash to its key: the record was altered or lost. */
export class DamagedBlockError extends DamagedStoreError {
  override readonly name = "DamagedBlockError";
  constructor(
    location: string,
    readonly height: number,
    readonly hash: string,
    problem: string,
  ) {
    super(location, `block ${height} (${hash}) ${problem}`);
  }
}

/** A store in a layout this toychain neither reads nor migrates: one a newer toychain wrote, say. */
export class StoreFormatError extends Error {
  override readonly name = "StoreFormatError";
  constructor(
    readonly location: string,
    readonly found: number,
    readonly expected: number,
  ) {
    super(
      `The store in ${location} has format ${found}, which this toychain does not read: it reads format ${expected} and migrates format 1 to it. A newer toychain may have written it: run that one, or start with another --data-dir`,
    );
  }
}

/** A store made by a node of another network (another chain, or the walkthrough's at another difficulty). */
export class ForeignStoreError extends Error {
  override readonly name = "ForeignStoreError";
  constructor(
    readonly location: string,
    readonly reason: string,
  ) {
    super(`The store in ${location} belongs to another network: ${reason}`);
  }
}

/** A store that cannot be opened: locked by another process, unreadable, not a store. */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
  constructor(
    readonly location: string,
    readonly reason: string,
  ) {
    super(`The store in ${location} cannot be opened: ${reason}`);
  }
}

/**
 * A durable write failed (disk full, I/O error): memory may now hold what the
 * disk does not, so the node refuses every further change until it restarts
 * from what the disk holds.
 */
export class StoreFailedError extends Error {
  override readonly name = "StoreFailedError";
  constructor(
    readonly location: string,
    override readonly cause: unknown,
  ) {
    super(`Writing to the store in ${location} failed (${(cause as Error).message}); the node must restart`);
  }
}

/**
 * A write that came after the store began to close: the node is stopping.
 * Nothing is wrong with the disk; the request was not acknowledged.
 */
export class StoreClosedError extends Error {
  override readonly name = "StoreClosedError";
  constructor(readonly location: string) {
    super(`The node is stopping: the store in ${location} takes no more writes`);
  }
}
