import t from "tap";
import { walkthroughSpec } from "../src/chain/index.js";
import {
  Announcer,
  Gossip,
  type GossipHost,
  type GossipNetwork,
  InvalidAnnouncerError,
  judgeTip,
  SyncQueue,
  type SyncResult,
} from "../src/gossip/index.js";
import { createLogger } from "../src/log.js";
import { ToyNode } from "../src/node.js";
import { FIRST_BACKOFF_MS } from "../src/peers/backoff.js";
import {
  FAILURES_BEFORE_BACKOFF,
  HealthRecords,
  MAX_PEERS,
  type Peer,
  PeerSet,
  PeerUnreachableError,
  TooManyPeersError,
} from "../src/peers/index.js";
import type { AnnounceBody, TipBody } from "../src/schemas/index.js";
import { NodeNetwork } from "./helpers/node-network.js";
import { readChain } from "./helpers/read-chain.js";

/**
 * Gossip's decisions without HTTP: what an announced tip is to us, how syncs
 * from announcers coalesce, how announcements are sent (at most 8 at once,
 * one per peer, the newest next, a failing peer backing off), what the node
 * answers an announcement; then ToyNode.syncFrom in process: what it reads,
 * and that it never runs beside a resolve.
 */

const log = createLogger("silent");
const peer = (n: number): Peer => ({ id: `127.0.0.1:${n}`, url: `http://127.0.0.1:${n}` });
const hash = (n: number): string => n.toString(16).padStart(64, "0");
/** The walkthrough chain at difficulty 1: every block holds work 2. */
const RULES = walkthroughSpec(1);
/** A tip of `length` blocks whose last hash is `tipHash`, on our chain: its work is 2 a block. */
const at = (length: number, tipHash: string): TipBody => ({
  length,
  hash: tipHash,
  work: String(2 * length),
  chain: RULES.id,
});
const tip = (length: number, salt = 0): TipBody => at(length, hash(length * 1000 + salt));

/** A promise and the functions that settle it. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve: (value: T) => void = () => undefined;
  let reject: (error: Error) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A network whose announcements wait until the test answers them; `sent` lists them as "peer length". */
class HeldNetwork implements GossipNetwork {
  readonly sent: string[] = [];
  readonly waiting: { peer: Peer; body: AnnounceBody; answer: ReturnType<typeof deferred<void>> }[] = [];
  inFlight = 0;
  most = 0;

  announce(peer: Peer, body: AnnounceBody, signal: AbortSignal): Promise<void> {
    this.sent.push(`${peer.id} ${body.length}`);
    const answer = deferred();
    this.waiting.push({ peer, body, answer });
    this.inFlight++;
    this.most = Math.max(this.most, this.inFlight);
    signal.addEventListener("abort", () => answer.reject(new Error("aborted")));
    return answer.promise.finally(() => {
      this.inFlight--;
    });
  }

  greeting(): Promise<string> {
    return Promise.resolve("toychain node 0123456789abcdef0123456789abcdef: try every endpoint at /docs or /redoc");
  }

  /** Answers the oldest announcement waiting: taken, or failed. */
  async answer(ok = true): Promise<void> {
    const next = this.waiting.shift();
    if (next === undefined) throw new Error("no announcement is waiting");
    if (ok) next.answer.resolve();
    else next.answer.reject(new PeerUnreachableError("ECONNREFUSED"));
    await tick();
  }
}

function announcer(network: GossipNetwork, now: () => number = () => 0) {
  const counts = { sent: 0, failed: 0, skipped: 0 };
  const records = new HealthRecords();
  const stopping = new AbortController();
  const instance = new Announcer({
    network,
    url: "http://127.0.0.1:5000",
    records,
    signal: stopping.signal,
    log,
    counted: (result) => {
      counts[result]++;
    },
    now,
  });
  return { announcer: instance, counts, records, stopping };
}

t.test("judgeTip: a block we hold, a chain no longer than ours, or a longer one", async (t) => {
  const ours = {
    length: 3,
    work: 6n,
    tipHash: hash(3),
    hashAt: (height: number) => (height <= 3 ? hash(height) : undefined),
  };
  t.equal(judgeTip(ours, at(2, hash(2))), "known", "our block 2");
  t.equal(judgeTip(ours, at(3, hash(3))), "known", "our tip");
  t.equal(judgeTip(ours, at(3, hash(99))), "not longer", "another block 3: a fork as long as ours");
  t.equal(judgeTip(ours, at(1, hash(99))), "not longer", "another genesis");
  t.equal(judgeTip(ours, at(4, hash(4))), "longer");
});

t.test("SyncQueue: one sync per announcer in flight, one waiting, the newest", async (t) => {
  const runs: string[] = [];
  const finish = new Map<string, () => void>();
  const queue = new SyncQueue((p, tipped) => {
    runs.push(`${p.id} ${tipped.length}`);
    const done = deferred();
    finish.set(`${p.id} ${tipped.length}`, () => done.resolve());
    return done.promise;
  });
  const a = peer(7001);
  const b = peer(7002);
  t.equal(queue.offer(a, tip(5)), "started");
  t.equal(queue.offer(a, tip(5)), "duplicate", "the tip in flight");
  t.equal(queue.offer(a, tip(6)), "queued");
  t.equal(queue.offer(a, tip(6)), "duplicate", "the tip waiting");
  t.equal(queue.offer(a, tip(7)), "superseded", "the newer one waits instead");
  t.equal(queue.offer(b, tip(7)), "started", "another announcer has its own slot");
  t.same(runs, ["127.0.0.1:7001 5", "127.0.0.1:7002 7"], "one run per announcer");
  t.equal(queue.size, 2);

  finish.get("127.0.0.1:7001 5")?.();
  await tick();
  t.same(runs.slice(2), ["127.0.0.1:7001 7"], "then the newest waiting one; 6 is never run");
  t.equal(queue.offer(a, tip(5)), "queued", "a tip no longer in flight may wait again");
  finish.get("127.0.0.1:7001 7")?.();
  await tick();
  finish.get("127.0.0.1:7001 5")?.();
  finish.get("127.0.0.1:7002 7")?.();
  await tick();
  t.equal(queue.size, 0, "nothing is kept once the syncs are done");
});

t.test("Announcer: 8 in flight at most, one per peer, and the newest tip next", async (t) => {
  const network = new HeldNetwork();
  const { announcer: a, counts } = announcer(network);
  const peers = Array.from({ length: 20 }, (_, i) => peer(7100 + i));
  a.announce(peers, tip(2));
  await tick();
  t.equal(network.inFlight, 8, "8 requests at once");
  a.announce(peers, tip(3));
  a.announce(peers, tip(4));
  a.announce(peers, tip(3));
  while (network.waiting.length > 0) await network.answer();
  await a.settled();
  t.equal(network.most, 8, "never more than 8");
  for (const [i, p] of peers.entries()) {
    const told = network.sent.filter((line) => line.startsWith(`${p.id} `)).map((line) => line.split(" ")[1]);
    // The first 8 were being told 2 when 3 and 4 came; the others were still waiting, and 4 took 2's place.
    t.same(told, i < 8 ? ["2", "4"] : ["4"], `${p.id}: the tips that waited were coalesced into the longest`);
  }
  t.same(
    network.sent.slice(0, 8),
    peers.slice(0, 8).map((p) => `${p.id} 2`),
    "in the order asked",
  );
  t.equal(counts.sent, network.sent.length);
  t.same(network.waiting, []);
});

t.test("Announcer: a peer that keeps failing is skipped, as a resolve skips it", async (t) => {
  const network = new HeldNetwork();
  let now = 1000;
  const { announcer: a, counts, records } = announcer(network, () => now);
  const down = peer(7201);
  for (let i = 1; i <= FAILURES_BEFORE_BACKOFF; i++) {
    a.announce([down], tip(1 + i));
    await tick();
    await network.answer(false);
    t.equal(records.get(down.id)?.failures, i, `failure ${i} is recorded`);
  }
  t.equal(records.backingOff(down.id, now)?.retryAt, now + FIRST_BACKOFF_MS, "then it backs off");
  a.announce([down], tip(9));
  await a.settled();
  t.equal(network.sent.length, FAILURES_BEFORE_BACKOFF, "nothing is sent while it backs off");
  t.same(counts, { sent: 0, failed: FAILURES_BEFORE_BACKOFF, skipped: 1 });

  now += FIRST_BACKOFF_MS;
  a.announce([down], tip(10));
  await tick();
  await network.answer();
  t.equal(records.get(down.id), undefined, "a taken announcement clears the record");
  t.equal(counts.sent, 1);
});

t.test("Announcer: once the node stops, nothing more is sent", async (t) => {
  const network = new HeldNetwork();
  const { announcer: a, counts, stopping } = announcer(network);
  a.announce([peer(7301)], tip(2));
  await tick();
  a.announce([peer(7301)], tip(3));
  stopping.abort();
  await a.settled();
  a.announce([peer(7302)], tip(3));
  await tick();
  t.same(network.sent, ["127.0.0.1:7301 2"], "only the one sent before");
  t.same(counts, { sent: 0, failed: 0, skipped: 0 }, "an abandoned announcement is not a peer's failure");
});

/** A host of chain `length` (block n's hash is hash(n)), whose syncs the test settles. */
function host(length: number) {
  const syncs: { peer: Peer; tip: TipBody; done: ReturnType<typeof deferred<SyncResult>> }[] = [];
  const registered: string[] = [];
  const peers = new PeerSet();
  const chain = {
    length,
    rules: RULES,
    get work() {
      return 2n * BigInt(this.length);
    },
    get tipHash() {
      return hash(this.length);
    },
    hashAt(height: number) {
      return height <= this.length ? hash(height) : undefined;
    },
  };
  const gossipHost: GossipHost = {
    id: "0123456789abcdef0123456789abcdef",
    chain,
    register: async (p) => {
      peers.register([p.url]);
      registered.push(p.id);
    },
    syncFrom: (p, tipped) => {
      const done = deferred<SyncResult>();
      syncs.push({ peer: p, tip: tipped, done });
      return done.promise;
    },
    durableTip: () => at(chain.length, chain.tipHash),
  };
  return { gossipHost, chain, peers, syncs, registered };
}

function gossip(enabled: boolean, length = 3) {
  const h = host(length);
  const network = new HeldNetwork();
  const instance = new Gossip(h.gossipHost, {
    enabled,
    network,
    peers: h.peers,
    signal: new AbortController().signal,
    log,
  });
  instance.start("http://127.0.0.1:5000");
  return { ...h, network, gossip: instance };
}

const from = (n: number, announced: TipBody): AnnounceBody => ({ ...announced, url: `http://127.0.0.1:${n}` });

t.test("receive: the url is read as /nodes/register reads an address", async (t) => {
  for (const enabled of [true, false]) {
    const { gossip: g, peers } = gossip(enabled);
    for (const url of ["ftp://127.0.0.1:5001", "127.0.0.1", "http://127.0.0.1:5001/path", "http://u:p@h:1", "x y"]) {
      await t.rejects(
        g.receive({ ...tip(9), url }),
        InvalidAnnouncerError,
        `${url} (gossip ${enabled ? "on" : "off"})`,
      );
    }
    t.same(peers.ids, [], "no peer registered");
    t.equal(g.counts.received, 0, "a refused announcement is not counted as received");
  }
});

t.test("receive with gossip off: ignored, and nothing changes", async (t) => {
  const { gossip: g, peers, syncs } = gossip(false);
  t.match(await g.receive(from(7401, tip(9))), { outcome: "ignored", message: /gossip is off/ });
  t.same(peers.ids, [], "the announcer is not registered");
  t.same(syncs, []);
  t.match(g.counts, { received: 1, dropped: { "gossip off": 1 } });
  t.equal(g.stats(0).enabled, false);
});

t.test("receive: drops what we hold or is no longer, queues what is longer, registers the announcer", async (t) => {
  const { gossip: g, syncs, registered, network, chain } = gossip(true, 3);
  await tick();
  t.same(network.sent, [], "no peer to tell at start");

  t.match(await g.receive(from(7501, at(2, hash(2)))), { outcome: "known" });
  t.same(registered, ["127.0.0.1:7501"], "an unknown announcer is registered");
  await tick();
  t.same(network.sent, ["127.0.0.1:7501 3"], "one behind us is told our tip");
  await network.answer();
  t.match(await g.receive(from(7501, at(2, hash(2)))), { outcome: "known" });
  t.match(await g.receive(from(7501, at(1, hash(77)))), { outcome: "not longer" });
  await tick();
  t.same(network.sent, ["127.0.0.1:7501 3"], "and told it once, however often it announces");

  t.match(await g.receive(from(7502, at(3, hash(99)))), { outcome: "not longer" });
  await tick();
  t.equal(network.sent.length, 1, "a fork as long as ours is not answered: no ping-pong");

  t.match(await g.receive(from(7501, tip(5))), { outcome: "queued", message: /syncing from 127\.0\.0\.1:7501/ });
  t.match(await g.receive(from(7501, tip(5))), { outcome: "duplicate" });
  t.match(await g.receive(from(7501, tip(6))), { outcome: "queued", message: /waits/ });
  t.match(await g.receive(from(7501, tip(7))), { outcome: "queued" });
  t.equal(syncs.length, 1, "one sync in flight from the announcer");
  t.same(registered, ["127.0.0.1:7501", "127.0.0.1:7502"], "a known announcer is not registered again");

  syncs[0]?.done.resolve("adopted");
  chain.length = 5;
  await tick();
  t.same(
    syncs.map((s) => s.tip.length),
    [5, 7],
    "then the newest that waited",
  );
  syncs[1]?.done.resolve("failed");
  await tick();
  t.match(g.counts, {
    received: 8,
    dropped: { known: 2, "not longer": 2, duplicate: 1, superseded: 1 },
    syncs: { adopted: 1, failed: 1 },
  });
  const { dropped, syncs: synced, received } = g.counts;
  const sum = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);
  t.equal(received, sum(dropped) + sum(synced), "every announcement received was dropped or synced from");
});

t.test("receive: an announcer backing off is dropped; one we do not know past the cap is refused", async (t) => {
  const { gossip: g, peers, syncs } = gossip(true, 3);
  peers.register(["127.0.0.1:7601"]);
  for (let i = 0; i < FAILURES_BEFORE_BACKOFF; i++) peers.failed("127.0.0.1:7601", "garbage", Date.now());
  t.match(await g.receive(from(7601, tip(9))), { outcome: "backing off", message: /skipped until .* garbage/ });
  t.same(syncs, [], "no sync");

  peers.register(Array.from({ length: MAX_PEERS - 1 }, (_, i) => `127.0.0.1:${20_000 + i}`));
  await t.rejects(g.receive(from(7602, tip(9))), TooManyPeersError, "409 past the cap");
  t.match(await g.receive(from(20_000, tip(9))), { outcome: "queued" }, "a registered one still counts");
});

t.test("receive clears the record of announcements to a peer: it is up", async (t) => {
  const { gossip: g, peers } = gossip(true, 3);
  peers.register(["127.0.0.1:7701"]);
  for (let i = 0; i < FAILURES_BEFORE_BACKOFF; i++) peers.announcing.failed("127.0.0.1:7701", "down", Date.now());
  t.ok(peers.announcing.backingOff("127.0.0.1:7701", Date.now()));
  t.match(g.stats(Date.now()).failing, [{ id: "127.0.0.1:7701", health: { failures: FAILURES_BEFORE_BACKOFF } }]);
  await g.receive(from(7701, at(1, hash(1))));
  t.equal(peers.announcing.get("127.0.0.1:7701"), undefined);
});

t.test("tipChanged tells every peer but the one the chain came from", async (t) => {
  const { gossip: g, peers, network } = gossip(true, 4);
  peers.register(["127.0.0.1:7801", "127.0.0.1:7802", "127.0.0.1:7803"]);
  g.tipChanged("127.0.0.1:7802");
  await tick();
  t.same(network.sent.sort(), ["127.0.0.1:7801 4", "127.0.0.1:7803 4"]);
  while (network.waiting.length > 0) await network.answer();
  await g.settled();
  t.match(g.counts, { sent: 2 });
});

t.test("syncFrom reads on from our tip; a chain forking below it costs one page more, then the locate", async (t) => {
  const other = await ToyNode.open({ chain: walkthroughSpec(4), threads: 1, log });
  t.teardown(() => other.close());
  for (let i = 0; i < 3; i++) await other.mine();
  const network = new NodeNetwork({ "127.0.0.1:7901": other });
  const node = await ToyNode.open({ chain: walkthroughSpec(4), threads: 1, log, network, gossip: true });
  t.teardown(() => node.close());
  const announcer = peer(7901);
  t.equal(await node.syncFrom(announcer, other.durableTip), "adopted");
  t.same(network.calls, ["page from 2 127.0.0.1:7901"], "no locate: the page from our tip followed it");
  t.same(await readChain(node), await readChain(other));

  await node.mine();
  await other.mine();
  await other.mine();
  t.equal(await node.syncFrom(announcer, other.durableTip), "adopted", "its longer fork is adopted");
  t.same(
    network.calls.slice(1),
    ["page from 6 127.0.0.1:7901", "locate 127.0.0.1:7901", "page from 5 127.0.0.1:7901"],
    "its block 6 does not follow our 5: the locator finds block 4, and blocks 5 and 6 are read",
  );
  t.same(await readChain(node), await readChain(other));
  t.equal(await node.syncFrom(announcer, other.durableTip), "overtaken", "a tip we hold costs no request");
  t.equal(network.calls.length, 4);
});

t.test("a resolve and a sync from an announcer never run at once", async (t) => {
  const other = await ToyNode.open({ chain: walkthroughSpec(4), threads: 1, log });
  t.teardown(() => other.close());
  await other.mine();
  const release = deferred();
  class Held extends NodeNetwork {
    override async tip(p: Peer): Promise<TipBody> {
      const answer = super.tip(p);
      await release.promise;
      return answer;
    }
  }
  const network = new Held({ "127.0.0.1:7902": other });
  const node = await ToyNode.open({ chain: walkthroughSpec(4), threads: 1, log, network, gossip: true });
  t.teardown(() => node.close());
  await node.registerNodes(["127.0.0.1:7902"]);
  const resolving = node.resolve();
  const syncing = node.syncFrom(peer(7902), other.durableTip);
  await tick();
  // The registration's catch-up (gossip) asks the peer's tip too, and its sync queues like any other.
  t.same(
    network.calls,
    ["tip 127.0.0.1:7902", "tip 127.0.0.1:7902"],
    "the sync waits while the resolve and the registration's catch-up ask for the tip",
  );
  release.resolve();
  t.ok((await resolving).replaced, "the resolve adopts the chain");
  t.equal(await syncing, "overtaken", "and the sync, whose turn comes after, has nothing left to read");
  t.same(network.calls, [
    "tip 127.0.0.1:7902",
    "tip 127.0.0.1:7902",
    "locate 127.0.0.1:7902",
    "page from 2 127.0.0.1:7902",
  ]);
});
