import type { ToyNode } from "../../src/node.js";
import type { Peer } from "../../src/peers/index.js";
import type { BlockRef, TipBody } from "../../src/schemas/index.js";
import type { SyncNetwork } from "../../src/sync/index.js";

/**
 * Range sync's network, in process: each peer (by id, host:port) is a ToyNode,
 * answering as its API would. `calls` lists the requests, as "tip 127.0.0.1:5009"
 * or "page from 2 127.0.0.1:5009".
 */
export class NodeNetwork implements SyncNetwork {
  readonly calls: string[] = [];
  constructor(private readonly nodes: Readonly<Record<string, ToyNode>>) {}

  #node(peer: Peer, what: string): ToyNode {
    this.calls.push(`${what} ${peer.id}`);
    const node = this.nodes[peer.id];
    if (node === undefined) throw new Error(`no node for ${peer.id}`);
    return node;
  }

  async tip(peer: Peer): Promise<TipBody> {
    return this.#node(peer, "tip").durableTip;
  }

  locate(peer: Peer, locator: readonly BlockRef[]): Promise<BlockRef> {
    return this.#node(peer, "locate").locate(locator);
  }

  async page(peer: Peer, from: number, limit: number): Promise<Uint8Array> {
    const view = await this.#node(peer, `page from ${from}`).view();
    const blocks: Buffer[] = [];
    try {
      for await (const batch of view.encoded(from, Math.min(view.length, from + limit - 1))) blocks.push(...batch);
    } finally {
      await view.close();
    }
    return Buffer.from(`{"chain":[${blocks.join(",")}],"length":${view.length}}`);
  }
}
