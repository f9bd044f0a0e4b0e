import { hostname } from "node:os";
import { parseArgs } from "node:util";
import {
  KERNEL_CHOICES,
  type KernelChoice,
  KernelUnavailableError,
  resolveKernel,
} from "../../workers/kernel/index.js";
import { defaultThreads, MinerPool } from "../mining/index.js";
import { MINER_NAME_PATTERN } from "../schemas/index.js";
import { MINER_AGENT, RemoteMiner, StratumAuthorizationError } from "../stratum/index.js";
import { VERSION } from "../version.js";

/** The environment variable the token may come from, as the node's own --api-token does. */
const TOKEN_VARIABLE = "TOYCHAIN_API_TOKEN";
const DEFAULT_REPORT_SECONDS = 10;

const USAGE = `Usage: toychain miner --pool stratum+tcp://<host>:<port> [options]

Mines for a node over Stratum (the node runs with --stratum-port), with this
machine's cores and the kernels a node mines with. Prints its rate now and
then, and a line for each new tip that stops its search (when the job came,
how long its threads took to stop), and reconnects when the node goes away.
Ctrl-C stops it.

  --pool <url>         the node's Stratum endpoint, stratum+tcp://host:port
  --threads <n>        mining threads (default: this machine's ${defaultThreads()})
  --name <name>        the name the node shows for this miner, 1-64 printable
                       characters without spaces (default: this machine's name)
  --token <t>          the node's API token, if it has one (or ${TOKEN_VARIABLE};
                       ps shows flags, not the environment)
  --kernel <k>         ${KERNEL_CHOICES.join(", ")} (default auto)
  --report <s>         seconds between rate reports (default ${DEFAULT_REPORT_SECONDS})
  -h, --help           print this help and exit
`;

/** What the command line got wrong: exit 2. */
export class MinerUsageError extends Error {
  override readonly name = "MinerUsageError";
}

/** What stops the miner that the user can act on: exit 1. */
export const isMinerFailure = (error: unknown): error is Error =>
  error instanceof StratumAuthorizationError || error instanceof KernelUnavailableError;

/** stratum+tcp://host:port, as a host and a port. */
function poolAddress(url: string): { host: string; port: number } {
  const match = /^stratum\+tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^:/\s]+):(\d{1,5})\/?$/.exec(url);
  const port = Number(match?.[2]);
  if (match === null || !(port >= 1 && port <= 65535)) {
    throw new MinerUsageError(`--pool must be stratum+tcp://<host>:<port>, not ${JSON.stringify(url)}`);
  }
  return { host: (match[1] as string).replace(/^\[(.*)\]$/, "$1"), port };
}

export async function runMinerCommand(
  argv: string[],
  out: (text: string) => void,
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  let values: ReturnType<typeof parse>;
  try {
    values = parse(argv);
  } catch (error) {
    throw new MinerUsageError((error as Error).message);
  }
  if (values.help) {
    out(USAGE);
    return;
  }
  if (values.pool === undefined) throw new MinerUsageError("--pool is required: the node's stratum+tcp://host:port");
  const { host, port } = poolAddress(values.pool);
  const threads = Number(values.threads ?? defaultThreads());
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) {
    throw new MinerUsageError(`--threads must be a whole number from 1 to 1024, not ${JSON.stringify(values.threads)}`);
  }
  const name =
    values.name ??
    hostname()
      .replace(/[^\x21-\x7e]/g, "")
      .slice(0, 64);
  if (!new RegExp(MINER_NAME_PATTERN).test(name)) {
    throw new MinerUsageError(
      `--name must be 1 to 64 printable characters without spaces, not ${JSON.stringify(name)}`,
    );
  }
  const kernel = (values.kernel ?? "auto") as KernelChoice;
  if (!KERNEL_CHOICES.includes(kernel)) {
    throw new MinerUsageError(`--kernel must be one of ${KERNEL_CHOICES.join(", ")}, not ${JSON.stringify(kernel)}`);
  }
  const reportSeconds = Number(values.report ?? DEFAULT_REPORT_SECONDS);
  if (!(reportSeconds >= 0.1 && reportSeconds <= 3600)) {
    throw new MinerUsageError(`--report must be 0.1 to 3600 seconds, not ${JSON.stringify(values.report)}`);
  }
  const pool = new MinerPool(threads, resolveKernel(kernel).candidates);
  const stopping = new AbortController();
  const stop = () => stopping.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    const { calibration } = await pool.warmUp();
    const rate = calibration.rates.find((r) => r.name === calibration.kernel)?.hashesPerSecond ?? 0;
    log(
      `mining with the ${calibration.kernel} kernel on ${threads} threads (calibrated at ${(rate / 1e6).toFixed(2)} MH/s a thread)`,
    );
    const miner = new RemoteMiner({
      host,
      port,
      agent: `${MINER_AGENT}/${VERSION}`,
      name,
      token: values.token ?? env[TOKEN_VARIABLE] ?? "",
      pool,
      log,
      reportMs: reportSeconds * 1000,
      signal: stopping.signal,
    });
    const started = performance.now();
    await miner.run();
    const { hashes, accepted, stale, refused, blocks } = miner.counts;
    const seconds = (performance.now() - started) / 1000;
    log(
      `stopped after ${hashes} hashes in ${seconds.toFixed(1)} s: shares ${accepted} accepted, ${stale} stale, ${refused} refused; blocks ${blocks}`,
    );
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    await pool.close();
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      pool: { type: "string" },
      threads: { type: "string" },
      name: { type: "string" },
      token: { type: "string" },
      kernel: { type: "string" },
      report: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  }).values;
}
