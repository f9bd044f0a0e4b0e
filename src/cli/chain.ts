import { writeFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { parseArgs } from "node:util";
import { resolveKernel } from "../../workers/kernel/index.js";
import {
  ADDRESS_PREFIX_PATTERN,
  blockWork,
  type ChainSpec,
  type ChainSpecFile,
  formatWork,
  LEDGER_KINDS,
  type LedgerKind,
  type NewChainOptions,
  newChainSpec,
  targetFromBits,
} from "../chain/index.js";
import { defaultThreads, MinerPool, measureHashRate } from "../mining/index.js";
import { CHAIN_NAME_PATTERN } from "../schemas/index.js";
import { BUILTIN_CHAINS, ChainSpecLoadError, loadChainSpec, parseChainSpec } from "../specs/index.js";

/** `toychain chain ...`: make a chain spec, or show one. */

export const CHAIN_USAGE = `Usage: toychain chain new --out <file> --block-time <s> [options]
       toychain chain show <file|name>

new   writes a spec for a chain of its own: a genesis dated now, blocks every
      --block-time seconds whose target follows the hash rate (aserti3-2d),
      and an initial target at which this machine alone (its hash rate,
      measured now on every core) makes a block about every --block-time.
      Its ledger keeps accounts (signed transfers, balances, fees) unless
      --ledger names. Start its nodes with toychain --chain <file>.
  --out <file>          where to write the spec (refused if it exists, unless --force)
  --block-time <s>      the target time between blocks, whole seconds (1-86400)
  --half-life <s>       seconds behind (ahead of) schedule that double (halve) the target
                        (default 60 block times)
  --hashrate <H/s>      set the initial target for this hash rate instead of measuring
  --pow-limit <bits>    the easiest target, as compact bits in 8 hex digits (default 1f00ffff,
                        65,536 hashes a block), or initial: never easier than the initial target
  --name <name>         the chain's name (default: the file's name without .json)
  --ledger <kind>       accounts: signed transfers between addresses, with balances and fees
                        (default); names: the walkthrough's transactions between any names
  --address-prefix <p>  an accounts chain's address prefix, 1-16 lowercase letters (default toy)
  --reward <n>          what a block's reward creates, a whole number of the smallest unit
                        (default 1; on an accounts chain the block's fees come on top)
  --force               overwrite --out

show  prints a spec's parameters and its id, the genesis hash (a file, or
      one of ${BUILTIN_CHAINS.join(", ")}).

  -h, --help            print this help and exit
`;

/** A bad subcommand, flag or value: the CLI prints it and exits with code 2. */
export class ChainUsageError extends Error {
  override readonly name = "ChainUsageError";
}

const MEASURE_SECONDS = 3;

function wholeSeconds(flag: string, value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > max) {
    throw new ChainUsageError(`--${flag} must be whole seconds from 1 to ${max}, not ${JSON.stringify(value)}`);
  }
  return n;
}

/** --pow-limit: compact bits that state a target, or "initial". */
function powLimitOf(value: string | undefined): number | "initial" | undefined {
  if (value === undefined || value === "initial") return value;
  const bits = /^[0-9a-f]{8}$/.test(value) ? Number.parseInt(value, 16) : Number.NaN;
  try {
    targetFromBits(bits);
  } catch {
    throw new ChainUsageError(
      `--pow-limit must be initial or compact bits in 8 hex digits stating a target, not ${value}`,
    );
  }
  return bits;
}

/** This machine's hash rate on every core, with the kernel a node would choose. */
async function measure(log: (line: string) => void): Promise<{ hashesPerSecond: number; how: string }> {
  const threads = defaultThreads();
  const pool = new MinerPool(threads, resolveKernel("auto").candidates);
  try {
    const { calibration } = await pool.warmUp();
    log(`measuring this machine's hash rate: ${MEASURE_SECONDS} s on ${threads} threads with ${calibration.kernel}`);
    const { hashesPerSecond } = await measureHashRate(pool, MEASURE_SECONDS);
    return { hashesPerSecond, how: `measured here, ${calibration.kernel} on ${threads} threads` };
  } finally {
    await pool.close();
  }
}

/** --ledger (accounts unless told names) and --address-prefix, which only an accounts ledger takes. */
function ledgerOf(
  kind: string | undefined,
  prefix: string | undefined,
): Pick<NewChainOptions, "ledger" | "addressPrefix"> {
  if (kind !== undefined && !(LEDGER_KINDS as readonly string[]).includes(kind)) {
    throw new ChainUsageError(`--ledger must be ${LEDGER_KINDS.join(" or ")}, not ${JSON.stringify(kind)}`);
  }
  const ledger = (kind ?? "accounts") as LedgerKind;
  if (prefix === undefined) return { ledger };
  if (ledger !== "accounts")
    throw new ChainUsageError("--address-prefix is for an accounts ledger, not --ledger names");
  if (!new RegExp(ADDRESS_PREFIX_PATTERN).test(prefix)) {
    throw new ChainUsageError(`--address-prefix must be 1 to 16 lowercase letters, not ${JSON.stringify(prefix)}`);
  }
  return { ledger, addressPrefix: prefix };
}

/** --reward: a whole number of the smallest unit, from 1 to 2^53-1. */
function rewardOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new ChainUsageError(`--reward must be a whole number from 1 to 2^53-1, not ${JSON.stringify(value)}`);
  }
  return n;
}

/** What a spec says, for people. */
export function describeSpec(spec: ChainSpec): string {
  if (spec.pow.kind === "fixed") {
    return [
      `chain ${spec.name}: the walkthrough's, at a fixed difficulty`,
      `id (genesis hash)  ${spec.id}`,
      `target             ${spec.pow.difficulty} leading zero bits (${formatWork(blockWork(spec.pow.target))} hashes a block)`,
    ].join("\n");
  }
  const file = spec.file as ChainSpecFile;
  const { params, anchor } = spec.pow;
  return [
    `chain ${spec.name}: blocks every ${params.spacing} s, retargeted by aserti3-2d`,
    `id (genesis hash)  ${spec.id}`,
    `half-life          ${params.halfLife} s`,
    `initial target     bits ${file.genesis.bits} (${formatWork(blockWork(anchor.target))} hashes a block)`,
    `pow limit          bits ${file.powLimit} (${formatWork(blockWork(params.powLimit))} hashes a block)`,
    `timestamps         whole seconds, after the median of the last ${file.timestamps.medianOf}, at most ${spec.maxFutureSeconds} s ahead`,
    `reward             ${spec.reward}${spec.ledger.kind === "accounts" ? " and the block's fees" : ""}`,
    spec.ledger.kind === "accounts"
      ? `ledger             accounts: signed transfers between ${spec.ledger.prefix}1... addresses`
      : "ledger             names: the walkthrough's transactions",
    `genesis            ${new Date(spec.genesis.timestamp * 1000).toISOString()}`,
  ].join("\n");
}

async function chainNew(argv: string[], out: (text: string) => void, log: (line: string) => void): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      out: { type: "string" },
      "block-time": { type: "string" },
      "half-life": { type: "string" },
      hashrate: { type: "string" },
      name: { type: "string" },
      "pow-limit": { type: "string" },
      ledger: { type: "string" },
      "address-prefix": { type: "string" },
      reward: { type: "string" },
      force: { type: "boolean" },
    },
  });
  if (positionals.length > 0)
    throw new ChainUsageError(`chain new takes no argument ${JSON.stringify(positionals[0])}`);
  if (values.out === undefined) throw new ChainUsageError("chain new needs --out <file>");
  const blockTime = wholeSeconds("block-time", values["block-time"], 86_400);
  if (blockTime === undefined) throw new ChainUsageError("chain new needs --block-time <seconds>");
  const halfLife = wholeSeconds("half-life", values["half-life"], 100_000_000);
  const powLimit = powLimitOf(values["pow-limit"]);
  const given = values.hashrate === undefined ? undefined : Number(values.hashrate);
  if (given !== undefined && !(Number.isFinite(given) && given > 0)) {
    throw new ChainUsageError(`--hashrate must be a positive number of hashes per second, not ${values.hashrate}`);
  }
  const name = values.name ?? basename(values.out, extname(values.out)).toLowerCase();
  if (!new RegExp(CHAIN_NAME_PATTERN).test(name)) {
    throw new ChainUsageError(
      `the chain's name ${JSON.stringify(name)} must be 1 to 64 lowercase letters, digits and dashes: give --name`,
    );
  }
  const ledger = ledgerOf(values.ledger, values["address-prefix"]);
  const reward = rewardOf(values.reward);
  const hashrate = given === undefined ? await measure(log) : { hashesPerSecond: given, how: "given by --hashrate" };
  const file = newChainSpec({
    name,
    blockTime,
    ...(halfLife === undefined ? {} : { halfLife }),
    hashesPerSecond: hashrate.hashesPerSecond,
    ...(powLimit === undefined ? {} : { powLimit }),
    ...ledger,
    ...(reward === undefined ? {} : { reward }),
    now: Date.now() / 1000,
  });
  const spec = checkedSpec(file);
  try {
    writeFileSync(values.out, `${JSON.stringify(file, null, 2)}\n`, { flag: values.force ? "w" : "wx" });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw new ChainUsageError(`${values.out} exists: give another --out, or --force`);
    throw new ChainUsageError(`cannot write ${values.out}: ${(error as Error).message}`);
  }
  out(
    `wrote ${values.out}\n${describeSpec(spec)}\n` +
      `hash rate          ${formatWork(BigInt(Math.round(hashrate.hashesPerSecond)))}H/s (${hashrate.how})\n` +
      `start its nodes with: toychain --chain ${values.out}\n`,
  );
}

/** The spec `chain new` made, through the checks a node makes when it loads one: a name the schema refuses shows here. */
function checkedSpec(file: ChainSpecFile): ChainSpec {
  try {
    return parseChainSpec(JSON.stringify(file), "the new chain spec");
  } catch (error) {
    throw new ChainUsageError((error as Error).message);
  }
}

function chainShow(argv: string[], out: (text: string) => void): void {
  const { positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: {} });
  const [what, extra] = positionals;
  if (what === undefined || extra !== undefined) throw new ChainUsageError("chain show takes one spec file or name");
  try {
    out(`${describeSpec(loadChainSpec(what, 16))}\n`);
  } catch (error) {
    if (error instanceof ChainSpecLoadError) throw new ChainUsageError(error.message);
    throw error;
  }
}

/** Runs `toychain chain <argv>`; throws a ChainUsageError for what the user must change. */
export async function runChainCommand(
  argv: string[],
  out: (text: string) => void,
  log: (line: string) => void,
): Promise<void> {
  const [command, ...rest] = argv;
  if (
    command === undefined ||
    command === "--help" ||
    command === "-h" ||
    rest.includes("--help") ||
    rest.includes("-h")
  ) {
    out(CHAIN_USAGE);
    return;
  }
  try {
    if (command === "new") return await chainNew(rest, out, log);
    if (command === "show") return chainShow(rest, out);
  } catch (error) {
    if (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      throw new ChainUsageError(error.message);
    }
    throw error;
  }
  throw new ChainUsageError(`unknown chain command ${JSON.stringify(command)}: new or show`);
}
