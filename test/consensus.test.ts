import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import t from "tap";
import type { Block, NetworkRules } from "../src/chain/index.js";
import {
  ChainChoice,
  FETCH_CONCURRENCY,
  forEachPeer,
  type Judgement,
  JudgePool,
  judgeChain,
  ResolveStoppedError,
} from "../src/consensus/index.js";
import { createLogger } from "../src/log.js";
import { ToyNode } from "../src/node.js";
import { backoffMs, FIRST_BACKOFF_MS, MAX_BACKOFF_MS } from "../src/peers/backoff.js";
import {
  downloadChain,
  MAX_PEERS,
  type Peer,
  PeerDataError,
  PeerSet,
  PeerUnreachableError,
  TooManyPeersError,
} from "../src/peers/index.js";
import { hashOf, proofBits } from "./helpers/chain-check.js";
import { readChain } from "./helpers/read-chain.js";

/**
 * Consensus with no I/O and the peer bookkeeping around it: how a body is
 * judged and how far (the cost bound), which chain is kept (the memory
 * bound), how many peers are asked at once, when a failing peer is skipped,
 * and that concurrent resolves share one round of fetches.
 */

const DIFFICULTY = 4;
const log = createLogger("silent");
const peer = (n: number): Peer => ({ id: `127.0.0.1:${n}`, url: `http://127.0.0.1:${n}` });

/** A valid chain of `length` blocks, mined by a node of its own. */
async function minedChain(length: number): Promise<Block[]> {
  const miner = await ToyNode.open({ difficulty: DIFFICULTY, threads: 1, log });
  try {
    while (miner.chain.length < length) await miner.mine();
    return await readChain(miner);
  } finally {
    await miner.close();
  }
}

const long = await minedChain(7);
const rules: NetworkRules = { genesis: long[0] as Block, difficulty: DIFFICULTY };
/** The chain with block `index`'s proof moved to the next one that misses the difficulty. */
function tamper(chain: readonly Block[], index: number): Block[] {
  return chain.map((block) => {
    if (block.index !== index) return block;
    const bad = { ...block, proof: block.proof + 1 };
    while (proofBits(bad) >= DIFFICULTY) bad.proof++;
    return bad;
  });
}
/** Our clock for the judge: a little after the chain was mined. */
const NOW = Date.now() / 1000;
const body = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const chainBody = (chain: readonly Block[]): Uint8Array => body({ chain, length: chain.length });

t.test("judgeChain checks a body step by step and stops at the first failure", async (t) => {
  t.match(judgeChain(new Uint8Array([0x7b, 0xff, 0x7d]), 1, rules, NOW), {
    verdict: "invalid",
    reason: /^its \/chain is not JSON: /,
  });
  t.match(judgeChain(new TextEncoder().encode("<html>"), 1, rules, NOW), { verdict: "invalid", reason: /not JSON/ });
  t.match(judgeChain(body({ chain: [{ index: 1.5 }], length: 1 }), 1, rules, NOW), {
    verdict: "invalid",
    reason: /^Invalid chain: /,
  });
  t.same(judgeChain(body({ chain: long, length: 99 }), 1, rules, NOW), {
    verdict: "invalid",
    reason: "its length 99 does not count its 7 blocks",
  });
  t.same(
    judgeChain(chainBody(tamper(long, 2)), 7, rules, NOW),
    { verdict: "short", length: 7 },
    "a chain that cannot win is not checked: its broken block 2 goes unseen",
  );
  t.match(
    judgeChain(chainBody(tamper(tamper(long, 3), 6)), 1, rules, NOW),
    { verdict: "invalid", length: 7, reason: /^block 3: proof \d+ does not reach 4 leading zero bits$/ },
    "the first invalid block is named, the check stops there",
  );
  const valid = judgeChain(chainBody(long), 6, rules, NOW);
  t.equal(valid.verdict, "valid");
  t.same(valid.verdict === "valid" && valid.chain, long);
  t.equal(valid.verdict === "valid" && valid.hashes.length, 7, "with every block's hash");
});

t.test(
  "a chain dated more than 2 hours ahead of our clock is refused now, and accepted once the clock is there",
  async (t) => {
    const tipTime = (long[6] as Block).timestamp;
    t.match(judgeChain(chainBody(long), 1, rules, (long[1] as Block).timestamp - 7201), {
      verdict: "invalid",
      length: 7,
      reason:
        /^block 2: timestamp \S+ is 2\.00 hours ahead of this node's clock .*it may be accepted once the clocks agree$/,
    });
    t.match(judgeChain(chainBody(long), 1, rules, tipTime - 7199), { verdict: "valid" }, "2 hours ahead is allowed");
  },
);

/** Our chain as the choice sees it: the first `length` blocks of `long`. */
const ours = (length: number) => {
  const hashes = long.slice(0, length).map(hashOf);
  return { length, hashAt: (height: number) => hashes[height - 1] };
};

/** Judges each chain in order, as a resolve would, against the choice's bar at that moment. */
function choose(chains: readonly (readonly Block[])[], ourLength: number, currentLength = ourLength) {
  const choice = new ChainChoice(() => ourLength);
  const judged: Judgement["verdict"][] = [];
  chains.forEach((chain, i) => {
    const judgement = judgeChain(chainBody(chain), choice.mustBeat, rules, NOW);
    judged.push(judgement.verdict);
    choice.judged(peer(i + 1), judgement);
  });
  const { chosen, outcomes } = choice.finish(ours(currentLength));
  const report = (n: number) => outcomes.get(peer(n).id)?.report;
  const health = (n: number) => outcomes.get(peer(n).id)?.health;
  return { chosen, report, health, judged };
}

t.test("only the best valid chain so far is kept, and none that cannot beat it is checked", async (t) => {
  const { chosen, report, health, judged } = choose(
    [long.slice(0, 6), tamper(long.slice(0, 5), 3), tamper(long, 4), long.slice(0, 2)],
    2,
  );
  t.same(judged, ["valid", "short", "invalid", "short"]);
  t.equal(chosen?.peer.id, peer(1).id, "the longest valid chain wins");
  t.same(report(1), { node: peer(1).id, reached: true, verdict: "adopted", length: 6 });
  t.same(
    report(2),
    {
      node: peer(2).id,
      reached: true,
      verdict: "not checked",
      length: 5,
      reason: `the chain of ${peer(1).id}, 6 blocks long, was adopted`,
    },
    "its broken block 3 was never looked at, and the report does not call it valid",
  );
  t.equal(health(2), "unknown", "so it is neither cleared nor counted as a failure");
  t.match(report(3), { verdict: "invalid", length: 7, reason: /^block 4: / });
  t.equal(health(3), "bad");
  t.same(report(4), { node: peer(4).id, reached: true, verdict: "not longer", length: 2 });
  t.equal(health(4), "good", "a chain that is the very prefix of ours is valid");
  t.equal(health(1), "good");
});

t.test("a longer valid chain judged later beats the best so far", async (t) => {
  const { chosen, report, judged } = choose([long.slice(0, 4), long, long.slice(0, 7)], 1);
  t.same(judged, ["valid", "valid", "short"]);
  t.equal(chosen?.peer.id, peer(2).id);
  t.match(report(1), {
    verdict: "outrun",
    reason: `the chain of ${peer(2).id}, 7 blocks long, was adopted`,
  });
  t.match(report(3), { verdict: "not checked" }, "between equals, the first judged wins");
});

t.test("a valid chain judged against an old bar does not displace a longer one", async (t) => {
  const choice = new ChainChoice(() => 1);
  const stale = judgeChain(chainBody(long.slice(0, 5)), choice.mustBeat, rules, NOW);
  choice.judged(peer(1), judgeChain(chainBody(long), choice.mustBeat, rules, NOW));
  choice.judged(peer(2), stale);
  const { chosen, outcomes } = choice.finish(ours(1));
  t.equal(chosen?.peer.id, peer(1).id);
  t.match(outcomes.get(peer(2).id)?.report, { verdict: "outrun", length: 5 });
});

t.test("when our chain grows past the peers' while they answer, none is adopted and none outrun", async (t) => {
  const { chosen, report } = choose([long.slice(0, 5), long.slice(0, 4), tamper(long.slice(0, 3), 2)], 2, 6);
  t.equal(chosen, undefined);
  t.same(report(1), { node: peer(1).id, reached: true, verdict: "not longer", length: 5 });
  t.same(report(2), { node: peer(2).id, reached: true, verdict: "not longer", length: 4 });
  t.match(report(3), { verdict: "not longer", reason: /^not checked/ }, "an unchecked chain is not called valid");
});

t.test("the bar follows our chain as it grows", async (t) => {
  let length = 2;
  const choice = new ChainChoice(() => length);
  t.equal(choice.mustBeat, 2);
  length = 5;
  t.equal(choice.mustBeat, 5);
  t.match(judgeChain(chainBody(tamper(long.slice(0, 5), 3)), choice.mustBeat, rules, NOW), { verdict: "short" });
});

t.test("a shorter chain that differs from ours, or whose links break, is not called the same as ours", async (t) => {
  const fork = long.slice(0, 3).map((block, i) => (i === 2 ? { ...block, timestamp: block.timestamp + 1 } : block));
  const broken = long.slice(0, 3).map((block, i) => (i === 1 ? { ...block, previous_hash: "0".repeat(64) } : block));
  const { report, health } = choose([fork, broken], 4);
  t.match(report(1), { verdict: "not longer", reason: /^not checked/ });
  t.equal(health(1), "unknown");
  t.match(report(2), { verdict: "not longer", reason: /^not checked/ });
  t.equal(health(2), "unknown");
});

t.test("a peer's failure becomes its report", async (t) => {
  const choice = new ChainChoice(() => 1);
  choice.failed(peer(1), new PeerUnreachableError("it answered HTTP 500"));
  choice.failed(peer(2), new PeerDataError("it answered text/html, not JSON"));
  const { outcomes } = choice.finish(ours(1));
  const reports = new Map([...outcomes].map(([id, { report }]) => [id, report]));
  t.equal(outcomes.get(peer(1).id)?.health, "bad");
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
    reason: "it answered text/html, not JSON",
  });
});

t.test(`forEachPeer runs at most ${FETCH_CONCURRENCY} at once, each peer once`, async (t) => {
  const peers = Array.from({ length: 3 * FETCH_CONCURRENCY + 1 }, (_, i) => peer(1000 + i));
  let inFlight = 0;
  let most = 0;
  const seen: string[] = [];
  await forEachPeer(peers, async (p) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    inFlight--;
    seen.push(p.id);
  });
  t.equal(most, FETCH_CONCURRENCY);
  t.same(seen.sort(), peers.map((p) => p.id).sort());
});

t.test("JudgePool judges in a worker thread: a body is moved there, a pooled Buffer copied", async (t) => {
  const judges = new JudgePool();
  t.teardown(() => judges.close());
  const moved = chainBody(long);
  const judgement = await judges.judge(moved, 1, rules, NOW);
  t.equal(judgement.verdict, "valid");
  t.same(judgement.verdict === "valid" && judgement.chain, long, "the chain comes back whole");
  t.equal(moved.byteLength, 0, "the body's own buffer was moved, not copied");

  const pooled = Buffer.from('{"chain":[],"length":0}');
  t.ok(pooled.buffer.byteLength > pooled.byteLength, "a small Buffer is a view on Node's pool");
  t.match(await judges.judge(pooled, 1, rules, NOW), {
    verdict: "invalid",
    reason: /chain must NOT have fewer than 1 items/,
  });
  t.equal(pooled.toString(), '{"chain":[],"length":0}', "the pool was left alone");
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
  t.equal(peers.health(1000)[0]?.health.retryAt, 1000 + FIRST_BACKOFF_MS, "/stats shows when it is asked again");
  t.same(
    peers.health(1000 + FIRST_BACKOFF_MS)[0]?.health,
    { failures: 3, lastError: "third" },
    "and no retry time once it has passed",
  );

  peers.succeeded(id);
  t.same(peers.health(0), [{ peer: { id, url: `http://${id}` }, health: { failures: 0 } }], "a success clears it");
  for (let i = 0; i < 3; i++) peers.failed(id, "down", 0);
  t.same(peers.register([`http://${id}`]), [], "registering again adds nothing");
  t.same(peers.health(0)[0]?.health, { failures: 0 }, "but clears the record");
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

t.test("closing the node abandons a resolve in flight, and keeps our chain", async (t) => {
  const node = await ToyNode.open({
    difficulty: DIFFICULTY,
    threads: 1,
    log,
    downloadChain: (_peer, signal) =>
      new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true })),
  });
  await node.registerNodes(["127.0.0.1:7201"]);
  const resolving = t.rejects(
    node.resolve(),
    new ResolveStoppedError(),
    "the resolve gives up with the shutdown's message",
  );
  await node.close();
  await resolving;
});

t.test("downloadChain stops reading when its signal is aborted", async (t) => {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write("[");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const port = (server.address() as AddressInfo).port;
  const stop = new AbortController();
  const download = downloadChain(peer(port), { timeoutMs: 60_000, maxBytes: 1024 }, stop.signal);
  stop.abort();
  await t.rejects(download, { name: "PeerUnreachableError", message: /abort/i }, "abandoned, not timed out");
});

t.test("concurrent resolves share one round of fetches", async (t) => {
  let fetches = 0;
  const node = await ToyNode.open({
    difficulty: DIFFICULTY,
    threads: 1,
    log,
    downloadChain: async () => {
      fetches++;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return chainBody(long);
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
