/**
 * Group commit: writes that arrive while a sync is in flight wait and then go
 * to disk together in the next one, so many requests share one fsync while
 * each still resolves only once its own write is durable.
 */
export class GroupCommit<Op> {
  #queued: { ops: readonly Op[]; done: () => void; failed: (error: unknown) => void }[] = [];
  /** The flush under way, while there is one. */
  #flushing: Promise<void> | undefined;
  /** Set by close(): what a later write is refused with. */
  #closed: Error | undefined;

  /** `commit` writes a group atomically and durably. */
  constructor(private readonly commit: (ops: Op[]) => Promise<void>) {}

  write(ops: readonly Op[]): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closed);
    return new Promise((done, failed) => {
      this.#queued.push({ ops, done, failed });
      if (this.#flushing) return;
      // Wait for the requests already read in this turn of the event loop: they join the group.
      this.#flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#flush());
    });
  }

  /**
   * Refuses every later write with `refusal`, and resolves once the writes
   * already queued are committed (or have failed): what a store does before
   * it closes, so that no write it took is cut short.
   */
  async close(refusal: Error): Promise<void> {
    this.#closed ??= refusal;
    await this.#flushing;
  }

  async #flush(): Promise<void> {
    while (this.#queued.length > 0) {
      const group = this.#queued;
      this.#queued = [];
      try {
        await this.commit(group.flatMap((w) => w.ops));
        for (const w of group) w.done();
      } catch (error) {
        for (const w of group) w.failed(error);
      }
    }
    this.#flushing = undefined;
  }
}
