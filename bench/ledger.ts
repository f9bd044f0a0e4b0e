/**
 * npm run bench:ledger -- [--rounds 6] [--seconds 5] [--accounts 100000] [--only unsigned,state,signed,block,sync] [--quick] [--json file]
 *
 * The figures the accounts ledger is held to, measured in one run, each by a
 * section of its own (SECTIONS);
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
 * also gives the node's CPU per request, all its threads and (in brackets)
 * its main thread's, where a request's JavaScript runs, and what the rest
 * of the machine used meanwhile (other load, in cores, wrk and this bench
 * not counted), since a busy machine makes a round say little.
 *
 * state: the ledger's bytes on disk (bench/lib/ledger-state.ts): a LevelStore
 * takes blocks of 1,000 transfers from one key to fresh addresses until
 * --accounts addresses have a record, is compacted, and each of the ledger's
 * prefixes is measured, per account (a/), per block (u/) or per transfer (i/,
 * x/): what grows with accounts, and what with the chain.
 *
 * signed: durable POST /transactions/new of signed transfers on an accounts
 * chain's node against unsigned ones on the walkthrough's, this build both,
 * the same client, rounds alternating as above; both nodes take --threads
 * of this machine's cores, a node's default, since the signature pool's
 * workers are as many (SIGNED_NODE_FLAGS). The transfers are signed
 * before any node is loaded: a chain is made (SIGNED_SPEC), a node mines a
 * block to a funder, which pays every sender, and mines again; that data
 * dir is copied for each round's node. Each sender then has a chain of
 * nonces to post, the list of bodies going round the senders so that a
 * sender's next nonce comes hundreds of requests after the one before
 * (wrk's 50 connections cannot send it first); the warm-up posts other
 * senders' transfers. wrk sends the next body of a list at each request
 * (Lua), and so does the unsigned side, from a list of the same body, so
 * that both cost the client alike. *
 * block: a block of 10,000 signed transfers (--block-transfers) checked as
 * a peer's block is, in this process, on CheckThreads of 1 thread, then of
 * 2, as a node given --threads 1 or 2 has them: the page's check (PagePool)
 * checks it against every rule but the signatures, which it sends ahead,
 * once the schema has passed, to a SignaturePool on the same threads, that
 * verifies them meanwhile (verifyPageSignatures awaits it); beside it, node:crypto's
 * verify alone over the same signatures on this thread, each sender's
 * KeyObject made beforehand. Figures: the 1-thread check's time over the
 * 2-thread one's, and the 2-thread check's rate over the raw rate x 2; each
 * the median of --block-rounds rounds, the order alternating. The check is
 * also made with pools of the node:crypto backend (--verifier node:crypto),
 * whose 2-versus-1 ratio is given beside: the issue's targets were set when
 * node:crypto was the only verifier.
 *
 * sync: a fresh node (a real toychain process, its own data dir, --threads
 * the machine's cores) registers a peer in this process serving a chain of
 * 300,000 signed transfers (--sync-transfers) a block a page, and resolves:
 * the time to its answer against 300,000 / (the raw verify rate x cores),
 * and the node's peak RSS (VmHWM), with its file-backed part (RssFile,
 * sampled every 50 ms) at the highest RSS sampled and at most. Both chains are built once (signing
 * takes a while) and kept beside the other builds (--builds). --quick makes
 * both small, to see them work.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { MAX_BLOCK_TRANSACTIONS, newChainSpec, specFromFile, type TipContext } from "../src/chain/index.js";
import { CheckThreads } from "../src/checks/index.js";
import { encodeAddress, generateKeyPair, type SignedTransaction, signer, signingMessage } from "../src/keys/index.js";
import {
  nodeCryptoBackend,
  SignatureBatch,
  SignaturePool,
  type SignatureVerifier,
  type VerifyBackend,
} from "../src/signatures/index.js";
import { PagePool, type PageSignatures, verifyPageSignatures } from "../src/sync/index.js";
import { serveChain } from "./lib/chain-peer.js";
import { buildCommit, DEFAULT_BUILDS, describeCheckout, REPOSITORY } from "./lib/commit-build.js";
import { childrenCpuSeconds, machineBusySeconds, processCpuSeconds, threadCpuSeconds } from "./lib/cpu.js";
import { measureLedgerState } from "./lib/ledger-state.js";
import { json, memory, request } from "./lib/node-http.js";
import { type ServerProcess, startToychainFrom } from "./lib/processes.js";
import { rawVerifyRate, rawVerifyRateOn, verifyRate, verifyRateOn } from "./lib/raw-verify.js";
import { median } from "./lib/stats.js";
import { duration, table } from "./lib/table.js";
import { contextBefore, type TransferChain, transferChain } from "./lib/transfer-chain.js";
import { runWrk, type WrkRequest, type WrkRequests, type WrkResult, wrkMissing } from "./lib/wrk.js";

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
    accounts: { type: "string", default: "100000" },
    "signed-transfers": { type: "string", default: "100000" },
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
    name: "state",
    title: "the ledger's state on disk: bytes per account, and per transfer",
    run: ledgerState,
  },
  {
    name: "signed",
    title: "durable POST /transactions/new, signed (accounts chain) against unsigned (walkthrough chain)",
    run: signedRate,
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
  --builds <dir>      where other commits and the block and sync sections' chains are built and kept (default ${DEFAULT_BUILDS})
  --accounts <n>      accounts the state section makes (default 100000)
  --signed-transfers <n>  signed transfers for each measurement, signed before (default 100000)
  --block-transfers <n>  transfers in the block checked (default ${MAX_BLOCK_TRANSACTIONS})
  --block-rounds <n>  rounds of the block's checks (default 5)
  --sync-transfers <n>  signed transfers in the chain a fresh node syncs (default 300000)
  --senders <n>       accounts that sign the block and sync sections' transfers (default 1000)
  --quick             the block and sync sections small, to see them work: 2,000 transfers a block, 20,000 synced, 100 senders, 2 rounds
  --only <names>      these sections only, comma-separated (default all)
  --json <file>       where the results go (default bench/results/ledger.json)
Sections:
${SECTIONS.map((s) => `  ${s.name.padEnd(18)}  ${s.title}`).join("\n")}`);
  process.exit(0);
}
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const accounts = Number(values.accounts);
const signedTransfers = Number(values["signed-transfers"]);
const quick = values.quick === true;
const blockTransfers = quick ? 2000 : Number(values["block-transfers"]);
const blockRounds = quick ? 2 : Number(values["block-rounds"]);
const syncTransfers = quick ? 20_000 : Number(values["sync-transfers"]);
const senders = quick ? 100 : Number(values.senders);
const counts = [
  rounds,
  seconds,
  connections,
  accounts,
  signedTransfers,
  blockTransfers,
  blockRounds,
  syncTransfers,
  senders,
];
if (!counts.every((n) => Number.isInteger(n) && n > 0)) {
  console.error(
    "--rounds, --seconds, --connections, --accounts, --signed-transfers, --block-transfers, --block-rounds, --sync-transfers and --senders take positive integers",
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

/** The sections that load a node with wrk. */
const WITH_WRK = ["unsigned", "signed"];
const noWrk = chosen.some((name) => WITH_WRK.includes(name)) ? wrkMissing() : undefined;
if (noWrk !== undefined) {
  console.error(`${noWrk}: the ${WITH_WRK.join(" and ")} sections need it`);
  process.exit(1);
}

/** One node loaded with wrk: its figures, its CPU per request (all threads, and its main thread's), and the machine's other load meanwhile. */
interface Load extends WrkResult {
  cpuUsPerRequest: number;
  mainUsPerRequest: number;
  otherLoadCores: number;
}

/** Each node's flags: one mining thread (it does not mine), and a mempool no run fills. */
const NODE_FLAGS = ["--threads", "1", "--max-pending", "100000000"];

const TRANSACTION: WrkRequest = {
  method: "POST",
  contentType: "application/json",
  body: JSON.stringify({ sender: "a", recipient: "b", amount: 1 }),
};

/** A wrk run on `url`; wrk missing is an error, which stops the node loaded (loadNode's finally) before it ends the bench. */
async function wrk(url: string, duration: number, request: WrkRequest | WrkRequests): Promise<WrkResult> {
  const result = await runWrk(url, 1, connections, duration, request);
  if ("missing" in result) throw new Error(result.missing);
  return result;
}

/** A fresh node of the build at `cli`, with a data dir and one mining thread, loaded with POST /transactions/new. */
const loadTransactions = (cli: string): Promise<Load> =>
  loadNode(() => startToychainFrom(cli, NODE_FLAGS), TRANSACTION, TRANSACTION);

/** The node `start` starts, warmed for 1 s with `warm`'s requests, then loaded with `measured`'s; stopped after. */
async function loadNode(
  start: () => Promise<ServerProcess>,
  warm: WrkRequest | WrkRequests,
  measured: WrkRequest | WrkRequests,
): Promise<Load> {
  const node = await start();
  try {
    const url = `${node.url}/transactions/new`;
    await wrk(url, 1, warm);
    const pid = node.child.pid as number;
    const before = {
      node: processCpuSeconds(pid),
      main: threadCpuSeconds(pid),
      rest: cpuOutsideNode(),
      at: performance.now(),
    };
    const result = await wrk(url, seconds, measured);
    const nodeCpu = processCpuSeconds(pid) - before.node;
    const mainCpu = threadCpuSeconds(pid) - before.main;
    const elapsed = (performance.now() - before.at) / 1000;
    return {
      ...result,
      cpuUsPerRequest: (nodeCpu / result.requests) * 1e6,
      mainUsPerRequest: (mainCpu / result.requests) * 1e6,
      otherLoadCores: (cpuOutsideNode() - before.rest - nodeCpu) / elapsed,
    };
  } finally {
    await node.stop();
  }
}

/** A load's CPU per request, in µs: all the node's threads, and (in brackets) its main thread's. */
const cpuOf = (load: Load): string => `${load.cpuUsPerRequest.toFixed(0)} (${load.mainUsPerRequest.toFixed(0)})`;

/** The machine's busy CPU seconds less this bench's and its finished wrk runs': with the node's taken off, the rest of the machine's. */
const cpuOutsideNode = (): number => machineBusySeconds() - processCpuSeconds("self") - childrenCpuSeconds();

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
  const failures = results.reduce(
    (sum, r) => sum + r.current.non2xx + r.current.errors + r.baseline.non2xx + r.baseline.errors,
    0,
  );
  const medians = {
    current: median(results.map((r) => r.current.requestsPerSecond)),
    baseline: median(results.map((r) => r.baseline.requestsPerSecond)),
    currentCpu: median(results.map((r) => r.current.cpuUsPerRequest)),
    baselineCpu: median(results.map((r) => r.baseline.cpuUsPerRequest)),
    currentMain: median(results.map((r) => r.current.mainUsPerRequest)),
    baselineMain: median(results.map((r) => r.baseline.mainUsPerRequest)),
    ratio: median(results.map((r) => r.ratio)),
  };
  const rows = results.map((r) => [
    String(r.round),
    r.first === "this" ? "this" : base.slice(0, 7),
    rate(r.current),
    cpuOf(r.current),
    rate(r.baseline),
    cpuOf(r.baseline),
    `${r.ratio.toFixed(2)}x`,
    `${r.current.otherLoadCores.toFixed(2)} / ${r.baseline.otherLoadCores.toFixed(2)}`,
  ]);
  rows.push([
    "median",
    "",
    medians.current.toFixed(0),
    `${medians.currentCpu.toFixed(0)} (${medians.currentMain.toFixed(0)})`,
    medians.baseline.toFixed(0),
    `${medians.baselineCpu.toFixed(0)} (${medians.baselineMain.toFixed(0)})`,
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
        "µs CPU/req (main)",
        `${base.slice(0, 7)} req/s`,
        "µs CPU/req (main)",
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

/** Transfers a block of the state section holds. */
const STATE_BLOCK_TRANSFERS = 1000;

async function ledgerState(): Promise<SectionReport> {
  process.stderr.write(`state: ${accounts} accounts, ${STATE_BLOCK_TRANSFERS} transfers a block...\n`);
  const report = await measureLedgerState(accounts, STATE_BLOCK_TRANSFERS);
  const per = (bytes: number, count: number) => (count === 0 ? "-" : (bytes / count).toFixed(1));
  const growsWith: Record<string, [string, number]> = {
    "a/": ["account", report.accounts],
    "u/": ["block", report.blocks],
    "i/": ["transfer", report.transfers],
    "x/": ["transfer", report.transfers],
  };
  const rows = report.prefixes.map(({ prefix, records, logicalBytes, diskBytes }) => {
    const [unit, count] = growsWith[prefix] ?? ["record", records];
    return [prefix, String(records), unit, per(logicalBytes, count), per(diskBytes, count)];
  });
  const accountRecord = report.prefixes.find((p) => p.prefix === "a/");
  const text = [
    `the ledger's state in a compacted LevelStore: ${report.accounts} accounts made by ${report.transfers} transfers in ${report.blocks} blocks (${report.seconds.toFixed(1)} s)`,
    table(["prefix", "records", "grows by", "bytes written per", "bytes on disk per"], rows),
    `the whole data dir, blocks included: ${(report.dataDirBytes / 2 ** 20).toFixed(1)} MiB, ${per(report.dataDirBytes, report.transfers)} bytes per transfer`,
    accountRecord === undefined
      ? ""
      : `state on disk per account: ${per(accountRecord.diskBytes, report.accounts)} bytes (its record, ${per(accountRecord.logicalBytes, report.accounts)} bytes as written)`,
  ].join("\n");
  return { text, figures: [], json: report };
}

/** The signed section's chain: blocks as easy as a chain allows (a few ms on one thread), a reward that funds every sender. */
const SIGNED_SPEC = {
  name: "bench-signed",
  blockTime: 5,
  hashesPerSecond: 1e3,
  ledger: "accounts",
  reward: 1e12,
} as const;
/**
 * Both nodes' flags in the signed section: as many threads as a node takes
 * by default, this machine's cores, since they are the signature pool's too
 * (the mining threads, the same number, do not mine), and a mempool no run fills.
 */
const SIGNED_NODE_FLAGS = ["--threads", String(availableParallelism()), "--max-pending", "100000000"];
/** How many transfers each sender posts, nonces 1 to this. */
const NONCES_PER_SENDER = 100;

/** A key that signs many transfers, imported once, and its address. */
interface Signer {
  address: string;
  sign(message: Uint8Array): Uint8Array;
}

/** A funded accounts chain in a data dir to copy, and the bodies of the transfers its senders post, signed. */
interface SignedChain {
  dir: string;
  /** The flags of a node of this chain, but its data dir. */
  flags: string[];
  /** The data dir after the funding blocks, which each round's node starts from, copied. */
  template: string;
  warm: WrkRequests;
  measured: WrkRequests;
}

const JSON_POSTS = { method: "POST", contentType: "application/json" } as const;

/**
 * Each of `senders`' transfers of nonces 1 to NONCES_PER_SENDER, 1 coin and
 * a fee of 1 to `recipient`, signed for `chainId`, as request bodies: every
 * sender's nonce 1, then every sender's nonce 2, and so on.
 */
function signedBodies(chainId: string, senders: readonly Signer[], recipient: string): string[] {
  const bodies: string[] = [];
  for (let nonce = 1; nonce <= NONCES_PER_SENDER; nonce++) {
    for (const { address, sign } of senders) {
      const tx = { sender: address, recipient, amount: 1, fee: 1, nonce };
      const signed: SignedTransaction = {
        ...tx,
        signature: Buffer.from(sign(signingMessage(chainId, tx))).toString("hex"),
      };
      bodies.push(JSON.stringify(signed));
    }
  }
  return bodies;
}

/** A GET or POST of JSON on `url` that must answer 200: its body. */
async function call<T>(url: string, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

/**
 * A chain of SIGNED_SPEC whose senders can post `count` transfers in the
 * measurement and a third of that in the warm-up, each sender
 * NONCES_PER_SENDER: a node mines a block to a funder, the funder pays
 * every sender what its transfers spend, and the node mines until none is
 * pending. The transfers are signed meanwhile.
 */
async function signedChain(count: number): Promise<SignedChain> {
  const dir = mkdtempSync(join(tmpdir(), "toychain-bench-signed-"));
  const file = newChainSpec({ ...SIGNED_SPEC, now: Date.now() / 1000 });
  const spec = specFromFile(file);
  if (spec.ledger.kind !== "accounts") throw new Error("the signed section's chain keeps no accounts");
  const { prefix } = spec.ledger;
  const specFile = join(dir, "spec.json");
  writeFileSync(specFile, JSON.stringify(file));
  const newSigner = (): Signer => {
    const { publicKey, secretKey } = generateKeyPair();
    return { address: encodeAddress(prefix, publicKey), sign: signer(secretKey) };
  };
  const funder = newSigner();
  const measuredSenders = Array.from({ length: Math.ceil(count / NONCES_PER_SENDER) }, newSigner);
  const warmSenders = Array.from({ length: Math.ceil(measuredSenders.length / 3) }, newSigner);
  const flags = ["--chain", specFile, "--reward-address", funder.address, ...SIGNED_NODE_FLAGS];
  const template = join(dir, "template");
  const node = await startToychainFrom(THIS_CLI, flags, template);
  try {
    await call(`${node.url}/mine`);
    for (const [i, sender] of [...warmSenders, ...measuredSenders].entries()) {
      const tx = {
        sender: funder.address,
        recipient: sender.address,
        amount: 2 * NONCES_PER_SENDER,
        fee: 0,
        nonce: i + 1,
      };
      await call(`${node.url}/transactions/new`, {
        ...tx,
        signature: Buffer.from(funder.sign(signingMessage(spec.id, tx))).toString("hex"),
      });
    }
    while ((await call<{ length: number }>(`${node.url}/transactions/pending`)).length > 0)
      await call(`${node.url}/mine`);
  } finally {
    await node.stop();
  }
  process.stderr.write(
    `signing ${count} transfers of ${measuredSenders.length} senders, and ${warmSenders.length * NONCES_PER_SENDER} for the warm-up...\n`,
  );
  return {
    dir,
    flags,
    template,
    warm: { ...JSON_POSTS, bodies: signedBodies(spec.id, warmSenders, funder.address) },
    measured: { ...JSON_POSTS, bodies: signedBodies(spec.id, measuredSenders, funder.address) },
  };
}

async function signedRate(): Promise<SectionReport> {
  const chain = await signedChain(signedTransfers);
  const unsigned = (like: WrkRequests): WrkRequests => ({ ...like, bodies: like.bodies.map(() => TRANSACTION.body) });
  const [warmUnsigned, measuredUnsigned] = [unsigned(chain.warm), unsigned(chain.measured)];
  const signedNode = async (round: number, flags: readonly string[]): Promise<ServerProcess> => {
    const data = join(chain.dir, `round-${round}`);
    cpSync(chain.template, data, { recursive: true });
    const node = await startToychainFrom(THIS_CLI, [...chain.flags, ...flags], data);
    return {
      ...node,
      async stop() {
        await node.stop();
        rmSync(data, { recursive: true, force: true });
      },
    };
  };
  type Run = "signed" | "node:crypto" | "unsigned";
  const results: {
    round: number;
    order: Run[];
    signed: Load;
    nodeCrypto: Load;
    unsigned: Load;
    ratio: number;
    nodeCryptoRatio: number;
  }[] = [];
  const RUNS: readonly Run[] = ["signed", "node:crypto", "unsigned"];
  try {
    for (let round = 1; round <= rounds; round++) {
      const order = RUNS.map((_, i) => RUNS[(i + round - 1) % RUNS.length] as Run);
      process.stderr.write(`round ${round} of ${rounds}: ${order.join(", ")}...\n`);
      const load = (run: Run): Promise<Load> =>
        run === "unsigned"
          ? loadNode(() => startToychainFrom(THIS_CLI, SIGNED_NODE_FLAGS), warmUnsigned, measuredUnsigned)
          : loadNode(
              () => signedNode(round, run === "node:crypto" ? ["--verifier", "node:crypto"] : []),
              chain.warm,
              chain.measured,
            );
      const loads = {} as Record<Run, Load>;
      for (const run of order) loads[run] = await load(run);
      results.push({
        round,
        order,
        signed: loads.signed,
        nodeCrypto: loads["node:crypto"],
        unsigned: loads.unsigned,
        ratio: loads.signed.requestsPerSecond / loads.unsigned.requestsPerSecond,
        nodeCryptoRatio: loads["node:crypto"].requestsPerSecond / loads.unsigned.requestsPerSecond,
      });
    }
  } finally {
    rmSync(chain.dir, { recursive: true, force: true });
  }
  const failures = results.reduce(
    (sum, r) =>
      sum +
      r.signed.non2xx +
      r.signed.errors +
      r.nodeCrypto.non2xx +
      r.nodeCrypto.errors +
      r.unsigned.non2xx +
      r.unsigned.errors,
    0,
  );
  const ranOut = results.some((r) => Math.max(r.signed.requests, r.nodeCrypto.requests) > chain.measured.bodies.length);
  const medians = {
    signed: median(results.map((r) => r.signed.requestsPerSecond)),
    unsigned: median(results.map((r) => r.unsigned.requestsPerSecond)),
    signedCpu: median(results.map((r) => r.signed.cpuUsPerRequest)),
    unsignedCpu: median(results.map((r) => r.unsigned.cpuUsPerRequest)),
    signedMain: median(results.map((r) => r.signed.mainUsPerRequest)),
    unsignedMain: median(results.map((r) => r.unsigned.mainUsPerRequest)),
    nodeCryptoMain: median(results.map((r) => r.nodeCrypto.mainUsPerRequest)),
    ratio: median(results.map((r) => r.ratio)),
    nodeCrypto: median(results.map((r) => r.nodeCrypto.requestsPerSecond)),
    nodeCryptoCpu: median(results.map((r) => r.nodeCrypto.cpuUsPerRequest)),
    nodeCryptoRatio: median(results.map((r) => r.nodeCryptoRatio)),
  };
  const rows = results.map((r) => [
    String(r.round),
    r.order[0] as string,
    r.signed.requestsPerSecond.toFixed(0),
    cpuOf(r.signed),
    `${r.signed.p50.toFixed(2)} / ${r.signed.p99.toFixed(2)}`,
    r.nodeCrypto.requestsPerSecond.toFixed(0),
    cpuOf(r.nodeCrypto),
    r.unsigned.requestsPerSecond.toFixed(0),
    cpuOf(r.unsigned),
    `${r.unsigned.p50.toFixed(2)} / ${r.unsigned.p99.toFixed(2)}`,
    `${r.ratio.toFixed(2)}x`,
    `${r.nodeCryptoRatio.toFixed(2)}x`,
    [r.signed, r.nodeCrypto, r.unsigned].map((l) => l.otherLoadCores.toFixed(2)).join(" / "),
  ]);
  rows.push([
    "median",
    "",
    medians.signed.toFixed(0),
    `${medians.signedCpu.toFixed(0)} (${medians.signedMain.toFixed(0)})`,
    "",
    medians.nodeCrypto.toFixed(0),
    `${medians.nodeCryptoCpu.toFixed(0)} (${medians.nodeCryptoMain.toFixed(0)})`,
    medians.unsigned.toFixed(0),
    `${medians.unsignedCpu.toFixed(0)} (${medians.unsignedMain.toFixed(0)})`,
    "",
    `${medians.ratio.toFixed(2)}x`,
    `${medians.nodeCryptoRatio.toFixed(2)}x`,
    "",
  ]);
  const header = `durable POST /transactions/new, signed (accounts chain; --verifier auto, libsodium here, and --verifier node:crypto) against unsigned (walkthrough chain), this build: a data dir, ${SIGNED_NODE_FLAGS.slice(0, 2).join(" ")}; the three in turn, each round starting from the next; wrk -t1 -c${connections} -d${seconds}s after 1 s of warm-up, a list of bodies; ${rounds} rounds`;
  const text = [
    header,
    table(
      [
        "round",
        "first",
        "signed req/s",
        "µs CPU/req (main)",
        "p50 / p99 ms",
        "node:crypto req/s",
        "µs CPU/req (main)",
        "unsigned req/s",
        "µs CPU/req (main)",
        "p50 / p99 ms",
        "ratio",
        "node:crypto ratio",
        "other load, cores",
      ],
      rows,
    ),
    failures > 0 ? `${failures} requests failed or answered other than 2xx: the rates are not comparable` : "",
    ranOut ? `the ${chain.measured.bodies.length} signed transfers ran out: raise --signed-transfers` : "",
  ].join("\n");
  return {
    text,
    figures: [
      {
        figure: "durable POST /transactions/new, signed vs unsigned, same run",
        better: "higher",
        unit: "x",
        required: 0.5,
        goal: 0.8,
        measured: medians.ratio,
      },
      {
        figure: "the same with --verifier node:crypto, same run",
        better: "higher",
        unit: "x",
        required: 0.5,
        goal: 0.8,
        measured: medians.nodeCryptoRatio,
      },
    ],
    json: {
      wrk: { threads: 1, connections, seconds, warmupSeconds: 1, bodies: "a list, the next at each request" },
      flags: SIGNED_NODE_FLAGS,
      spec: SIGNED_SPEC,
      transfers: {
        measured: chain.measured.bodies.length,
        warmup: chain.warm.bodies.length,
        noncesPerSender: NONCES_PER_SENDER,
      },
      rounds: results,
      medians,
      failures,
    },
  };
}

/** A page pool and a signature pool on the same check threads, as a node has them. */
interface Checker {
  pages: PagePool;
  pool: SignaturePool;
}

function checkerOn(checks: CheckThreads, backend?: VerifyBackend): Checker {
  return { pages: new PagePool({ checks }), pool: new SignaturePool({ checks, ...(backend ? { backend } : {}) }) };
}

/** A block of `chain` as a page, checked as a peer's: on the checker's threads, its signatures verified meanwhile. */
async function checkBlock(
  { pages, pool }: Checker,
  chain: TransferChain,
  height: number,
  after: TipContext,
): Promise<{ ms: number; firstMs: number; pageMs: number; signatures: PageSignatures }> {
  // A copy each time: the page worker is given the page's buffer, moved.
  const bytes = Buffer.from(`{"chain":[${chain.blocks[height - 1]}],"length":${chain.blocks.length}}`);
  const started = performance.now();
  // When the first piece of signatures the page's check sent ahead reached the pool: the second thread waits until then.
  let firstPiece: number | undefined;
  const noting: SignatureVerifier = {
    verifyEach: (jobs) => pool.verifyEach(jobs),
    firstFailure: (jobs, options) => {
      firstPiece ??= performance.now();
      return pool.firstFailure(jobs, options);
    },
    close: () => pool.close(),
  };
  const outcome = await pages.check(
    {
      bytes,
      from: height,
      limit: 1,
      after,
      rules: chain.spec,
      now: Date.now() / 1000,
    },
    noting,
  );
  const checked = performance.now();
  if (!("valid" in outcome) || outcome.valid.signatures === undefined) {
    throw new Error(`the bench's block was refused: ${"invalid" in outcome ? outcome.invalid : "it has no transfers"}`);
  }
  const refused = await verifyPageSignatures(outcome.valid.signatures, height, chain.spec, pool);
  if (refused !== undefined) throw new Error(`the bench's block was refused: ${refused}`);
  return {
    ms: performance.now() - started,
    firstMs: (firstPiece ?? Number.NaN) - started,
    pageMs: checked - started,
    signatures: outcome.valid.signatures,
  };
}

async function blockCheck(): Promise<SectionReport> {
  const chain = transferChain({
    transfers: Math.min(senders, blockTransfers) + blockTransfers,
    perBlock: blockTransfers,
    senders,
    dir: values.builds,
  });
  process.stderr.write(`block: ${chain.reused ? "the chain kept from an earlier run" : "chain built"}\n`);
  const height = chain.blocks.length;
  const after = contextBefore(chain, height);
  // As a node given 1 or 2 threads has them: its pages checked and their signatures verified on the same threads.
  const threads = {
    1: new CheckThreads({ threads: 1, keep: true, idleTimeoutMs: 3_600_000 }),
    2: new CheckThreads({ threads: 2, keep: true, idleTimeoutMs: 3_600_000 }),
  };
  const pools = { 1: checkerOn(threads[1]), 2: checkerOn(threads[2]) };
  // The same check with node:crypto verifying (--verifier node:crypto), whose verify costs 2.2 times libsodium's.
  const nodePools = { 1: checkerOn(threads[1], nodeCryptoBackend), 2: checkerOn(threads[2], nodeCryptoBackend) };
  try {
    // Warm: the threads started, their modules loaded and compiled; two pages at once take both of the 2 threads.
    const { signatures } = await checkBlock(pools[1], chain, height, after);
    await checkBlock(nodePools[1], chain, height, after);
    for (const checker of [pools[2], nodePools[2]]) {
      await Promise.all([checkBlock(checker, chain, height, after), checkBlock(checker, chain, height, after)]);
    }
    const batch = new SignatureBatch(signatures.buffer);
    rawVerifyRate(batch);
    verifyRate("libsodium", batch);
    const results: {
      round: number;
      one: { ms: number; firstMs: number; pageMs: number };
      two: { ms: number; firstMs: number; pageMs: number };
      nodeCrypto: { oneMs: number; twoMs: number };
      rawPerSecond: number;
      rawTwoThreadsPerSecond: number;
      libsodiumPerSecond: number;
      libsodiumTwoThreadsPerSecond: number;
    }[] = [];
    for (let round = 1; round <= blockRounds; round++) {
      process.stderr.write(`block: round ${round} of ${blockRounds}\n`);
      // The 1-thread pool first in odd rounds, the 2-thread one in even rounds.
      const oneFirst = round % 2 === 1;
      const bothPools = async (each: { 1: Checker; 2: Checker }) => {
        const first = await checkBlock(each[oneFirst ? 1 : 2], chain, height, after);
        const second = await checkBlock(each[oneFirst ? 2 : 1], chain, height, after);
        return oneFirst ? { one: first, two: second } : { one: second, two: first };
      };
      const { one, two } = await bothPools(pools);
      const { one: nodeOne, two: nodeTwo } = await bothPools(nodePools);
      results.push({
        round,
        one: { ms: one.ms, firstMs: one.firstMs, pageMs: one.pageMs },
        two: { ms: two.ms, firstMs: two.firstMs, pageMs: two.pageMs },
        nodeCrypto: { oneMs: nodeOne.ms, twoMs: nodeTwo.ms },
        rawPerSecond: rawVerifyRate(batch),
        rawTwoThreadsPerSecond: await rawVerifyRateOn(2, batch),
        libsodiumPerSecond: verifyRate("libsodium", batch),
        libsodiumTwoThreadsPerSecond: await verifyRateOn("libsodium", 2, batch),
      });
    }
    const n = batch.length;
    const speedups = results.map((r) => r.one.ms / r.two.ms);
    const nodeSpeedups = results.map((r) => r.nodeCrypto.oneMs / r.nodeCrypto.twoMs);
    const vsRaw = results.map((r) => n / (r.two.ms / 1000) / (r.rawPerSecond * 2));
    const vsRawOne = results.map((r) => n / (r.one.ms / 1000) / r.rawPerSecond);
    const vsLibsodium = results.map((r) => n / (r.two.ms / 1000) / (r.libsodiumPerSecond * 2));
    const rows = results.map((r, i) => [
      String(r.round),
      `${r.one.ms.toFixed(0)} (${r.one.firstMs.toFixed(0)} / ${r.one.pageMs.toFixed(0)})`,
      `${r.two.ms.toFixed(0)} (${r.two.firstMs.toFixed(0)} / ${r.two.pageMs.toFixed(0)})`,
      `${(speedups[i] as number).toFixed(2)}x`,
      `${r.nodeCrypto.oneMs.toFixed(0)} / ${r.nodeCrypto.twoMs.toFixed(0)}`,
      `${(nodeSpeedups[i] as number).toFixed(2)}x`,
      r.rawPerSecond.toFixed(0),
      r.rawTwoThreadsPerSecond.toFixed(0),
      `${(vsRawOne[i] as number).toFixed(2)}x`,
      `${(vsRaw[i] as number).toFixed(2)}x`,
      r.libsodiumPerSecond.toFixed(0),
      r.libsodiumTwoThreadsPerSecond.toFixed(0),
      `${(vsLibsodium[i] as number).toFixed(2)}x`,
    ]);
    const medians = {
      oneMs: median(results.map((r) => r.one.ms)),
      twoMs: median(results.map((r) => r.two.ms)),
      pageMs: median(results.flatMap((r) => [r.one.pageMs, r.two.pageMs])),
      firstPieceMs: median(results.flatMap((r) => [r.one.firstMs, r.two.firstMs])),
      rawPerSecond: median(results.map((r) => r.rawPerSecond)),
      rawTwoThreadsPerSecond: median(results.map((r) => r.rawTwoThreadsPerSecond)),
      speedup: median(speedups),
      nodeCryptoOneMs: median(results.map((r) => r.nodeCrypto.oneMs)),
      nodeCryptoTwoMs: median(results.map((r) => r.nodeCrypto.twoMs)),
      nodeCryptoSpeedup: median(nodeSpeedups),
      vsRawOne: median(vsRawOne),
      vsRaw: median(vsRaw),
      libsodiumPerSecond: median(results.map((r) => r.libsodiumPerSecond)),
      libsodiumTwoThreadsPerSecond: median(results.map((r) => r.libsodiumTwoThreadsPerSecond)),
      vsLibsodium: median(vsLibsodium),
    };
    rows.push([
      "median",
      medians.oneMs.toFixed(0),
      medians.twoMs.toFixed(0),
      `${medians.speedup.toFixed(2)}x`,
      `${medians.nodeCryptoOneMs.toFixed(0)} / ${medians.nodeCryptoTwoMs.toFixed(0)}`,
      `${medians.nodeCryptoSpeedup.toFixed(2)}x`,
      medians.rawPerSecond.toFixed(0),
      medians.rawTwoThreadsPerSecond.toFixed(0),
      `${medians.vsRawOne.toFixed(2)}x`,
      `${medians.vsRaw.toFixed(2)}x`,
      medians.libsodiumPerSecond.toFixed(0),
      medians.libsodiumTwoThreadsPerSecond.toFixed(0),
      `${medians.vsLibsodium.toFixed(2)}x`,
    ]);
    const text = [
      `a block of ${n} signed transfers from ${chain.senders} senders (${(chain.blocks[height - 1] as Buffer).length} bytes) checked as a peer's on 1 or 2 check threads, as a node given --threads 1 or 2 checks it: the page's check (in brackets: until the first piece of its signatures reached the pool, and until its answer) and its signatures, sent ahead as it goes, verified on the same threads (backend: ${pools[1].pool.backend.name}), and the same with the node:crypto backend; node:crypto's verify alone on this thread, KeyObjects made beforehand, and on 2 threads at once, summed (how this machine's cores scale: the figure takes twice the first); the libsodium backend alone over the whole batch in one call, the same two ways; ${blockRounds} rounds`,
      table(
        [
          "round",
          "1 thread ms (first piece / page)",
          "2 threads ms (first piece / page)",
          "1 vs 2",
          "node:crypto 1 / 2 threads ms",
          "1 vs 2",
          "raw verify/s",
          "raw, 2 threads at once/s",
          "1 thread vs raw",
          "2 threads vs raw x 2",
          "libsodium/s",
          "libsodium, 2 at once/s",
          "2 threads vs libsodium x 2",
        ],
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
          figure: `the same with --verifier node:crypto, 2 threads vs 1`,
          better: "higher",
          unit: "x",
          required: 1.8,
          goal: 1.95,
          measured: medians.nodeCryptoSpeedup,
        },
        {
          figure: "that block's check vs raw node:crypto verify x threads (2)",
          better: "higher",
          unit: "x",
          required: 0.8,
          goal: 0.95,
          measured: medians.vsRaw,
        },
        {
          figure: "that block's check vs the libsodium backend alone x threads (2)",
          better: "higher",
          unit: "x",
          required: 0.8,
          goal: 0.95,
          measured: medians.vsLibsodium,
        },
      ],
      json: {
        backend: pools[1].pool.backend.name,
        transfers: n,
        senders: chain.senders,
        bytes: (chain.blocks[height - 1] as Buffer).length,
        rounds: results,
        medians,
      },
    };
  } finally {
    await Promise.all([threads[1].close(), threads[2].close()]);
  }
}

async function freshSync(): Promise<SectionReport> {
  const chain = transferChain({
    transfers: syncTransfers,
    perBlock: MAX_BLOCK_TRANSACTIONS,
    senders,
    dir: values.builds,
  });
  process.stderr.write(`sync: ${chain.reused ? "the chain kept from an earlier run" : "chain built"}\n`);
  const cores = availableParallelism();
  // The raw rate over the chain's last block's signatures, as the block section measures it.
  const local = new CheckThreads({ threads: 1 });
  let rawPerSecond: number;
  let libsodiumPerSecond: number;
  try {
    const { signatures } = await checkBlock(
      checkerOn(local),
      chain,
      chain.blocks.length,
      contextBefore(chain, chain.blocks.length),
    );
    const batch = new SignatureBatch(signatures.buffer);
    rawVerifyRate(batch);
    rawPerSecond = median([rawVerifyRate(batch), rawVerifyRate(batch), rawVerifyRate(batch)]);
    verifyRate("libsodium", batch);
    libsodiumPerSecond = median([1, 2, 3].map(() => verifyRate("libsodium", batch)));
  } finally {
    await local.close();
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
    // The highest RSS sampled, and its file-backed part then and at most (LevelDB's tables, were they mapped, would be in it).
    let sampled = 0;
    let fileAtSampled = 0;
    let fileMost = 0;
    const sampler = setInterval(() => {
      const { rss, file } = memory(pid);
      fileMost = Math.max(fileMost, file);
      if (rss <= sampled) return;
      sampled = rss;
      fileAtSampled = file;
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
    const libsodiumIdeal = syncTransfers / (libsodiumPerSecond * cores);
    const libsodiumRatio = elapsed / libsodiumIdeal;
    const text = [
      `a fresh node (--threads ${cores}, a data dir) syncing ${syncTransfers} signed transfers from ${chain.senders} senders in ${chain.blocks.length} blocks, a block a page, from a peer in this process`,
      table(
        [
          "time",
          "ideal",
          "ratio",
          "node CPU",
          "peak RSS",
          "sampled during the sync (file-backed)",
          "file-backed at most",
          "other load, cores",
        ],
        [
          [
            duration(elapsed),
            duration(ideal),
            `${ratio.toFixed(2)}x`,
            `${nodeCpu.toFixed(1)} s`,
            `${hwm.toFixed(0)} MiB`,
            `${sampled.toFixed(0)} MiB (${fileAtSampled.toFixed(0)})`,
            `${fileMost.toFixed(0)} MiB`,
            otherLoadCores.toFixed(2),
          ],
        ],
      ),
      `ideal: ${syncTransfers} / (node:crypto's verify alone, ${rawPerSecond.toFixed(0)}/s on one thread, x ${cores} cores); ` +
        `by the libsodium backend alone (${libsodiumPerSecond.toFixed(0)}/s on one thread), ${duration(libsodiumIdeal)}: ${libsodiumRatio.toFixed(2)}x`,
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
          figure: "the same sync vs (count / the libsodium backend's rate on all cores)",
          better: "lower",
          unit: "x",
          required: 1.5,
          goal: 1.2,
          measured: libsodiumRatio,
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
        libsodiumIdealSeconds: libsodiumIdeal,
        libsodiumPerSecond,
        cores,
        nodeCpuSeconds: nodeCpu,
        peakRssMiB: hwm,
        sampledRssMiB: sampled,
        sampledFileBackedMiB: fileAtSampled,
        mostFileBackedMiB: fileMost,
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
if (figures.length > 0) {
  console.log(
    table(
      ["figure", "required", "goal", "measured"],
      figures.map((f) => [f.figure, bound(f, f.required), bound(f, f.goal), shown(f.measured, f.unit)]),
    ),
  );
}
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
