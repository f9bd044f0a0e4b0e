import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import t, { type Test } from "tap";
import { type Block, type ChainBody, hashOf, proofBits, type ResolveBody } from "./helpers/chain-check.js";
import { type NodeProcess, request, startNode } from "./helpers/node-process.js";
import { servesChain } from "./helpers/sync-peer.js";

/**
 * What /nodes/resolve reports of each peer is what was known: a verdict
 * against our chain as it is when the resolve ends (it may have grown
 * meanwhile), "not checked" for a chain that was read but never checked, and
 * a peer counted healthy only when its chain was read whole and valid. Real
 * node processes, and one real HTTP server on 127.0.0.1 playing a bad peer.
 */

const DIFFICULTY = 8;
const FLAGS = ["--difficulty", String(DIFFICULTY), "--threads", "1"];

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface PeerHealthLine {
  node: string;
  failures: number;
  retry_at: string | null;
}

/** A server on 127.0.0.1 whose GET /chain is answered by `handler`, which the test swaps. */
async function fakePeer(t: Test) {
  let handler: Handler = (_req, res) => {
    res.writeHead(503).end();
  };
  let asked = 0;
  const server: Server = createServer((req, res) => {
    asked++;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return {
    id: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    serve(next: Handler) {
      handler = next;
    },
    get asked() {
      return asked;
    },
  };
}

const idOf = (node: NodeProcess): string => `127.0.0.1:${node.port}`;

async function mine(node: NodeProcess, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const res = await request(`${node.url}/mine`);
    if (res.status !== 200) throw new Error(`GET /mine on ${idOf(node)} answered ${res.status}`);
  }
}

async function register(node: NodeProcess, peers: string[]): Promise<void> {
  const res = await request(`${node.url}/nodes/register`, { body: { nodes: peers } });
  if (res.status !== 200) throw new Error(`register answered ${res.status}: ${JSON.stringify(res.body)}`);
}

const chainOf = async (node: NodeProcess): Promise<Block[]> =>
  (await request<ChainBody>(`${node.url}/chain`)).body.chain;

const resolve = async (node: NodeProcess): Promise<ResolveBody> => {
  const res = await request<ResolveBody>(`${node.url}/nodes/resolve`, { timeoutMs: 60_000 });
  if (res.status !== 200) throw new Error(`resolve answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
};

const reportOf = (answer: ResolveBody, id: string) => answer.peers.find((peer) => peer.node === id);

async function healthOf(node: NodeProcess, id: string): Promise<PeerHealthLine | undefined> {
  const stats = await request<{ peer_health: PeerHealthLine[] }>(`${node.url}/stats`);
  return stats.body.peer_health.find((line) => line.node === id);
}

t.test("a chain ours grew past during the resolve is reported not longer", async (t) => {
  const [ours, a, b] = await Promise.all([
    startNode([...FLAGS, "--peer-timeout", "30000"], { t }),
    startNode(FLAGS, { t }),
    startNode(FLAGS, { t }),
  ]);
  await Promise.all([mine(a, 3), mine(b, 2)]);
  const slow = await fakePeer(t);
  let release = (): void => {};
  const stalled = new Promise<void>((resolveAsked) => {
    slow.serve((_req, res) => {
      resolveAsked();
      release = () => res.writeHead(500).end();
    });
  });
  await register(ours, [idOf(a), idOf(b), slow.id]);

  const resolving = resolve(ours);
  await stalled;
  // A and B answer at once and are judged while the slow peer holds the resolve open.
  await new Promise((resolveWait) => setTimeout(resolveWait, 500));
  await mine(ours, 4);
  release();
  const answer = await resolving;

  t.equal(answer.message, "Our chain is authoritative", "ours, 5 blocks long, beat both");
  t.match(reportOf(answer, idOf(a)), { verdict: "not longer", length: 4 });
  t.match(reportOf(answer, idOf(b)), { verdict: "not longer", length: 3 });
  t.match(reportOf(answer, slow.id), { verdict: "unreachable", reason: /HTTP 500/ });
  t.equal(answer.chain?.length, 5, "the answer carries our chain as it is now");
  t.same(await chainOf(ours), answer.chain);
});

t.test("a chain that was never checked is reported so, and does not count as healthy", async (t) => {
  const [ours, honest] = await Promise.all([startNode(FLAGS, { t }), startNode(FLAGS, { t })]);
  const bad = await fakePeer(t);
  await register(ours, [idOf(honest), bad.id]);
  await mine(honest, 2);

  // Two failures first: a peer counted healthy by mistake would have them cleared.
  bad.serve((_req, res) => {
    res.writeHead(500).end();
  });
  for (let failures = 1; failures <= 2; failures++) {
    const answer = await resolve(ours);
    t.match(reportOf(answer, bad.id), { verdict: "unreachable", failures });
  }
  t.equal((await chainOf(ours)).length, 3, "the honest chain was adopted meanwhile");

  /** The honest chain with its tip's reward raised to 1,000,000, which its proof no longer meets. */
  const forged = (chain: readonly Block[]): Block[] => {
    const tip = chain[chain.length - 1] as Block;
    const rich = { ...tip, transactions: tip.transactions.map((tx) => ({ ...tx, amount: 1_000_000 })) };
    while (proofBits(rich) >= DIFFICULTY) rich.proof++;
    return [...chain.slice(0, -1), rich];
  };
  await mine(honest, 1);
  const honestChain = await chainOf(honest);
  // As long as the honest chain, and registered after it: the honest one is read first, and wins.
  bad.serve(servesChain(forged(honestChain), DIFFICULTY));
  const third = await resolve(ours);
  t.equal(third.message, "Our chain was replaced");
  t.match(reportOf(third, idOf(honest)), { verdict: "adopted", length: 4 });
  t.same(
    reportOf(third, bad.id),
    {
      node: bad.id,
      reached: true,
      verdict: "not checked",
      length: 4,
      reason: `the chain of ${idOf(honest)}, 4 blocks long, was adopted`,
    },
    "the bad chain, as long as the adopted one, was never checked, and is not called valid",
  );
  t.match(await healthOf(ours, bad.id), { failures: 2 }, "and its failures are not cleared");
  t.match(await healthOf(ours, idOf(honest)), { failures: 0 });

  const fourth = await resolve(ours);
  t.equal(fourth.message, "Our chain is authoritative");
  t.match(reportOf(fourth, bad.id), { verdict: "not longer", length: 4, reason: /^not checked/ });
  t.same(
    reportOf(fourth, idOf(honest)),
    { node: idOf(honest), reached: true, verdict: "not longer", length: 4 },
    "the honest peer's chain is ours: valid without a check",
  );
  t.match(await healthOf(ours, bad.id), { failures: 2 }, "still not cleared");

  // Longer than ours, the forged chain is checked at last, found invalid, and the peer backs off.
  const longer = forged(honestChain);
  const tip = longer[longer.length - 1] as Block;
  const next: Block = {
    index: tip.index + 1,
    timestamp: tip.timestamp + 1,
    transactions: [{ sender: "0", recipient: "0".repeat(32), amount: 1 }],
    proof: 0,
    previous_hash: hashOf(tip),
  };
  while (proofBits(next) < DIFFICULTY) next.proof++;
  bad.serve(servesChain([...longer, next], DIFFICULTY));
  const fifth = await resolve(ours);
  t.match(reportOf(fifth, bad.id), {
    verdict: "invalid",
    length: 5,
    reason: /^block 4: proof \d+ does not reach 8 leading zero bits$/,
    failures: 3,
    retry_at: /^\d{4}-/,
  });
  const asked = bad.asked;
  const sixth = await resolve(ours);
  t.match(reportOf(sixth, bad.id), { verdict: "skipped", failures: 3 }, "then it is skipped");
  t.equal(bad.asked, asked, "and not asked");
  t.same(await chainOf(ours), honestChain, "our chain stayed the honest one throughout");
});
