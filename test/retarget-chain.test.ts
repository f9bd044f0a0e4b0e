import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import {
  type Block,
  blockHash,
  blockWork,
  type ChainSpecFile,
  newChainSpec,
  nextTarget,
  rewardFor,
} from "../src/chain/index.js";
import { parseChainSpec } from "../src/specs/index.js";
import { request, runCli, startNode } from "./helpers/node-process.js";
import { targetOfBits, withProof } from "./helpers/spec-chain.js";
import { sendJson, servesChain } from "./helpers/sync-peer.js";

/**
 * A chain of its own, on real node processes: its blocks state the targets
 * aserti3-2d sets, a block stating another is refused with the rule named,
 * and a data dir keeps to its chain.
 */

const dir = mkdtempSync(join(tmpdir(), "toychain-retarget-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
/** 10^5 hashes a block: instant on any kernel, so the tests wait on nothing. */
const file: ChainSpecFile = newChainSpec({
  name: "quick",
  blockTime: 2,
  halfLife: 120,
  hashesPerSecond: 50_000,
  now: Date.now() / 1000 - 60,
});
const specPath = join(dir, "quick.json");
writeFileSync(specPath, JSON.stringify(file, null, 2));
const spec = parseChainSpec(JSON.stringify(file), specPath);

interface ChainBody {
  chain: Block[];
  length: number;
}

t.test("a node on a spec's chain states the target aserti3-2d sets in every block it forges", async (t) => {
  const node = await startNode(["--chain", specPath, "--threads", "1"], { t });
  for (let i = 0; i < 4; i++) {
    const mined = await request<{ message: string; index: number; bits: string }>(`${node.url}/mine`);
    t.equal(mined.status, 200);
    t.equal(mined.body.message, "New Block Forged");
    t.match(mined.body.bits, /^[0-9a-f]{8}$/, "the answer names the block's bits");
  }
  const { body } = await request<ChainBody>(`${node.url}/chain`);
  t.equal(body.length, 5);
  t.same(body.chain[0], file.genesis, "the genesis is the spec's");
  for (let i = 1; i < body.chain.length; i++) {
    const block = body.chain[i] as Block;
    const parent = body.chain[i - 1] as Block;
    t.equal(block.previous_hash, blockHash(parent), `block ${block.index} links to its parent`);
    t.equal(block.bits, nextTarget(spec, parent).bits, `block ${block.index} states the bits aserti3-2d sets`);
    t.ok(Number.isInteger(block.timestamp), `block ${block.index} is dated in whole seconds`);
  }
  const stats = await request<{ chain: { name: string; id: string; retarget: string; block_time: number } }>(
    `${node.url}/stats`,
  );
  t.same(stats.body.chain, {
    name: "quick",
    id: spec.id,
    retarget: "aserti3-2d",
    block_time: 2,
    ledger: "names",
    address_prefix: null,
    reward_address: null,
  });
});

t.test("a peer's block stating another target is refused, naming the rule and the expected bits", async (t) => {
  const genesis = file.genesis;
  const expected = nextTarget(spec, genesis).bits as string;
  // The pow limit's bits: the easiest target, a proof for which costs a few thousand hashes.
  const easier = file.powLimit;
  t.not(easier, expected);
  const template = {
    index: 2,
    timestamp: genesis.timestamp + 2,
    transactions: [rewardFor("a".repeat(32))],
    previous_hash: blockHash(genesis),
    bits: easier,
  };
  const forged = withProof(template, targetOfBits(easier));
  // Its tip claims the work its blocks state: more than our genesis alone, so the node reads its page.
  const claimed = [genesis, forged].reduce((sum, block) => sum + blockWork(targetOfBits(block.bits as string)), 0n);
  const tip = { length: 2, hash: blockHash(forged), work: String(claimed), chain: spec.id };
  const answerTip = (step: string, res: ServerResponse): boolean => {
    if (step !== "tip") return false;
    sendJson(res, tip);
    return true;
  };
  const peer = createServer(servesChain([genesis, forged], 1, (step, _req, res) => answerTip(step, res)));
  peer.listen(0, "127.0.0.1");
  t.teardown(() => peer.close());
  await new Promise((resolve) => peer.once("listening", resolve));
  const peerAddress = `127.0.0.1:${(peer.address() as AddressInfo).port}`;

  const node = await startNode(["--chain", specPath, "--threads", "1"], { t });
  await request(`${node.url}/nodes/register`, { body: { nodes: [`http://${peerAddress}`] } });
  const resolved = await request<{ message: string; peers: { node: string; verdict: string; reason?: string }[] }>(
    `${node.url}/nodes/resolve`,
  );
  t.equal(resolved.body.message, "Our chain is authoritative");
  t.match(resolved.body.peers, [
    {
      node: peerAddress,
      verdict: "invalid",
      reason: `block 2: bits ${easier} are not ${expected}, the target aserti3-2d sets after block 1`,
    },
  ]);
  const { body } = await request<ChainBody>(`${node.url}/chain`);
  t.equal(body.length, 1, "nothing of the peer's chain was taken");
});

t.test("a data dir keeps to its chain, and --difficulty is the walkthrough's alone", async (t) => {
  const dataDir = join(dir, "data");
  const node = await startNode(["--chain", specPath, "--threads", "1", "--data-dir", dataDir], { t });
  await request(`${node.url}/mine`);
  t.same(await node.stop(), { code: 0, signal: null });

  const other = await runCli(["--port", "0", "--data-dir", dataDir, "--threads", "1"]);
  t.equal(other.code, 1, "the walkthrough's node refuses the quick chain's data dir");
  t.match(
    other.stderr,
    `it holds the chain quick (genesis ${spec.id}), not walkthrough (genesis 3359bdb5a0bba889b9fe4387a3d400715eddc65be81661733aa502880c47e6e7); start with --chain and the spec file of quick, or give another --data-dir`,
  );

  const again = await startNode(["--chain", specPath, "--threads", "1", "--data-dir", dataDir], { t });
  const { body } = await request<ChainBody>(`${again.url}/chain`);
  t.equal(body.length, 2, "its own chain opens it, with the block mined before");

  const both = await runCli(["--chain", specPath, "--difficulty", "12", "--in-memory"]);
  t.equal(both.code, 2);
  t.match(both.stderr, "--difficulty sets the walkthrough chain's difficulty; the chain");
});

t.test("a chain far behind its schedule: the miner never dates a block further ahead than peers accept", async (t) => {
  // An hour behind a 1-s schedule at the easiest target: blocks come as fast as the median rule lets them.
  const behind = newChainSpec({
    name: "behind",
    blockTime: 1,
    halfLife: 48,
    hashesPerSecond: 50_000,
    now: Date.now() / 1000 - 3600,
  });
  const path = join(dir, "behind.json");
  writeFileSync(path, JSON.stringify(behind));
  t.equal(behind.timestamps.maxFutureSeconds, 2);
  const node = await startNode(["--chain", path, "--threads", "1", "--mine"], { t });
  const started = Date.now() / 1000;
  await node.waitForLog(
    (line) =>
      line.msg === "the next block would be dated further ahead of the clock than peers accept: waiting for the clock",
  );
  const { body } = await request<ChainBody>(`${node.url}/chain`);
  const now = Date.now() / 1000;
  const elapsed = now - started;
  t.ok(
    body.length - 1 > elapsed + 2,
    `faster than its 1-s schedule (${body.length - 1} blocks within ${elapsed} s of listening)`,
  );
  const latest = Math.max(...body.chain.map((block) => block.timestamp));
  t.ok(latest <= now + 2, `no block is dated more than 2 s ahead of the clock (the latest ${latest - now} s)`);
});
