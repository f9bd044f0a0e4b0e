import type { RequestListener } from "node:http";
import type { RecordRequest } from "./access-log.js";
import type { ChainAnswers } from "./chain-body.js";

/** What Koa sends with GET /chain's answer (its `ctx.type = "application/json"`), so that both lanes answer alike. */
const CHAIN_TYPE = "application/json; charset=utf-8";

/**
 * Answers GET /chain, the request a node gets most, before Koa while its
 * answer is in memory: ChainAnswers keeps the whole chain (up to
 * WHOLE_ANSWER_BYTES) while it is the durable tip's. Such an answer can
 * neither fail nor depend on anything but the tip, so it needs none of
 * Koa's context, middleware or routing, which cost more than the rest of
 * the request: under `wrk -t2 -c50` on two cores they halve the node's
 * rate and double its latency (bench:api measures this lane). It is
 * recorded as Koa's answers are (access-log.ts), under the same route.
 *
 * Every other request goes to `next` (Koa), and so does GET /chain when
 * its answer is not in memory: the first after a new tip, which Koa's
 * route reads and keeps, a chain too long to keep, a query, HEAD.
 */
export function fastLane(answers: ChainAnswers, record: RecordRequest, next: RequestListener): RequestListener {
  return (req, res) => {
    const started = performance.now();
    const body = req.method === "GET" && req.url === "/chain" ? answers.chainAnswer() : undefined;
    if (body === undefined) {
      next(req, res);
      return;
    }
    res.writeHead(200, { "Content-Type": CHAIN_TYPE, "Content-Length": body.length });
    res.end(body);
    record({ method: "GET", route: "/chain", path: "/chain", status: 200, ms: performance.now() - started });
  };
}
