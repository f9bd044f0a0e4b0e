import t from "tap";
import { type Block, chainProblem, hashOf } from "./helpers/chain-check.js";
import { allSame, chainOf, gossipOf, pollTips, registerRing, type Tip } from "./helpers/gossip.js";
import { type NodeProcess, startNode } from "./helpers/node-process.js";

/**
 * Three nodes that mine by themselves (--mine --gossip) make one chain: each
 * announces the blocks it forges as a /mine's, the others adopt them and
 * restart their jobs on the new tip, and at a moment when no block is in
 * flight all three report the same tip, a chain with blocks of more than one
 * of them.
 */

/** About 16M hashes a block: a few tenths of a second for the three nodes on two cores, so blocks do not all cross. */
const DIFFICULTY = 24;
const FLAGS = ["--mine", "--gossip", "--threads", "1", "--difficulty", String(DIFFICULTY), "--peer-timeout", "2000"];
const BLOCKS = 8;
/** A guard, not a speed bound: a loaded machine mines slowly. */
const BOUND_MS = 150_000;

interface BlockEvent {
  index: number;
  hash: string;
  miner: string | null;
  origin: string;
}

/** The first `block` event of `origin` on the node's /events stream. */
async function firstBlockEvent(node: NodeProcess, origin: string, signal: AbortSignal): Promise<BlockEvent> {
  const response = await fetch(`${node.url}/events`, { headers: { accept: "text/event-stream" }, signal });
  const reader = (response.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the event stream of ${node.url} ended without a block event`);
    text += value;
    for (const frame of text.split("\n\n")) {
      if (!frame.includes("event: block")) continue;
      const data = frame.split("\n").find((line) => line.startsWith("data: "));
      if (data === undefined) continue;
      const event = JSON.parse(data.slice("data: ".length)) as BlockEvent;
      if (event.origin === origin) {
        await reader.cancel();
        return event;
      }
    }
  }
}

t.test("three --mine --gossip nodes converge on one chain", async (t) => {
  const nodes = await Promise.all([1, 2, 3].map(() => startNode(FLAGS, { t, timeoutMs: 60_000 })));
  const streams = new AbortController();
  t.teardown(() => streams.abort());
  const announced = firstBlockEvent(nodes[0] as NodeProcess, "mined", streams.signal);
  await registerRing(nodes);

  // The tip they agree on, and the chain that ends there: read again in the rare case a reorganisation came between.
  let tips: Tip[] = [];
  let agreed: Block[] = [];
  for (
    let attempt = 1;
    attempt <= 5 && (agreed.length === 0 || hashOf(agreed.at(-1) as Block) !== tips[0]?.hash);
    attempt++
  ) {
    const polled = await pollTips(nodes, (tips) => allSame(tips) && (tips[0]?.length ?? 0) >= BLOCKS, {
      boundMs: BOUND_MS,
      everyMs: 50,
    });
    t.ok(
      polled.ms !== undefined,
      `all three report the same tip at ${polled.tips[0]?.length} blocks: ${JSON.stringify(polled.tips)}`,
    );
    tips = polled.tips;
    agreed = (await chainOf(nodes[0] as NodeProcess)).slice(0, tips[0]?.length);
  }
  t.equal(hashOf(agreed.at(-1) as Block), tips[0]?.hash, "the chain read holds the tip they agreed on");
  t.equal(chainProblem(agreed, DIFFICULTY), null, "the chain is valid");
  const miners = new Set(agreed.slice(1).map((block) => block.transactions.at(-1)?.recipient));
  t.ok(miners.size >= 2, `its blocks were forged by ${miners.size} of the nodes: they build on each other's blocks`);
  for (const miner of miners)
    t.ok(
      nodes.some((node) => node.nodeId === miner),
      `${miner} is one of the three`,
    );

  const stats = await Promise.all(nodes.map(gossipOf));
  for (const [i, each] of stats.entries()) {
    t.ok(each.announcements_sent > 0, `node ${i + 1} announced the blocks it forged (${each.announcements_sent})`);
  }
  t.ok(
    stats.some((each) => each.syncs_adopted > 0),
    "and the others adopted them by gossip",
  );
  const event = await announced;
  t.match(
    event,
    { origin: "mined", miner: nodes[0]?.nodeId },
    "a block forged by --mine is a block event with origin mined, as /mine's",
  );
  for (const node of nodes) {
    t.same(
      node.logs.filter((line) => line.level >= 50),
      [],
      `${node.url} logged no error`,
    );
  }
});
