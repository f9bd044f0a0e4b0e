import { createHash, timingSafeEqual } from "node:crypto";
import type { Middleware } from "koa";
import { UnauthorizedError } from "./errors.js";

/** The routes that make the node work for whoever calls them: mining, peers, consensus, gossip. */
export const GUARDED_PATHS = ["/mine", "/nodes/register", "/nodes/resolve", "/nodes/announce"] as const;

const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/**
 * Guards a route with the node's API token (`--api-token`): the request must
 * carry `Authorization: Bearer <token>`. Without a token, the route is open.
 * Digests of equal length are compared in constant time.
 */
export function requireToken(token: string | undefined): Middleware {
  if (token === undefined) return (_ctx, next) => next();
  const expected = digest(token);
  return (ctx, next) => {
    const header = ctx.get("authorization");
    if (header === "") {
      throw new UnauthorizedError(
        `${ctx.method} ${ctx.path} needs this node's API token: send "Authorization: Bearer <token>"`,
        "missing",
      );
    }
    const match = /^Bearer +(\S+) *$/i.exec(header);
    if (!match) throw new UnauthorizedError('The Authorization header must read "Bearer <token>"', "malformed");
    if (!timingSafeEqual(digest(match[1] as string), expected)) {
      throw new UnauthorizedError("The API token is wrong", "wrong");
    }
    return next();
  };
}
