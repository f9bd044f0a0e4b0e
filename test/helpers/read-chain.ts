import type { Block } from "../../src/chain/index.js";
import type { ChainView } from "../../src/storage/index.js";

/** Every block of a durable chain (a ToyNode's or a Store's), read through a view. */
export async function readChain(source: { view(): Promise<ChainView> }): Promise<Block[]> {
  const view = await source.view();
  try {
    const blocks: Block[] = [];
    for await (const batch of view.blocks(1, view.length)) blocks.push(...batch);
    return blocks;
  } finally {
    await view.close();
  }
}
