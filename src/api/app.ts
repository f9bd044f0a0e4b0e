import type Router from "@koa/router";
import Koa, { type Middleware } from "koa";
import bodyParser from "koa-bodyparser";
import type { Logger } from "../log.js";
import type { ToyNode } from "../node.js";
import { errorHandler, MethodNotAllowedError, RouteNotFoundError } from "./errors.js";
import { routes } from "./routes.js";

export const BODY_LIMIT = "1mb";

/** Logs every request once it is answered. */
function accessLog(log: Logger): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    await next();
    const ms = Number((performance.now() - started).toFixed(2));
    log.info({ method: ctx.method, path: ctx.path, status: ctx.status, ms }, "request");
  };
}

/** Runs when no route answered: 404 for an unknown path, 405 (with Allow) for a wrong method. */
function unmatched(router: Router): Middleware {
  return (ctx) => {
    const allowed = new Set(router.match(ctx.path, ctx.method).path.flatMap((layer) => layer.methods));
    if (allowed.size === 0) throw new RouteNotFoundError(ctx.method, ctx.path);
    if (ctx.method === "OPTIONS") {
      ctx.status = 204;
      ctx.set("Allow", [...allowed].join(", "));
      return;
    }
    throw new MethodNotAllowedError(ctx.method, ctx.path, [...allowed]);
  };
}

export function createApp(node: ToyNode, log: Logger): Koa {
  const router = routes(node);
  const app = new Koa();
  app.use(accessLog(log));
  app.use(errorHandler(log));
  app.use(bodyParser({ enableTypes: ["json"], jsonLimit: BODY_LIMIT, strict: true }));
  app.use(router.routes());
  app.use(unmatched(router));
  return app;
}
