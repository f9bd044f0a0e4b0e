/**
 * npm run bench:ledger -- [--rounds 6] [--seconds 5] [--only unsigned,block,sync] [--quick] [--json file]
 *
 * The figures the accounts ledger is held to, measured in one run, each by a
 * section of its own (SECTIONS; signed transactions come as more);
 * every figure is printed and written as JSON (bench/results/ledger.json)
 * with the machine's name.
 *
 * unsigned: durable unsigned POST /transactions/new on the walkthrough's
 * chain (a data dir, so each 200 waits for its transaction to be on disk;
 * one mining thread, not mining), this build against commit fec6c9a's in the
 * same run. fec6c9a is built once in a detached git worktree (npm ci) and
 * kept for later runs (--builds). Each round starts a fresh node of each
 * build in turn, the first alternating, warms it for 1 s and loads it with
 * Debian's wrk (`-t1 -c50`, a `{"sender":"a","recipient":"b","amount":1}`
 * body); the figure is the median of the rounds' ratios. Each measurement
 * also gives the node's CPU per request, all its threads, and what the rest
 * of the machine used meanwhile (other load, in cores, wrk and this bench
 * not counted), since a busy machine makes a round say little.
 *
 * block: a block of 10,000 signed transfers (--block-transfers) checked as
 * a peer's block is, in this process: the page worker (PagePool) checks it
 * against every rule but the signatures, which a SignaturePool of 1 thread,
 * then of 2, verifies (verifyPageSignatures); beside it, node:crypto's
 * verify alone over the same signatures on this thread, each sender's
 * KeyObject made beforehand. Figures: the 1-thread check's time over the
 * 2-thread one's, and the 2-thread check's rate over the raw rate x 2; each
 * the median of --block-rounds rounds, the order alternating.
 *
 * sync: a fresh node (a real toychain process, its own data dir, --threads
 * the machine's cores) registers a peer in this process serving a chain of
 * 300,000 signed transfers (--sync-transfers) a block a page, and resolves:
 * the time to its answer against 300,000 / (the raw verify rate x cores),
 * and the node's peak RSS (VmHWM). Both chains are built once (signing
 * takes a while) and kept beside the other builds (--builds). --quick makes
 * everything small, to see the bench work.
 */
import { createPublicKey, verify as cryptoVerify, type KeyObject } from "node:crypto";
import { writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Block, blockHash, MAX_BLOCK_TRANSACTIONS, MEDIAN_SPAN, type TipContext } from "../src/chain/index.js";
import { encodeAddress, generateKeyPair } from "../src/keys/index.js";
import { SignatureBatch, SignaturePool } from "../src/signatures/index.js";
import { PagePool, type PageSignatures, verifyPageSignatures } from "../src/sync/index.js";
import { serveChain } from "./lib/chain-peer.js";
import { buildCommit, DEFAULT_BUILDS, describeCheckout, REPOSITORY } from "./lib/commit-build.js";
import { childrenCpuSeconds, machineBusySeconds, processCpuSeconds } from "./lib/cpu.js";
import { json, memory, request } from "./lib/node-http.js";
import { startToychainFrom } from "./lib/processes.js";
import { type SignedChain, signedChain } from "./lib/signed-chain.js";
import { duration, table } from "./lib/table.js";
import { runWrk, type WrkRequest, type WrkResult } from "./lib/wrk.js";

/** The commit the issue measured the unsigned rate's fall from. */
const BASELINE = "fec6c9a";
const THIS_CLI = join(REPOSITORY, "dist", "src", "cli.js");

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "6" },
    seconds: { type: "string", default: "5" },
    connections: { type: "string", default: "50" },
    baseline: { type: "string", default: BASELINE },
    builds: { type: "string", default: DEFAULT_BUILDS },
    "block-transfers": { type: "string", default: String(MAX_BLOCK_TRANSACTIONS) },
    "block-rounds": { type: "string", default: "5" },
    "sync-transfers": { type: "string", default: "300000" },
    senders: { type: "string", default: "1000" },
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    json: { type: "string", default: join(REPOSITORY, "bench", "results", "ledger.json") },
    help: { type: "boolean", short: "h" },
  },
});

/** A figure the issue sets: what it requires and what it aims for, a ratio or a size, and which way is better. */
interface Figure {
  figure: string;
  better: "higher" | "lower";
  unit: "x" | "MiB";
  required: number;
  goal: number;
  measured: number;
}

/** One section's figures, what it prints, and what it writes to the JSON. */
interface SectionReport {
  text: string;
  figures: Figure[];
  json: unknown;
}

interface Section {
  name: string;
  /** What it measures, for --help. */
  title: string;
  run(): Promise<SectionReport>;
}

const SECTIONS: Section[] = [
  {
    name: "unsigned",
    title: `durable unsigned POST /transactions/new, this build against commit ${values.baseline}'s`,
    run: unsignedRate,
  },
  {
    name: "block",
    title: "a block of signed transfers checked as a peer's, 1 thread vs 2, and vs node:crypto's verify alone",
    run: blockCheck,
  },
  {
    name: "sync",
    title:
      "a fresh node syncing a chain of signed transfers: its time vs the raw verify rate on every core, its peak RSS",
    run: freshSync,
  },
];

if (values.help) {
  console.log(`Usage: npm run bench:ledger -- [options]
  --rounds <n>        rounds of each comparison, builds alternating (default 6)
  --seconds <n>       wrk's load per measurement, after 1 s of warm-up (default 5)
  --connections <n>   wrk's connections (default 50)
  --baseline <commit> the build compared with (default ${BASELINE})
  --builds <dir>      where other commits and the signed chains are built and kept (default ${DEFAULT_BUILDS})
  --block-transfers <n>  transfers in the block checked (default ${MAX_BLOCK_TRANSACTIONS})
  --block-rounds <n>  rounds of the block's checks (default 5)
  --sync-transfers <n>  signed transfers in the chain a fresh node syncs (default 300000)
  --senders <n>       accounts that sign them (default 1000)
  --quick             small counts, to see the bench work: 2,000 transfers a block, 20,000 synced, 100 senders, 2 rounds
  --only <names>      these sections only, comma-separated (default all)
  --json <file>       where the results go (default bench/results/ledger.json)
Sections:
${SECTIONS.map((s) => `  ${s.name.padEnd(18)}  ${s.title}`).join("\n")}`);
  process.exit(0);
}
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const quick = values.quick === true;
const blockTransfers = quick ? 2000 : Number(values["block-transfers"]);
const blockRounds = quick ? 2 : Number(values["block-rounds"]);
const syncTransfers = quick ? 20_000 : Number(values["sync-transfers"]);
const senders = quick ? 100 : Number(values.senders);
const counts = [rounds, seconds, connections, blockTransfers, blockRounds, syncTransfers, senders];
if (!counts.every((n) => Number.isInteger(n) && n > 0)) {
  console.error(
    "--rounds, --seconds, --connections, --block-transfers, --block-rounds, --sync-transfers and --senders take positive integers",
  );
  process.exit(2);
}
if (blockTransfers > MAX_BLOCK_TRANSACTIONS) {
  console.error(`--block-transfers: a block holds at most ${MAX_BLOCK_TRANSACTIONS} transfers`);
  process.exit(2);
}
const chosen = values.only?.split(",") ?? SECTIONS.map((s) => s.name);
const unknown = chosen.filter((name) => !SECTIONS.some((s) => s.name === name));
if (unknown.length > 0) {
  console.error(`no section ${unknown.join(", ")}: there are ${SECTIONS.map((s) => s.name).join(", ")}`);
  process.exit(2);
}

/** One node loaded with wrk: its figures, its CPU per request, and the machine's other load meanwhile. */
interface Load extends WrkResult {
  cpuUsPerRequest: number;
  otherLoadCores: number;
}

/** Each node's flags: one mining thread (it does not mine), and a mempool no run fills. */
const NODE_FLAGS = ["--threads", "1", "--max-pending", "100000000"];

const TRANSACTION: WrkRequest = {
  method: "POST",
  contentType: "application/json",
  body: JSON.stringify({ sender: "a", recipient: "b", amount: 1 }),
};

/** A wrk run on `url`; wrk missing ends the bench. */
async function wrk(url: string, duration: number): Promise<WrkResult> {
  const result = await runWrk(url, 1, connections, duration, TRANSACTION);
  if ("missing" in result) {
    console.error(result.missing);
    process.exit(1);
  }
  return result;
}

/** A fresh node of the build at `cli`, with a data dir and one mining thread, loaded with POST /transactions/new. */
async function loadTransactions(cli: string): Promise<Load> {
  const node = await startToychainFrom(cli, NODE_FLAGS);
  try {
    const url = `${node.url}/transactions/new`;
    await wrk(url, 1);
    const pid = node.child.pid as number;
    const before = { node: processCpuSeconds(pid), rest: cpuOutsideNode(), at: performance.now() };
    const result = await wrk(url, seconds);
    const nodeCpu = processCpuSeconds(pid) - before.node;
    const elapsed = (performance.now() - before.at) / 1000;
    return {
      ...result,
      cpuUsPerRequest: (nodeCpu / result.requests) * 1e6,
      otherLoadCores: (cpuOutsideNode() - before.rest - nodeCpu) / elapsed,
    };
  } finally {
    await node.stop();
  }
}

/** The machine's busy CPU seconds less this bench's and its finished wrk runs': with the node's taken off, the rest of the machine's. */
const cpuOutsideNode = (): number => machineBusySeconds() - processCpuSeconds("self") - childrenCpuSeconds();

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function unsignedRate(): Promise<SectionReport> {
  const baseline = buildCommit(values.baseline, values.builds);
  const base = baseline.commit.slice(0, 12);
  process.stderr.write(`${base}: ${baseline.reused ? "the build kept from an earlier run" : "built"}\n`);
  const results: { round: number; first: "this" | "baseline"; current: Load; baseline: Load; ratio: number }[] = [];
  for (let round = 1; round <= rounds; round++) {
    const thisFirst = round % 2 === 1;
    process.stderr.write(`round ${round} of ${rounds}: ${thisFirst ? "this build" : base} first...\n`);
    const one = await loadTransactions(thisFirst ? THIS_CLI : baseline.cli);
    const two = await loadTransactions(thisFirst ? baseline.cli : THIS_CLI);
    const [current, other] = thisFirst ? [one, two] : [two, one];
    results.push({
      round,
      first: thisFirst ? "this" : "baseline",
      current,
      baseline: other,
      ratio: current.requestsPerSecond / other.requestsPerSecond,
    });
  }
  const rate = (load: Load) => load.requestsPerSecond.toFixed(0);
  const cpu = (load: Load) => load.cpuUsPerRequest.toFixed(0);
  const failures = results.reduce(
    (sum, r) => sum + r.current.non2xx + r.current.errors + r.baseline.non2xx + r.baseline.errors,
    0,
  );
  const medians = {
    current: median(results.map((r) => r.current.requestsPerSecond)),
    baseline: median(results.map((r) => r.baseline.requestsPerSecond)),
    currentCpu: median(results.map((r) => r.current.cpuUsPerRequest)),
    baselineCpu: median(results.map((r) => r.baseline.cpuUsPerRequest)),
    ratio: median(results.map((r) => r.ratio)),
  };
  const rows = results.map((r) => [
    String(r.round),
    r.first === "this" ? "this" : base.slice(0, 7),
    rate(r.current),
    cpu(r.current),
    rate(r.baseline),
    cpu(r.baseline),
    `${r.ratio.toFixed(2)}x`,
    `${r.current.otherLoadCores.toFixed(2)} / ${r.baseline.otherLoadCores.toFixed(2)}`,
  ]);
  rows.push([
    "median",
    "",
    medians.current.toFixed(0),
    medians.currentCpu.toFixed(0),
    medians.baseline.toFixed(0),
    medians.baselineCpu.toFixed(0),
    `${medians.ratio.toFixed(2)}x`,
    "",
  ]);
  const header = `durable unsigned POST /transactions/new: walkthrough chain, a data dir, --threads 1; wrk -t1 -c${connections} -d${seconds}s after 1 s of warm-up; ${rounds} rounds`;
  const text = [
    header,
    table(
      [
        "round",
        "first",
        "this req/s",
        "µs CPU/req",
        `${base.slice(0, 7)} req/s`,
        "µs CPU/req",
        "ratio",
        "other load, cores",
      ],
      rows,
    ),
    failures > 0 ? `${failures} requests failed or answered other than 2xx: the rates are not comparable` : "",
  ].join("\n");
  return {
    text,
    figures: [
      {
        figure: `durable unsigned POST /transactions/new (walkthrough chain) vs commit ${base.slice(0, 7)}'s, same run`,
        better: "higher",
        unit: "x",
        required: 1.0,
        goal: 1.2,
        measured: medians.ratio,
      },
    ],
    json: {
      baseline: baseline.commit,
      wrk: { threads: 1, connections, seconds, warmupSeconds: 1, body: TRANSACTION.body },
      flags: NODE_FLAGS,
      rounds: results,
      medians,
      failures,
    },
  };
}

const parseBlock = (chain: SignedChain, height: number): Block =>
  JSON.parse((chain.blocks[height - 1] as Buffer).toString("utf8")) as Block;

/** The context a block at `height` of `chain` extends: its parent, and the timestamps up to it. */
function contextBefore(chain: SignedChain, height: number): TipContext {
  const recent: number[] = [];
  for (let h = Math.max(1, height - MEDIAN_SPAN); h < height; h++) recent.push(parseBlock(chain, h).timestamp);
  return { height: height - 1, hash: blockHash(parseBlock(chain, height - 1)), recent };
}

/**
 * node:crypto's verify alone over a batch, on this thread, each public key's
 * KeyObject made beforehand: signatures a second. Every signature must verify.
 */
function rawVerifyRate(batch: SignatureBatch): number {
  const keys = new Map<string, KeyObject>();
  const keyOf = (publicKey: Uint8Array): KeyObject => {
    const x = Buffer.from(publicKey).toString("base64url");
    let key = keys.get(x);
    if (key === undefined) {
      key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
      keys.set(x, key);
    }
    return key;
  };
  const jobs = Array.from({ length: batch.length }, (_, i) => ({ ...batch.job(i), key: keyOf(batch.publicKey(i)) }));
  const started = performance.now();
  for (const { message, key, signature } of jobs) {
    if (!cryptoVerify(null, message, key, signature))
      throw new Error("a signature of the bench's chain does not verify");
  }
  return jobs.length / ((performance.now() - started) / 1000);
}

/** A block of `chain` as a page, checked as a peer's: by the page worker, then its signatures by `pool`. */
async function checkBlock(
  pages: PagePool,
  pool: SignaturePool,
  chain: SignedChain,
  height: number,
  after: TipContext,
): Promise<{ ms: number; pageMs: number; signatures: PageSignatures }> {
  // A copy each time: the page worker is given the page's buffer, moved.
  const bytes = Buffer.from(`{"chain":[${chain.blocks[height - 1]}],"length":${chain.blocks.length}}`);
  const started = performance.now();
  const outcome = await pages.check({
    bytes,
    from: height,
    limit: 1,
    after,
    rules: chain.spec,
    now: Date.now() / 1000,
  });
  const checked = performance.now();
  if (!("valid" in outcome) || outcome.valid.signatures === undefined) {
    throw new Error(`the bench's block was refused: ${"invalid" in outcome ? outcome.invalid : "it has no transfers"}`);
  }
  const refused = await verifyPageSignatures(outcome.valid.signatures, height, chain.spec, pool);
  if (refused !== undefined) throw new Error(`the bench's block was refused: ${refused}`);
  return { ms: performance.now() - started, pageMs: checked - started, signatures: outcome.valid.signatures };
}

async function blockCheck(): Promise<SectionReport> {
  const chain = signedChain({
    transfers: Math.min(senders, blockTransfers) + blockTransfers,
    perBlock: blockTransfers,
    senders,
    dir: values.builds,
  });
  process.stderr.write(`block: ${chain.reused ? "the chain kept from an earlier run" : "chain built"}\n`);
  const height = chain.blocks.length;
  const after = contextBefore(chain, height);
  const pages = new PagePool({ keep: true });
  const pools = { 1: new SignaturePool({ threads: 1 }), 2: new SignaturePool({ threads: 2 }) };
  try {
    await pages.warmUp();
    // Warm: the workers started, their modules loaded and compiled.
    const { signatures } = await checkBlock(pages, pools[1], chain, height, after);
    await checkBlock(pages, pools[2], chain, height, after);
    const batch = new SignatureBatch(signatures.buffer);
    rawVerifyRate(batch);
    const results: {
      round: number;
      one: { ms: number; pageMs: number };
      two: { ms: number; pageMs: number };
      rawPerSecond: number;
    }[] = [];
    for (let round = 1; round <= blockRounds; round++) {
      process.stderr.write(`block: round ${round} of ${blockRounds}\n`);
      const oneFirst = round % 2 === 1;
      const first = await checkBlock(pages, pools[oneFirst ? 1 : 2], chain, height, after);
      const second = await checkBlock(pages, pools[oneFirst ? 2 : 1], chain, height, after);
      const [one, two] = oneFirst ? [first, second] : [second, first];
      results.push({
        round,
        one: { ms: one.ms, pageMs: one.pageMs },
        two: { ms: two.ms, pageMs: two.pageMs },
        rawPerSecond: rawVerifyRate(batch),
      });
    }
    const n = batch.length;
    const speedups = results.map((r) => r.one.ms / r.two.ms);
    const vsRaw = results.map((r) => n / (r.two.ms / 1000) / (r.rawPerSecond * 2));
    const vsRawOne = results.map((r) => n / (r.one.ms / 1000) / r.rawPerSecond);
    const rows = results.map((r, i) => [
      String(r.round),
      `${r.one.ms.toFixed(0)} (${r.one.pageMs.toFixed(0)})`,
      `${r.two.ms.toFixed(0)} (${r.two.pageMs.toFixed(0)})`,
      `${(speedups[i] as number).toFixed(2)}x`,
      r.rawPerSecond.toFixed(0),
      `${(vsRawOne[i] as number).toFixed(2)}x`,
      `${(vsRaw[i] as number).toFixed(2)}x`,
    ]);
    const medians = {
      oneMs: median(results.map((r) => r.one.ms)),
      twoMs: median(results.map((r) => r.two.ms)),
      pageMs: median(results.flatMap((r) => [r.one.pageMs, r.two.pageMs])),
      rawPerSecond: median(results.map((r) => r.rawPerSecond)),
      speedup: median(speedups),
      vsRawOne: median(vsRawOne),
      vsRaw: median(vsRaw),
    };
    rows.push([
      "median",
      medians.oneMs.toFixed(0),
      medians.twoMs.toFixed(0),
      `${medians.speedup.toFixed(2)}x`,
      medians.rawPerSecond.toFixed(0),
      `${medians.vsRawOne.toFixed(2)}x`,
      `${medians.vsRaw.toFixed(2)}x`,
    ]);
    const text = [
      `a block of ${n} signed transfers from ${chain.senders} senders (${(chain.blocks[height - 1] as Buffer).length} bytes) checked as a peer's: the page worker (its share in brackets), then a SignaturePool of 1 or 2 threads; node:crypto's verify alone on this thread, KeyObjects made beforehand; ${blockRounds} rounds`,
      table(
        ["round", "1 thread ms", "2 threads ms", "1 vs 2", "raw verify/s", "1 thread vs raw", "2 threads vs raw x 2"],
        rows,
      ),
    ].join("\n");
    return {
      text,
      figures: [
        {
          figure: `a block of ${n} signed transactions checked, 2 threads vs 1`,
          better: "higher",
          unit: "x",
          required: 1.8,
          goal: 1.95,
          measured: medians.speedup,
        },
        {
          figure: "that block's check vs raw node:crypto verify x threads (2)",
          better: "higher",
          unit: "x",
          required: 0.8,
          goal: 0.95,
          measured: medians.vsRaw,
        },
      ],
      json: {
        transfers: n,
        senders: chain.senders,
        bytes: (chain.blocks[height - 1] as Buffer).length,
        rounds: results,
        medians,
      },
    };
  } finally {
    await Promise.all([pages.close(), pools[1].close(), pools[2].close()]);
  }
}

async function freshSync(): Promise<SectionReport> {
  const chain = signedChain({
    transfers: syncTransfers,
    perBlock: MAX_BLOCK_TRANSACTIONS,
    senders,
    dir: values.builds,
  });
  process.stderr.write(`sync: ${chain.reused ? "the chain kept from an earlier run" : "chain built"}\n`);
  const cores = availableParallelism();
  // The raw rate over the chain's last block's signatures, as the block section measures it.
  const pages = new PagePool();
  const local = new SignaturePool({ threads: 1 });
  let rawPerSecond: number;
  try {
    const { signatures } = await checkBlock(
      pages,
      local,
      chain,
      chain.blocks.length,
      contextBefore(chain, chain.blocks.length),
    );
    const batch = new SignatureBatch(signatures.buffer);
    rawVerifyRate(batch);
    rawPerSecond = median([rawVerifyRate(batch), rawVerifyRate(batch), rawVerifyRate(batch)]);
  } finally {
    await Promise.all([pages.close(), local.close()]);
  }
  const peer = await serveChain(chain.spec, chain.blocks);
  // A reward address given: the node makes no key of its own, whose scrypt (128 MiB) would be its peak.
  const rewards = encodeAddress(
    chain.spec.ledger.kind === "accounts" ? chain.spec.ledger.prefix : "",
    generateKeyPair().publicKey,
  );
  const flags = [
    "--chain",
    chain.specFile,
    "--threads",
    String(cores),
    "--reward-address",
    rewards,
    "--peer-timeout",
    "60000",
  ];
  const node = await startToychainFrom(THIS_CLI, [...flags, "--resolve-deadline", "86400000"]);
  const pid = node.child.pid as number;
  try {
    await json(`${node.url}/nodes/register`, { method: "POST", body: JSON.stringify({ nodes: [peer.url] }) });
    process.stderr.write(`sync: a fresh node resolving ${chain.blocks.length} blocks, ${syncTransfers} transfers...\n`);
    const before = { node: processCpuSeconds(pid), rest: cpuOutsideNode(), at: performance.now() };
    let sampled = 0;
    const sampler = setInterval(() => {
      sampled = Math.max(sampled, memory(pid).rss);
    }, 50);
    const answer = await request(`${node.url}/nodes/resolve`).finally(() => clearInterval(sampler));
    const elapsed = (performance.now() - before.at) / 1000;
    const nodeCpu = processCpuSeconds(pid) - before.node;
    const otherLoadCores = (cpuOutsideNode() - before.rest - nodeCpu) / elapsed;
    const { hwm } = memory(pid);
    const resolved = JSON.parse(answer.body.toString("utf8")) as { message: string; peers?: unknown };
    const tip = await json<{ length: number }>(`${node.url}/chain/tip`);
    if (answer.status !== 200 || tip.length !== chain.blocks.length) {
      throw new Error(`the fresh node did not adopt the chain: ${answer.status} ${JSON.stringify(resolved)}`);
    }
    const ideal = syncTransfers / (rawPerSecond * cores);
    const ratio = elapsed / ideal;
    const text = [
      `a fresh node (--threads ${cores}, a data dir) syncing ${syncTransfers} signed transfers from ${chain.senders} senders in ${chain.blocks.length} blocks, a block a page, from a peer in this process`,
      table(
        ["time", "ideal", "ratio", "node CPU", "peak RSS", "sampled during the sync", "other load, cores"],
        [
          [
            duration(elapsed),
            duration(ideal),
            `${ratio.toFixed(2)}x`,
            `${nodeCpu.toFixed(1)} s`,
            `${hwm.toFixed(0)} MiB`,
            `${sampled.toFixed(0)} MiB`,
            otherLoadCores.toFixed(2),
          ],
        ],
      ),
      `ideal: ${syncTransfers} / (node:crypto's verify alone, ${rawPerSecond.toFixed(0)}/s on one thread, x ${cores} cores)`,
    ].join("\n");
    return {
      text,
      figures: [
        {
          figure: `a fresh node syncing ${syncTransfers} signed transactions vs (count / measured verify rate on all cores)`,
          better: "lower",
          unit: "x",
          required: 1.5,
          goal: 1.2,
          measured: ratio,
        },
        {
          figure: "the same sync's peak RSS",
          better: "lower",
          unit: "MiB",
          required: 300,
          goal: 200,
          measured: hwm,
        },
      ],
      json: {
        transfers: syncTransfers,
        senders: chain.senders,
        blocks: chain.blocks.length,
        flags,
        seconds: elapsed,
        idealSeconds: ideal,
        rawPerSecond,
        cores,
        nodeCpuSeconds: nodeCpu,
        peakRssMiB: hwm,
        sampledRssMiB: sampled,
        otherLoadCores,
      },
    };
  } finally {
    await node.stop();
    await peer.close();
  }
}

const machine = { cpu: cpus()[0]?.model ?? "unknown", cores: availableParallelism(), node: process.version };
const checkout = describeCheckout();
process.stderr.write(
  `machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; this build: ${checkout}\n`,
);
const reports: Record<string, SectionReport> = {};
for (const section of SECTIONS.filter((s) => chosen.includes(s.name))) {
  reports[section.name] = await section.run();
  console.log(`\n${reports[section.name]?.text}`);
}
const figures = Object.values(reports).flatMap((report) => report.figures);
const shown = (value: number, unit: Figure["unit"]) =>
  unit === "x" ? `${value.toFixed(2)}x` : `${value.toFixed(0)} MiB`;
const bound = (f: Figure, bound: number) => {
  const met = f.better === "higher" ? f.measured >= bound : f.measured <= bound;
  return `${f.better === "higher" ? "≥" : "≤"} ${shown(bound, f.unit)} (${met ? "met" : "NOT met"})`;
};
console.log(`\nmachine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; this build: ${checkout}`);
console.log(
  table(
    ["figure", "required", "goal", "measured"],
    figures.map((f) => [f.figure, bound(f, f.required), bound(f, f.goal), shown(f.measured, f.unit)]),
  ),
);
writeFileSync(
  values.json,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      machine,
      checkout,
      figures,
      sections: Object.fromEntries(Object.entries(reports).map(([name, report]) => [name, report.json])),
    },
    null,
    2,
  )}\n`,
);
process.stderr.write(`written to ${values.json}\n`);
