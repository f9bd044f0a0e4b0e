import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import fc from "fast-check";
import t, { type Test } from "tap";
import { parsePeerAddress } from "../src/peers/index.js";
import { type Block, hashOf, proofBits } from "./helpers/chain-check.js";
import {
  type Announced,
  chainOf,
  gossipOf,
  peerName,
  peersOf,
  pendingOf,
  pollTips,
  reach,
  sleep,
  tipOf,
} from "./helpers/gossip.js";
import { type NodeProcess, request, startNode } from "./helpers/node-process.js";
import { recordingPeer, sendJson, servesChain } from "./helpers/sync-peer.js";

/**
 * Gossip against a hostile announcer, a plain HTTP server of the test's, and
 * the ways in: an announcer that cannot serve the long tip it announces, one
 * that floods thousands of announcements, one that serves garbage after
 * announcing, and announcements whose url is not an http(s) host:port. Each
 * costs a bounded number of requests to the announcer, leaves the chain and
 * the mempool as they were, and the node keeps serving. Then a node without
 * --gossip (announcements ignored), and --api-token (announcements carry it).
 */

const DIFFICULTY = 8;
/** The walkthrough chain's id: its genesis hash. */
const CHAIN_ID = "3359bdb5a0bba889b9fe4387a3d400715eddc65be81661733aa502880c47e6e7";
/** A tip of `length` blocks on our chain, as an announcement states it: 2^DIFFICULTY work a block. */
const claim = (length: number) => ({
  length,
  hash: randomHash(),
  work: String(BigInt(length) * 2n ** BigInt(DIFFICULTY)),
  chain: CHAIN_ID,
});
const PEER_TIMEOUT_MS = 1000;
/** Failed syncs in a row after which an announcer is skipped (the resolve's backoff). */
const FAILURES_BEFORE_BACKOFF = 3;
const FLAGS = ["--threads", "1", "--difficulty", String(DIFFICULTY), "--peer-timeout", String(PEER_TIMEOUT_MS)];
const TOKEN = "gossip-token-5e1f0c9a7b3d2468";

const announce = (node: NodeProcess, body: unknown, headers: Record<string, string> = {}) =>
  request<Announced & { errors?: { field: string; message: string }[] }>(`${node.url}/nodes/announce`, {
    body,
    headers,
  });

const randomHash = () => randomBytes(32).toString("hex");

/** Waits until the node's record of `peer` counts `failures` failed syncs. */
async function failuresReach(node: NodeProcess, peer: string, failures: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const health = (await request<{ peer_health: { node: string; failures: number }[] }>(`${node.url}/stats`)).body
      .peer_health;
    if ((health.find((entry) => entry.node === peer)?.failures ?? 0) >= failures) return;
    await sleep(20);
  }
  throw new Error(`${peer} never reached ${failures} failures on ${node.url}`);
}

/** Waits until every announcement the node received was dropped or synced from. */
async function settled(node: NodeProcess): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const gossip = await gossipOf(node);
    if (gossip.announcements_received === gossip.announcements_dropped + gossip.syncs) return;
    await sleep(20);
  }
  throw new Error(`${node.url} still has syncs queued`);
}

t.test("a hostile announcer costs bounded work and changes nothing", async (t) => {
  const hostiles: { url: string; requests: string[] }[] = [];
  // They stay up until the end: the last subtest mines a block, which is announced to them.
  const outer = t;
  const serve = async (handle: (req: IncomingMessage, res: ServerResponse) => void) => {
    const h = await recordingPeer(outer, handle);
    hostiles.push(h);
    return h;
  };
  const node = await startNode(["--gossip", ...FLAGS], { t });
  await request(`${node.url}/mine`);
  await request(`${node.url}/mine`);
  await request(`${node.url}/transactions/new`, { body: { sender: "Lea", recipient: "Mark", amount: 10 } });
  const chain = await chainOf(node);
  const pending = await pendingOf(node);
  const unchanged = async (t: Test) => {
    t.same(await chainOf(node), chain, "our chain is as it was");
    t.same(await pendingOf(node), pending, "and our pending transactions");
  };

  await t.test("a long tip it cannot serve: three syncs, then it is skipped", async (t) => {
    const h = await serve((req) => req.socket.destroy());
    const peer = peerName({ port: Number(new URL(h.url).port) } as NodeProcess);
    for (let i = 1; i <= FAILURES_BEFORE_BACKOFF; i++) {
      const answer = await announce(node, { ...claim(1000 + i), url: h.url });
      t.equal(answer.status, 202);
      t.equal(answer.body.outcome, "queued", `announcement ${i} is queued`);
      await failuresReach(node, peer, i);
    }
    const skipped = await announce(node, { ...claim(2000), url: h.url });
    t.equal(skipped.body.outcome, "backing off", "then its announcements are dropped");
    t.match(skipped.body.message, /skipped until .* after failing 3 times in a row/);
    t.same(
      h.requests,
      Array.from({ length: FAILURES_BEFORE_BACKOFF }, (_, i) => `GET /chain?from=4&limit=${998 + i}&max_bytes=2097152`),
      "one request per sync: the page after our tip",
    );
    t.ok((await peersOf(node)).includes(peer), "it was registered, as /nodes/register would");
    await unchanged(t);
  });

  await t.test("thousands of announcements: at most three syncs, and the node keeps serving", async (t) => {
    const h = await serve((_req, res) => sendJson(res, { message: "no such chain" }, 404));
    const before = await gossipOf(node);
    const FLOOD = 3000;
    const answers = new Set<string>();
    let next = 0;
    const served: number[] = [];
    const client = async () => {
      for (let i = next++; i < FLOOD; i = next++) {
        const answer = await announce(node, { ...claim(10 + i), url: h.url });
        answers.add(`${answer.status} ${answer.body.outcome}`);
        if (i % 250 === 0) served.push((await request(`${node.url}/chain/tip`)).status);
      }
    };
    await Promise.all(Array.from({ length: 32 }, client));
    t.ok(
      [...answers].every((answer) => answer === "202 queued" || answer === "202 backing off"),
      "every announcement is answered 202: queued, or dropped once it has failed three times",
      { answers: [...answers] },
    );
    t.same(
      served,
      served.map(() => 200),
      "GET /chain/tip answered meanwhile",
    );
    await settled(node);
    t.ok(
      h.requests.length <= FAILURES_BEFORE_BACKOFF,
      `${h.requests.length} requests to it for ${FLOOD} announcements`,
    );
    t.ok(
      h.requests.every((line) => line.startsWith("GET /chain?from=4&")),
      "each a page after our tip",
    );
    const gossip = await gossipOf(node);
    t.equal(gossip.announcements_received - before.announcements_received, FLOOD, "every one is counted");
    t.equal(
      gossip.announcements_dropped - before.announcements_dropped,
      FLOOD - h.requests.length,
      "and all dropped but those synced from",
    );
    await unchanged(t);
  });

  await t.test("a tip announced, then garbage served: one page read, nothing kept", async (t) => {
    const tip = chain[chain.length - 1] as Block;
    const fake: Block[] = [...chain];
    for (let i = 0; i < 3; i++) {
      const previous = fake[fake.length - 1] as Block;
      const block: Block = {
        index: previous.index + 1,
        timestamp: tip.timestamp + 1 + i,
        transactions: [{ sender: "0", recipient: "0123456789abcdef0123456789abcdef", amount: 1 }],
        proof: 0,
        previous_hash: hashOf(previous),
      };
      // A proof that misses the difficulty.
      while (proofBits(block) >= DIFFICULTY) block.proof++;
      fake.push(block);
    }
    const announced = { ...claim(fake.length), hash: hashOf(fake[fake.length - 1] as Block) };
    const cases: [string, (req: IncomingMessage, res: ServerResponse) => void][] = [
      ["blocks whose proofs miss", servesChain(fake, DIFFICULTY)],
      [
        "HTML",
        servesChain(fake, DIFFICULTY, (step, _req, res) => {
          if (step !== "page") return false;
          res.writeHead(200, { "content-type": "text/html" }).end("<html>not a chain</html>");
          return true;
        }),
      ],
      [
        "JSON that is not a chain",
        servesChain(fake, DIFFICULTY, (step, _req, res) => {
          if (step !== "page") return false;
          sendJson(res, { chain: "garbage", length: announced.length });
          return true;
        }),
      ],
    ];
    for (const [what, handle] of cases) {
      const h = await serve(handle);
      const answer = await announce(node, { ...announced, url: h.url });
      t.equal(answer.body.outcome, "queued", `${what}: queued`);
      await failuresReach(node, `127.0.0.1:${new URL(h.url).port}`, 1);
      t.equal(h.requests.length, 1, `${what}: one request, the page after our tip`);
      t.match(h.requests[0], new RegExp(`^GET /chain\\?from=${chain.length + 1}&`));
      await unchanged(t);
    }
  });

  await t.test("a url that is not an http(s) host:port: 400, and nothing changes", async (t) => {
    const peers = await peersOf(node);
    const before = await gossipOf(node);
    for (const url of [
      "ftp://127.0.0.1:5001",
      "file:///etc/passwd",
      "javascript:alert(1)",
      "127.0.0.1",
      "http://127.0.0.1",
      "http://127.0.0.1:5001/nodes",
      "http://127.0.0.1:5001?x=1",
      "http://user:secret@127.0.0.1:5001",
      "http://127.0.0.1:0",
      "http://[::1",
      "",
    ]) {
      const answer = await announce(node, { ...claim(1000), url });
      t.equal(answer.status, 400, `${JSON.stringify(url)}: 400`);
      t.equal(answer.body.errors?.[0]?.field, "url", "naming the url");
    }
    t.same(await peersOf(node), peers, "no peer registered");
    t.equal((await gossipOf(node)).announcements_received, before.announcements_received, "none counted as received");
    await unchanged(t);
  });

  await t.test("a block mined here is announced once to each of them, as to any peer", async (t) => {
    const listening = await recordingPeer(t, (_req, res) => sendJson(res, { outcome: "queued", message: "ok" }, 202));
    await request(`${node.url}/nodes/register`, { body: { nodes: [listening.url] } });
    const before = hostiles.map((h) => h.requests.length);
    await request(`${node.url}/mine`);
    for (let i = 0; i < 100 && !listening.requests.includes("POST /nodes/announce"); i++) await sleep(20);
    await settled(node);
    await sleep(300);
    t.same(
      listening.requests,
      ["GET /chain/tip", "POST /nodes/announce"],
      "a peer that takes it, asked its tip as it was registered, is told once",
    );
    for (const [i, h] of hostiles.entries()) {
      t.same(h.requests.slice(before[i]), ["POST /nodes/announce"], `hostile ${i + 1} is told once too`);
    }
    t.equal((await peersOf(node)).length, hostiles.length + 1, "each is a peer: registered when it announced");
  });
});

t.test("any announcement body: 202 or 400 with a message, never a 5xx; a refused one registers nothing", async (t) => {
  const node = await startNode(["--gossip", ...FLAGS], { t });
  // The one address the node may take: a server of the test's, which refuses everything.
  const sink = await recordingPeer(t, (_req, res) => sendJson(res, { message: "no" }, 404));
  const sinkPort = Number(new URL(sink.url).port);
  const text = fc.string({ maxLength: 80, unit: "binary" });
  const url = fc.oneof(
    text,
    fc.webUrl({ withQueryParameters: true, withFragments: true }),
    fc
      .tuple(fc.constantFrom("http://", "https://", "ftp://", ""), fc.domain(), fc.nat(70_000))
      .map(([scheme, host, port]) => `${scheme}${host}:${port}`),
    fc
      .tuple(fc.constantFrom("http://", "https://", ""), fc.constantFrom(sinkPort, 0, 70_000, 99_999))
      .map(([scheme, port]) => `${scheme}127.0.0.1:${port}`),
  );
  const announcement = fc.record(
    {
      length: fc.oneof(fc.integer(), fc.double(), text, fc.constant(null)),
      hash: fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), text),
      url,
    },
    { requiredKeys: [] },
  );
  // An address the node would take must be the sink's: the test reaches nothing else, not even a DNS server.
  const foreign = (value: unknown): boolean => {
    const given = (value as { url?: unknown } | null)?.url;
    if (typeof given !== "string") return false;
    try {
      return parsePeerAddress(given).id !== `127.0.0.1:${sinkPort}`;
    } catch {
      return false;
    }
  };
  const body = fc.oneof(announcement, fc.jsonValue({ maxDepth: 2 })).filter((value) => !foreign(value));
  await fc.assert(
    fc.asyncProperty(body, async (value) => {
      const before = (await peersOf(node)).length;
      const answer = await announce(node, value);
      if (![202, 400].includes(answer.status) || typeof answer.body.message !== "string") {
        throw new Error(`answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
      if (answer.status === 400 && (await peersOf(node)).length !== before) {
        throw new Error(`a refused announcement registered a peer: ${JSON.stringify(value)}`);
      }
    }),
    { numRuns: 300 },
  );
  t.equal((await request(`${node.url}/chain/tip`)).status, 200, "the node still answers");
  t.equal((await tipOf(node)).length, 1, "and its chain is its genesis");
});

t.test("without --gossip, announcements are answered 202 'ignored' and change nothing", async (t) => {
  const node = await startNode(FLAGS, { t });
  const h = await recordingPeer(t, (_req, res) => sendJson(res, { message: "no" }, 404));
  const answer = await announce(node, { ...claim(50), url: h.url });
  t.equal(answer.status, 202);
  t.same(answer.body, {
    outcome: "ignored",
    message: "Announcement ignored: gossip is off on this node (see --gossip)",
  });
  t.equal((await announce(node, { ...claim(50), url: "ftp://x:1" })).status, 400, "a bad url is still 400");
  await request(`${node.url}/nodes/register`, { body: { nodes: [h.url] } });
  await request(`${node.url}/mine`);
  await sleep(300);
  t.same(h.requests, [], "nothing was asked of the announcer, and no block announced to a peer");
  t.same(await peersOf(node), [`127.0.0.1:${new URL(h.url).port}`], "only the peer registered by hand");
  t.match(await gossipOf(node), {
    enabled: false,
    public_url: null,
    announcements_sent: 0,
    announcements_received: 1,
    announcements_dropped: 1,
  });
});

t.test("with --api-token, announcements need the token and carry it", async (t) => {
  const auth = { authorization: `Bearer ${TOKEN}` };
  const env = ["--gossip", ...FLAGS, "--api-token", TOKEN];
  const [a, b] = await Promise.all([startNode(env, { t }), startNode(env, { t })]);
  const other = await startNode(["--gossip", ...FLAGS, "--api-token", `${TOKEN}-other`], { t });
  const refused = await announce(a, { ...claim(5), url: b.url });
  t.equal(refused.status, 401, "an announcement without the token: 401");
  t.same(await peersOf(a), [], "and the announcer is not registered");
  await request(`${a.url}/nodes/register`, { body: { nodes: [b.url, other.url] }, headers: auth });
  await request(`${a.url}/mine`, { headers: auth });
  const tip = await tipOf(a);
  const { done, settled: at } = reach(tip);
  const { ms } = await pollTips([b], done, { boundMs: 2000, settled: at });
  t.ok(ms !== undefined, "the node sharing the token has the block: the announcement carried it");
  t.equal((await tipOf(other)).length, 1, "the node with another token did not");
  for (let i = 0; i < 100 && (await gossipOf(a)).announcements_failed === 0; i++) await sleep(20);
  const gossip = await gossipOf(a);
  t.equal(gossip.announcements_failed, 1, "the announcement to the node with another token failed");
  t.match(gossip.failing_peers, [{ node: peerName(other), failures: 1, last_error: /HTTP 401/ }]);
  t.notMatch(JSON.stringify(a.logs) + JSON.stringify(b.logs), TOKEN, "the token is never logged");
});
