import type { IncomingMessage, Server, ServerResponse } from "node:http";

/** A request still being answered when the server stops. */
export interface OpenRequest {
  method: string;
  path: string;
  ms: number;
}

/**
 * The requests a server is answering now. Once `closing()` is called, every
 * answer, those in flight included, says `Connection: close`, so no client
 * sends another request on a connection that is about to go.
 */
export class InFlight {
  readonly #open = new Map<ServerResponse, { req: IncomingMessage; started: number }>();
  #closing = false;

  constructor(server: Server) {
    // Before the app's own listener, so that a request arriving while closing is marked first.
    server.prependListener("request", (req: IncomingMessage, res: ServerResponse) => {
      this.#open.set(res, { req, started: performance.now() });
      if (this.#closing) res.setHeader("Connection", "close");
      res.once("close", () => this.#open.delete(res));
    });
  }

  get size(): number {
    return this.#open.size;
  }

  closing(): void {
    this.#closing = true;
    for (const res of this.#open.keys()) if (!res.headersSent) res.setHeader("Connection", "close");
  }

  /** What is still being answered, for the log: the `limit` oldest. */
  list(limit = 50): OpenRequest[] {
    const now = performance.now();
    return [...this.#open.values()].slice(0, limit).map(({ req, started }) => ({
      method: req.method ?? "",
      path: req.url ?? "",
      ms: Math.round(now - started),
    }));
  }
}
