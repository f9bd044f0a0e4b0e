import { connect, type Socket } from "node:net";
import {
  checkNotifyParams,
  checkSetTargetParams,
  checkSubscribeResult,
  SchemaError,
  type SubscribeResult,
} from "../schemas/index.js";
import { StratumCode, StratumError } from "./errors.js";
import { LineReader } from "./framing.js";
import type { NonceRange } from "./ranges.js";

/** A job as a miner gets it: mining.notify's params, with the share target in force when it came. */
export interface RemoteJob {
  id: string;
  header: string;
  height: number;
  blockTarget: bigint;
  shareTarget: bigint;
  clean: boolean;
}

/** What a node sent that is not Stratum as this client speaks it: the connection is dropped. */
export class StratumProtocolError extends Error {
  override readonly name = "StratumProtocolError";
}

/** The node refused to let this miner mine (a wrong or missing token): no retry will help. */
export class StratumAuthorizationError extends Error {
  override readonly name = "StratumAuthorizationError";
}

interface Pending {
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
}

export interface StratumClientEvents {
  job(job: RemoteJob): void;
  /** The connection ended (the node went away, or a protocol error): `error` says why. */
  closed(error: Error): void;
}

/**
 * The miner's side of a Stratum session: one TCP connection, requests with
 * ids matched to their answers, and the node's notifications: set_target
 * holds for the jobs notified after it, as the node judges them.
 */
export class StratumClient {
  readonly #socket: Socket;
  readonly #reader = new LineReader();
  readonly #pending = new Map<number, Pending>();
  readonly #events: StratumClientEvents;
  #nextId = 1;
  #shareTarget: bigint | undefined;
  #closed = false;

  private constructor(socket: Socket, events: StratumClientEvents) {
    this.#socket = socket;
    this.#events = events;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#data(chunk));
    socket.on("error", (error) => this.#close(error));
    socket.on("close", () => this.#close(new Error("the node closed the connection")));
  }

  /** Connects, subscribes and authorizes as `name`; resolves with the session's nonce range. */
  static async open(
    host: string,
    port: number,
    agent: string,
    name: string,
    token: string,
    events: StratumClientEvents,
  ): Promise<{ client: StratumClient; session: string; range: NonceRange }> {
    const socket = connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const client = new StratumClient(socket, events);
    try {
      const subscribed: SubscribeResult = checkSubscribeResult(await client.#request("mining.subscribe", [agent]));
      const [start, end] = subscribed.nonce_range;
      if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start <= end)) {
        throw new StratumProtocolError(`the node gave a nonce range that is none: ${start} to ${end}`);
      }
      try {
        if ((await client.#request("mining.authorize", [name, token])) !== true) {
          throw new StratumAuthorizationError(`the node did not authorize ${name}`);
        }
      } catch (error) {
        if (error instanceof StratumError) throw new StratumAuthorizationError(error.message);
        throw error;
      }
      return { client, session: subscribed.session, range: { start, end } };
    } catch (error) {
      client.close();
      if (error instanceof SchemaError) throw new StratumProtocolError(`mining.subscribe's answer: ${error.message}`);
      throw error;
    }
  }

  /** Sends a share; resolves true when accepted, or rejects with the node's StratumError. */
  async submit(name: string, jobId: string, nonce: number): Promise<true> {
    await this.#request("mining.submit", [name, jobId, nonce]);
    return true;
  }

  close(): void {
    this.#socket.destroy();
  }

  #request(method: string, params: unknown[]): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error("the connection to the node is closed"));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#socket.write(`${JSON.stringify({ id, method, params })}\n`);
    });
  }

  #data(chunk: Buffer): void {
    try {
      for (const line of this.#reader.feed(chunk)) this.#message(JSON.parse(line) as unknown);
    } catch (error) {
      this.#close(
        error instanceof StratumProtocolError
          ? error
          : new StratumProtocolError(`the node sent what is not Stratum: ${(error as Error).message}`),
      );
      this.#socket.destroy();
    }
  }

  #message(message: unknown): void {
    if (typeof message !== "object" || message === null)
      throw new StratumProtocolError("a message that is not an object");
    const { id, method, params, result, error } = message as Record<string, unknown>;
    if (typeof method === "string") {
      this.#notification(method, params);
      return;
    }
    const pending = typeof id === "number" ? this.#pending.get(id) : undefined;
    if (pending === undefined)
      throw new StratumProtocolError(`an answer to no request of ours (id ${JSON.stringify(id)})`);
    this.#pending.delete(id as number);
    if (error === null || error === undefined) {
      pending.resolve(result);
      return;
    }
    const [code, text] = Array.isArray(error) ? error : [];
    pending.reject(new StratumError(stratumCode(code), String(text ?? "refused")));
  }

  #notification(method: string, params: unknown): void {
    try {
      if (method === "mining.set_target") {
        const [target] = checkSetTargetParams(params);
        this.#shareTarget = BigInt(`0x${target}`);
      } else if (method === "mining.notify") {
        const [id, header, height, blockTarget, clean] = checkNotifyParams(params);
        if (this.#shareTarget === undefined)
          throw new StratumProtocolError("mining.notify before any mining.set_target");
        this.#events.job({
          id,
          header,
          height,
          blockTarget: BigInt(`0x${blockTarget}`),
          shareTarget: this.#shareTarget,
          clean,
        });
      }
    } catch (error) {
      if (error instanceof SchemaError) throw new StratumProtocolError(`${method}: ${error.message}`);
      throw error;
    }
  }

  #close(error: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    this.#events.closed(error);
  }
}

const CODES: ReadonlySet<unknown> = new Set(Object.values(StratumCode));

/** An error code as the node sent it, or 20 (other) for one Stratum does not have. */
const stratumCode = (code: unknown): StratumCode => (CODES.has(code) ? (code as StratumCode) : StratumCode.OTHER);
