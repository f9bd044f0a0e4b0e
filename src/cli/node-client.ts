import type { SignedTransaction } from "../keys/index.js";
import {
  type AccountBody,
  type Check,
  checkAccountAnswer,
  checkStatsChain,
  checkTransactionAdded,
  checkTransactionStatus,
  SchemaError,
  type StatsChainBody,
  type TransactionAddedBody,
  type TransactionConfirmedBody,
  type TransactionPendingBody,
} from "../schemas/index.js";

/** How long the node has for each answer: a node answers these from memory and its store in milliseconds. */
const TIMEOUT_MS = 15_000;

/** The node could not be asked: nothing listens there, the name does not resolve, or it did not answer in time. */
export class NodeUnreachableError extends Error {
  override readonly name = "NodeUnreachableError";
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`cannot reach the node at ${url}: ${reason}`);
  }
}

/**
 * The node answered, but not with what was asked for: a refusal (a 4xx or
 * 5xx, whose message it carries), or an answer that is not the API's (not
 * JSON, or not of its schema: is a toychain node at that address?).
 */
export class NodeAnswerError extends Error {
  override readonly name = "NodeAnswerError";
  constructor(
    readonly url: string,
    /** The HTTP status. */
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Why a request failed before an answer came, for people. */
function failure(error: unknown): string {
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return `it did not answer within ${TIMEOUT_MS / 1000} s`;
  }
  const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
  if (cause?.code === "ECONNREFUSED") return "nothing listens there (connection refused)";
  if (cause?.code === "ENOTFOUND") return "its host name does not resolve";
  return cause?.message ?? (error as Error).message;
}

/**
 * The few requests the wallet makes of a node's API (see the README's API),
 * each answer checked against the schema the node's own docs test holds it
 * to. Every failure is a NodeUnreachableError or a NodeAnswerError whose
 * message is one line.
 */
export class NodeClient {
  /** `url`: the node's http(s)://host:port. */
  constructor(readonly url: string) {}

  /** GET /stats' chain: its id (what a transfer is signed for), ledger and address prefix. */
  async chain(): Promise<StatsChainBody["chain"]> {
    return (await this.#ask("GET", "/stats", checkStatsChain)).chain;
  }

  /** GET /accounts/{address}. */
  account(address: string): Promise<AccountBody> {
    return this.#ask("GET", `/accounts/${address}`, checkAccountAnswer);
  }

  /** POST /transactions/new. */
  send(transfer: SignedTransaction): Promise<TransactionAddedBody> {
    return this.#ask("POST", "/transactions/new", checkTransactionAdded, transfer);
  }

  /** GET /transactions/{id}: pending or confirmed (an unknown id is a NodeAnswerError, 404). */
  transaction(id: string): Promise<TransactionPendingBody | TransactionConfirmedBody> {
    return this.#ask("GET", `/transactions/${id}`, checkTransactionStatus);
  }

  async #ask<T>(method: "GET" | "POST", path: string, check: Check<T>, body?: unknown): Promise<T> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        redirect: "error",
        signal: AbortSignal.timeout(TIMEOUT_MS),
        ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
      });
      text = await response.text();
    } catch (error) {
      throw new NodeUnreachableError(this.url, failure(error));
    }
    const said = `the node at ${this.url} answered ${method} ${path.split("?")[0]} with ${response.status}`;
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      throw new NodeAnswerError(this.url, response.status, `${said}, not JSON: is it a toychain node?`);
    }
    if (!response.ok) {
      const message = typeof answer === "object" && answer !== null ? (answer as { message?: unknown }).message : text;
      throw new NodeAnswerError(this.url, response.status, `${said}: ${String(message).replaceAll("\n", " ")}`);
    }
    try {
      return check(answer);
    } catch (error) {
      if (!(error instanceof SchemaError)) throw error;
      throw new NodeAnswerError(this.url, response.status, `${said}, not this toychain's answer: ${error.message}`);
    }
  }
}
