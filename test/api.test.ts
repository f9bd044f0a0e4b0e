import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import t from "tap";
import {
  type Block,
  type BlockTemplate,
  blockHash,
  GENESIS,
  meetsDifficulty,
  type NetworkRules,
  powHeader,
  rewardFor,
  type Transaction,
  validateChain,
  walkthroughSpec,
} from "../src/chain/index.js";
import { type RunningNode, startNode } from "../src/server.js";

const DIFFICULTY = 8;
const RULES: NetworkRules = walkthroughSpec(DIFFICULTY);
/** blockHash(GENESIS), computed with sha256sum (see chain.test.ts). */
const GENESIS_HASH = "3359bdb5a0bba889b9fe4387a3d400715eddc65be81661733aa502880c47e6e7";
const NODE_ID = /^[0-9a-f]{32}$/;

const LEA_10: Transaction = { sender: "Lea", recipient: "Mark", amount: 10 };
const LEA_5: Transaction = { sender: "Lea", recipient: "Mark", amount: 5 };

interface Reply<T> {
  status: number;
  headers: Headers;
  body: T;
}

interface Message {
  message: string;
}
interface MineBody extends Message {
  index: number;
  transactions: Transaction[];
  proof: number;
  previous_hash: string;
}
interface ChainBody {
  chain: Block[];
  length: number;
}
interface PendingBody {
  transactions: Transaction[];
  length: number;
}
interface BlockFoundBody {
  hash: string;
  height: number;
  confirmations: number;
  block: Block;
}
interface RefusalBody extends Message {
  errors?: { field: string; message: string }[];
}
interface RegisterBody extends Message {
  total_nodes: string[];
}
interface PeerReport {
  node: string;
  reached: boolean;
  verdict: string;
  length?: number;
  reason?: string;
}
interface ResolveBody extends Message {
  chain?: Block[];
  new_chain?: Block[];
  peers: PeerReport[];
}

async function call<T>(base: string, path: string, json?: unknown, method = json === undefined ? "GET" : "POST") {
  const init: RequestInit = { method };
  if (json !== undefined) {
    init.headers = { "content-type": "application/json" };
    init.body = JSON.stringify(json);
  }
  const response = await fetch(base + path, init);
  const text = await response.text();
  const reply: Reply<T> = { status: response.status, headers: response.headers, body: JSON.parse(text) as T };
  return reply;
}

const get = <T>(node: RunningNode, path: string) => call<T>(node.url, path);
const post = <T>(node: RunningNode, path: string, json: unknown) => call<T>(node.url, path, json);
const chainOf = async (node: RunningNode): Promise<Block[]> => (await get<ChainBody>(node, "/chain")).body.chain;

/** A node on a free port of the loopback; closed when the test ends. */
async function node(t: Test): Promise<RunningNode> {
  const running = await startNode({
    port: 0,
    host: "127.0.0.1",
    threads: 2,
    difficulty: DIFFICULTY,
    logLevel: "silent",
  });
  t.teardown(() => running.close());
  return running;
}

/** A peer's id as the API names it: host:port. */
const idOf = (url: string): string => new URL(url).host;

/** A plain HTTP server that answers every request with `handler`; closed when the test ends. */
async function fakePeer(
  t: Test,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; paths: string[] }> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.teardown(() => {
    server.close();
    server.closeAllConnections();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths };
}

const sendJson = (res: ServerResponse, body: string, status = 200) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(body);
};

/** A port where nothing listens: a server's port right after it closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

function mine(template: BlockTemplate): Block {
  const header = powHeader(template);
  for (let proof = 0; ; proof++) if (meetsDifficulty(header, proof, DIFFICULTY)) return { ...template, proof };
}

type Test = Parameters<Parameters<typeof t.test>[0]>[0];

t.test("the walkthrough on one node", async (t) => {
  const a = await node(t);

  t.test("GET / points to the docs", async (t) => {
    const reply = await get<Message>(a, "/");
    t.equal(reply.status, 200);
    t.match(reply.headers.get("content-type"), /^application\/json/);
    t.same(Object.keys(reply.body), ["message"]);
    t.match(reply.body.message, /\/docs/);
    t.match(reply.body.message, /\/redoc/);
  });

  t.test("GET /chain on a fresh node: the genesis", async (t) => {
    const reply = await get<ChainBody>(a, "/chain");
    t.equal(reply.status, 200);
    t.match(reply.headers.get("content-type"), /^application\/json/);
    t.strictSame(reply.body, { chain: [GENESIS], length: 1 });
    t.equal(blockHash(reply.body.chain[0] as Block), GENESIS_HASH);
  });

  t.test("POST /transactions/new and GET /transactions/pending", async (t) => {
    const expected = {
      message: "Transaction added to the list of current transactions and will be mined into the block at index 2",
    };
    const first = await post<Message>(a, "/transactions/new", LEA_10);
    t.equal(first.status, 200);
    t.strictSame(first.body, expected);
    const second = await post<Message>(a, "/transactions/new", LEA_5);
    t.equal(second.status, 200);
    t.strictSame(second.body, expected);

    const pending = await get<PendingBody>(a, "/transactions/pending");
    t.equal(pending.status, 200);
    t.strictSame(pending.body, { transactions: [LEA_10, LEA_5], length: 2 });
  });

  t.test("GET /mine forges block 2 with the pending transactions, then the reward", async (t) => {
    const reply = await get<MineBody>(a, "/mine");
    t.equal(reply.status, 200);
    t.same(Object.keys(reply.body).sort(), ["index", "message", "previous_hash", "proof", "transactions"]);
    t.equal(reply.body.message, "New Block Forged");
    t.equal(reply.body.index, 2);
    t.equal(reply.body.previous_hash, GENESIS_HASH, "previous_hash is the hash of block 1");
    t.ok(Number.isSafeInteger(reply.body.proof) && reply.body.proof >= 0);
    t.match(a.node.id, NODE_ID);
    t.strictSame(reply.body.transactions, [LEA_10, LEA_5, { sender: "0", recipient: a.node.id, amount: 1 }]);

    const chain = await chainOf(a);
    t.equal(chain.length, 2);
    const block = chain[1] as Block;
    t.type(block.timestamp, "number");
    t.strictSame(
      { ...block, timestamp: 0 },
      {
        index: 2,
        timestamp: 0,
        transactions: reply.body.transactions,
        proof: reply.body.proof,
        previous_hash: GENESIS_HASH,
      },
    );
    t.ok(meetsDifficulty(powHeader(block), block.proof, DIFFICULTY), "the proof is valid for the block's content");
    t.same(validateChain(chain, RULES).length, 2);

    t.strictSame((await get<PendingBody>(a, "/transactions/pending")).body, { transactions: [], length: 0 });
  });

  t.test("a second /mine has index 3 and only the reward", async (t) => {
    const reply = await get<MineBody>(a, "/mine");
    t.equal(reply.status, 200);
    t.equal(reply.body.message, "New Block Forged");
    t.equal(reply.body.index, 3);
    t.strictSame(reply.body.transactions, [rewardFor(a.node.id)]);
    const chain = await chainOf(a);
    t.equal(reply.body.previous_hash, blockHash(chain[1] as Block));
  });

  t.test("GET /chain is {chain, length}", async (t) => {
    const reply = await get<ChainBody>(a, "/chain");
    t.equal(reply.status, 200);
    t.same(Object.keys(reply.body).sort(), ["chain", "length"]);
    t.equal(reply.body.length, 3);
    t.equal(reply.body.chain.length, 3);
    t.same(
      reply.body.chain.map((b) => b.index),
      [1, 2, 3],
    );
    for (const block of reply.body.chain) {
      t.same(Object.keys(block).sort(), ["index", "previous_hash", "proof", "timestamp", "transactions"]);
    }
  });

  t.test("GET /blocks/{hash}: a block of the chain by its hash, with its height and confirmations", async (t) => {
    const chain = await chainOf(a);
    const genesis = await get<BlockFoundBody>(a, `/blocks/${GENESIS_HASH}`);
    t.equal(genesis.status, 200);
    t.strictSame(genesis.body, { hash: GENESIS_HASH, height: 1, confirmations: 3, block: GENESIS }, "the genesis");
    const tipHash = blockHash(chain[2] as Block);
    const tip = await get<BlockFoundBody>(a, `/blocks/${tipHash}`);
    t.strictSame(tip.body, { hash: tipHash, height: 3, confirmations: 1, block: chain[2] }, "the tip: 1 confirmation");

    const unknown = "0".repeat(64);
    const missing = await get<RefusalBody>(a, `/blocks/${unknown}`);
    t.equal(missing.status, 404);
    t.strictSame(missing.body, { message: `Block ${unknown} is not in this node's chain` });
    const malformed = await get<RefusalBody>(a, `/blocks/${GENESIS_HASH.toUpperCase()}`);
    t.equal(malformed.status, 400, "hashes are lower-case hex");
    t.strictSame(
      malformed.body.errors?.map((e) => e.field),
      ["hash"],
      "the refusal names the field",
    );
  });

  t.test("a transaction after two blocks is meant for block 4", async (t) => {
    const reply = await post<Message>(a, "/transactions/new", { sender: "Mark", recipient: "Lea", amount: 0.5 });
    t.equal(reply.status, 200);
    t.equal(
      reply.body.message,
      "Transaction added to the list of current transactions and will be mined into the block at index 4",
    );
  });

  t.test("three concurrent /mine requests forge three consecutive blocks", async (t) => {
    const replies = await Promise.all([1, 2, 3].map(() => get<MineBody>(a, "/mine")));
    t.same(
      replies.map((r) => r.status),
      [200, 200, 200],
    );
    t.same(replies.map((r) => r.body.index).sort(), [4, 5, 6], "distinct, consecutive indexes");
    const chain = await chainOf(a);
    t.equal(chain.length, 6);
    t.doesNotThrow(() => validateChain(chain, RULES), "the chain is valid");
    for (const reply of replies) {
      const block = chain[reply.body.index - 1] as Block;
      t.equal(reply.body.proof, block.proof);
      t.equal(reply.body.previous_hash, block.previous_hash);
      t.same(reply.body.transactions, block.transactions);
    }
    t.same(
      (chain[3] as Block).transactions,
      [{ sender: "Mark", recipient: "Lea", amount: 0.5 }, rewardFor(a.node.id)],
      "the pending transaction went into block 4, once",
    );
    t.same((chain[4] as Block).transactions, [rewardFor(a.node.id)]);
    t.same((chain[5] as Block).transactions, [rewardFor(a.node.id)]);
  });

  t.test("/nodes/resolve without peers: our chain is authoritative", async (t) => {
    const chain = await chainOf(a);
    const reply = await get<ResolveBody>(a, "/nodes/resolve");
    t.equal(reply.status, 200);
    t.strictSame(reply.body, { message: "Our chain is authoritative", chain, peers: [] });
  });
});

t.test("POST /nodes/register", async (t) => {
  const r = await node(t);
  const register = (nodes: string[]) => post<RegisterBody>(r, "/nodes/register", { nodes });

  const first = await register(["http://127.0.0.1:5001"]);
  t.equal(first.status, 200);
  t.strictSame(first.body, { message: "1 new nodes have been successfully added", total_nodes: ["127.0.0.1:5001"] });

  const again = await register(["http://127.0.0.1:5001"]);
  t.equal(again.status, 200);
  t.strictSame(again.body, { message: "0 new nodes have been successfully added", total_nodes: ["127.0.0.1:5001"] });

  const hostPort = await register(["127.0.0.1:5001"]);
  t.strictSame(
    hostPort.body,
    { message: "0 new nodes have been successfully added", total_nodes: ["127.0.0.1:5001"] },
    "host:port names the same node as http://host:port",
  );

  const more = await register(["127.0.0.1:5002", "localhost:5003", "127.0.0.1:5002"]);
  t.equal(more.status, 200);
  t.strictSame(more.body, {
    message: "2 new nodes have been successfully added",
    total_nodes: ["127.0.0.1:5001", "127.0.0.1:5002", "localhost:5003"],
  });

  const https = await register(["https://example.com:8443"]);
  t.equal(https.body.message, "1 new nodes have been successfully added");
  t.equal(https.body.total_nodes.length, 4);
  t.match(https.body.total_nodes[3], /^https:\/\/example\.com:8443$/);
});

t.test("/nodes/resolve between two in-process nodes", async (t) => {
  const b = await node(t);
  const c = await node(t);
  const ORPHAN: Transaction = { sender: "Orphan", recipient: "Bob", amount: 3 };

  // C forges block 2 with ORPHAN and LEA_10; B forges block 2 with LEA_10, then block 3.
  t.equal((await post<Message>(c, "/transactions/new", ORPHAN)).status, 200);
  t.equal((await post<Message>(c, "/transactions/new", LEA_10)).status, 200);
  t.equal((await get<MineBody>(c, "/mine")).body.index, 2);
  t.equal((await post<Message>(b, "/transactions/new", LEA_10)).status, 200);
  t.equal((await get<MineBody>(b, "/mine")).body.index, 2);
  t.equal((await get<MineBody>(b, "/mine")).body.index, 3);
  t.equal((await post<Message>(c, "/transactions/new", LEA_5)).status, 200);
  const cBefore = await chainOf(c);
  const bChain = await chainOf(b);

  t.test("the node behind adopts the longer chain", async (t) => {
    const registered = await post<RegisterBody>(c, "/nodes/register", { nodes: [idOf(b.url)] });
    t.strictSame(registered.body, {
      message: "1 new nodes have been successfully added",
      total_nodes: [idOf(b.url)],
    });
    const reply = await get<ResolveBody>(c, "/nodes/resolve");
    t.equal(reply.status, 200);
    t.same(Object.keys(reply.body).sort(), ["message", "new_chain", "peers"]);
    t.equal(reply.body.message, "Our chain was replaced");
    t.strictSame(reply.body.new_chain, bChain);
    t.strictSame(reply.body.peers, [{ node: idOf(b.url), reached: true, verdict: "adopted", length: 3 }]);
    t.strictSame(await chainOf(c), bChain, "GET /chain shows the adopted chain");
    t.notSame(bChain, cBefore);
    const dropped = blockHash(cBefore[1] as Block);
    t.equal((await get<Message>(c, `/blocks/${dropped}`)).status, 404, "c's own block 2, of the branch it left: 404");
    const adopted = await get<BlockFoundBody>(c, `/blocks/${blockHash(bChain[1] as Block)}`);
    t.equal(adopted.status, 200);
    t.same([adopted.body.height, adopted.body.confirmations], [2, 2], "b's block 2, now c's, 2 deep");
  });

  t.test("the mempool keeps what the adopted chain lacks", async (t) => {
    const pending = await get<PendingBody>(c, "/transactions/pending");
    t.strictSame(
      pending.body,
      { transactions: [ORPHAN, LEA_5], length: 2 },
      "the orphaned payment first, then the pending one; LEA_10 is confirmed and the old reward is gone",
    );
    const mined = await get<MineBody>(c, "/mine");
    t.equal(mined.body.index, 4);
    t.equal(mined.body.previous_hash, blockHash(bChain[2] as Block));
    t.strictSame(mined.body.transactions, [ORPHAN, LEA_5, rewardFor(c.node.id)], "LEA_10 is not mined again");
    const chain = await chainOf(c);
    t.doesNotThrow(() => validateChain(chain, RULES), "C's chain is valid");
    t.strictSame(chain.slice(0, 3), bChain);
  });

  t.test("the other node catches up (an extension), then stays authoritative", async (t) => {
    await post<RegisterBody>(b, "/nodes/register", { nodes: [c.url] });
    // C has 4 blocks now: B adopts C's chain, an extension of its own.
    const reply = await get<ResolveBody>(b, "/nodes/resolve");
    t.equal(reply.body.message, "Our chain was replaced");
    t.strictSame(reply.body.peers, [{ node: idOf(c.url), reached: true, verdict: "adopted", length: 4 }]);
    t.strictSame(await chainOf(b), await chainOf(c));

    const again = await get<ResolveBody>(b, "/nodes/resolve");
    t.equal(again.status, 200);
    t.same(Object.keys(again.body).sort(), ["chain", "message", "peers"]);
    t.equal(again.body.message, "Our chain is authoritative");
    t.strictSame(again.body.chain, await chainOf(c));
    t.strictSame(again.body.peers, [{ node: idOf(c.url), reached: true, verdict: "not longer", length: 4 }]);
  });
});

t.test("/nodes/resolve against a peer that is down", async (t) => {
  const d = await node(t);
  const port = await closedPort();
  await post<RegisterBody>(d, "/nodes/register", { nodes: [`127.0.0.1:${port}`] });
  const reply = await get<ResolveBody>(d, "/nodes/resolve");
  t.equal(reply.status, 200);
  t.equal(reply.body.message, "Our chain is authoritative");
  t.strictSame(reply.body.chain, [GENESIS]);
  t.equal(reply.body.peers.length, 1);
  const [report] = reply.body.peers;
  t.match(report, { node: `127.0.0.1:${port}`, reached: false, verdict: "unreachable" });
  t.match(report?.reason, /ECONNREFUSED/);
  t.equal((await get<ChainBody>(d, "/chain")).status, 200, "the node still serves");
});

t.test("/nodes/resolve against peers that misbehave", async (t) => {
  const e = await node(t);
  const honest = await node(t);
  // An honest, longer chain that only a followed redirect would reveal.
  for (let i = 0; i < 3; i++) await get<MineBody>(honest, "/mine");
  t.equal((await chainOf(honest)).length, 4);
  await get<MineBody>(e, "/mine");
  const before = await chainOf(e);
  t.equal(before.length, 2);

  // A shape-valid chain of 3 whose last proof is wrong.
  const b2 = mine({
    index: 2,
    timestamp: 1_700_000_000,
    transactions: [rewardFor("ab".repeat(16))],
    previous_hash: GENESIS_HASH,
  });
  const template3: BlockTemplate = {
    index: 3,
    timestamp: 1_700_000_001,
    transactions: [rewardFor("ab".repeat(16))],
    previous_hash: blockHash(b2),
  };
  let wrong = 0;
  while (meetsDifficulty(powHeader(template3), wrong, DIFFICULTY)) wrong++;
  const bad3 = { ...template3, proof: wrong };
  const PAGE = "GET /chain?from=2&limit=2&max_bytes=2097152";
  /** A peer that claims a chain of 3 sharing our genesis, and answers its page with `page`. */
  const syncing = (page: (res: ServerResponse) => void) =>
    fakePeer(t, (req, res) => {
      if (req.url === "/chain/tip")
        sendJson(
          res,
          JSON.stringify({ length: 3, hash: blockHash(bad3), work: String(3 * 2 ** DIFFICULTY), chain: GENESIS_HASH }),
        );
      else if (req.url === "/chain/locate") sendJson(res, JSON.stringify({ height: 1, hash: GENESIS_HASH }));
      else page(res);
    });

  const peers = {
    garbage: await syncing((res) => sendJson(res, "{this is not JSON")),
    shape: await syncing((res) => sendJson(res, JSON.stringify({ chain: "two blocks", length: 3 }))),
    badProof: await syncing((res) => sendJson(res, JSON.stringify({ chain: [b2, bad3], length: 3 }))),
    gap: await syncing((res) => sendJson(res, JSON.stringify({ chain: [bad3], length: 3 }))),
    genesis: await fakePeer(t, (req, res) => {
      if (req.url === "/chain/tip")
        sendJson(
          res,
          JSON.stringify({ length: 3, hash: blockHash(bad3), work: String(3 * 2 ** DIFFICULTY), chain: GENESIS_HASH }),
        );
      else sendJson(res, JSON.stringify({ message: "None of the locator's blocks is in this node's chain" }), 404);
    }),
    redirect: await fakePeer(t, (_req, res) => {
      res.writeHead(302, { location: `${honest.url}/chain/tip` });
      res.end();
    }),
    missing: await fakePeer(t, (_req, res) => sendJson(res, JSON.stringify({ message: "no" }), 404)),
  };
  const urls = Object.values(peers).map((p) => p.url);
  const registered = await post<RegisterBody>(e, "/nodes/register", { nodes: urls });
  t.equal(registered.body.message, `${urls.length} new nodes have been successfully added`);

  const reply = await get<ResolveBody>(e, "/nodes/resolve");
  t.equal(reply.status, 200);
  t.equal(reply.body.message, "Our chain is authoritative");
  t.strictSame(reply.body.chain, before);
  t.strictSame(await chainOf(e), before, "our chain is unchanged");
  t.same(
    reply.body.peers.map((p) => p.node),
    urls.map(idOf),
    "one report per peer, in registration order",
  );
  const report = Object.fromEntries(
    Object.keys(peers).map((name, i) => [name, reply.body.peers[i] as PeerReport]),
  ) as Record<keyof typeof peers, PeerReport>;

  t.match(report.garbage, { reached: true, verdict: "invalid", reason: /^its page from block 2 is not JSON/ });
  t.match(report.shape, { reached: true, verdict: "invalid", reason: /^its page from block 2: Invalid chain: chain/ });
  t.match(report.badProof, {
    reached: true,
    verdict: "invalid",
    reason: new RegExp(`^block 3: proof ${wrong} does not reach ${DIFFICULTY} leading zero bits`),
  });
  t.match(report.gap, { reached: true, verdict: "invalid", reason: "its page from block 2 starts at block 3" });
  t.match(report.genesis, { reached: true, verdict: "invalid", reason: /^its chain shares no block with ours/ });
  t.match(report.redirect, { verdict: "unreachable", reason: /302/ });
  t.match(report.missing, { verdict: "unreachable", reason: /404/ });
  for (const [name, entry] of Object.entries(report)) {
    t.type(entry.reason, "string", `${name} has a reason`);
    t.notOk(entry.verdict === "adopted", `${name} is not adopted`);
  }
  for (const name of ["garbage", "shape", "badProof", "gap"] as const) {
    t.same(peers[name].paths, ["GET /chain/tip", "POST /chain/locate", PAGE], `${name}: tip, locate, one page`);
  }
  t.same(peers.genesis.paths, ["GET /chain/tip", "POST /chain/locate"], "genesis: no page is asked for");
  t.same(peers.redirect.paths, ["GET /chain/tip"], "the redirect is not followed");

  t.equal((await get<MineBody>(e, "/mine")).body.index, 3, "the node still mines on its own chain");
});

t.test(
  "a transaction posted while a block is being mined is told the index of the block that will hold it",
  async (t) => {
    const running = await startNode({ port: 0, host: "127.0.0.1", threads: 2, difficulty: 22, logLevel: "silent" });
    t.teardown(() => running.close());
    const mining = get<MineBody>(running, "/mine");
    await new Promise((resolve) => setTimeout(resolve, 20));
    const added = await post<Message>(running, "/transactions/new", LEA_10);
    const promised = Number(/index (\d+)$/.exec(added.body.message)?.[1]);
    const first = await mining;
    const holder = first.body.transactions.some((tx) => tx.sender === "Lea")
      ? first.body.index
      : (await get<MineBody>(running, "/mine")).body.index;
    t.ok(Number.isInteger(promised) && Number.isInteger(holder));
    t.equal(promised, holder, "the index in the message is where the transaction was mined");
  },
);
