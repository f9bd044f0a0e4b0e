/**
 * npm run bench:pool -- [--seconds 15] [--tips 40] [--tip-difficulty 25] [--shares 10000] [--sessions 1000] [--wrk-seconds 10] [--json FILE]
 *
 * A node and its remote miners over Stratum (issue 24's targets), on real
 * processes: every `toychain miner`, and the idle sessions, run in a network
 * namespace of their own with a veth pair to the host, as other machines
 * would (bench/lib/netns.ts; on 127.0.0.1, saying why, where namespaces
 * cannot be made). Four figures, one run each:
 *
 * 1. hash rate: a node mining with every core itself (--threads N --mine),
 *    against a node with --threads 0 and `toychain miner` processes whose
 *    threads sum to the cores (N miners of 1 thread, one of N), at a
 *    difficulty no block is found at: the node's rate from its running job's
 *    hash counter (/stats job) over --seconds, the miners' from their own
 *    counters (--report 1 lines) over the same seconds; the node alone runs
 *    first and last, and the miners are held to the mean of its two runs.
 *    The node's figure for each miner, from its shares, is printed beside.
 * 2. clean_jobs latency: a node with --threads 0 at --tip-difficulty, so
 *    that its two miners forge a block every fraction of a second; for each
 *    of --tips blocks, from the node's "block forged with a remote miner's
 *    proof" line (the block on the chain and durable) to the last miner's
 *    search of the old job stopped (its "clean job" line: the job's arrival
 *    time plus how long its threads took to stop). Both clocks are this
 *    machine's; the node's log and the miner's line tell time to the ms.
 *    Beside it, from the share that was a block to that line (the block
 *    forged and written), and from it to the new job's arrival at an
 *    observing session of the bench's.
 * 3. share checks: a session of the bench's own, its share target eased to
 *    the floor (65,536 hashes a share) on a node with
 *    --stratum-share-seconds 0.01, sends --shares valid shares found
 *    beforehand with a MinerPool here, as fast as the node answers: the
 *    node's main-thread CPU time for them (its schedstat), less what it uses
 *    idle, gives the CPU a share costs and the shares a second one thread
 *    can check.
 * 4. GET /chain under wrk (-t1 -c10, --wrk-seconds) on a node whose two
 *    miners submit shares, without, with --sessions idle sessions open
 *    (subscribed and authorized, from another namespace), and without again:
 *    the p99 with them against the mean without; and the node's RSS with
 *    them against before, a session's memory.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { targetForWork } from "../src/chain/index.js";
import { JobControl, MinerPool } from "../src/mining/index.js";
import { DEFAULT_VARDIFF } from "../src/stratum/index.js";
import { machineBusySeconds, processCpuSeconds, threadCpuSeconds } from "./lib/cpu.js";
import { type Machine, openMachines } from "./lib/netns.js";
import { json, memory } from "./lib/node-http.js";
import { type ServerProcess, startToychain } from "./lib/processes.js";
import { median } from "./lib/stats.js";
import { StratumLine } from "./lib/stratum-line.js";
import { table } from "./lib/table.js";
import { runWrk, type WrkResult } from "./lib/wrk.js";

const REPOSITORY = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(REPOSITORY, "dist", "src", "cli.js");
const IDLE_SESSIONS = join(REPOSITORY, "dist", "bench", "lib", "idle-sessions.js");

const USAGE = `Usage: npm run bench:pool -- [options]
  --seconds <n>          each hash-rate measurement (default 10)
  --rounds <n>           rounds of the hash-rate measurements, and of GET /chain with and without
                         the idle sessions (default 2)
  --tips <n>             blocks the clean_jobs latency is taken over (default 40)
  --tip-difficulty <n>   the difficulty the miners forge those blocks at (default 25)
  --shares <n>           valid shares sent to measure the node's share checks (default 5000)
  --sessions <n>         idle sessions open beside the miners (default 1000)
  --wrk-seconds <n>      each GET /chain load (default 8)
  --json <file>          where the figures go (default bench/results/pool.json)
  -h, --help`;

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    rounds: { type: "string", default: "2" },
    tips: { type: "string", default: "40" },
    "tip-difficulty": { type: "string", default: "25" },
    shares: { type: "string", default: "5000" },
    sessions: { type: "string", default: "1000" },
    "wrk-seconds": { type: "string", default: "8" },
    json: { type: "string", default: join(REPOSITORY, "bench", "results", "pool.json") },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const tips = Number(values.tips);
const tipDifficulty = Number(values["tip-difficulty"]);
const shareCount = Number(values.shares);
const sessionCount = Number(values.sessions);
const wrkSeconds = Number(values["wrk-seconds"]);
if (
  !(seconds > 0) ||
  !(wrkSeconds > 0) ||
  ![rounds, tips, tipDifficulty, shareCount, sessionCount].every((n) => Number.isInteger(n) && n > 0)
) {
  console.error(`${USAGE}\n\n--seconds and --wrk-seconds take a positive number, the others a positive integer`);
  process.exit(2);
}

/** A difficulty no block is found at within a run (2^40 hashes: hours on this machine): the hashing is steady. */
const HARD = "40";
const CORES = availableParallelism();
/** Seconds the miners or the node mine before a rate is measured: the pools warmed, vardiff's first steps taken. */
const WARM_MS = 3000;
/** GET /chain's load: one wrk thread, 10 connections, leaving the cores to the node and its miners. */
const WRK_CONNECTIONS = 10;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mean = (values: readonly number[]): number => values.reduce((sum, v) => sum + v, 0) / values.length;

/** Polls `check` every 50 ms until it holds; throws with `what` after `timeoutMs`. */
async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const children = new Set<ChildProcess>();
const machines = openMachines(3);
process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL");
  machines.close();
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

/** A process started on `machine`, its stderr or stdout lines kept with when each was read (ms since the epoch). */
interface Running {
  child: ChildProcess;
  lines: { at: number; text: string }[];
  stop(): Promise<void>;
}

function run(machine: Machine, argv: string[], stream: "stdout" | "stderr"): Running {
  const [command, ...args] = [...machine.prefix, process.execPath, ...argv];
  const child = spawn(command as string, args, { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const lines: Running["lines"] = [];
  createInterface({ input: child[stream] as NodeJS.ReadableStream }).on("line", (text) =>
    lines.push({ at: Date.now(), text }),
  );
  (stream === "stdout" ? child.stderr : child.stdout)?.pipe(process.stderr);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    child,
    lines,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      children.delete(child);
    },
  };
}

function startMiner(machine: Machine, port: number, name: string, threads: number): Running {
  const pool = `stratum+tcp://${machines.nodeHost}:${port}`;
  const argv = [CLI, "miner", "--pool", pool, "--threads", String(threads), "--name", name, "--report", "1"];
  return run(machine, argv, "stderr");
}

const connected = (miner: Running) => miner.lines.some((line) => line.text.startsWith("connected to "));

/** A node with a Stratum endpoint on the namespaces' side of the host, and its port. */
async function stratumNode(
  flags: string[],
  onLog?: (line: Record<string, unknown>) => void,
): Promise<{ node: ServerProcess; port: number }> {
  const node = await startToychain(
    ["--threads", "0", "--stratum-port", "0", "--stratum-host", machines.nodeHost, ...flags],
    undefined,
    onLog,
  );
  children.add(node.child);
  const stats = await json<{ stratum: { port: number } }>(`${node.url}/stats`);
  return { node, port: stats.stratum.port };
}

/** Stops `running` (miners, the idle sessions' holder), then the node, and forgets it. */
async function stopAll(node: ServerProcess, running: readonly (Running | undefined)[] = []): Promise<void> {
  await Promise.all(running.map((process) => process?.stop()));
  await node.stop();
  children.delete(node.child);
}

interface MinerStats {
  name: string;
  hashes_per_second: number;
  work: string;
  shares: { accepted: number; stale: number; refused: number };
}
interface Stats {
  job: { index: number; hashes: number; elapsed_seconds: number } | null;
  stratum: { sessions: number; miners: MinerStats[] } | null;
}

// 1. Hash rate --------------------------------------------------------------------------------

/** One hash-rate measurement: hashes a second, and a second of CPU (every thread of the node and its miners). */
interface Rate {
  /** Hashes a second. */
  rate: number;
  /** Hashes a CPU second of the processes measured, all their threads: what other load on the machine does not move. */
  perCpuSecond: number;
  /** Cores the rest of the machine kept busy meanwhile (other engineers' work on a shared machine). */
  otherCores: number;
}

/** CPU seconds of `pids` and of the machine, now: a measurement's start or end. */
const cpuNow = (pids: number[]) => ({
  ours: pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0),
  machine: machineBusySeconds(),
});

/** `hashes` over `wall` seconds, against the CPU `pids` and the machine used between `from` and `to`. */
function rateOf(hashes: number, wall: number, from: ReturnType<typeof cpuNow>, to: ReturnType<typeof cpuNow>): Rate {
  const ours = to.ours - from.ours;
  return { rate: hashes / wall, perCpuSecond: hashes / ours, otherCores: (to.machine - from.machine - ours) / wall };
}

/** The rate of a node mining with `threads` itself, from its running job's counter over `seconds`. */
async function nodeAlone(threads: number): Promise<Rate> {
  const node = await startToychain(["--difficulty", HARD, "--threads", String(threads), "--mine"]);
  children.add(node.child);
  const pid = node.child.pid as number;
  try {
    const job = async () => (await json<Stats>(`${node.url}/stats`)).job;
    await until(async () => ((await job())?.hashes ?? 0) > 0, "the node's first hashes");
    await sleep(WARM_MS);
    const from = await job();
    const cpuFrom = cpuNow([pid]);
    await sleep(seconds * 1000);
    const to = await job();
    const cpuTo = cpuNow([pid]);
    if (from === null || to === null || from.index !== to.index) throw new Error("the node's job changed");
    return rateOf(to.hashes - from.hashes, to.elapsed_seconds - from.elapsed_seconds, cpuFrom, cpuTo);
  } finally {
    await stopAll(node);
  }
}

interface PoolRate extends Rate {
  threads: number[];
  miners: { name: string; threads: number; rate: number; nodeRate: number; shares: number }[];
}

/**
 * The rate of miners of `threads` each for a node of no thread of its own:
 * each miner's from its --report lines over `seconds`, summed.
 */
async function poolRate(threads: number[]): Promise<PoolRate> {
  const { node, port } = await stratumNode(["--difficulty", HARD]);
  const miners = threads.map((n, i) => startMiner(machines.machines[i] as Machine, port, `rig${i + 1}`, n));
  const pids = [node.child.pid as number, ...miners.map((miner) => miner.child.pid as number)];
  try {
    await until(() => miners.every(connected), "the miners' sessions");
    await sleep(WARM_MS);
    const before = await json<Stats>(`${node.url}/stats`);
    const from = Date.now();
    const cpuFrom = cpuNow(pids);
    await sleep(seconds * 1000);
    const to = Date.now();
    const cpuTo = cpuNow(pids);
    const after = await json<Stats>(`${node.url}/stats`);
    const wall = (to - from) / 1000;
    const rates = miners.map((miner, i) => {
      const name = `rig${i + 1}`;
      // Each report covers the second before it.
      const reports = miner.lines
        .filter((line) => line.at > from + 1000 && line.at <= to)
        .map((line) => /^([\d.]+) MH\/s on /.exec(line.text)?.[1])
        .filter((rate): rate is string => rate !== undefined)
        .map((rate) => Number(rate) * 1e6);
      const of = (stats: Stats) => stats.stratum?.miners.find((m) => m.name === name);
      const work = Number(of(after)?.work ?? 0) - Number(of(before)?.work ?? 0);
      const shares = (of(after)?.shares.accepted ?? 0) - (of(before)?.shares.accepted ?? 0);
      return { name, threads: threads[i] as number, rate: mean(reports), nodeRate: work / wall, shares };
    });
    const total = rates.reduce((sum, m) => sum + m.rate, 0);
    return { threads, miners: rates, ...rateOf(total * wall, wall, cpuFrom, cpuTo) };
  } finally {
    await stopAll(node, miners);
  }
}

// 2. clean_jobs latency -----------------------------------------------------------------------

interface TipLatency {
  index: number;
  /** From the node's block line to the last miner's old search stopped, in ms. */
  toIdle: number;
  /** From the share that was the block to the node's block line (forging, writing). */
  forging: number;
  /** From the node's block line to the new job read by the bench's own session. */
  toNotify: number;
  /** Each miner: from the node's block line to the new job read (to the ms), and its threads' stop. */
  miners: { readMs: number; stopMs: number }[];
}

const CLEAN_LINE = /^clean job \S+ for block (\d+) at (\S+): the old search stopped in ([\d.]+) ms$/;

async function cleanJobs(): Promise<TipLatency[]> {
  const forged = new Map<number, number>();
  const found = new Map<number, number>();
  const { node, port } = await stratumNode(["--difficulty", String(tipDifficulty)], (line) => {
    const index = line.index as number;
    if (line.msg === "a stratum miner's share is a block") found.set(index, line.time as number);
    if (line.msg === "block forged with a remote miner's proof") forged.set(index, line.time as number);
  });
  const notified = new Map<number, number>();
  const observer = await StratumLine.open(machines.nodeHost, port, (message, at) => {
    if (message.method === "mining.notify" && message.params?.[4] === true)
      notified.set(message.params[2] as number, at);
  });
  await observer.handshake("observer");
  const miners = [0, 1].map((i) => startMiner(machines.machines[i] as Machine, port, `rig${i + 1}`, 1));
  try {
    await until(() => miners.every(connected), "the miners' sessions");
    const since = Date.now() + 500;
    /** For block `index` of the node's, when each miner read the next job, and how long its old search took to stop. */
    const stopped = (index: number) =>
      miners.map((miner) => {
        for (const { text } of miner.lines) {
          const match = CLEAN_LINE.exec(text);
          if (match && Number(match[1]) === index + 1) {
            return { read: Date.parse(match[2] as string), stopMs: Number(match[3]) };
          }
        }
        return undefined;
      });
    const measured = () =>
      [...forged.entries()].filter(
        ([index, at]) => at > since && stopped(index).every((t) => t !== undefined) && notified.has(index + 1),
      );
    await until(() => measured().length >= tips, `${tips} blocks forged by the miners`, 300_000);
    return measured()
      .slice(0, tips)
      .map(([index, at]) => {
        const each = stopped(index) as { read: number; stopMs: number }[];
        return {
          index,
          toIdle: Math.max(...each.map((m) => m.read + m.stopMs)) - at,
          forging: at - (found.get(index) ?? at),
          toNotify: (notified.get(index + 1) as number) - at,
          miners: each.map((m) => ({ readMs: m.read - at, stopMs: m.stopMs })),
        };
      });
  } finally {
    observer.close();
    await stopAll(node, miners);
  }
}

// 3. Share checks -----------------------------------------------------------------------------

interface ShareChecks {
  shares: number;
  accepted: number;
  /** Seconds spent finding the shares here. */
  findSeconds: number;
  /** The node's main thread, less its idle use over as long. */
  cpuSeconds: number;
  wallSeconds: number;
  perSecondOfCpu: number;
  microsecondsPerShare: number;
}

async function shareChecks(): Promise<ShareChecks> {
  const { node, port } = await stratumNode(["--difficulty", HARD, "--stratum-share-seconds", "0.01"]);
  const pid = node.child.pid as number;
  const floor = targetForWork(DEFAULT_VARDIFF.minHashes);
  let target: bigint | undefined;
  let job: { id: string; header: string } | undefined;
  const answers = { accepted: 0, other: 0 };
  const flood = await StratumLine.open(machines.nodeHost, port, (message) => {
    if (message.method === "mining.set_target") target = BigInt(`0x${message.params?.[0]}`);
    else if (message.method === "mining.notify" && target === floor) {
      job ??= { id: message.params?.[0] as string, header: message.params?.[1] as string };
    } else if (message.method === undefined && typeof message.id === "number" && message.id > 2) {
      if (message.result === true) answers.accepted++;
      else answers.other++;
    }
  });
  const pool = new MinerPool(CORES);
  try {
    const { range } = await flood.handshake("flood");
    // A quiet session's target eases 4 times every 6 spacings (60 ms here), down to the floor.
    await until(() => job !== undefined, "the flood session's share target at the floor", 30_000);
    const { id, header } = job as { id: string; header: string };
    await pool.warmUp();
    const finding = performance.now();
    const nonces: number[] = [];
    for (let from = range[0]; nonces.length < shareCount; ) {
      const { nonce } = await pool.search(header, floor, new JobControl({ start: from, end: range[1] }));
      if (nonce === null) throw new Error("the session's range ran out");
      nonces.push(nonce);
      from = nonce + 1;
    }
    const findSeconds = (performance.now() - finding) / 1000;
    const idleFrom = threadCpuSeconds(pid);
    await sleep(1000);
    const idlePerSecond = threadCpuSeconds(pid) - idleFrom;
    const cpuFrom = threadCpuSeconds(pid);
    const wallFrom = performance.now();
    for (const [i, nonce] of nonces.entries()) flood.send(i + 3, "mining.submit", ["flood", id, nonce]);
    await until(() => answers.accepted + answers.other >= nonces.length, "the flood's answers", 120_000);
    const wallSeconds = (performance.now() - wallFrom) / 1000;
    const cpuSeconds = threadCpuSeconds(pid) - cpuFrom - idlePerSecond * wallSeconds;
    return {
      shares: nonces.length,
      accepted: answers.accepted,
      findSeconds,
      cpuSeconds,
      wallSeconds,
      perSecondOfCpu: answers.accepted / cpuSeconds,
      microsecondsPerShare: (cpuSeconds / answers.accepted) * 1e6,
    };
  } finally {
    await pool.close();
    flood.close();
    await stopAll(node);
  }
}

// 4. GET /chain beside idle sessions ----------------------------------------------------------

interface IdleSessions {
  /** wrk's runs without the idle sessions (the first, then one after each run with them). */
  without: WrkResult[];
  with: WrkResult[];
  /** The idle sessions open during each run with them, as the node counted them before and after. */
  sessionsOpen: number[];
  rssWithout: number;
  rssWith: number;
  kibPerSession: number;
}

async function chainWithSessions(): Promise<IdleSessions> {
  const { node, port } = await stratumNode(["--difficulty", HARD]);
  const pid = node.child.pid as number;
  const miners = [0, 1].map((i) => startMiner(machines.machines[i] as Machine, port, `rig${i + 1}`, 1));
  let idle: Running | undefined;
  const load = async () => {
    const result = await runWrk(`${node.url}/chain`, 1, WRK_CONNECTIONS, wrkSeconds);
    if ("missing" in result) throw new Error(result.missing);
    return result;
  };
  const sessions = async () => (await json<Stats>(`${node.url}/stats`)).stratum?.sessions ?? 0;
  const result: IdleSessions = {
    without: [],
    with: [],
    sessionsOpen: [],
    rssWithout: Number.NaN,
    rssWith: Number.NaN,
    kibPerSession: Number.NaN,
  };
  try {
    await until(() => miners.every(connected), "the miners' sessions");
    await runWrk(`${node.url}/chain`, 1, WRK_CONNECTIONS, 2);
    result.rssWithout = memory(pid).rss;
    result.without.push(await load());
    for (let round = 0; round < rounds; round++) {
      const opened = run(
        machines.machines[2] as Machine,
        [IDLE_SESSIONS, machines.nodeHost, String(port), String(sessionCount)],
        "stdout",
      );
      idle = opened;
      await until(() => opened.lines.some((line) => line.text.startsWith("ready ")), `${sessionCount} idle sessions`);
      await sleep(2000);
      if (round === 0) {
        result.rssWith = memory(pid).rss;
        result.kibPerSession = ((result.rssWith - result.rssWithout) * 1024) / sessionCount;
      }
      const open = await sessions();
      result.with.push(await load());
      result.sessionsOpen.push(Math.min(open, await sessions()) - miners.length);
      await opened.stop();
      await until(async () => (await sessions()) === miners.length, "the idle sessions closed");
      result.without.push(await load());
    }
    return result;
  } finally {
    await stopAll(node, [idle, ...miners]);
  }
}

// The run -------------------------------------------------------------------------------------

const cpu = cpus()[0]?.model ?? "unknown CPU";
const started = performance.now();
console.log(
  `machine: ${cpu}, ${CORES} cores, Node ${process.version}; miners ${
    machines.fallback === null
      ? `in network namespaces, the node at ${machines.nodeHost}`
      : `on 127.0.0.1 (no network namespaces: ${machines.fallback})`
  }`,
);
const progress = (what: string) =>
  process.stderr.write(`${((performance.now() - started) / 1000).toFixed(0)} s: ${what}\n`);

const alones: Rate[] = [];
const splits = [Array.from({ length: CORES }, () => 1), [CORES]];
const pools: PoolRate[][] = splits.map(() => []);
for (let round = 0; round < rounds; round++) {
  progress(`hash rate, round ${round + 1}: the node alone on ${CORES} threads`);
  alones.push(await nodeAlone(CORES));
  for (const [i, threads] of splits.entries()) {
    progress(`hash rate, round ${round + 1}: ${threads.length} miners of ${threads.join(" + ")} threads`);
    pools[i]?.push(await poolRate(threads));
  }
}
progress("hash rate: the node alone again");
alones.push(await nodeAlone(CORES));
const alone = mean(alones.map((a) => a.rate));
const alonePerCpu = mean(alones.map((a) => a.perCpuSecond));

progress(`clean_jobs: ${tips} blocks at difficulty ${tipDifficulty}`);
const latencies = await cleanJobs();
progress(`share checks: ${shareCount} shares`);
const checks = await shareChecks();
progress(`GET /chain: without and with ${sessionCount} idle sessions`);
const idle = await chainWithSessions();

const mhps = (rate: number) => `${(rate / 1e6).toFixed(2)} MH/s`;
const ms = (value: number) => `${value.toFixed(1)} ms`;
const toIdle = latencies.map((l) => l.toIdle);
const minerReads = latencies.flatMap((l) => l.miners.map((m) => m.readMs));
const minerStops = latencies.flatMap((l) => l.miners.map((m) => m.stopMs));
const p99Without = median(idle.without.map((w) => w.p99));
const p99With = median(idle.with.map((w) => w.p99));
const p99Ratio = p99With / p99Without;
const poolFigures = pools.map((runs, i) => {
  const total = mean(runs.map((r) => r.rate));
  const perCpu = mean(runs.map((r) => r.perCpuSecond));
  return { threads: splits[i] as number[], runs, total, ratio: total / alone, perCpuRatio: perCpu / alonePerCpu };
});
const poolRows = poolFigures.map(({ threads, total, ratio, perCpuRatio }) => [
  `${threads.length} miner${threads.length > 1 ? "s" : ""} of ${threads.join(" + ")} threads vs the node on ${CORES}`,
  "≥ 0.9x",
  "≥ 0.97x",
  `${ratio.toFixed(3)}x (${mhps(total)} vs ${mhps(alone)}); a CPU second: ${perCpuRatio.toFixed(3)}x`,
]);
console.log(
  `\n${table(
    ["figure", "required", "goal", "measured"],
    [
      ...poolRows,
      [
        `clean_jobs: tip to every miner idle, median / max over ${latencies.length}`,
        "10 / 50 ms",
        "2 / 10 ms",
        `${ms(median(toIdle))} / ${ms(Math.max(...toIdle))}`,
      ],
      [
        "share checks a second of the node's main thread",
        "measured",
        "",
        `${Math.round(checks.perSecondOfCpu)} (${checks.microsecondsPerShare.toFixed(1)} µs a share)`,
      ],
      [
        `GET /chain p99, ${Math.min(...idle.sessionsOpen)} idle sessions + 2 miners vs 2 miners`,
        "≤ 1.2x",
        "",
        `${p99Ratio.toFixed(2)}x (median ${ms(p99With)} vs ${ms(p99Without)})`,
      ],
    ],
  )}`,
);
/** Other load above this, in cores, leaves a hash-rate run little: the mining threads (SCHED_IDLE) get what nothing else wants. */
const BUSY_CORES = 0.2;
const busy = [...alones, ...pools.flat()].filter((r) => r.otherCores > BUSY_CORES).length;
if (busy > 0) {
  console.log(
    `\nwarning: in ${busy} of ${alones.length + pools.flat().length} hash-rate runs the rest of the machine kept more than ${BUSY_CORES} cores busy; the mining threads run at SCHED_IDLE and get only what is left, so those rates, and the ratios, say little: run on an idle machine`,
  );
}
const rateLine = (r: Rate) =>
  `${mhps(r.rate)} (${mhps(r.perCpuSecond)} a CPU second; other load ${r.otherCores.toFixed(2)} cores)`;
console.log(`\nhash rate, each run over ${seconds} s:`);
console.log(`  the node alone: ${alones.map(rateLine).join(", ")}`);
for (const { threads, runs } of poolFigures) {
  console.log(`  miners of ${threads.join(" + ")} threads: ${runs.map(rateLine).join(", ")}`);
  for (const r of runs) {
    console.log(
      `    ${r.miners.map((m) => `${m.name} ${mhps(m.rate)} (the node's figure from its ${m.shares} shares: ${mhps(m.nodeRate)})`).join("; ")}`,
    );
  }
}
console.log(
  `clean_jobs, median / max: share that was a block to the node's block line (forged, written) ${ms(median(latencies.map((l) => l.forging)))} / ${ms(Math.max(...latencies.map((l) => l.forging)))}; block line to the new job at the bench's session ${ms(median(latencies.map((l) => l.toNotify)))} / ${ms(Math.max(...latencies.map((l) => l.toNotify)))}; at a miner ${ms(median(minerReads))} / ${ms(Math.max(...minerReads))}; its threads' stop ${ms(median(minerStops))} / ${ms(Math.max(...minerStops))}`,
);
console.log(
  `share checks: ${checks.accepted} of ${checks.shares} accepted in ${checks.wallSeconds.toFixed(2)} s (${Math.round(checks.accepted / checks.wallSeconds)} a second of wall time), ${(checks.cpuSeconds * 1000).toFixed(0)} ms of the node's main thread; finding them took ${checks.findSeconds.toFixed(1)} s on ${CORES} threads here`,
);
console.log(
  `memory: the node's RSS ${idle.rssWithout.toFixed(1)} MiB with the 2 miners, ${idle.rssWith.toFixed(1)} MiB with ${sessionCount} idle sessions more: ${idle.kibPerSession.toFixed(1)} KiB a session; CPU: ${checks.microsecondsPerShare.toFixed(1)} µs of the main thread a share`,
);
console.log(`took ${((performance.now() - started) / 1000).toFixed(0)} s`);

writeFileSync(
  values.json,
  `${JSON.stringify(
    {
      machine: cpu,
      cores: CORES,
      node: process.version,
      namespaces: machines.fallback === null,
      fallback: machines.fallback,
      hashRate: {
        seconds,
        rounds,
        alone: { runs: alones, mean: alone, perCpuSecond: alonePerCpu },
        pools: poolFigures,
      },
      cleanJobs: {
        difficulty: tipDifficulty,
        medianMs: median(toIdle),
        maxMs: Math.max(...toIdle),
        tips: latencies,
      },
      shareChecks: checks,
      chainWithSessions: { ...idle, p99Without, p99With, p99Ratio },
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${values.json}`);
