/**
 * Group commit: writes that arrive while a sync is in flight wait and then go
 * to disk together in the next one, so many requests share one fsync while
 * each still resolves only once its own write is durable.
 */
export class GroupCommit<Op> {
  #queued: { ops: readonly Op[]; done: () => void; failed: (error: unknown) => void }[] = [];
  #flushing = false;

  /** `commit` writes a group atomically and durably. */
  constructor(private readonly commit: (ops: Op[]) => Promise<void>) {}

  write(ops: readonly Op[]): Promise<void> {
    return new Promise((done, failed) => {
      this.#queued.push({ ops, done, failed });
      if (this.#flushing) return;
      this.#flushing = true;
      // Wait for the requests already read in this turn of the event loop: they join the group.
      setImmediate(() => void this.#flush());
    });
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
    this.#flushing = false;
  }
}
