import { once } from "node:events";
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Block, hashOf } from "./chain-check.js";

/** One step of the sync protocol a peer answers: its tip, the fork point, or a page of blocks. */
export type SyncRequest = "tip" | "locate" | "page";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export const sendJson = (res: ServerResponse, value: unknown, status = 200): void => {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
};

async function bodyOf(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

/** The tip of a walkthrough chain at `difficulty`, as GET /chain/tip answers it. */
export function tipOf(chain: readonly Block[], difficulty: number) {
  const tip = chain[chain.length - 1] as Block;
  const work = BigInt(chain.length) * 2n ** BigInt(difficulty);
  return { length: chain.length, hash: hashOf(tip), work: String(work), chain: hashOf(chain[0] as Block) };
}

/**
 * A handler that serves `chain` as a node does, written from the protocol
 * (GET /chain/tip, POST /chain/locate, GET /chain?from&limit&max_bytes) rather
 * than with src/, so that tests can break any step of it: `override` answers a
 * step instead when it returns true. Its tip claims the work of a walkthrough
 * chain at `difficulty`: 2^difficulty a block, the genesis included.
 */
export function servesChain(
  chain: readonly Block[],
  difficulty: number,
  override: (step: SyncRequest, req: IncomingMessage, res: ServerResponse) => boolean = () => false,
): Handler {
  return (req, res) => {
    const url = new URL(req.url ?? "/", "http://peer");
    const step: SyncRequest | undefined =
      url.pathname === "/chain/tip"
        ? "tip"
        : url.pathname === "/chain/locate"
          ? "locate"
          : url.pathname === "/chain"
            ? "page"
            : undefined;
    if (step === undefined) return sendJson(res, { message: "no such endpoint" }, 404);
    if (override(step, req, res)) return;
    if (step === "tip") return sendJson(res, tipOf(chain, difficulty));
    if (step === "locate") {
      void bodyOf(req).then((body) => {
        const { locator } = body as { locator: { height: number; hash: string }[] };
        const found = locator.find(({ height, hash }) => {
          const block = chain[height - 1];
          return block !== undefined && hashOf(block) === hash;
        });
        if (found) sendJson(res, found);
        else sendJson(res, { message: "None of the locator's blocks is in this node's chain" }, 404);
      });
      return;
    }
    const from = Number(url.searchParams.get("from") ?? 1);
    const limit = Number(url.searchParams.get("limit") ?? chain.length);
    sendJson(res, { chain: chain.slice(from - 1, from - 1 + limit), length: chain.length });
  };
}

/** A plain HTTP server on 127.0.0.1 answering with `listener`; closed, connections and all, at the test's end. */
export async function serve(t: { teardown(fn: () => unknown): void }, listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A plain HTTP server on 127.0.0.1 that lists the requests made to it, as "GET /chain/tip"; closed at the test's end. */
export async function recordingPeer(
  t: { teardown(fn: () => unknown): void },
  handle: Handler,
): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const url = await serve(t, (req, res) => {
    requests.push(`${req.method} ${req.url}`);
    handle(req, res);
  });
  return { url, requests };
}
