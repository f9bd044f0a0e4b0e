/**
 * npm run bench:ledger -- [--rounds 6] [--seconds 5] [--accounts 100000] [--only unsigned,state] [--json file]
 *
 * The figures the accounts ledger is held to, measured in one run, each by a
 * section of its own (SECTIONS; signed transactions and sync come as more);
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
 * state: the ledger's bytes on disk (bench/lib/ledger-state.ts): a LevelStore
 * takes blocks of 1,000 transfers from one key to fresh addresses until
 * --accounts addresses have a record, is compacted, and each of the ledger's
 * prefixes is measured, per account (a/), per block (u/) or per transfer (i/,
 * x/): what grows with accounts, and what with the chain.
 */
import { writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildCommit, DEFAULT_BUILDS, describeCheckout, REPOSITORY } from "./lib/commit-build.js";
import { childrenCpuSeconds, machineBusySeconds, processCpuSeconds } from "./lib/cpu.js";
import { measureLedgerState } from "./lib/ledger-state.js";
import { startToychainFrom } from "./lib/processes.js";
import { table } from "./lib/table.js";
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
    accounts: { type: "string", default: "100000" },
    only: { type: "string" },
    json: { type: "string", default: join(REPOSITORY, "bench", "results", "ledger.json") },
    help: { type: "boolean", short: "h" },
  },
});

/** A figure the issue sets: what it requires and what it aims for, as ratios (higher is better). */
interface Figure {
  figure: string;
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
];

if (values.help) {
  console.log(`Usage: npm run bench:ledger -- [options]
  --rounds <n>        rounds of each comparison, builds alternating (default 6)
  --seconds <n>       wrk's load per measurement, after 1 s of warm-up (default 5)
  --connections <n>   wrk's connections (default 50)
  --baseline <commit> the build compared with (default ${BASELINE})
  --builds <dir>      where other commits are built and kept (default ${DEFAULT_BUILDS})
  --accounts <n>      accounts the state section makes (default 100000)
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
if (![rounds, seconds, connections, accounts].every((n) => Number.isInteger(n) && n > 0)) {
  console.error("--rounds, --seconds, --connections and --accounts take positive integers");
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
const verdict = (measured: number, bound: number) => (measured >= bound ? "met" : "NOT met");
console.log(`\nmachine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; this build: ${checkout}`);
if (figures.length > 0) {
  console.log(
    table(
      ["figure", "required", "goal", "measured"],
      figures.map((f) => [
        f.figure,
        `≥ ${f.required.toFixed(1)}x (${verdict(f.measured, f.required)})`,
        `≥ ${f.goal.toFixed(1)}x (${verdict(f.measured, f.goal)})`,
        `${f.measured.toFixed(2)}x`,
      ]),
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
