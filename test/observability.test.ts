/**
 * Issue 5's operations side: settings from TOYCHAIN_* variables, peers
 * registered at start, GET /stats while a job runs, and GET /metrics counting
 * what happened.
 */
import t from "tap";
import { parseConfig, UsageError } from "../src/config.js";
import { startNode as startInProcess } from "../src/server.js";
import { KERNEL_NAMES, type KernelName } from "../workers/kernel/index.js";
import { request, startNode } from "./helpers/node-process.js";

t.test("every flag can come from the environment; the flag wins", async (t) => {
  const env = {
    TOYCHAIN_PORT: "5005",
    TOYCHAIN_HOST: "0.0.0.0",
    TOYCHAIN_THREADS: "1",
    TOYCHAIN_DIFFICULTY: "12",
    TOYCHAIN_KERNEL: "portable",
    TOYCHAIN_IN_MEMORY: "true",
    TOYCHAIN_MAX_PENDING: "10",
    TOYCHAIN_PEERS: "http://127.0.0.1:5001, 127.0.0.1:5002",
    TOYCHAIN_LOG_LEVEL: "warn",
  };
  const config = parseConfig([], env);
  t.match(config, {
    port: 5005,
    host: "0.0.0.0",
    threads: 1,
    difficulty: 12,
    kernel: "portable",
    dataDir: undefined,
    maxPending: 10,
    peers: ["http://127.0.0.1:5001", "127.0.0.1:5002"],
    logLevel: "warn",
  });
  t.equal(parseConfig(["--port", "6000"], env).port, 6000, "a flag beats its variable");
  t.equal(parseConfig([], { TOYCHAIN_DATA_DIR: "/srv/toychain" }).dataDir, "/srv/toychain");
  t.throws(
    () => parseConfig([], { TOYCHAIN_PORT: "http" }),
    new UsageError('TOYCHAIN_PORT must be an integer from 0 to 65535, not "http"'),
  );
  t.throws(() => parseConfig([], { TOYCHAIN_IN_MEMORY: "yes" }), /TOYCHAIN_IN_MEMORY must be true or false/);
  t.throws(() => parseConfig([], { TOYCHAIN_THREAD: "2" }), /unknown environment variable TOYCHAIN_THREAD/);
  t.throws(() => parseConfig(["--peers", "ftp://x"]), /--peers: Invalid node address "ftp:\/\/x"/);
  t.throws(
    () => parseConfig([], { TOYCHAIN_IN_MEMORY: "1", TOYCHAIN_DATA_DIR: "/tmp/x" }),
    /TOYCHAIN_IN_MEMORY and TOYCHAIN_DATA_DIR exclude each other/,
  );
});

t.test("TOYCHAIN_PEERS registers peers at start, and resolve reaches them", async (t) => {
  const peer = await startNode(["--difficulty", "10", "--threads", "1"], { t });
  await request(`${peer.url}/mine`);
  const saved = process.env.TOYCHAIN_PEERS;
  process.env.TOYCHAIN_PEERS = peer.url;
  t.teardown(() => {
    if (saved === undefined) delete process.env.TOYCHAIN_PEERS;
    else process.env.TOYCHAIN_PEERS = saved;
  });
  const node = await startNode(["--difficulty", "10", "--threads", "1"], { t });
  const stats = await request<{ peers: string[] }>(`${node.url}/stats`);
  t.same(stats.body.peers, [`127.0.0.1:${peer.port}`], "the peer is registered before the first request");
  t.ok(
    node.logs.some((line) => line.msg === "nodes registered"),
    "and the registration is logged",
  );
  const resolved = await request<{ message: string }>(`${node.url}/nodes/resolve`);
  t.equal(resolved.body.message, "Our chain was replaced", "the peer's longer chain is adopted");
});

t.test("GET /stats shows the running job and its hashes so far", async (t) => {
  const node = await startNode(["--difficulty", "40", "--threads", "2"], { t });
  const mining = request(`${node.url}/mine`, { timeoutMs: 120_000 }).catch(() => undefined);
  interface Stats {
    node_id: string;
    chain_length: number;
    difficulty: number;
    threads: number;
    kernel: string;
    pending_transactions: number;
    job: { index: number; hashes: number; elapsed_seconds: number } | null;
  }
  let stats = (await request<Stats>(`${node.url}/stats`)).body;
  for (let tries = 0; (stats.job === null || stats.job.hashes === 0) && tries < 100; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    stats = (await request<Stats>(`${node.url}/stats`)).body;
  }
  t.match(stats, { node_id: node.nodeId, chain_length: 1, difficulty: 40, threads: 2, pending_transactions: 0 });
  t.ok(KERNEL_NAMES.includes(stats.kernel as KernelName), `a kernel's name: ${stats.kernel}`);
  t.equal(stats.job?.index, 2, "the job mines block 2");
  t.ok((stats.job?.hashes ?? 0) > 0, "and has tried nonces already");
  t.ok((stats.job?.elapsed_seconds ?? 0) > 0, "for some time");
  // On a busy machine the miners may wait for a core: the count grows once they get one.
  let later = (await request<Stats>(`${node.url}/stats`)).body;
  for (let tries = 0; (later.job?.hashes ?? 0) <= (stats.job?.hashes ?? 0) && tries < 100; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    later = (await request<Stats>(`${node.url}/stats`)).body;
  }
  t.ok((later.job?.hashes ?? 0) > (stats.job?.hashes ?? 0), "the count grows while the job runs");
  await node.stop();
  await mining;
});

t.test("GET /metrics counts blocks, hashes, the chain, the mempool, peers' outcomes and requests", async (t) => {
  const running = await startInProcess({ port: 0, host: "127.0.0.1", threads: 2, difficulty: 8, logLevel: "silent" });
  t.teardown(() => running.close());
  const { url } = running;
  await request(`${url}/mine`);
  await request(`${url}/mine`);
  await request(`${url}/transactions/new`, { body: { sender: "Lea", recipient: "Mark", amount: 10 } });
  await request(`${url}/nodes/register`, { body: { nodes: ["127.0.0.1:1"] } });
  await request(`${url}/nodes/resolve`);
  const announce = {
    length: 2,
    hash: "0".repeat(64),
    work: "8192",
    chain: "3359bdb5a0bba889b9fe4387a3d400715eddc65be81661733aa502880c47e6e7",
    url: "http://127.0.0.1:1",
  };
  await request(`${url}/nodes/announce`, { body: announce });
  const response = await fetch(`${url}/metrics`);
  t.match(response.headers.get("content-type"), /^text\/plain/);
  const text = await response.text();
  const value = (metric: string): number => {
    const line = text.split("\n").find((l) => l.startsWith(`${metric} `));
    return line === undefined ? Number.NaN : Number(line.slice(metric.length + 1));
  };
  t.equal(value("toychain_blocks_mined_total"), 2);
  t.equal(value("toychain_chain_height"), 3);
  t.equal(value("toychain_mempool_size"), 1);
  t.equal(value("toychain_peers"), 1);
  t.ok(value("toychain_hashes_total") > 0, "hashes are counted");
  t.ok(value("toychain_hashrate_hashes_per_second") > 0, "the last job's rate is there");
  t.equal(value('toychain_resolve_peer_outcomes_total{verdict="unreachable"}'), 1);
  t.equal(value('toychain_http_request_duration_seconds_count{method="GET",route="/mine",status="200"}'), 2);
  t.match(text, /toychain_process_resident_memory_bytes/, "with the process metrics");
  t.equal(value("toychain_gossip_announcements_received_total"), 1, "the announcement is counted");
  t.equal(value('toychain_gossip_announcements_dropped_total{reason="gossip off"}'), 1, "and dropped: gossip is off");
  t.equal(value("toychain_gossip_announcements_sent_total"), 0);
  t.equal(value('toychain_gossip_syncs_total{outcome="adopted"}'), 0);
  const dropped = text.split("\n").filter((line) => line.startsWith("toychain_gossip_announcements_dropped_total{"));
  t.equal(dropped.length, 7, "one series per reason");

  const many = Array.from({ length: 20 }, (_, i) => `127.0.0.1:${2 + i}`);
  await request(`${url}/nodes/register`, { body: { nodes: many } });
  await request(`${url}/nodes/resolve`);
  const after = await (await fetch(`${url}/metrics`)).text();
  const series = after.split("\n").filter((line) => line.startsWith("toychain_resolve_peer_outcomes_total{"));
  t.equal(series.length, 6, "one series per verdict, however many peers there are");
  t.notOk(
    series.some((line) => line.includes("peer=")),
    "no label per peer: /stats has each peer's health",
  );
  t.match(after, /toychain_resolve_peer_outcomes_total\{verdict="unreachable"\} 22\n/, "21 peers, 22 outcomes");
});
