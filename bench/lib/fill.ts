import { walkthroughSpec } from "../../src/chain/index.js";
import { createLogger } from "../../src/log.js";
import { DEFAULT_MAX_BLOCK_TRANSACTIONS, ToyNode } from "../../src/node.js";
import { LevelStore } from "../../src/storage/index.js";

/**
 * Fills the store in `dataDir` with `count` unique transactions mined into
 * full blocks, through a ToyNode in this process: the same checks, the same
 * durable writes and the same blocks as over HTTP, without the HTTP (which
 * would take most of an hour for 5 M transactions on two cores).
 */
export async function fillStore(dataDir: string, count: number, difficulty: number): Promise<{ seconds: number }> {
  const started = performance.now();
  const node = await ToyNode.open({
    chain: walkthroughSpec(difficulty),
    threads: 1,
    log: createLogger("warn"),
    store: new LevelStore(dataDir),
  });
  try {
    for (let first = 0; first < count; first += DEFAULT_MAX_BLOCK_TRANSACTIONS) {
      const last = Math.min(count, first + DEFAULT_MAX_BLOCK_TRANSACTIONS);
      const adds = [];
      for (let i = first; i < last; i++)
        adds.push(node.addTransaction({ sender: "Lea", recipient: "Mark", amount: i + 1 }));
      await Promise.all(adds);
      await node.mine();
    }
  } finally {
    await node.close();
  }
  return { seconds: (performance.now() - started) / 1000 };
}
