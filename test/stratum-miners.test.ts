import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { CLI, type LogLine, type NodeProcess, request, startNode } from "./helpers/node-process.js";
import { until } from "./helpers/until.js";
import { watched } from "./helpers/watched.js";

/**
 * `toychain miner` processes mining for a real node over Stratum: they forge
 * its blocks (the node has no thread of its own), the node measures each
 * one's rate from its shares as the miner counts its own hashes, a miner
 * killed mid-job leaves the node and the other miner going, and miners
 * reconnect to a node that restarts.
 */

const DIFFICULTY = 24;
/** Shares every 0.1 s a miner: hundreds in a minute, each checked by the node. */
const SHARE_SECONDS = "0.1";
const SHARES = 400;

interface MinerProcess {
  child: ChildProcess;
  lines: string[];
  waitFor(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  exited: Promise<void>;
}

function startMiner(port: number, name: string, threads: number): MinerProcess {
  const child = spawn(
    process.execPath,
    [
      CLI,
      "miner",
      "--pool",
      `stratum+tcp://127.0.0.1:${port}`,
      "--threads",
      String(threads),
      "--name",
      name,
      "--report",
      "1",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const lines = watched<string>((seen) => `${name}'s lines so far:\n${seen.join("\n")}`);
  let partial = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
  });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  process.once("exit", () => child.kill("SIGKILL"));
  return {
    child,
    exited,
    lines: lines.items,
    waitFor: (match, timeoutMs = 60_000) => lines.next(match, timeoutMs),
  };
}

interface Miner {
  name: string;
  shares: { accepted: number; stale: number; refused: number };
  blocks: number;
}

async function miners(node: NodeProcess): Promise<Miner[]> {
  const stats = await request<{ stratum: { miners: Miner[] } }>(`${node.url}/stats`);
  return stats.body.stratum.miners;
}

/** A port free now, for a node that must listen on the same one after a restart. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const nodeFlags = (stratumPort: number, dataDir: string) => [
  "--difficulty",
  String(DIFFICULTY),
  "--threads",
  "0",
  "--stratum-port",
  String(stratumPort),
  "--stratum-share-seconds",
  SHARE_SECONDS,
  "--data-dir",
  dataDir,
];

t.test("two miners forge the node's blocks; the node measures each one's work from its shares", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "toychain-stratum-miners-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const stratumPort = await freePort();
  const node = await startNode(nodeFlags(stratumPort, dir), { t });
  const one = startMiner(stratumPort, "one-thread", 1);
  const two = startMiner(stratumPort, "two-threads", 2);
  t.teardown(() => {
    one.child.kill("SIGKILL");
    two.child.kill("SIGKILL");
  });
  await until(
    async () => ({ seen: await miners(node), tip: await request<{ length: number }>(`${node.url}/chain/tip`) }),
    ({ seen, tip }) =>
      seen.length === 2 && seen.every((miner) => miner.shares.accepted >= SHARES) && tip.body.length > 3,
    `both miners past ${SHARES} accepted shares and the node past 3 blocks`,
    180_000,
  );
  const chain = await request<{ chain: { transactions: { sender: string; recipient: string }[] }[] }>(
    `${node.url}/chain`,
  );
  const rewards = chain.body.chain.slice(1).map((block) => block.transactions.at(-1)?.recipient);
  t.ok(rewards.length >= 3, `${rewards.length} blocks forged with no thread of the node's own`);
  t.ok(
    rewards.every((recipient) => recipient === node.nodeId),
    "every reward goes to the node",
  );
  // A block's log line is written before it is served, but on another pipe: it may reach the test later.
  const byMiner = await Promise.all(
    rewards.map((_, at) =>
      node.waitForLog(
        (line) => line.msg === "block forged with a remote miner's proof" && line.index === at + 2,
        30_000,
      ),
    ),
  );
  t.equal(byMiner.length, rewards.length, "each block from a miner's proof, logged with its name");
  t.ok(
    byMiner.every((line) => line.by === "one-thread" || line.by === "two-threads"),
    "by one of the two miners",
  );

  // Each miner dropped the last block's job for the next: a line with when the new job came and how fast its threads stopped.
  const last = byMiner.at(-1) as LogLine;
  const lastIndex = Number(last.index);
  for (const [miner, name] of [
    [one, "one-thread"],
    [two, "two-threads"],
  ] as const) {
    const line = await miner.waitFor(
      (text) => text.startsWith("clean job ") && text.includes(` for block ${lastIndex + 1} at `),
    );
    const parts = /^clean job \S+ for block \d+ at (\S+): the old search stopped in \d+\.\d\d ms$/.exec(line);
    t.ok(parts, `${name}: ${line}`);
    t.ok(
      Date.parse(parts?.[1] ?? "") >= last.time,
      `${name} took the new job after the node forged block ${lastIndex}`,
    );
  }

  for (const miner of [one, two]) {
    miner.child.kill("SIGTERM");
    await miner.exited;
  }
  for (const [miner, name] of [
    [one, "one-thread"],
    [two, "two-threads"],
  ] as const) {
    const stopped = await miner.waitFor((line) => line.startsWith("stopped after "));
    const hashes = Number(/stopped after (\d+) hashes/.exec(stopped)?.[1]);
    const closed = await node.waitForLog((line) => line.msg.startsWith("stratum session closed") && line.name === name);
    const work = Number(closed.work);
    const ratio = work / hashes;
    t.ok(
      ratio > 0.85 && ratio < 1.15,
      `${name}: the node credited ${work} hashes from its shares, the miner counted ${hashes} (${ratio.toFixed(3)}x)`,
    );
  }
});

t.test(
  "a miner killed mid-job leaves the node and the other miner going; miners reconnect to a restarted node",
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "toychain-stratum-restart-"));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const stratumPort = await freePort();
    let node = await startNode(nodeFlags(stratumPort, dir), { t });
    const steady = startMiner(stratumPort, "steady", 1);
    const doomed = startMiner(stratumPort, "doomed", 1);
    t.teardown(() => {
      steady.child.kill("SIGKILL");
      doomed.child.kill("SIGKILL");
    });
    await until(
      () => miners(node),
      (seen) => seen.length === 2 && seen.every((miner) => miner.shares.accepted >= 5),
      "both miners' shares accepted",
      180_000,
    );
    doomed.child.kill("SIGKILL");
    await node.waitForLog(
      (line) => line.msg === "stratum session closed: the miner disconnected" && line.name === "doomed",
    );
    const before = (await miners(node)).find((miner) => miner.name === "steady")?.shares.accepted ?? 0;
    await until(
      () => miners(node),
      (seen) => seen.length === 1 && (seen[0]?.shares.accepted ?? 0) >= before + 20,
      "the steady miner's shares still accepted",
      180_000,
    );
    t.pass("the node goes on with the miner left");

    await node.stop();
    await steady.waitFor((line) => line.includes("reconnecting in"));
    node = await startNode(nodeFlags(stratumPort, dir), { t });
    await until(
      () => miners(node),
      (seen) => seen.length === 1 && seen[0]?.name === "steady" && (seen[0]?.shares.accepted ?? 0) >= 5,
      "the miner reconnected and its shares accepted by the restarted node",
      180_000,
    );
    t.equal(steady.lines.filter((line) => line.startsWith("connected to ")).length, 2, "it connected twice");
    t.equal(steady.child.exitCode, null, "the miner never stopped");
  },
);
