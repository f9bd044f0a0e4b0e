import { connect, type Socket } from "node:net";

/** A Stratum message as the node sends it: an answer (id, result, error) or a notification (method, params). */
export interface StratumMessage {
  id?: number | string | null;
  result?: unknown;
  error?: [number, string, null] | null;
  method?: string;
  params?: unknown[];
}

/**
 * A raw Stratum client for tests: writes whatever bytes it is given, reads
 * the node's lines, and waits for the one that matches. Nothing in it
 * checks the protocol: the tests do.
 */
export interface RawStratum {
  socket: Socket;
  /** Every message received so far, in order. */
  messages: StratumMessage[];
  /** Writes one request as a line. */
  send(request: object): void;
  /** Writes bytes as they are. */
  write(bytes: string | Buffer): void;
  /** The first message (received already or still to come) that matches. */
  next(match: (message: StratumMessage) => boolean, timeoutMs?: number): Promise<StratumMessage>;
  /** The answer to request `id`. */
  answer(id: number | string | null, timeoutMs?: number): Promise<StratumMessage>;
  /** Resolves when the node closes the connection. */
  closed: Promise<void>;
  close(): void;
}

export async function rawStratum(port: number, host = "127.0.0.1"): Promise<RawStratum> {
  const socket = connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.on("error", () => undefined);
  const messages: StratumMessage[] = [];
  const waiters = new Set<() => void>();
  let partial = "";
  socket.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) if (line.trim() !== "") messages.push(JSON.parse(line) as StratumMessage);
    for (const wake of waiters) wake();
  });
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  const next = (match: (message: StratumMessage) => boolean, timeoutMs = 15_000): Promise<StratumMessage> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = messages.find(match);
        if (found === undefined) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching Stratum message within ${timeoutMs} ms; got ${JSON.stringify(messages)}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return {
    socket,
    messages,
    send: (request) => socket.write(`${JSON.stringify(request)}\n`),
    write: (bytes) => socket.write(bytes),
    next,
    answer: (id, timeoutMs) => next((m) => m.id === id && m.method === undefined, timeoutMs),
    closed,
    close: () => socket.destroy(),
  };
}
