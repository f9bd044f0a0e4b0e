import type { Middleware } from "koa";
import { BUILD_COMMAND } from "../assets.js";
import { NoCommonBlockError, UnknownBlockError } from "../chain/index.js";
import { ForeignAnnouncerError, InvalidAnnouncerError } from "../gossip/index.js";
import { AddressError, TransactionError } from "../keys/index.js";
import { LedgerMovedError, NoAccountsError, UnknownTransactionError } from "../ledger/index.js";
import type { Logger } from "../log.js";
import {
  InsufficientFundsError,
  MempoolFullError,
  PoolFullError,
  ReservedSenderError,
  TransferRefusedError,
} from "../mempool/index.js";
import { MinerStoppedError } from "../mining/index.js";
import { InvalidPeerAddressError, TooManyPeersError } from "../peers/index.js";
import { type ErrorBody, SchemaError, type TransactionUnknownBody } from "../schemas/index.js";
import { SignatureCheckError, SignaturePoolClosedError } from "../signatures/index.js";
import { DamagedStoreError, StoreClosedError, StoreFailedError } from "../storage/index.js";
import { ResolveStoppedError } from "../sync/index.js";

/** No route has this path. */
export class RouteNotFoundError extends Error {
  override readonly name = "RouteNotFoundError";
  constructor(method: string, path: string) {
    super(`No endpoint at ${method} ${path}; see /docs for the list`);
  }
}

/** A documentation page, or a file of one, whose generated files were missing when the node started. */
export class DocsNotBuiltError extends Error {
  override readonly name = "DocsNotBuiltError";
  constructor(readonly files: readonly string[]) {
    super(
      `The documentation pages are not built: ${files.join(", ")} ${files.length === 1 ? "was" : "were"} missing ` +
        `when this node started (its log names the path). Run "${BUILD_COMMAND}", then restart the node.`,
    );
  }
}

/** The path exists, but not for this method. */
export class MethodNotAllowedError extends Error {
  override readonly name = "MethodNotAllowedError";
  constructor(
    method: string,
    path: string,
    readonly allowed: string[],
  ) {
    super(`Method ${method} is not allowed on ${path}; use ${allowed.join(" or ")}`);
  }
}

/** A request body that is not JSON. */
export class UnsupportedMediaTypeError extends Error {
  override readonly name = "UnsupportedMediaTypeError";
  constructor(type: string) {
    super(`Send the body as JSON with "Content-Type: application/json" (got ${type ? `"${type}"` : "none"})`);
  }
}

/** A guarded route called without the node's API token, or with a wrong one. */
export class UnauthorizedError extends Error {
  override readonly name = "UnauthorizedError";
  constructor(
    message: string,
    readonly problem: "missing" | "malformed" | "wrong",
  ) {
    super(message);
  }
}

/** GET /events while MAX_STREAMS streams are open. */
export class TooManyStreamsError extends Error {
  override readonly name = "TooManyStreamsError";
  constructor(readonly limit: number) {
    super(`The node already serves ${limit} event streams, as many as it keeps open; retry later`);
  }
}

/** GET /events once the node has begun stopping. */
export class EventStreamsClosedError extends Error {
  override readonly name = "EventStreamsClosedError";
  constructor() {
    super("The node is shutting down; it opens no event stream");
  }
}

/** The explorer page's files were not built, or were deleted before the node started. */
export class ExplorerNotBuiltError extends Error {
  override readonly name = "ExplorerNotBuiltError";
  constructor(readonly missing: readonly string[]) {
    super(
      `The explorer page is not built: ${missing.join(", ")} ${missing.length === 1 ? "was" : "were"} missing ` +
        `when this node started (its log names the path). Run "${BUILD_COMMAND}", then restart the node.`,
    );
  }
}

/** What an error answers: its status, JSON body and extra headers. */
export interface ErrorAnswer {
  status: number;
  body: ErrorBody | TransactionUnknownBody;
  headers?: Record<string, string>;
}

/** Errors that body parsing (raw-body, co-body) raises carry an HTTP status and a type. */
interface ParserError {
  status: number;
  type?: string;
  message: string;
  limit?: number;
}

function isParserError(error: unknown): error is ParserError {
  return error instanceof Error && typeof (error as Partial<ParserError>).status === "number";
}

/** zlib's errors (a corrupt gzip, deflate or br body) carry a Z_ or ERR__ code and no status. */
function isZlibError(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown }).code;
  return error instanceof Error && typeof code === "string" && /^(Z_|ERR__)/.test(code);
}

/** The one place where errors become HTTP answers. */
function toAnswer(error: unknown): ErrorAnswer {
  if (error instanceof SchemaError) return { status: 400, body: { message: error.message, errors: error.errors } };
  if (error instanceof ReservedSenderError) {
    return { status: 400, body: { message: error.message, errors: [{ field: "sender", message: error.message }] } };
  }
  if (error instanceof InvalidPeerAddressError) {
    const errors = [{ field: `nodes.${error.position}`, message: error.reason }];
    return { status: 400, body: { message: error.message, errors } };
  }
  if (error instanceof InvalidAnnouncerError) {
    return { status: 400, body: { message: error.message, errors: [{ field: "url", message: error.reason }] } };
  }
  if (error instanceof UnauthorizedError) {
    const challenge = error.problem === "missing" ? "" : ', error="invalid_token"';
    return {
      status: 401,
      body: { message: error.message },
      headers: { "WWW-Authenticate": `Bearer realm="toychain"${challenge}` },
    };
  }
  if (error instanceof TooManyPeersError || error instanceof ForeignAnnouncerError) {
    return { status: 409, body: { message: error.message } };
  }
  if (error instanceof MempoolFullError || error instanceof PoolFullError) {
    return { status: 429, body: { message: error.message } };
  }
  if (error instanceof AddressError || error instanceof TransactionError) {
    return { status: 400, body: { message: error.message, errors: [{ field: error.field, message: error.message }] } };
  }
  if (error instanceof UnknownTransactionError) {
    return { status: 404, body: { id: error.id, status: "unknown", message: error.message } };
  }
  if (error instanceof NoAccountsError) return { status: 404, body: { message: error.message } };
  if (error instanceof LedgerMovedError) return { status: 503, body: { message: error.message } };
  if (error instanceof InsufficientFundsError) return { status: 422, body: { message: error.message } };
  if (error instanceof TransferRefusedError) return { status: 409, body: { message: error.message } };
  if (
    error instanceof MinerStoppedError ||
    error instanceof ResolveStoppedError ||
    error instanceof StoreFailedError ||
    error instanceof StoreClosedError ||
    error instanceof SignaturePoolClosedError ||
    error instanceof DocsNotBuiltError ||
    error instanceof ExplorerNotBuiltError ||
    error instanceof TooManyStreamsError ||
    error instanceof EventStreamsClosedError
  ) {
    return { status: 503, body: { message: error.message } };
  }
  if (error instanceof DamagedStoreError) return { status: 500, body: { message: error.message } };
  // The node's fault, not the signer's, and not a state it announces (503): logged below, with its cause.
  if (error instanceof SignatureCheckError) {
    return {
      status: 500,
      body: { message: "Internal error: the node could not check the signature, and did not take the transfer; retry" },
    };
  }
  if (error instanceof UnsupportedMediaTypeError) return { status: 415, body: { message: error.message } };
  if (
    error instanceof RouteNotFoundError ||
    error instanceof NoCommonBlockError ||
    error instanceof UnknownBlockError
  ) {
    return { status: 404, body: { message: error.message } };
  }
  if (error instanceof MethodNotAllowedError) {
    return { status: 405, body: { message: error.message }, headers: { Allow: error.allowed.join(", ") } };
  }
  if (isZlibError(error)) {
    return { status: 400, body: { message: `The body could not be decompressed: ${error.message}` } };
  }
  if (isParserError(error) && error.status >= 400 && error.status < 500) {
    if (error.type === "entity.too.large") {
      return { status: 413, body: { message: `The request body is larger than the limit of ${error.limit} bytes` } };
    }
    if (error instanceof SyntaxError)
      return { status: 400, body: { message: `Malformed JSON body: ${error.message}` } };
    return { status: error.status, body: { message: error.message } };
  }
  return { status: 500, body: { message: "Internal error: the node logged the details" } };
}

/**
 * The answer to a request that failed with `error`; what was not the
 * client's fault is logged. Koa's errorHandler and the fast lane's
 * POST /transactions/new (fast-lane.ts) both answer through it.
 */
export function errorAnswer(error: unknown, log: Logger, method: string, path: string): ErrorAnswer {
  const answer = toAnswer(error);
  // A 503 is the node stopping or refusing changes, which is logged where it happens.
  if (answer.status >= 500 && answer.status !== 503) log.error({ err: error, method, path }, "request failed");
  return answer;
}

/** Catches every error below it, answers JSON with a message, and logs what was not the client's fault. */
export function errorHandler(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const answer = errorAnswer(error, log, ctx.method, ctx.path);
      ctx.status = answer.status;
      ctx.body = answer.body;
      if (answer.headers) ctx.set(answer.headers);
    }
  };
}
