import { Piscina } from "piscina";
import { WORKER_EXEC_ARGV } from "../../../workers/exec-argv.js";
import type { PageOutcome, PageTask } from "./interface.js";

const WORKER = new URL("../../../workers/page.js", import.meta.url).href;

/**
 * One worker thread, started on demand and stopped when idle (or kept, for a
 * node that syncs at every block), that checks the pages of peers' chains
 * one at a time: the API keeps answering while a page is parsed and its
 * proofs are checked.
 */
export class PagePool {
  readonly #piscina: Piscina;

  /** `keep`: the thread starts at once and is never stopped, since starting one takes a while. */
  constructor({ keep = false }: { keep?: boolean } = {}) {
    this.#piscina = new Piscina({
      filename: WORKER,
      minThreads: keep ? 1 : 0,
      maxThreads: 1,
      idleTimeout: 30_000,
      execArgv: WORKER_EXEC_ARGV,
      resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 8 },
    });
  }

  /**
   * The page's buffer is moved to the worker, not copied (`bytes` is empty
   * afterwards), unless it is a view on a larger one, such as Node's pool of
   * small Buffers: then the page alone is copied.
   */
  check(task: PageTask): Promise<PageOutcome> {
    const { bytes } = task;
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    return this.#piscina.run(
      { ...task, bytes: own },
      { transferList: [own.buffer as ArrayBuffer] },
    ) as Promise<PageOutcome>;
  }

  /** Starts the worker (its modules take a while to load) while the first page is still on its way; resolves once it has. */
  warmUp(): Promise<void> {
    // A worker that cannot start fails the first page check too, which reports it.
    return this.#piscina.run(null, { name: "warmUp" }).then(
      () => undefined,
      () => undefined,
    );
  }

  async close(): Promise<void> {
    await this.#piscina.close({ force: true });
  }
}
