import type { Block } from "../../src/chain/index.js";
import type { ToyNode } from "../../src/node.js";

/** Every block of the node's durable chain, read from its store. */
export async function readChain(node: ToyNode): Promise<Block[]> {
  const view = await node.view();
  try {
    const blocks: Block[] = [];
    for await (const batch of view.blocks(1, view.length)) blocks.push(...batch);
    return blocks;
  } finally {
    await view.close();
  }
}
