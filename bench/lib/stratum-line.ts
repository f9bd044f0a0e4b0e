import { connect, type Socket } from "node:net";

/** A message from the node: an answer (id, result, error) or a notification (method, params). */
export interface StratumMessage {
  id?: number | null;
  result?: unknown;
  error?: [number, string, null] | null;
  method?: string;
  params?: unknown[];
}

interface Waiter {
  match: (message: StratumMessage) => boolean;
  resolve: (message: StratumMessage) => void;
}

/**
 * A bare Stratum connection for the bench: sends requests as lines, and
 * hands every message the node sends to the first waiter it matches (next)
 * and to `onMessage`, with when it was read (ms since the epoch,
 * sub-millisecond). It checks nothing: the bench does.
 */
export class StratumLine {
  readonly socket: Socket;
  readonly #waiters: Waiter[] = [];
  #partial = "";

  private constructor(socket: Socket, onMessage?: (message: StratumMessage, at: number) => void) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      const at = performance.timeOrigin + performance.now();
      const lines = (this.#partial + chunk).split("\n");
      this.#partial = lines.pop() ?? "";
      for (const line of lines) {
        if (line === "") continue;
        const message = JSON.parse(line) as StratumMessage;
        const waiter = this.#waiters.findIndex((w) => w.match(message));
        if (waiter >= 0) this.#waiters.splice(waiter, 1)[0]?.resolve(message);
        onMessage?.(message, at);
      }
    });
    socket.on("error", () => undefined);
  }

  static async open(
    host: string,
    port: number,
    onMessage?: (message: StratumMessage, at: number) => void,
  ): Promise<StratumLine> {
    const socket = connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return new StratumLine(socket, onMessage);
  }

  send(id: number, method: string, params: unknown[]): void {
    this.socket.write(`${JSON.stringify({ id, method, params })}\n`);
  }

  /** The next message to come that matches. */
  next(match: (message: StratumMessage) => boolean): Promise<StratumMessage> {
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }

  /** Subscribes and authorizes as `name` (ids 1 and 2); resolves on the first job, with the session's range. */
  async handshake(name: string): Promise<{ range: [number, number]; job: StratumMessage }> {
    const subscribed = this.next((m) => m.id === 1);
    const authorized = this.next((m) => m.id === 2);
    const job = this.next((m) => m.method === "mining.notify");
    this.send(1, "mining.subscribe", ["toychain-bench/1"]);
    this.send(2, "mining.authorize", [name, ""]);
    const { result } = await subscribed;
    const answer = await authorized;
    if (answer.result !== true) throw new Error(`${name} was not authorized: ${JSON.stringify(answer)}`);
    return { range: (result as { nonce_range: [number, number] }).nonce_range, job: await job };
  }

  close(): void {
    this.socket.destroy();
  }
}
