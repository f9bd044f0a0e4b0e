import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import t from "tap";
import { type Block, canonicalJson, type NetworkRules, type TipContext, walkthroughSpec } from "../src/chain/index.js";
import { ChainChoice, FETCH_CONCURRENCY, forEachPeer } from "../src/consensus/index.js";
import { createLogger } from "../src/log.js";
import { ToyNode } from "../src/node.js";
import { backoffMs, FIRST_BACKOFF_MS, MAX_BACKOFF_MS } from "../src/peers/backoff.js";
import {
  MAX_PEERS,
  type Peer,
  PeerDataError,
  PeerSet,
  PeerUnreachableError,
  requestPeer,
  TooManyPeersError,
} from "../src/peers/index.js";
import { MAX_LOCATOR, type TipBody } from "../src/schemas/index.js";
import {
  buildLocator,
  checkPage,
  locatorHeights,
  PAGE_BYTES,
  PagePool,
  type PageTask,
  ResolveStoppedError,
} from "../src/sync/index.js";
import { hashOf, proofBits } from "./helpers/chain-check.js";
import { NodeNetwork } from "./helpers/node-network.js";
import { readChain } from "./helpers/read-chain.js";

/**
 * Consensus and range sync without HTTP, and the peer bookkeeping around
 * them: how a page is checked and how far (the cost bound), the block
 * locator, which peers are read and the verdicts, how many peers are asked at
 * once, when a failing peer is skipped, that concurrent resolves share one
 * round, and that a resolve reads only the blocks after the fork point.
 */

const DIFFICULTY = 4;
const log = createLogger("silent");
const peer = (n: number): Peer => ({ id: `127.0.0.1:${n}`, url: `http://127.0.0.1:${n}` });

/** A valid chain of `length` blocks, mined by a node of its own. */
async function minedChain(length: number): Promise<Block[]> {
  const miner = await ToyNode.open({ chain: walkthroughSpec(DIFFICULTY), threads: 1, log });
  try {
    while (miner.chain.length < length) await miner.mine();
    return await readChain(miner);
  } finally {
    await miner.close();
  }
}

const long = await minedChain(7);
const rules: NetworkRules = walkthroughSpec(DIFFICULTY);
/** The chain with block `index`'s proof moved to the next one that misses the difficulty. */
function tamper(chain: readonly Block[], index: number): Block[] {
  return chain.map((block) => {
    if (block.index !== index) return block;
    const bad = { ...block, proof: block.proof + 1 };
    while (proofBits(bad) >= DIFFICULTY) bad.proof++;
    return bad;
  });
}
/** Our clock for the page check: a little after the chain was mined. */
const NOW = Date.now() / 1000;
const body = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const page = (chain: readonly Block[], length = 7): Uint8Array => body({ chain, length });
/** The context a page starting after block `height` of `long` extends. */
const after = (height: number): TipContext => ({
  height,
  hash: hashOf(long[height - 1] as Block),
  recent: long.slice(0, height).map((block) => block.timestamp),
});
const task = (bytes: Uint8Array, from = 2, limit = 10): PageTask => ({
  bytes,
  from,
  limit,
  after: after(from - 1),
  rules,
  now: NOW,
});

t.test("checkPage checks a page step by step and stops at the first failure", async (t) => {
  t.match(checkPage(task(new Uint8Array([0x7b, 0xff, 0x7d]))), { invalid: /^its page from block 2 is not JSON: / });
  t.match(checkPage(task(new TextEncoder().encode("<html>"))), { invalid: /not JSON/ });
  t.match(checkPage(task(page([]))), { invalid: /^its page from block 2 is empty/ });
  t.match(checkPage(task(body({ chain: [{ index: 1.5 }], length: 1 }))), {
    invalid: /^its page from block 2: Invalid chain: /,
  });
  t.same(checkPage(task(page(long.slice(1)), 2, 3)), {
    invalid: "its page from block 2 holds 6 blocks, more than the 3 asked for",
  });
  t.same(checkPage(task(page(long.slice(2)))), { invalid: "its page from block 2 starts at block 3" });
  t.match(
    checkPage(task(page(tamper(tamper(long, 3), 6).slice(1)))),
    { invalid: /^block 3: proof \d+ does not reach 4 leading zero bits$/ },
    "the first invalid block is named, the check stops there",
  );
  t.match(
    checkPage({ ...task(page(long.slice(3)), 4), after: after(2) }),
    { invalid: /^block 4: index 4 does not follow 2$/ },
    "a page that does not extend the block before it",
  );
  const valid = checkPage(task(page(long.slice(1, 4))));
  t.ok("valid" in valid);
  if (!("valid" in valid)) return;
  t.same(valid.valid.hashes, long.slice(1, 4).map(hashOf), "every block's hash");
  const texts = valid.valid.ends.map((end, i) =>
    Buffer.from(valid.valid.encoded.subarray(valid.valid.ends[i - 1] ?? 0, end)).toString("utf8"),
  );
  t.same(texts, long.slice(1, 4).map(canonicalJson), "and its canonical JSON, to stage, in one buffer");
  t.same(valid.valid.last, long[3]);
  t.same(valid.valid.tip, after(4), "the context the next page extends");
  t.ok("valid" in checkPage(task(page(long.slice(4)), 5)), "and the next page passes from there");
});

t.test("a page over its byte bound is refused, unless it is one block", async (t) => {
  const padded = (chain: readonly Block[]): Uint8Array => {
    const text = JSON.stringify({ chain, length: 7 });
    return new TextEncoder().encode(`${text.slice(0, -1)}${" ".repeat(PAGE_BYTES + 128 * 1024)}}`);
  };
  t.match(checkPage(task(padded(long.slice(1, 3)))), {
    invalid: /^its page from block 2 is \d+ bytes of 2 blocks, more than the 2097152 asked for$/,
  });
  t.ok("valid" in checkPage(task(padded(long.slice(1, 2)))), "a single block may be larger");
});

t.test(
  "a page dated more than 2 hours ahead of our clock is refused now, and accepted once the clock is there",
  async (t) => {
    const tipTime = (long[6] as Block).timestamp;
    t.match(checkPage({ ...task(page(long.slice(1))), now: (long[1] as Block).timestamp - 7201 }), {
      invalid:
        /^block 2: timestamp \S+ is 2\.00 hours ahead of this node's clock .*it may be accepted once the clocks agree$/,
    });
    t.ok("valid" in checkPage({ ...task(page(long.slice(1))), now: tipTime - 7199 }), "2 hours ahead is allowed");
  },
);

t.test("a block locator names the last ten blocks, then doubles its steps, and ends at the genesis", async (t) => {
  t.same(locatorHeights(1), [1]);
  t.same(locatorHeights(5), [5, 4, 3, 2, 1]);
  t.same(locatorHeights(30), [30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 19, 15, 7, 1]);
  const heights = locatorHeights(2 ** 40);
  t.ok(heights.length <= 10 + 41, `${heights.length} entries for a chain of 2^40 blocks`);
  t.ok(heights.length <= MAX_LOCATOR, "within what a locate request takes");
  t.same(
    buildLocator(3, (height) => `hash-${height}`),
    [3, 2, 1].map((height) => ({ height, hash: `hash-${height}` })),
  );
});

/** Our chain as the choice sees it: the first `length` blocks of `long`. */
const ours = (length: number) => {
  const hashes = long.slice(0, length).map(hashOf);
  return { length, work: workOf(length), hashAt: (height: number) => hashes[height - 1] };
};
/** The work of `length` walkthrough blocks: the same each, so the longer chain has more. */
const workOf = (length: number): bigint => BigInt(length) * 2n ** BigInt(DIFFICULTY);
const CHAIN_ID = rules.id;
const tipOf = (length: number): TipBody => ({
  length,
  hash: hashOf(long[length - 1] as Block),
  work: String(workOf(length)),
  chain: CHAIN_ID,
});
const otherTip = (length: number): TipBody => ({
  length,
  hash: "e".repeat(64),
  work: String(workOf(length)),
  chain: CHAIN_ID,
});
const measure = (length: number) => ({ length, work: workOf(length) });

t.test(
  "the peers worth reading are those longer than ours, longest first, in the order asked between equals",
  async (t) => {
    const choice = new ChainChoice([peer(1), peer(2), peer(3), peer(4)]);
    choice.tip(peer(4), tipOf(6));
    choice.tip(peer(1), tipOf(3));
    choice.tip(peer(3), otherTip(5));
    choice.tip(peer(2), tipOf(6));
    t.same(
      choice.betterThan(measure(3)).map(({ peer }) => peer.id),
      [peer(2).id, peer(4).id, peer(3).id],
    );
  },
);

t.test("verdicts against our chain at the end: adopted, the same as ours, not checked", async (t) => {
  const choice = new ChainChoice([peer(1), peer(2), peer(3), peer(4), peer(5)]);
  choice.synced(peer(1), measure(7));
  choice.tip(peer(2), tipOf(5));
  choice.tip(peer(3), otherTip(6));
  choice.tip(peer(4), otherTip(3));
  choice.failed(peer(5), new PeerDataError("block 4: proof 9 does not reach 4 leading zero bits"));
  const outcomes = choice.finish(ours(7), peer(1));
  const report = (n: number) => outcomes.get(peer(n).id)?.report;
  const health = (n: number) => outcomes.get(peer(n).id)?.health;
  t.same(report(1), { node: peer(1).id, reached: true, verdict: "adopted", length: 7 });
  t.equal(health(1), "good");
  t.same(report(2), { node: peer(2).id, reached: true, verdict: "not longer", length: 5 });
  t.equal(health(2), "good", "its tip is a block of our chain: its chain is ours up to there");
  t.same(report(3), {
    node: peer(3).id,
    reached: true,
    verdict: "not longer",
    length: 6,
    reason: "not checked: it is not longer than ours, and not the same as ours",
  });
  t.equal(health(3), "unknown", "neither cleared nor counted as a failure");
  t.match(report(4), { verdict: "not longer", reason: /^not checked/ });
  t.match(report(5), { verdict: "invalid", reached: true, reason: /^block 4: / });
  t.equal(health(5), "bad");
});

t.test("a longer chain left unread is not checked, and says why", async (t) => {
  const choice = new ChainChoice([peer(1), peer(2)]);
  choice.synced(peer(1), measure(7));
  choice.tip(peer(2), otherTip(7));
  t.match(choice.finish(ours(5), undefined).get(peer(2).id)?.report, {
    verdict: "not checked",
    reason: "the resolve's deadline passed before its chain was read",
  });
  t.match(
    choice.finish(ours(5), undefined).get(peer(1).id),
    { report: { verdict: "not longer", length: 7 }, health: "good" },
    "a chain read and checked, but outrun by ours meanwhile, is valid",
  );
  t.match(new ChainChoice([peer(2)]).finish(ours(6), peer(1)).size, 0);
  const adopted = new ChainChoice([peer(2)]);
  adopted.tip(peer(2), otherTip(8));
  t.match(adopted.finish(ours(6), peer(1)).get(peer(2).id)?.report, {
    verdict: "not checked",
    reason: `the chain of ${peer(1).id}, 6 blocks long, was adopted`,
  });
});

t.test("a peer's failure becomes its report", async (t) => {
  const choice = new ChainChoice([peer(1), peer(2)]);
  choice.failed(peer(1), new PeerUnreachableError("it answered HTTP 500"));
  choice.failed(peer(2), new PeerDataError("it answered text/html, not JSON"));
  const outcomes = choice.finish(ours(1), undefined);
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

t.test("PagePool checks in a worker thread: a page is moved there, a pooled Buffer copied", async (t) => {
  const pages = new PagePool();
  t.teardown(() => pages.close());
  const moved = page(long.slice(1));
  const outcome = await pages.check(task(moved));
  t.ok("valid" in outcome && outcome.valid.hashes.length === 6, "the page comes back checked");
  t.equal(moved.byteLength, 0, "the page's own buffer was moved, not copied");

  const pooled = Buffer.from('{"chain":[],"length":0}');
  t.ok(pooled.buffer.byteLength > pooled.byteLength, "a small Buffer is a view on Node's pool");
  t.match(await pages.check(task(pooled)), { invalid: /is empty/ });
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
    chain: walkthroughSpec(DIFFICULTY),
    threads: 1,
    log,
    network: {
      tip: (_peer, signal) =>
        new Promise((_resolve, reject) =>
          signal.addEventListener("abort", () => reject(signal.reason), { once: true }),
        ),
      locate: () => Promise.reject(new Error("not asked")),
      page: () => Promise.reject(new Error("not asked")),
    },
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

t.test("requestPeer stops reading when its signal is aborted, with the signal's reason", async (t) => {
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
  const download = requestPeer(peer(port), { path: "/chain", maxBytes: 1024 }, { timeoutMs: 60_000 }, stop.signal);
  stop.abort(new ResolveStoppedError());
  await t.rejects(download, new ResolveStoppedError(), "abandoned, not timed out");
});

t.test("concurrent resolves share one round of requests", async (t) => {
  const other = await ToyNode.open({ chain: walkthroughSpec(DIFFICULTY), threads: 1, log });
  t.teardown(() => other.close());
  for (let i = 0; i < 4; i++) await other.mine();
  const network = new NodeNetwork({ "127.0.0.1:7101": other, "127.0.0.1:7102": other });
  const node = await ToyNode.open({ chain: walkthroughSpec(DIFFICULTY), threads: 1, log, network });
  t.teardown(() => node.close());
  await node.registerNodes(["127.0.0.1:7101", "127.0.0.1:7102"]);
  const answers = await Promise.all(Array.from({ length: 5 }, () => node.resolve()));
  t.same(
    network.calls,
    ["tip 127.0.0.1:7101", "tip 127.0.0.1:7102", "locate 127.0.0.1:7101", "page from 2 127.0.0.1:7101"],
    "each peer's tip was asked once for five calls, and one chain read, in one page",
  );
  t.ok(
    answers.every((answer) => answer === answers[0]),
    "every caller got the same answer",
  );
  t.ok(answers[0]?.replaced);
  t.same(await readChain(node), await readChain(other));
  await node.resolve();
  t.same(network.calls.slice(4), ["tip 127.0.0.1:7101", "tip 127.0.0.1:7102"], "a resolve after them asks again");
});

t.test("a resolve reads only the blocks after the fork point, and the mempool follows the adopted chain", async (t) => {
  const other = await ToyNode.open({ chain: walkthroughSpec(DIFFICULTY), threads: 1, log });
  t.teardown(() => other.close());
  for (let i = 0; i < 40; i++) await other.mine();
  const network = new NodeNetwork({ "127.0.0.1:7301": other });
  const node = await ToyNode.open({ chain: walkthroughSpec(DIFFICULTY), threads: 1, log, network });
  t.teardown(() => node.close());
  await node.registerNodes(["127.0.0.1:7301"]);
  t.ok((await node.resolve()).replaced, "a fresh node adopts the whole chain");
  const shared = { sender: "Lea", recipient: "Mark", amount: 5 };
  const mine = { sender: "Ours", recipient: "Mark", amount: 1 };
  const theirs = { sender: "Theirs", recipient: "Mark", amount: 2 };
  await node.addTransaction(mine);
  await node.mine();
  await node.addTransaction(shared);
  await other.addTransaction(shared);
  await other.addTransaction(theirs);
  for (let i = 0; i < 3; i++) await other.mine();
  const before = network.calls.length;
  t.ok((await node.resolve()).replaced, "our block 42 is replaced by their longer chain");
  t.same(
    network.calls.slice(before),
    ["tip 127.0.0.1:7301", "locate 127.0.0.1:7301", "page from 42 127.0.0.1:7301"],
    "the locator found block 41, the last one both chains hold: only blocks 42 to 44 were read",
  );
  t.same(await readChain(node), await readChain(other));
  t.same(node.mempool.list(), [mine], "our dropped block's transaction is back; the one their chain holds is not");
});
