import t from "tap";
import type { Block, NetworkRules } from "../src/chain/index.js";
import { ChainChoice, FETCH_CONCURRENCY, type Fetched, fetchAll } from "../src/consensus/index.js";
import { createLogger } from "../src/log.js";
import { ToyNode } from "../src/node.js";
import { backoffMs, FIRST_BACKOFF_MS, MAX_BACKOFF_MS } from "../src/peers/backoff.js";
import {
  MAX_PEERS,
  type Peer,
  PeerDataError,
  PeerSet,
  PeerUnreachableError,
  TooManyPeersError,
} from "../src/peers/index.js";

/**
 * Consensus with no I/O and the peer bookkeeping around it: what is
 * validated and kept and what is not (the cost and memory bounds), how many
 * peers are asked at once, when a failing peer is skipped, and that
 * concurrent resolves share one round of fetches.
 */

const DIFFICULTY = 4;
const log = createLogger("silent");
const peer = (n: number): Peer => ({ id: `127.0.0.1:${n}`, url: `http://127.0.0.1:${n}` });

/** A valid chain of `length` blocks, mined by a node of its own. */
async function minedChain(length: number): Promise<Block[]> {
  const miner = await ToyNode.open({ difficulty: DIFFICULTY, threads: 1, log });
  try {
    while (miner.chain.length < length) await miner.mine();
    return structuredClone(miner.chain.blocks) as Block[];
  } finally {
    await miner.close();
  }
}

const rules = (chain: readonly Block[]): NetworkRules => ({ genesis: chain[0] as Block, difficulty: DIFFICULTY });
const tamper = (chain: readonly Block[], index: number): Block[] =>
  chain.map((block) => (block.index === index ? { ...block, proof: block.proof + 1 } : block));

const long = await minedChain(7);

/** Offers the answers in order to a ChainChoice over our chain of `ourLength` blocks. */
function choose(answers: readonly Fetched[], ourLength: number, currentLength = ourLength) {
  const choice = new ChainChoice(ourLength, rules(long));
  for (const answer of answers) choice.offer(answer);
  return choice.finish(currentLength);
}

t.test("a chain no longer than ours is not validated", async (t) => {
  const broken = tamper(long.slice(0, 3), 2);
  const { chosen, reports } = choose([{ peer: peer(1), chain: broken }], 3);
  t.equal(chosen, undefined);
  t.same(reports.get(peer(1).id), { node: peer(1).id, reached: true, verdict: "not longer", length: 3 });
});

t.test("a chain no longer than the best valid one so far is not checked", async (t) => {
  const { chosen, reports } = choose(
    [
      { peer: peer(1), chain: long.slice(0, 6) },
      { peer: peer(2), chain: tamper(long.slice(0, 5), 3) },
      { peer: peer(3), chain: tamper(long, 4) },
      { peer: peer(4), chain: long.slice(0, 2) },
    ],
    2,
  );
  t.equal(chosen?.peer.id, peer(1).id, "the longest valid chain wins");
  t.equal(chosen?.hashes.length, 6, "with every block's hash");
  t.same(reports.get(peer(1).id), { node: peer(1).id, reached: true, verdict: "adopted", length: 6 });
  t.same(
    reports.get(peer(2).id),
    {
      node: peer(2).id,
      reached: true,
      verdict: "outrun",
      length: 5,
      reason: `the chain of ${peer(1).id}, 6 blocks long, was adopted`,
    },
    "its broken block 3 was never looked at",
  );
  t.match(reports.get(peer(3).id), {
    verdict: "invalid",
    length: 7,
    reason: /^block 4: proof \d+ does not reach 4 leading zero bits$/,
  });
  t.match(reports.get(peer(4).id), { verdict: "not longer", length: 2 });
});

t.test("a longer valid chain arriving later beats the best so far", async (t) => {
  const { chosen, reports } = choose(
    [
      { peer: peer(1), chain: long.slice(0, 4) },
      { peer: peer(2), chain: long },
      { peer: peer(3), chain: long.slice(0, 7) },
    ],
    1,
  );
  t.equal(chosen?.peer.id, peer(2).id);
  t.match(reports.get(peer(1).id), {
    verdict: "outrun",
    reason: `the chain of ${peer(2).id}, 7 blocks long, was adopted`,
  });
  t.match(reports.get(peer(3).id), { verdict: "outrun" }, "between equals, the first to arrive wins");
});

t.test("a chain that our own grew past while peers answered is not adopted", async (t) => {
  const { chosen, reports } = choose([{ peer: peer(1), chain: long.slice(0, 4) }], 2, 4);
  t.equal(chosen, undefined);
  t.match(reports.get(peer(1).id), { verdict: "not longer", length: 4 });
});

t.test("a check stops at the first invalid block and names it", async (t) => {
  const twiceBroken = tamper(tamper(long, 3), 6);
  const { reports } = choose([{ peer: peer(1), chain: twiceBroken }], 1);
  t.match(reports.get(peer(1).id), { verdict: "invalid", reason: /^block 3: / });
});

t.test("a peer's failure becomes its report", async (t) => {
  const { reports } = choose(
    [
      { peer: peer(1), error: new PeerUnreachableError("it answered HTTP 500") },
      { peer: peer(2), error: new PeerDataError("its /chain is not JSON") },
    ],
    1,
  );
  t.same(reports.get(peer(1).id), {
    node: peer(1).id,
    reached: false,
    verdict: "unreachable",
    reason: "it answered HTTP 500",
  });
  t.same(reports.get(peer(2).id), {
    node: peer(2).id,
    reached: true,
    verdict: "invalid",
    reason: "its /chain is not JSON",
  });
});

t.test(`fetchAll asks at most ${FETCH_CONCURRENCY} peers at once and hands on each answer`, async (t) => {
  const peers = Array.from({ length: 3 * FETCH_CONCURRENCY + 1 }, (_, i) => peer(1000 + i));
  let inFlight = 0;
  let most = 0;
  const fetched: Fetched[] = [];
  await fetchAll(
    peers,
    async (p) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      if (p.id.endsWith("3")) throw new PeerUnreachableError("refused");
      return { chain: long, length: long.length };
    },
    (answer) => fetched.push(answer),
  );
  t.equal(most, FETCH_CONCURRENCY);
  t.same(fetched.map((f) => f.peer.id).sort(), peers.map((p) => p.id).sort(), "one answer for every peer");
  t.ok(
    fetched.every((f) => "error" in f === f.peer.id.endsWith("3")),
    "each failure stays with its peer",
  );
});

t.test("backoff: from the third failure in a row, doubling, capped", async (t) => {
  t.same([1, 2, 3, 4, 5].map(backoffMs), [0, 0, FIRST_BACKOFF_MS, 2 * FIRST_BACKOFF_MS, 4 * FIRST_BACKOFF_MS]);
  t.equal(backoffMs(60), MAX_BACKOFF_MS);

  const peers = new PeerSet();
  peers.register(["127.0.0.1:7001"]);
  const id = "127.0.0.1:7001";
  t.match(peers.failed(id, "first", 0), { failures: 1, lastError: "first" });
  t.equal(peers.backingOff(id, 0), undefined, "one failure is not enough");
  peers.failed(id, "second", 0);
  t.same(peers.failed(id, "third", 1000), { failures: 3, lastError: "third", retryAt: 1000 + FIRST_BACKOFF_MS });
  t.ok(peers.backingOff(id, 1000 + FIRST_BACKOFF_MS - 1), "skipped until retryAt");
  t.equal(peers.backingOff(id, 1000 + FIRST_BACKOFF_MS), undefined, "asked again from retryAt");

  peers.succeeded(id);
  t.same(peers.health(), [{ peer: { id, url: `http://${id}` }, health: { failures: 0 } }], "a success clears it");
  for (let i = 0; i < 3; i++) peers.failed(id, "down", 0);
  t.same(peers.register([`http://${id}`]), [], "registering again adds nothing");
  t.same(peers.health()[0]?.health, { failures: 0 }, "but clears the record");
});

t.test(`a node keeps at most ${MAX_PEERS} peers, and a refused list adds none`, async (t) => {
  const peers = new PeerSet();
  for (let i = 0; i < MAX_PEERS / 100; i++) {
    peers.register(Array.from({ length: 100 }, (_, j) => `127.0.0.1:${10_000 + i * 100 + j}`));
  }
  t.equal(peers.ids.length, MAX_PEERS);
  t.throws(() => peers.register(["127.0.0.1:9", "127.0.0.1:8"]), TooManyPeersError);
  t.same(peers.register(["127.0.0.1:10000"]), [], "one already registered is still accepted");
  t.equal(peers.ids.length, MAX_PEERS);
});

t.test("concurrent resolves share one round of fetches", async (t) => {
  let fetches = 0;
  const node = await ToyNode.open({
    difficulty: DIFFICULTY,
    threads: 1,
    log,
    fetchChain: async () => {
      fetches++;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { chain: long, length: long.length };
    },
  });
  t.teardown(() => node.close());
  await node.registerNodes(["127.0.0.1:7101", "127.0.0.1:7102"]);
  const answers = await Promise.all(Array.from({ length: 5 }, () => node.resolve()));
  t.equal(fetches, 2, "each peer was asked once for five calls");
  t.ok(
    answers.every((answer) => answer === answers[0]),
    "every caller got the same answer",
  );
  t.ok(answers[0]?.replaced);
  await node.resolve();
  t.equal(fetches, 4, "a resolve after them asks again");
});
