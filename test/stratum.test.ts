import t, { type Test } from "tap";
import { blockWork, hashValue, proofHash, targetForLeadingZeroBits } from "../src/chain/index.js";
import { FIRST_NONCE, JobControl, MinerPool } from "../src/mining/index.js";
import { DEFAULT_VARDIFF, RANGE_SIZE } from "../src/stratum/index.js";
import { chromiumSkip, launchChromium } from "./helpers/browser.js";
import { type NodeProcess, request, startNode } from "./helpers/node-process.js";
import { type RawStratum, rawStratum, type StratumMessage } from "./helpers/stratum-client.js";

/**
 * The Stratum endpoint of a real node (--stratum-port), spoken to byte by
 * byte from raw TCP clients: the handshake, every error code, framing, and
 * bans. The node mines with no thread of its own (--threads 0), so that its
 * chain grows only by the shares sent here; the shares are found with a
 * MinerPool in this process. Its share target stays the first one (a share
 * spacing of an hour: no retarget within a test).
 */

const DIFFICULTY = 26;
const BLOCK_TARGET = targetForLeadingZeroBits(DIFFICULTY);
const FLAGS = ["--difficulty", String(DIFFICULTY), "--threads", "0", "--stratum-port", "0"];
const FLAGS_STEADY = [...FLAGS, "--stratum-share-seconds", "3600"];

const pool = new MinerPool(1);
t.before(async () => {
  await pool.warmUp();
});
t.teardown(() => pool.close());

async function stratumNode(
  t: Test,
  flags = FLAGS_STEADY,
  env?: NodeJS.ProcessEnv,
): Promise<{ node: NodeProcess; port: number }> {
  const node = await startNode(flags, { t, ...(env === undefined ? {} : { env }) });
  const listening = await node.waitForLog((line) => line.msg.startsWith("stratum endpoint listening"));
  return { node, port: Number(listening.port) };
}

interface Session {
  client: RawStratum;
  range: [number, number];
  job: { id: string; header: string; height: number; blockTarget: bigint; clean: boolean };
  shareTarget: bigint;
}

/** Subscribes and authorizes as `name`; resolves with the range, the share target and the first job. */
async function session(port: number, name: string, t: Test): Promise<Session> {
  const client = await rawStratum(port);
  t.teardown(() => client.close());
  client.send({ id: 1, method: "mining.subscribe", params: ["toychain-test/1"] });
  const subscribed = await client.answer(1);
  client.send({ id: 2, method: "mining.authorize", params: [name, ""] });
  await client.answer(2);
  const target = await client.next((m) => m.method === "mining.set_target");
  const notify = await client.next((m) => m.method === "mining.notify");
  const [id, header, height, blockTarget, clean] = notify.params as [string, string, number, string, boolean];
  return {
    client,
    range: (subscribed.result as { nonce_range: [number, number] }).nonce_range,
    job: { id, header, height, blockTarget: BigInt(`0x${blockTarget}`), clean },
    shareTarget: BigInt(`0x${(target.params as [string])[0]}`),
  };
}

/** A nonce of the range from `from` whose hash meets `target` and, with `notBelow`, not that one too. */
async function find(header: string, target: bigint, from: number, end: number, notBelow?: bigint): Promise<number> {
  let start = from;
  for (;;) {
    const control = new JobControl({ start, end });
    const { nonce } = await pool.search(header, target, control);
    if (nonce === null) throw new Error("the range ran out");
    if (notBelow === undefined || hashValue(proofHash(header, nonce)) > notBelow) return nonce;
    start = nonce + 1;
  }
}

const refusal = (message: StratumMessage): [number, string] | undefined => {
  const error = message.error;
  return error ? [error[0], error[1]] : undefined;
};

t.test("the handshake, a share, a block, and every refusal with its code", async (t) => {
  const { node, port } = await stratumNode(t);
  const raw = await rawStratum(port);
  t.teardown(() => raw.close());

  raw.send({ id: 1, method: "mining.submit", params: ["w1", "1", FIRST_NONCE] });
  t.same(
    refusal(await raw.answer(1)),
    [25, "not subscribed: send mining.subscribe first"],
    "25: a share before subscribe",
  );
  raw.send({ id: 2, method: "mining.authorize", params: ["w1", ""] });
  t.same(refusal(await raw.answer(2)), [25, "not subscribed: send mining.subscribe first"], "25: authorize before it");

  raw.send({ id: 3, method: "mining.subscribe", params: ["toychain-test/1"] });
  const subscribed = await raw.answer(3);
  t.equal(subscribed.error, null);
  const { session: sessionId, nonce_range: range } = subscribed.result as {
    session: string;
    nonce_range: [number, number];
  };
  t.match(sessionId, /^[0-9a-f]{16}$/);
  t.equal(range[1] - range[0] + 1, RANGE_SIZE, "a range of 2^40 nonces");
  t.ok(range[0] >= FIRST_NONCE + RANGE_SIZE, "not the node's own range (the first)");

  raw.send({ id: 4, method: "mining.submit", params: ["w1", "1", range[0]] });
  t.same(
    refusal(await raw.answer(4)),
    [24, "unauthorized: send mining.authorize first"],
    "24: a share before authorize",
  );

  raw.send({ id: 5, method: "mining.authorize", params: ["w1", ""] });
  t.same(await raw.answer(5), { id: 5, result: true, error: null });
  const setTarget = await raw.next((m) => m.method === "mining.set_target");
  const notify = await raw.next((m) => m.method === "mining.notify");
  t.ok(raw.messages.indexOf(setTarget) < raw.messages.indexOf(notify), "the share target comes before the job");
  const shareTarget = BigInt(`0x${(setTarget.params as [string])[0]}`);
  t.equal(blockWork(shareTarget), DEFAULT_VARDIFF.initialHashes, "the first share target");
  const [jobId, header, height, blockTargetHex, clean] = notify.params as [string, string, number, string, boolean];
  t.match(header, /^[0-9a-f]{64}$/);
  t.equal(height, 2, "the block after the genesis");
  t.equal(BigInt(`0x${blockTargetHex}`), BLOCK_TARGET, "the block's target: the walkthrough's 26 bits");
  t.equal(clean, true, "a miner's first job voids nothing it had");

  // A second miner sees every new tip as a clean job.
  const other = await session(port, "w2", t);
  t.not(other.range[0], range[0], "two sessions never share a range");

  raw.send({ id: 6, method: "mining.submit", params: ["intruder", jobId, range[0]] });
  t.same(
    refusal(await raw.answer(6)),
    [24, "unauthorized: this session mines as w1, not intruder"],
    "24: another name",
  );
  raw.send({ id: 7, method: "mining.submit", params: ["w1", jobId, range[0] - 1] });
  t.same(
    refusal(await raw.answer(7)),
    [20, `nonce ${range[0] - 1} is outside this session's range ${range[0]} to ${range[1]}`],
    "20: a nonce outside the session's range",
  );
  let above = range[0];
  while (hashValue(proofHash(header, above)) <= shareTarget) above++;
  raw.send({ id: 8, method: "mining.submit", params: ["w1", jobId, above] });
  t.same(
    refusal(await raw.answer(8)),
    [23, "the share's hash is above its share target"],
    "23: above the share target",
  );

  const share = await find(header, shareTarget, range[0], range[1], BLOCK_TARGET);
  raw.send({ id: 9, method: "mining.submit", params: ["w1", jobId, share] });
  t.same(await raw.answer(9), { id: 9, result: true, error: null }, "a share accepted");
  raw.send({ id: 10, method: "mining.submit", params: ["w1", jobId, share] });
  t.same(
    refusal(await raw.answer(10)),
    [22, `nonce ${share} was submitted for this job already`],
    "22: the same share again",
  );

  const block = await find(header, BLOCK_TARGET, share + 1, range[1]);
  raw.send({ id: 11, method: "mining.submit", params: ["w1", jobId, block] });
  t.same(await raw.answer(11), { id: 11, result: true, error: null }, "a share that meets the block's target");
  await node.waitForLog((line) => line.msg === "block forged with a remote miner's proof");
  const tip = await request<{ length: number }>(`${node.url}/chain/tip`);
  t.equal(tip.body.length, 2, "the node forged the block");
  const chain = await request<{ chain: { proof: number; transactions: { recipient: string }[] }[] }>(
    `${node.url}/chain`,
  );
  const forged = chain.body.chain[1];
  t.equal(forged?.proof, block, "with the miner's nonce as its proof");
  t.equal(forged?.transactions.at(-1)?.recipient, node.nodeId, "its reward to the node");

  for (const [client, name] of [
    [raw, "w1"],
    [other.client, "w2"],
  ] as const) {
    const next = await client.next(
      (m) => m.method === "mining.notify" && (m.params as unknown[])[2] === 3 && (m.params as unknown[])[4] === true,
    );
    t.ok(next, `${name} gets the next block's job with clean_jobs true`);
  }
  const late = await find(header, shareTarget, block + 1, range[1]);
  raw.send({ id: 12, method: "mining.submit", params: ["w1", jobId, late] });
  t.same(
    refusal(await raw.answer(12)),
    [21, `job ${jobId} is not a live job: stale, or never sent`],
    "21: after a new tip",
  );

  const stats = await request<{
    stratum: { miners: { name: string; shares: object; blocks: number; work: string }[]; shares: object };
  }>(`${node.url}/stats`);
  const w1 = stats.body.stratum.miners.find((miner) => miner.name === "w1");
  t.same(w1?.shares, { accepted: 2, stale: 1, refused: 7 }, "/stats counts w1's shares");
  t.equal(w1?.blocks, 1);
  t.equal(w1?.work, String(2n * blockWork(shareTarget)), "its work: two shares at its share target");
  t.same(stats.body.stratum.shares, { accepted: 2, stale: 1, refused: 7 });
  const metrics = await fetch(`${node.url}/metrics`).then((response) => response.text());
  t.match(metrics, /toychain_stratum_shares_total\{outcome="accepted"\} 2/);
  t.match(metrics, /toychain_stratum_sessions 2/);

  await t.test("the explorer shows every miner", { skip: chromiumSkip }, async (t) => {
    const browser = await launchChromium();
    t.teardown(() => browser.close());
    const page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${node.url}/`);
    await page.locator("#miners-card").waitFor({ state: "visible" });
    const w1Row = page.locator("#miners tr", { hasText: "w1" });
    await w1Row.waitFor();
    t.match(await w1Row.textContent(), /2 \/ 1 \/ 7/, "w1's shares: accepted / stale / refused");
    t.equal(await page.locator("#miners tr", { hasText: "w2" }).count(), 1, "and w2");
    t.match(await page.locator("#miners-summary").textContent(), /^2 miners on port \d+, /);
    t.same(errors, [], "no page error");
  });
});

t.test("framing: split packets, batched lines, bad JSON, and a line over 16 KiB", async (t) => {
  const { node, port } = await stratumNode(t);
  const raw = await rawStratum(port);
  t.teardown(() => raw.close());
  const subscribe = JSON.stringify({ id: 1, method: "mining.subscribe", params: ["toychain-test/1"] });
  for (const part of [subscribe.slice(0, 5), subscribe.slice(5, 30), `${subscribe.slice(30)}\n`]) {
    raw.write(part);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.equal((await raw.answer(1)).error, null, "a request split across packets is read whole");
  raw.write(
    `${JSON.stringify({ id: 2, method: "mining.authorize", params: ["w1", ""] })}\n${JSON.stringify({ id: 3, method: "mining.bogus", params: [] })}\n`,
  );
  t.same(await raw.answer(2), { id: 2, result: true, error: null }, "two requests in one packet: the first");
  t.same(refusal(await raw.answer(3)), [20, 'unknown method "mining.bogus"'], "and the second, in order");
  raw.write("{not json\n");
  const bad = await raw.next((m) => m.id === null && m.error !== null && m.method === undefined);
  t.equal(bad.error?.[0], 20);
  t.match(bad.error?.[1], /^not JSON: /, "invalid JSON: error 20, and the session goes on");
  raw.send({ id: 4, method: "mining.submit", params: ["w1", "1"] });
  t.match(refusal(await raw.answer(4)), [20, /^mining\.submit: /], "a submit missing its nonce names what is wrong");
  raw.write(`{"id":5,"method":"mining.subscribe","params":["${"x".repeat(17 * 1024)}"]}\n`);
  const tooLong = await raw.next((m) => m.error?.[1] === "a line longer than 16384 bytes");
  t.equal(tooLong.error?.[0], 20, "a line over the cap: error 20");
  await raw.closed;
  t.pass("and the connection closed: its framing is lost");
  await node.waitForLog((line) => line.msg === "stratum session closed: a line longer than 16384 bytes");
  const tip = await request(`${node.url}/chain/tip`);
  t.equal(tip.status, 200, "the HTTP API answers throughout");
});

t.test("a flood of bad shares closes the session and bans its address; the node goes on", async (t) => {
  const { node, port } = await stratumNode(t);
  const raw = await session(port, "flooder", t);
  for (let i = 0; i < 20; i++) {
    raw.client.send({ id: 100 + i, method: "mining.submit", params: ["flooder", raw.job.id, 1000 + i] });
  }
  await raw.client.closed;
  const banned = await node.waitForLog((line) => line.msg.startsWith("stratum miner banned"));
  t.equal(banned.msg, "stratum miner banned: 20 refused requests against 0 accepted shares");
  const again = await rawStratum(port);
  again.send({ id: 1, method: "mining.subscribe", params: [] });
  await again.closed;
  t.same(again.messages, [], "a banned address is closed at once, unanswered");
  const stats = await request<{ stratum: { bans: number; turned_away: number; sessions: number } }>(
    `${node.url}/stats`,
  );
  t.equal(stats.status, 200, "the HTTP API answers");
  t.equal(stats.body.stratum.bans, 1);
  t.equal(stats.body.stratum.turned_away, 1);
  t.equal(stats.body.stratum.sessions, 0);
});

t.test("with --api-token, authorize needs the token", async (t) => {
  const token = "stratum-test-token-0123456789";
  const { port } = await stratumNode(t, FLAGS_STEADY, { ...process.env, TOYCHAIN_API_TOKEN: token });
  const raw = await rawStratum(port);
  t.teardown(() => raw.close());
  raw.send({ id: 1, method: "mining.subscribe", params: [] });
  await raw.answer(1);
  raw.send({ id: 2, method: "mining.authorize", params: ["w1", "wrong"] });
  t.same(refusal(await raw.answer(2)), [24, "unauthorized: this node needs its API token to mine for it"]);
  raw.send({ id: 3, method: "mining.authorize", params: ["w1", token] });
  t.same(await raw.answer(3), { id: 3, result: true, error: null });
});

t.test("a connection that never subscribes is closed", async (t) => {
  const { node, port } = await stratumNode(t);
  const raw = await rawStratum(port);
  await raw.closed;
  t.same(raw.messages, []);
  t.ok(await node.waitForLog((line) => line.msg === "stratum session closed: no subscribe and authorize in time"));
});
