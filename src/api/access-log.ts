import type { Middleware } from "koa";
import type { Logger } from "../log.js";
import type { NodeMetrics } from "../metrics/index.js";

/** One answered request: what /metrics counts and the log tells. `route` is the route it matched. */
export interface AnsweredRequest {
  method: string;
  route: string;
  path: string;
  status: number;
  ms: number;
}

/**
 * Measures an answered request and logs it: failures at info (client
 * errors), warn (503: the node is stopping) or error level, successes at
 * debug, since the events they cause (block forged, chain replaced, nodes
 * registered) have their own info lines.
 */
export type RecordRequest = (request: AnsweredRequest) => void;

export function requestRecorder(log: Logger, metrics: NodeMetrics): RecordRequest {
  return ({ method, route, path, status, ms }) => {
    metrics.request(method, route, status, ms / 1000);
    const level = status === 503 ? "warn" : status >= 500 ? "error" : status >= 400 ? "info" : "debug";
    if (!log.isLevelEnabled(level)) return;
    log[level]({ method, path, status, ms: Number(ms.toFixed(2)) }, "request");
  };
}

/** Records every request Koa answers, once answered. */
export function accessLog(record: RecordRequest): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    await next();
    record({
      method: ctx.method,
      route: ctx._matchedRoute?.toString() ?? "unmatched",
      path: ctx.path,
      status: ctx.status,
      ms: performance.now() - started,
    });
  };
}
