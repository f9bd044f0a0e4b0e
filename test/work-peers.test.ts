import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { type Block, blockHash, newChainSpec, specFromFile } from "../src/chain/index.js";
import { type NodeProcess, request, startNode } from "./helpers/node-process.js";
import { extendChain, workOf } from "./helpers/spec-chain.js";
import { recordingPeer, sendJson, servesChain } from "./helpers/sync-peer.js";

/**
 * Real processes on a retargeting chain meet peers whose tips lie: one that
 * claims more work than its blocks hold costs the pages of the length it
 * claimed, is found invalid, and backs off; one on another chain is refused
 * at its tip, and its announcements are refused; an honest chain is adopted
 * afterwards.
 */

/** A chain whose genesis is a day old: blocks dated now stay at the easiest target, 65,536 hashes. */
const dir = mkdtempSync(join(tmpdir(), "toychain-work-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const FILE = join(dir, "worktest.json");
const SPEC_FILE = newChainSpec({
  name: "worktest",
  blockTime: 600,
  halfLife: 600,
  hashesPerSecond: 1,
  now: Date.now() / 1000 - 86_400,
});
writeFileSync(FILE, JSON.stringify(SPEC_FILE));
const SPEC = specFromFile(SPEC_FILE);
const FLAGS = ["--chain", FILE, "--threads", "1", "--peer-timeout", "2000"];

/** `count` blocks mined on the genesis, an hour apart from its date, at the targets the spec sets. */
const mined = (count: number): Block[] => extendChain(SPEC, [SPEC.genesis], count, 3600, "cd".repeat(16));

interface PeerReport {
  node: string;
  verdict: string;
  reason?: string;
  failures?: number;
  retry_at?: string;
}
interface Resolved {
  message: string;
  chain: Block[];
  peers: PeerReport[];
}
interface Tip {
  length: number;
  hash: string;
  work: string;
  chain: string;
}

const resolve = async (node: NodeProcess) => (await request<Resolved>(`${node.url}/nodes/resolve`)).body;
const tipOf = async (node: NodeProcess) => (await request<Tip>(`${node.url}/chain/tip`)).body;
const pages = (requests: readonly string[]) => requests.filter((line) => line.startsWith("GET /chain?"));

t.test("a peer that claims more work than its blocks hold backs off, and an honest chain is adopted", async (t) => {
  const node = await startNode(FLAGS, { t });
  const honestLooking = mined(3);
  const claimed = String(workOf(honestLooking) * 10n ** 30n);
  const liar = await recordingPeer(
    t,
    servesChain(honestLooking, 0, (step, _req, res) => {
      if (step !== "tip") return false;
      const hash = blockHash(honestLooking[honestLooking.length - 1] as Block);
      sendJson(res, { length: honestLooking.length, hash, work: claimed, chain: SPEC.id });
      return true;
    }),
  );
  const before = await tipOf(node);
  t.same(before, { length: 1, hash: SPEC.id, work: String(workOf([SPEC.genesis])), chain: SPEC.id });
  await request(`${node.url}/nodes/register`, { body: { nodes: [liar.url] } });
  const liarId = new URL(liar.url).host;

  const reason = `its blocks hold ${workOf(honestLooking)} work, less than the ${claimed} it claimed`;
  for (let failures = 1; failures <= 3; failures++) {
    const resolved = await resolve(node);
    t.equal(resolved.message, "Our chain is authoritative", `resolve ${failures}: ours is kept`);
    t.match(resolved.peers, [{ node: liarId, verdict: "invalid", reason, failures }], "the rule is named");
    t.equal(pages(liar.requests).length, failures, `resolve ${failures}: one page, the length it claimed`);
  }
  t.match((await resolve(node)).peers, [{ node: liarId, verdict: "skipped" }], "then it backs off");
  t.equal(pages(liar.requests).length, 3, "and costs nothing more: 3 bad pages cost 3 pages");
  t.same(await tipOf(node), before, "our chain is unchanged");

  const honest = await startNode(FLAGS, { t });
  for (let i = 0; i < 2; i++) await request(`${honest.url}/mine`);
  const honestTip = await tipOf(honest);
  t.equal(honestTip.length, 3);
  await request(`${node.url}/nodes/register`, { body: { nodes: [honest.url] } });
  const adopted = await resolve(node);
  t.equal(adopted.message, "Our chain was replaced", "the honest chain is adopted afterwards");
  t.match(adopted.peers, [{ node: liarId, verdict: "skipped" }, { verdict: "adopted" }]);
  t.same(await tipOf(node), honestTip, "our tip is the honest one: its length, hash, work and chain");
});

t.test("a peer on another chain is refused at its tip, naming both ids; so is its announcement", async (t) => {
  const node = await startNode([...FLAGS, "--gossip"], { t });
  const other = specFromFile(
    newChainSpec({ name: "othernet", blockTime: 600, hashesPerSecond: 1, now: 1_800_000_000 }),
  );
  const foreign = await recordingPeer(t, (_req, res) =>
    sendJson(res, { length: 5, hash: "e".repeat(64), work: "327680", chain: other.id }),
  );
  await request(`${node.url}/nodes/register`, { body: { nodes: [foreign.url] } });
  const resolved = await resolve(node);
  t.match(resolved.peers, [
    {
      node: new URL(foreign.url).host,
      verdict: "invalid",
      reason: `it is on the chain ${other.id}, not ours ${SPEC.id}`,
    },
  ]);
  t.same(
    foreign.requests.filter((line) => line.startsWith("GET /chain") || line.startsWith("POST /chain")),
    ["GET /chain/tip", "GET /chain/tip"],
    "its tip only (as it was registered, then by the resolve): no fork point, no page",
  );

  const announcer = await recordingPeer(t, (_req, res) => sendJson(res, { message: "no" }, 404));
  const body = { length: 5, hash: "e".repeat(64), work: "327680", chain: other.id, url: announcer.url };
  const refused = await request<{ message: string }>(`${node.url}/nodes/announce`, { body });
  t.equal(refused.status, 409, "an announcement from another chain: 409");
  t.equal(
    refused.body.message,
    `Announcement refused: ${announcer.url} is on the chain ${other.id}, not ours ${SPEC.id}`,
  );
  const peers = (
    await request<{ total_nodes: string[] }>(`${node.url}/nodes/register`, { body: { nodes: [foreign.url] } })
  ).body.total_nodes;
  t.notOk(peers.includes(new URL(announcer.url).host), "its announcer is not registered");
  t.same(
    announcer.requests.filter((line) => !line.startsWith("POST /nodes/announce")),
    [],
    "and nothing is asked of it",
  );
});
