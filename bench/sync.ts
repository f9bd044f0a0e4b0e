/**
 * npm run bench:sync -- [--tx 300000,1500000,5000000] [--fill direct|http] [--difficulty 8]
 *                       [--concurrency 256] [--json FILE] [--chart FILE.svg]
 *
 * Issue 12's figures, through HTTP and processes. For each N: a node A on a
 * fresh data dir is filled with N unique transactions mined into full
 * blocks, either by a ToyNode in this process on A's data dir (--fill direct,
 * the default: the same checks, writes and blocks, minutes faster) or over
 * HTTP (--fill http: concurrent keep-alive POST /transactions/new, GET /mine
 * whenever a full block is pending), then
 *   - A is stopped (SIGTERM) and started again on its data dir: the time from
 *     spawn to its first 200 on GET /, and its RSS then;
 *   - A serves its whole GET /chain, read as a stream: A's RSS growth meanwhile,
 *     the download rate, and the transactions in it counted (they must be N);
 *   - a fresh node B registers A and resolves: the time to its answer, B's
 *     peak RSS (its VmHWM: B starts just before), and whether B adopted all
 *     of A's chain, or else the reason its resolve report gives.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { DEFAULT_MAX_BLOCK_TRANSACTIONS } from "../src/node.js";
import { fillStore } from "./lib/fill.js";
import { json, memory, request } from "./lib/node-http.js";
import { type ServerProcess, startToychain } from "./lib/processes.js";
import { type Result, syncChart } from "./lib/sync-chart.js";
import { duration, table } from "./lib/table.js";

const USAGE = `Usage: npm run bench:sync -- [options]
  --tx <list>          transactions in A's chain, comma-separated (default 300000,1500000,5000000)
  --fill <how>         direct (a node in this process writes A's store) or http (default direct)
  --difficulty <n>     the nodes' difficulty, low so mining is quick (default 8)
  --concurrency <n>    concurrent keep-alive connections posting transactions (default 256)
  --json <file>        write the machine, the options and every figure per N
  --chart <file.svg>   write an SVG chart of each figure against the chain's MiB
  -h, --help`;

interface Options {
  tx: number[];
  fill: "direct" | "http";
  difficulty: number;
  concurrency: number;
  json?: string;
  chart?: string;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      tx: { type: "string", default: "300000,1500000,5000000" },
      fill: { type: "string", default: "direct" },
      difficulty: { type: "string", default: "8" },
      concurrency: { type: "string", default: "256" },
      json: { type: "string" },
      chart: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const whole = (name: string, text: string): number => {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--${name} takes positive integers, not ${text}`);
    return n;
  };
  if (values.fill !== "direct" && values.fill !== "http")
    throw new Error(`--fill takes direct or http, not ${values.fill}`);
  return {
    tx: values.tx.split(",").map((n) => whole("tx", n)),
    fill: values.fill,
    difficulty: whole("difficulty", values.difficulty),
    concurrency: whole("concurrency", values.concurrency),
    json: values.json,
    chart: values.chart,
  };
}

/** Progress on stderr, rewritten in place when it is a terminal. */
function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${text}`);
  else process.stderr.write(`${text}\n`);
}

const MiB = 1024 * 1024;

interface Stats {
  chain_length: number;
  pending_transactions: number;
}

/**
 * Posts transactions 0..count-1 (each unique by its amount) on `concurrency`
 * keep-alive connections while a loop mines a block whenever a full one is
 * pending, and the rest once all are posted. A 429 (mempool full) is retried.
 */
async function fill(url: string, count: number, concurrency: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const started = performance.now();
  let next = 0;
  let accepted = 0;
  let refused = 0;
  let blocks = 0;
  let pending = 0;
  let posting = true;
  const ticker = setInterval(() => {
    const rate = accepted / ((performance.now() - started) / 1000);
    progress(
      `  filling A: ${accepted}/${count} posted (${rate.toFixed(0)}/s), ${blocks} blocks mined, ${pending} pending`,
    );
  }, 1000);
  const poster = async () => {
    for (let i = next++; i < count; i = next++) {
      const body = JSON.stringify({ sender: "Lea", recipient: "Mark", amount: i + 1 });
      for (;;) {
        const answer = await request(`${url}/transactions/new`, { method: "POST", body, agent });
        if (answer.status === 200) break;
        if (answer.status !== 429) throw new Error(`POST /transactions/new answered ${answer.status}: ${answer.body}`);
        refused++;
        await sleep(5);
      }
      accepted++;
    }
  };
  const miner = async () => {
    for (;;) {
      pending = (await json<Stats>(`${url}/stats`)).pending_transactions;
      if (pending >= DEFAULT_MAX_BLOCK_TRANSACTIONS || (!posting && pending > 0)) {
        await json(`${url}/mine`);
        blocks++;
      } else if (!posting) {
        return;
      } else {
        await sleep(20);
      }
    }
  };
  const mining = miner();
  try {
    await Promise.all(Array.from({ length: concurrency }, poster));
    const postSeconds = (performance.now() - started) / 1000;
    posting = false;
    await mining;
    return { postSeconds, seconds: (performance.now() - started) / 1000, refused, blocks };
  } finally {
    posting = false;
    clearInterval(ticker);
    agent.destroy();
  }
}

const SENDER = Buffer.from('"sender":');

/**
 * Reads GET /chain as a stream, keeping none of it: its size, the time to its
 * last byte, and the transactions in it (every "sender" key, less the one
 * reward of each block after the genesis).
 */
function downloadChain(url: string): Promise<{ bytes: number; seconds: number; senders: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest(`${url}/chain`, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`GET /chain answered ${res.statusCode}`));
        res.resume();
        return;
      }
      let bytes = 0;
      let senders = 0;
      let tail: Buffer = Buffer.alloc(0);
      res.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        const data = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
        for (let at = data.indexOf(SENDER); at !== -1; at = data.indexOf(SENDER, at + SENDER.length)) senders++;
        tail = data.subarray(Math.max(0, data.length - SENDER.length + 1));
      });
      res.on("end", () => resolve({ bytes, seconds: (performance.now() - started) / 1000, senders }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** Polls GET / every 10 ms until it answers 200; when, by performance.now(). Fails if `starting` does. */
async function firstAnswer(url: string, starting: Promise<unknown>): Promise<number> {
  let failed: unknown;
  starting.catch((error: unknown) => {
    failed = error;
  });
  for (;;) {
    if (failed !== undefined) throw failed;
    const ok = await request(`${url}/`).then(
      (answer) => answer.status === 200,
      () => false,
    );
    if (ok) return performance.now();
    await sleep(10);
  }
}

interface PeerReport {
  verdict: string;
  reason?: string;
}

async function measure(n: number, options: Options): Promise<Result> {
  const flags = ["--difficulty", String(options.difficulty)];
  const dataDir = mkdtempSync(join(tmpdir(), "toychain-bench-"));
  let a: ServerProcess | undefined;
  let b: ServerProcess | undefined;
  try {
    let filled: { seconds: number; postSeconds?: number; refused?: number };
    if (options.fill === "direct") {
      filled = await fillStore(dataDir, n, options.difficulty);
      a = await startToychain(flags, dataDir);
    } else {
      a = await startToychain(flags, dataDir);
      filled = await fill(a.url, n, options.concurrency);
      progress("");
    }
    const stats = await json<Stats>(`${a.url}/stats`);
    if (stats.pending_transactions !== 0) throw new Error(`A still has ${stats.pending_transactions} pending`);
    const afterFill = memory(a.child.pid as number);
    process.stderr.write(
      `  A filled in ${duration(filled.seconds)}: ${stats.chain_length} blocks, RSS ${afterFill.rss.toFixed(0)} MiB\n`,
    );

    const port = new URL(a.url).port;
    const stopping = performance.now();
    await a.stop();
    const stopSeconds = (performance.now() - stopping) / 1000;
    const spawned = performance.now();
    const starting = startToychain([...flags, "--port", port], dataDir);
    const answered = await firstAnswer(`http://127.0.0.1:${port}`, starting);
    a = await starting;
    const pidA = a.child.pid as number;
    const restarted = memory(pidA);
    const restartSeconds = (answered - spawned) / 1000;
    process.stderr.write(`  A restarted in ${restartSeconds.toFixed(2)} s, RSS ${restarted.rss.toFixed(0)} MiB\n`);

    const before = memory(pidA);
    let sampled = before.rss;
    const sampler = setInterval(() => {
      sampled = Math.max(sampled, memory(pidA).rss);
    }, 20);
    const cold = await downloadChain(a.url).finally(() => clearInterval(sampler));
    const after = memory(pidA);
    // VmHWM is exact, but only tells of this download if it rose during it (the restart's peak may be higher).
    const hwmRose = after.hwm > before.hwm;
    const peak = hwmRose ? after.hwm : Math.max(sampled, after.rss);
    const found = cold.senders - (stats.chain_length - 1);
    if (found !== n) throw new Error(`A's GET /chain holds ${found} transactions, not ${n}`);
    const warm = await downloadChain(a.url);
    process.stderr.write(
      `  GET /chain: ${(cold.bytes / MiB).toFixed(1)} MiB in ${cold.seconds.toFixed(2)} s, A +${(peak - before.rss).toFixed(0)} MiB\n`,
    );

    b = await startToychain([...flags, "--peer-timeout", "600000"]);
    const pidB = b.child.pid as number;
    await json(`${b.url}/nodes/register`, { method: "POST", body: JSON.stringify({ nodes: [a.url] }) });
    const idleB = memory(pidB);
    const resolving = performance.now();
    const answer = await request(`${b.url}/nodes/resolve`);
    const resolveSeconds = (performance.now() - resolving) / 1000;
    const peakB = memory(pidB).hwm;
    if (answer.status !== 200) throw new Error(`B's resolve answered ${answer.status}: ${answer.body}`);
    const report = JSON.parse(answer.body.toString("utf8")) as { message: string; peers: PeerReport[] };
    const lengthB = (await json<Stats>(`${b.url}/stats`)).chain_length;
    const adopted = report.message === "Our chain was replaced" && lengthB === stats.chain_length;
    const peer = report.peers[0];
    const reason = adopted
      ? undefined
      : `${report.message}; B holds ${lengthB} of ${stats.chain_length} blocks; A's report: ${peer ? `${peer.verdict}: ${peer.reason ?? "no reason given"}` : "none"}`;
    process.stderr.write(
      `  B ${adopted ? "adopted" : "did not adopt"} in ${resolveSeconds.toFixed(2)} s, peak RSS ${peakB.toFixed(0)} MiB\n`,
    );
    const mbps = (seconds: number) => cold.bytes / 1e6 / seconds;
    return {
      transactions: n,
      chainBytes: cold.bytes,
      blocks: stats.chain_length,
      fill: { how: options.fill, ...filled, perSecond: n / filled.seconds },
      a: {
        rssAfterFillMiB: afterFill.rss,
        hwmAfterFillMiB: afterFill.hwm,
        stopSeconds,
        restartSeconds,
        rssAfterRestartMiB: restarted.rss,
        hwmAfterRestartMiB: restarted.hwm,
        serving: {
          beforeMiB: before.rss,
          peakMiB: peak,
          growthMiB: peak - before.rss,
          peakFrom: hwmRose ? "VmHWM" : "sampled",
          afterMiB: after.rss,
        },
        chainDownload: {
          coldSeconds: cold.seconds,
          coldMBps: mbps(cold.seconds),
          warmSeconds: warm.seconds,
          warmMBps: mbps(warm.seconds),
        },
      },
      b: {
        adopted,
        reason,
        resolveSeconds,
        resolveHeadersSeconds: (answer.headersAt - resolving) / 1000,
        idleMiB: idleB.rss,
        peakMiB: peakB,
        chainLength: lengthB,
      },
    };
  } finally {
    await b?.stop();
    await a?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const options = parseOptions(process.argv.slice(2));
const cpu = cpus()[0]?.model ?? "unknown CPU";
const machine = `${cpu}, ${availableParallelism()} cores, Node ${process.version}`;
console.log(`machine: ${machine}`);
console.log(`difficulty ${options.difficulty}, ${options.concurrency} posting connections`);
const benchStarted = performance.now();
const results: Result[] = [];
for (const n of options.tx) {
  process.stderr.write(`N = ${n}:\n`);
  const started = performance.now();
  results.push(await measure(n, options));
  process.stderr.write(`  N = ${n} took ${duration((performance.now() - started) / 1000)}\n`);
}
if (process.stderr.isTTY) process.stderr.write("\r\x1b[2K");

const mib = (bytes: number) => bytes / MiB;
console.log(
  `\n${table(
    [
      "transactions",
      "chain",
      "blocks",
      "fill",
      "B resolve",
      "B peak",
      "A restart",
      "A RSS",
      "A +RSS serving /chain",
      "GET /chain cold",
      "warm",
    ],
    results.map((r) => [
      String(r.transactions),
      `${mib(r.chainBytes).toFixed(1)} MiB`,
      String(r.blocks),
      `${r.fill.perSecond.toFixed(0)} tx/s`,
      r.b.adopted ? `${r.b.resolveSeconds.toFixed(2)} s` : "did not adopt",
      r.b.adopted ? `${r.b.peakMiB.toFixed(0)} MiB` : "-",
      `${r.a.restartSeconds.toFixed(2)} s`,
      `${r.a.rssAfterRestartMiB.toFixed(0)} MiB`,
      `${r.a.serving.growthMiB.toFixed(0)} MiB${r.a.serving.peakFrom === "sampled" ? " (sampled)" : ""}`,
      `${r.a.chainDownload.coldMBps.toFixed(0)} MB/s`,
      `${r.a.chainDownload.warmMBps.toFixed(0)} MB/s`,
    ]),
  )}`,
);
for (const r of results) {
  console.log(`\nN = ${r.transactions}:`);
  console.log(
    r.fill.how === "http"
      ? `  fill: over HTTP in ${duration(r.fill.seconds)} (posting ${duration(r.fill.postSeconds ?? 0)}, ${r.fill.refused ?? 0} posts refused with 429 and retried)`
      : `  fill: by a node in the bench's process, in ${duration(r.fill.seconds)}`,
  );
  console.log(
    `  A: RSS ${r.a.rssAfterFillMiB.toFixed(0)} MiB after ${r.fill.how === "http" ? "filling" : "starting on its filled store"} (peak ${r.a.hwmAfterFillMiB.toFixed(0)}); stop ${r.a.stopSeconds.toFixed(2)} s; peak while restarting ${r.a.hwmAfterRestartMiB.toFixed(0)} MiB`,
  );
  console.log(
    `  A serving GET /chain: RSS ${r.a.serving.beforeMiB.toFixed(0)} -> peak ${r.a.serving.peakMiB.toFixed(0)} (${r.a.serving.peakFrom}) -> ${r.a.serving.afterMiB.toFixed(0)} MiB after; cold ${r.a.chainDownload.coldSeconds.toFixed(2)} s, warm ${r.a.chainDownload.warmSeconds.toFixed(2)} s`,
  );
  console.log(
    `  B: ${r.b.adopted ? "adopted all of A's chain" : `did not adopt: ${r.b.reason}`}; answer after ${r.b.resolveSeconds.toFixed(2)} s (headers ${r.b.resolveHeadersSeconds.toFixed(2)} s); RSS ${r.b.idleMiB.toFixed(0)} MiB idle, peak ${r.b.peakMiB.toFixed(0)} MiB`,
  );
}
console.log(`\nbench took ${duration((performance.now() - benchStarted) / 1000)}`);

if (options.json) {
  writeFileSync(options.json, `${JSON.stringify({ machine, ...options, results }, null, 2)}\n`);
  console.log(`wrote ${options.json}`);
}
if (options.chart) {
  writeFileSync(options.chart, syncChart(results, cpu));
  console.log(`wrote ${options.chart}`);
}
