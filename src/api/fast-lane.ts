import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import coBody from "co-body";
import type { Transaction } from "../chain/index.js";
import type { Logger } from "../log.js";
import type { Check } from "../schemas/index.js";
import type { RecordRequest } from "./access-log.js";
import type { ChainAnswers } from "./chain-body.js";
import { errorAnswer } from "./errors.js";
import { BODY_LIMIT, checkedBody, transactionAdded } from "./routes.js";

/** What Koa sends with a JSON body (its `ctx.type = "application/json"`, or an object body), so that both lanes answer alike. */
const JSON_TYPE = "application/json; charset=utf-8";
const TRANSACTIONS = "/transactions/new";
/**
 * The Content-Type headers with which POST /transactions/new takes the lane:
 * application/json as clients write it. For these, Koa's body parser reads
 * the body as JSON and the route's `ctx.is("application/json")` holds; any
 * other type, however written, goes to Koa, which answers it as before.
 */
const PLAIN_JSON = new Set(["application/json", "application/json; charset=utf-8"]);

/** What the lanes answer from. */
export interface Lanes {
  /** GET /chain's answer, while it is kept in memory. */
  answers: ChainAnswers;
  /** What a posted transaction is checked with (postedTransactionCheck: the chain's ledger decides). */
  check: Check<Transaction>;
  /** Queues a checked transaction durably; resolves to the index of the block meant to hold it, and a transfer's id (ToyNode.addTransaction). */
  addTransaction(tx: Transaction): Promise<{ index: number; id?: string }>;
  /** Where a failed request's error goes, as Koa's errorHandler logs it. */
  log: Logger;
}

/**
 * Answers the node's two most frequent requests before Koa, whose context,
 * middleware and routing are a large part of what they cost; each is
 * recorded as Koa's answers are (access-log.ts), under the same route, and
 * every other request goes to `next` (Koa).
 *
 * GET /chain, while its answer is in memory: ChainAnswers keeps the whole
 * chain (up to WHOLE_ANSWER_BYTES) while it is the durable tip's. Such an
 * answer can neither fail nor depend on anything but the tip. Under
 * `wrk -t2 -c50` on two cores, Koa halved the node's rate and doubled its
 * latency (bench:api measures this lane). Koa answers the first after a new
 * tip, which its route reads and keeps, a chain too long to keep, a query,
 * HEAD.
 *
 * POST /transactions/new, with a Content-Length and a plain JSON type
 * (PLAIN_JSON): the body is read by co-body's JSON reader with the options
 * koa-bodyparser gives it, checked and added by the functions Koa's route
 * calls (routes.ts), and every failure answered through Koa's errorHandler's
 * errorAnswer: the same statuses, messages and headers, and nothing sent once
 * the client has gone, as Koa's respond does. Koa took about a third of such
 * a request's main-thread time, the durable write included (bench:ledger
 * measures this lane; README, Benchmarks).
 */
export function fastLane(lanes: Lanes, record: RecordRequest, next: RequestListener): RequestListener {
  return (req, res) => {
    const started = performance.now();
    if (req.method === "POST" && req.url === TRANSACTIONS && isPlainJson(req)) {
      void postTransaction(lanes, req, res).then((status) =>
        record({ method: "POST", route: TRANSACTIONS, path: TRANSACTIONS, status, ms: performance.now() - started }),
      );
      return;
    }
    const body = req.method === "GET" && req.url === "/chain" ? lanes.answers.chainAnswer() : undefined;
    if (body === undefined) {
      next(req, res);
      return;
    }
    res.writeHead(200, { "Content-Type": JSON_TYPE, "Content-Length": body.length });
    res.end(body);
    record({ method: "GET", route: "/chain", path: "/chain", status: 200, ms: performance.now() - started });
  };
}

/** A body Koa's parser would read as JSON, and that type-is sees (a Content-Length: chunked bodies go to Koa). */
const isPlainJson = (req: IncomingMessage): boolean =>
  req.headers["content-length"] !== undefined && PLAIN_JSON.has(req.headers["content-type"] ?? "");

/** Answers POST /transactions/new as Koa's route would; resolves to the status answered. */
async function postTransaction(lanes: Lanes, req: IncomingMessage, res: ServerResponse): Promise<number> {
  try {
    const { parsed, raw } = (await coBody.json(req, { limit: BODY_LIMIT, strict: true, returnRawBody: true })) as {
      parsed: unknown;
      raw: string;
    };
    const added = await lanes.addTransaction(checkedBody(parsed, raw, lanes.check));
    send(res, 200, transactionAdded(added));
    return 200;
  } catch (error) {
    const { status, body, headers } = errorAnswer(error, lanes.log, "POST", TRANSACTIONS);
    send(res, status, body, headers);
    return status;
  }
}

/** Sends `body` as JSON, unless the answer can no longer be written (Koa's `ctx.writable`). */
function send(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  if (res.writableEnded || (res.socket !== null && !res.socket.writable)) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, "Content-Type": JSON_TYPE, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}
