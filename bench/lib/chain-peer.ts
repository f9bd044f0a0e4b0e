import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Block, blockHash, type ChainSpec, chainWork, targetFromBits } from "../../src/chain/index.js";

/** A peer on 127.0.0.1 serving a chain, and how to stop it. */
export interface ChainPeer {
  url: string;
  close(): Promise<void>;
}

const json = (res: ServerResponse, body: string, status = 200): void => {
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
};

/**
 * A peer that serves `blocks` (each block's JSON, the genesis first) over
 * the sync protocol, from memory and doing as little as it can, so that a
 * node syncing from it measures itself: its tip, the fork point of a
 * locator, and pages of one block each (a page may hold fewer blocks than
 * asked; a block of 10,000 transfers is past a page's 2 MiB anyway).
 */
export async function serveChain(spec: ChainSpec, blocks: readonly Buffer[]): Promise<ChainPeer> {
  const parsed = (height: number): Block => JSON.parse((blocks[height - 1] as Buffer).toString("utf8")) as Block;
  const targets = blocks.map((_, i) => targetFromBits(Number.parseInt(parsed(i + 1).bits as string, 16)));
  const tip = JSON.stringify({
    length: blocks.length,
    hash: blockHash(parsed(blocks.length)),
    work: String(chainWork(targets)),
    chain: spec.id,
  });
  const hashes = new Map<number, string>();
  const hashAt = (height: number): string | undefined => {
    if (height < 1 || height > blocks.length) return undefined;
    if (!hashes.has(height)) hashes.set(height, blockHash(parsed(height)));
    return hashes.get(height);
  };
  const locate = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const { locator } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
      locator: { height: number; hash: string }[];
    };
    const found = locator.find(({ height, hash }) => hashAt(height) === hash);
    if (found) json(res, JSON.stringify(found));
    else json(res, JSON.stringify({ message: "None of the locator's blocks is in this node's chain" }), 404);
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://peer");
    if (url.pathname === "/chain/tip") return json(res, tip);
    if (url.pathname === "/chain/locate") return void locate(req, res);
    if (url.pathname !== "/chain") return json(res, JSON.stringify({ message: "no such endpoint" }), 404);
    const block = blocks[Number(url.searchParams.get("from")) - 1];
    if (block === undefined) return json(res, JSON.stringify({ chain: [], length: blocks.length }));
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"chain":[');
    res.write(block);
    res.end(`],"length":${blocks.length}}`);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
