import { Piscina } from "piscina";
import { WORKER_EXEC_ARGV } from "../../workers/exec-argv.js";
import type { NetworkRules } from "../chain/index.js";
import type { JudgeTask } from "./interface.js";
import type { Judgement } from "./judge.js";

const WORKER = new URL("../../workers/judge.js", import.meta.url).href;

/**
 * One worker thread, started on demand and stopped when idle, that judges
 * peers' chains one at a time: the API keeps answering while a peer's body is
 * parsed, and only one body is parsed at once.
 */
export class JudgePool {
  readonly #piscina = new Piscina({
    filename: WORKER,
    minThreads: 0,
    maxThreads: 1,
    idleTimeout: 30_000,
    execArgv: WORKER_EXEC_ARGV,
  });

  /**
   * The body's buffer is moved to the worker, not copied (`bytes` is empty
   * afterwards), unless it is a view on a larger one, such as Node's pool of
   * small Buffers: then the body alone is copied.
   */
  judge(bytes: Uint8Array, mustBeat: number, rules: NetworkRules, now: number): Promise<Judgement> {
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    const task: JudgeTask = { bytes: own, mustBeat, rules, now };
    return this.#piscina.run(task, { transferList: [own.buffer as ArrayBuffer] }) as Promise<Judgement>;
  }

  async close(): Promise<void> {
    await this.#piscina.close({ force: true });
  }
}
