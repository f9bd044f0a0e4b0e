import type { RequestListener } from "node:http";
import type Router from "@koa/router";
import Koa, { type Middleware } from "koa";
import bodyParser from "koa-bodyparser";
import type { Transaction } from "../chain/index.js";
import type { Logger } from "../log.js";
import type { ToyNode } from "../node.js";
import { accessLog, requestRecorder } from "./access-log.js";
import { GUARDED_PATHS } from "./auth.js";
import { ChainAnswers } from "./chain-body.js";
import { type DocsAssets, mountDocs } from "./docs.js";
import { errorHandler, MethodNotAllowedError, RouteNotFoundError } from "./errors.js";
import { EventStreams } from "./events.js";
import { type ExplorerAssets, mountExplorer } from "./explorer.js";
import { fastLane } from "./fast-lane.js";
import { allowedMethods, BODY_LIMIT, postedTransactionCheck, routes } from "./routes.js";

/** Errors that only mean the client closed its connection early. */
const CLIENT_GONE = new Set([
  "ECONNRESET",
  "EPIPE",
  "ECONNABORTED",
  "ERR_STREAM_PREMATURE_CLOSE",
  "ERR_STREAM_DESTROYED",
]);

/** Runs when no route answered: 404 for an unknown path, 405 (with Allow) for a wrong method. */
function unmatched(router: Router): Middleware {
  return (ctx) => {
    const allowed = allowedMethods(router, ctx.path);
    if (allowed.length === 0) throw new RouteNotFoundError(ctx.method, ctx.path);
    if (ctx.method === "OPTIONS") {
      ctx.status = 204;
      ctx.set("Allow", allowed.join(", "));
      return;
    }
    throw new MethodNotAllowedError(ctx.method, ctx.path, allowed);
  };
}

export interface AppOptions {
  /** See requireToken. */
  apiToken?: string | undefined;
  /** The documentation pages' files, read at start (loadDocsAssets). */
  docsAssets: DocsAssets;
  /** The explorer page's files, read at start (loadExplorerAssets). */
  explorerAssets: ExplorerAssets;
}

/** The node's HTTP API: GET /chain and POST /transactions/new before Koa when they can (fast-lane.ts), else Koa. */
export function createApp(
  node: ToyNode,
  log: Logger,
  { apiToken, docsAssets, explorerAssets }: AppOptions,
): RequestListener {
  // The streams end when the node stops (its event bus closes), so that no stream holds the shutdown.
  const streams = new EventStreams(node.events, log.child({ component: "events" }), node.metrics.registry);
  const answers = new ChainAnswers(node);
  const record = requestRecorder(log, node.metrics);
  const router = routes(node, { apiToken, answers, streams, explorer: explorerAssets });
  mountDocs(router, apiToken === undefined ? [] : GUARDED_PATHS, docsAssets);
  mountExplorer(router, explorerAssets);
  const app = new Koa();
  // What Koa meets after an answer has begun (a stream cut short) is logged here, not on stderr.
  app.on("error", (error: NodeJS.ErrnoException, ctx?: { method: string; path: string }) => {
    const where = { method: ctx?.method, path: ctx?.path };
    if (CLIENT_GONE.has(error.code ?? ""))
      log.debug({ ...where, code: error.code }, "the client left before the answer ended");
    else log.error({ ...where, err: error }, "the answer failed after it began");
  });
  app.use(accessLog(record));
  app.use(errorHandler(log));
  app.use(bodyParser({ enableTypes: ["json"], jsonLimit: BODY_LIMIT, strict: true }));
  app.use(router.routes());
  app.use(unmatched(router));
  const lanes = {
    answers,
    check: postedTransactionCheck(node),
    addTransaction: (tx: Transaction) => node.addTransaction(tx),
    log,
  };
  return fastLane(lanes, record, app.callback());
}
