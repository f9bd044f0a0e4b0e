import { connect, type Socket } from "node:net";
import { watched } from "./watched.js";

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
  const seen = watched<StratumMessage>((messages) => `Stratum messages so far: ${JSON.stringify(messages)}`);
  let partial = "";
  socket.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    seen.push(...lines.filter((line) => line.trim() !== "").map((line) => JSON.parse(line) as StratumMessage));
  });
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  const { next } = seen;
  return {
    socket,
    messages: seen.items,
    send: (request) => socket.write(`${JSON.stringify(request)}\n`),
    write: (bytes) => socket.write(bytes),
    next,
    answer: (id, timeoutMs) => next((m) => m.id === id && m.method === undefined, timeoutMs),
    closed,
    close: () => socket.destroy(),
  };
}
