import { getEventListeners } from "node:events";
import t from "tap";
import { walkthroughSpec } from "../src/chain/index.js";
import { createLogger } from "../src/log.js";
import { ToyNode } from "../src/node.js";
import type { Peer } from "../src/peers/index.js";
import { NodeNetwork } from "./helpers/node-network.js";
import { readChain } from "./helpers/read-chain.js";

/**
 * Memory does not grow per sync: a gossiping node syncs at every block, and
 * resolves run as often as they are asked for, each under a deadline and the
 * node's long-lived stopping signal. Whatever a run attaches to that signal
 * must go when it ends, whether it adopted a chain, failed or found nothing
 * better.
 */

const log = createLogger("silent");
const DIFFICULTY = 4;

/**
 * What stays attached to `signal`: its abort listeners, and the signals that
 * AbortSignal.any made to follow it, which Node keeps in an internal set
 * (kDependantSignals) that Node 20 never shrinks, even once they are
 * collected: the leak this test guards against.
 */
function attached(signal: AbortSignal): number {
  const key = Object.getOwnPropertySymbols(signal).find((symbol) => symbol.description === "kDependantSignals");
  // A set of Node's own making (SafeSet), which is no instance of this realm's Set.
  const dependants = (key === undefined ? undefined : Reflect.get(signal, key)) as { size?: unknown } | undefined;
  const size = dependants?.size;
  return getEventListeners(signal, "abort").length + (typeof size === "number" ? size : 0);
}

t.test("the count sees both a listener and a signal that AbortSignal.any made to follow it", async (t) => {
  const stopping = new AbortController();
  const listener = (): undefined => undefined;
  stopping.signal.addEventListener("abort", listener);
  t.equal(attached(stopping.signal), 1);
  stopping.signal.removeEventListener("abort", listener);
  const follower = AbortSignal.any([stopping.signal, new AbortController().signal]);
  t.equal(attached(stopping.signal), 1, "the dependant signal is counted: without it this test would prove nothing");
  t.notOk(follower.aborted);
});

t.test("nothing stays attached to the stopping signal after many syncs and resolves", async (t) => {
  const RUNS = 50;
  const other = await ToyNode.open({ chain: walkthroughSpec(DIFFICULTY), threads: 1, log });
  t.teardown(() => other.close());
  /** What was attached to the node's stopping signal while each page was read: the run's one listener. */
  const during: number[] = [];
  let node: ToyNode | undefined;
  class Watching extends NodeNetwork {
    override page(peer: Peer, from: number, limit: number): Promise<Uint8Array> {
      if (node !== undefined) during.push(attached(node.stopping));
      return super.page(peer, from, limit);
    }
  }
  // 127.0.0.1:7402 is registered but answers nothing: every resolve fails on it, then skips it.
  node = await ToyNode.open({
    chain: walkthroughSpec(DIFFICULTY),
    threads: 1,
    log,
    network: new Watching({ "127.0.0.1:7401": other }),
  });
  t.teardown(() => node?.close());
  await node.registerNodes(["127.0.0.1:7401", "127.0.0.1:7402"]);
  const announcer = node.peers.get("127.0.0.1:7401") as Peer;
  const results: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    await other.mine();
    // A tip its chain does not end at: the sync reads the page, then fails.
    results.push(await node.syncFrom(announcer, { ...other.durableTip, hash: "e".repeat(64) }));
    results.push(await node.syncFrom(announcer, other.durableTip));
    const { replaced } = await node.resolve();
    results.push(replaced ? "replaced" : "kept");
  }
  t.same(results, Array.from({ length: RUNS }, () => ["failed", "adopted", "kept"]).flat());
  t.same(await readChain(node), await readChain(other));
  t.equal(during.length, 2 * RUNS, "a page was read in every sync");
  t.ok(
    during.every((count) => count === 1),
    "while a sync runs, one thing is attached: its listener",
  );
  t.equal(attached(node.stopping), 0, `nothing is left attached after ${3 * RUNS} runs`);
});
