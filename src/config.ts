import { parseArgs } from "node:util";
import { KERNEL_CHOICES, type KernelChoice, NATIVE_VARIANTS } from "../workers/kernel/index.js";
import type { ChainSpec } from "./chain/index.js";
import { decodeAddress, PASSPHRASE_VARIABLE } from "./keys/index.js";
import { DEFAULT_SWITCH_PIECE } from "./ledger/index.js";
import { LOG_LEVELS, type LogLevel } from "./log.js";
import { defaultThreads, REFRESH_MS } from "./mining/index.js";
import { DEFAULT_MAX_PENDING, DEFAULT_RESOLVE_DEADLINE_MS } from "./node.js";
import { DEFAULT_PEER_TIMEOUT_MS, parsePeerAddress } from "./peers/index.js";
import { VERIFIER_CHOICES, type VerifierChoice } from "./signatures/index.js";
import { BUILTIN_CHAINS, ChainSpecLoadError, loadChainSpec } from "./specs/index.js";
import { type CheckBlocks, DEFAULT_CHECK_BLOCKS } from "./storage/index.js";
import { DEFAULT_MAX_SESSIONS, DEFAULT_VARDIFF, RANGE_COUNT, type StratumConfig } from "./stratum/index.js";

export interface Config {
  port: number;
  host: string;
  threads: number;
  /** The walkthrough chain's difficulty (another chain sets its targets itself). */
  difficulty: number;
  /** The chain the node joins: the walkthrough's at `difficulty`, a built-in one, or a spec file's. */
  chain: ChainSpec;
  kernel: KernelChoice;
  /** What verifies signatures: libsodium, node:crypto, or auto (libsodium when it is usable here). */
  verifier: VerifierChoice;
  /** Where the node keeps its state; undefined with --in-memory. */
  dataDir: string | undefined;
  maxPending: number;
  /** How many of the last stored blocks start-up checks against every rule, or all. */
  checkBlocks: CheckBlocks;
  /** Peers registered at start. */
  peers: string[];
  /** How long a peer has to answer each request, a page of its chain included, in milliseconds. */
  peerTimeoutMs: number;
  /** How long a resolve may take in all, in milliseconds. */
  resolveDeadlineMs: number;
  /** When set, /mine, /nodes/register, /nodes/resolve and /nodes/announce need `Authorization: Bearer <token>`. */
  apiToken: string | undefined;
  /** Announce our tip to peers when the chain grows, and sync from peers announcing one with more work. */
  gossip: boolean;
  /** The URL announcements carry (http(s)://host:port); undefined: from --host and the port listened on. */
  publicUrl: string | undefined;
  /** Forge block after block on the tip; GET /mine then answers with the next block forged. */
  mine: boolean;
  /** On an accounts chain, where rewards go; undefined: a key the node keeps in its data dir. */
  rewardAddress: string | undefined;
  /** Rebuild an accounts chain's ledger from the stored blocks before starting. */
  reindex: boolean;
  /** On an accounts chain, the transactions a switch of chains writes at most in one batch, about; more: in pieces. */
  switchPiece: number;
  /** A Stratum endpoint for remote miners, or undefined. */
  stratum: StratumConfig | undefined;
  logLevel: LogLevel;
  help: boolean;
}

/** A bad flag or value: the CLI prints the message and exits with code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const MAX_DIFFICULTY = 64;
export const MAX_THREADS = 1024;

interface Flag {
  name: string;
  type: "string" | "boolean";
  value?: string;
  help: string;
}

/** Every flag; each can also be set by TOYCHAIN_<NAME> in the environment (the flag wins). */
export const FLAGS: readonly Flag[] = [
  { name: "port", type: "string", value: "<n>", help: "TCP port to listen on (default 5000; 0 picks a free one)" },
  { name: "host", type: "string", value: "<addr>", help: "address to listen on (default 127.0.0.1; 0.0.0.0 for all)" },
  {
    name: "threads",
    type: "string",
    value: "<n>",
    help: `mining worker threads, and threads checking peers' pages and verifying signatures (default: this machine's ${defaultThreads()})`,
  },
  {
    name: "chain",
    type: "string",
    value: "<file|name>",
    help: `the chain to join: a spec file that toychain chain new wrote, or ${BUILTIN_CHAINS.join(" or ")} (default walkthrough)`,
  },
  {
    name: "difficulty",
    type: "string",
    value: "<n>",
    help: `the walkthrough chain's leading zero bits a proof hash needs, 1-${MAX_DIFFICULTY} (default 16)`,
  },
  {
    name: "kernel",
    type: "string",
    value: "<k>",
    help:
      "proof-of-work kernel: auto (the fastest here, by a calibration at start), native (the fastest native one), " +
      `portable, or a native variant: ${NATIVE_VARIANTS.join(", ")} (default auto)`,
  },
  {
    name: "verifier",
    type: "string",
    value: "<v>",
    help:
      "what verifies signatures on an accounts chain: auto (the system's libsodium when it loads and passes its self-test, " +
      "else node:crypto), libsodium, or node:crypto (default auto)",
  },
  {
    name: "data-dir",
    type: "string",
    value: "<dir>",
    help: "where the chain, mempool, peers and node id are kept (default ./data/<port>, or ./data/<chain>/<port> on another chain than the walkthrough's)",
  },
  { name: "in-memory", type: "boolean", help: "keep nothing across restarts, as the walkthrough's node" },
  {
    name: "max-pending",
    type: "string",
    value: "<n>",
    help: `pending transactions held at most (default ${DEFAULT_MAX_PENDING})`,
  },
  {
    name: "check-blocks",
    type: "string",
    value: "<n|all>",
    help: `stored blocks re-checked at start, the last n or all (default ${DEFAULT_CHECK_BLOCKS}; the index is always checked)`,
  },
  { name: "peers", type: "string", value: "<a,b>", help: "nodes to register at start, comma-separated" },
  {
    name: "peer-timeout",
    type: "string",
    value: "<ms>",
    help: `ms a peer has for each answer, a page of its chain included, connecting included (default ${DEFAULT_PEER_TIMEOUT_MS})`,
  },
  {
    name: "resolve-deadline",
    type: "string",
    value: "<ms>",
    help: `ms a resolve may take in all, however many pages it reads (default ${DEFAULT_RESOLVE_DEADLINE_MS})`,
  },
  {
    name: "gossip",
    type: "boolean",
    help: "announce every new block to the peers, and sync from peers that announce a chain with more work (default off)",
  },
  {
    name: "mine",
    type: "boolean",
    help: `mine block after block on the tip, taking in new transactions every ${REFRESH_MS / 1000} s; GET /mine then answers with the next block forged (default off)`,
  },
  {
    name: "reward-address",
    type: "string",
    value: "<addr>",
    help: "on a chain with an accounts ledger, the address rewards go to (default: a key the node makes in its data dir, reward-key.json, which toychain wallet spends)",
  },
  {
    name: "reindex",
    type: "boolean",
    help: "rebuild the ledger (accounts, undo data, the transactions' index) from the stored blocks before starting (default off)",
  },
  {
    name: "switch-piece",
    type: "string",
    value: "<n>",
    help: `on a chain with an accounts ledger, the transactions a switch of chains (a sync, a reorganisation) writes at most in one atomic batch, about; a larger switch is written in pieces of this size, which a restart after a crash finishes (default ${DEFAULT_SWITCH_PIECE})`,
  },
  {
    name: "stratum-port",
    type: "string",
    value: "<n>",
    help: "open a Stratum endpoint there for remote miners (toychain miner); the node then mines block after block as with --mine, its own threads beside them (--threads 0: the miners alone)",
  },
  {
    name: "stratum-host",
    type: "string",
    value: "<addr>",
    help: "address the Stratum endpoint listens on (default: --host's)",
  },
  {
    name: "stratum-max-sessions",
    type: "string",
    value: "<n>",
    help: `miners connected at once, at most (default ${DEFAULT_MAX_SESSIONS})`,
  },
  {
    name: "stratum-share-seconds",
    type: "string",
    value: "<s>",
    help: `the spacing of each miner's shares its share target aims at (default ${DEFAULT_VARDIFF.shareSeconds})`,
  },
  {
    name: "public-url",
    type: "string",
    value: "<url>",
    help: "http(s)://host:port where peers reach this node, sent in announcements (default http://<host>:<port>)",
  },
  {
    name: "api-token",
    type: "string",
    value: "<t>",
    help: "16+ characters; require Authorization: Bearer <t> on /mine, /nodes/register, /nodes/resolve, /nodes/announce (set it in the environment: ps shows flags)",
  },
  { name: "log-level", type: "string", value: "<l>", help: `${LOG_LEVELS.join(", ")} (default info)` },
];

export const envName = (flag: string): string => `TOYCHAIN_${flag.toUpperCase().replaceAll("-", "_")}`;

export function usage(): string {
  const names = [...FLAGS.map((f) => `  --${f.name}${f.value ? ` ${f.value}` : ""}`), "  -h, --help"];
  const width = Math.max(...names.map((name) => name.length)) + 2;
  const lines = FLAGS.map((f, i) => `${(names[i] as string).padEnd(width)}${f.help}`);
  return `Usage: toychain [options]                   start a node
       toychain chain new|show [options]   make or show a chain spec (toychain chain --help)
       toychain wallet <command> [options] make a key file, read a balance, send a transfer
                                           (toychain wallet --help)
       toychain miner --pool <url> [options]
                                           mine for a node over Stratum (toychain miner --help)

A toychain node: a proof-of-work blockchain whose mining runs on every CPU core.

Options (each also read from the environment as TOYCHAIN_<NAME>, e.g. ${envName("port")}):
${lines.join("\n")}
${"  -h, --help".padEnd(width)}print this help and exit
`;
}

/** Flag values from the command line, or else from the environment; each remembers where it came from. */
function collect(argv: readonly string[], env: NodeJS.ProcessEnv): Map<string, { value: string; from: string }> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(FLAGS.map((f) => [f.name, { type: f.type }])),
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  // TOYCHAIN_PASSPHRASE is no flag: it seals the node's reward key (and opens the wallet's), never given on argv.
  const known = new Set([...FLAGS.map((f) => envName(f.name)), PASSPHRASE_VARIABLE]);
  const stray = Object.keys(env).find((key) => key.startsWith("TOYCHAIN_") && !known.has(key));
  if (stray) throw new UsageError(`unknown environment variable ${stray}; see --help for the settings`);
  const found = new Map<string, { value: string; from: string }>();
  for (const flag of FLAGS) {
    const given = values[flag.name];
    const fromEnv = env[envName(flag.name)];
    if (given !== undefined) found.set(flag.name, { value: String(given), from: `--${flag.name}` });
    else if (fromEnv !== undefined) found.set(flag.name, { value: fromEnv, from: envName(flag.name) });
  }
  return found;
}

export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Config {
  if (argv.includes("--help") || argv.includes("-h")) return { ...parseConfig([], {}), help: true };
  const found = collect(argv, env);
  const text = (flag: string, fallback: string): string => found.get(flag)?.value ?? fallback;
  const from = (flag: string): string => found.get(flag)?.from ?? `--${flag}`;
  const integer = (flag: string, fallback: number, min: number, max: number): number => {
    const value = text(flag, String(fallback));
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new UsageError(`${from(flag)} must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}`);
    }
    return n;
  };
  const oneOf = <T extends string>(flag: string, choices: readonly T[], fallback: T): T => {
    const value = text(flag, fallback);
    if (!(choices as readonly string[]).includes(value)) {
      throw new UsageError(`${from(flag)} must be one of ${choices.join(", ")}, not ${JSON.stringify(value)}`);
    }
    return value as T;
  };
  const boolean = (flag: string): boolean => {
    const value = text(flag, "false");
    if (!["true", "false", "1", "0"].includes(value)) {
      throw new UsageError(`${from(flag)} must be true or false, not ${JSON.stringify(value)}`);
    }
    return value === "true" || value === "1";
  };

  const host = text("host", "127.0.0.1");
  if (host.trim() === "") throw new UsageError(`${from("host")} must not be empty`);
  const port = integer("port", 5000, 0, 65535);
  const inMemory = boolean("in-memory");
  if (inMemory && found.has("data-dir")) {
    throw new UsageError(`${from("in-memory")} and ${from("data-dir")} exclude each other`);
  }
  if (!inMemory && port === 0 && !found.has("data-dir")) {
    throw new UsageError("--port 0 picks a port at random: give --data-dir, or --in-memory");
  }
  const difficulty = integer("difficulty", 16, 1, MAX_DIFFICULTY);
  const chainName = text("chain", "walkthrough");
  if (chainName !== "walkthrough" && found.has("difficulty")) {
    throw new UsageError(
      `${from("difficulty")} sets the walkthrough chain's difficulty; the chain ${chainName} sets each block's target itself`,
    );
  }
  let chain: ChainSpec;
  try {
    chain = loadChainSpec(chainName, difficulty);
  } catch (error) {
    if (error instanceof ChainSpecLoadError) throw new UsageError(`${from("chain")} ${error.message}`);
    throw error;
  }
  const rewardAddress = found.get("reward-address")?.value;
  if (rewardAddress !== undefined) {
    if (chain.ledger.kind !== "accounts") {
      throw new UsageError(
        `${from("reward-address")} is for a chain with an accounts ledger; ${chain.name}'s rewards go to the node's id`,
      );
    }
    try {
      decodeAddress(chain.ledger.prefix, rewardAddress, "--reward-address");
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  // Each chain but the walkthrough's has its own folder, so that joining another chain needs no --data-dir.
  const defaultDataDir = chain.name === "walkthrough" ? `./data/${port}` : `./data/${chain.name}/${port}`;
  const dataDir = inMemory ? undefined : text("data-dir", defaultDataDir);
  if (dataDir?.trim() === "") throw new UsageError(`${from("data-dir")} must not be empty`);
  const peers = text("peers", "")
    .split(",")
    .map((peer) => peer.trim())
    .filter((peer) => peer !== "");
  for (const [i, peer] of peers.entries()) {
    try {
      parsePeerAddress(peer, i);
    } catch (error) {
      throw new UsageError(`${from("peers")}: ${(error as Error).message}`);
    }
  }
  const givenUrl = found.get("public-url")?.value;
  let publicUrl: string | undefined;
  if (givenUrl !== undefined) {
    try {
      publicUrl = parsePeerAddress(givenUrl).url;
    } catch (error) {
      throw new UsageError(`${from("public-url")}: ${(error as Error).message}`);
    }
  }
  const checkBlocks = text("check-blocks", String(DEFAULT_CHECK_BLOCKS));
  const apiToken = found.get("api-token")?.value;
  if (apiToken !== undefined && !/^[\x21-\x7e]{16,1024}$/.test(apiToken)) {
    throw new UsageError(`${from("api-token")} must be 16 to 1024 printable characters without spaces`);
  }
  let stratum: StratumConfig | undefined;
  if (found.has("stratum-port")) {
    const shareSeconds = Number(text("stratum-share-seconds", String(DEFAULT_VARDIFF.shareSeconds)));
    if (!(shareSeconds >= 0.01 && shareSeconds <= 3600)) {
      throw new UsageError(`${from("stratum-share-seconds")} must be a number of seconds from 0.01 to 3600`);
    }
    stratum = {
      port: integer("stratum-port", 0, 0, 65535),
      host: text("stratum-host", host),
      maxSessions: integer("stratum-max-sessions", DEFAULT_MAX_SESSIONS, 1, RANGE_COUNT - 1),
      shareSeconds,
    };
  } else {
    for (const flag of ["stratum-host", "stratum-max-sessions", "stratum-share-seconds"]) {
      if (found.has(flag)) throw new UsageError(`${from(flag)} is for a node with --stratum-port`);
    }
  }
  return {
    port,
    host,
    // A node with remote miners may leave all the mining to them.
    threads: integer("threads", defaultThreads(), stratum === undefined ? 1 : 0, MAX_THREADS),
    difficulty,
    chain,
    kernel: oneOf("kernel", KERNEL_CHOICES, "auto"),
    verifier: oneOf("verifier", VERIFIER_CHOICES, "auto"),
    dataDir,
    maxPending: integer("max-pending", DEFAULT_MAX_PENDING, 1, 100_000_000),
    checkBlocks:
      checkBlocks === "all" ? "all" : integer("check-blocks", DEFAULT_CHECK_BLOCKS, 0, Number.MAX_SAFE_INTEGER),
    peers,
    peerTimeoutMs: integer("peer-timeout", DEFAULT_PEER_TIMEOUT_MS, 100, 600_000),
    resolveDeadlineMs: integer("resolve-deadline", DEFAULT_RESOLVE_DEADLINE_MS, 100, 86_400_000),
    apiToken,
    gossip: boolean("gossip"),
    publicUrl,
    mine: boolean("mine"),
    rewardAddress,
    reindex: boolean("reindex"),
    switchPiece: integer("switch-piece", DEFAULT_SWITCH_PIECE, 1, 100_000_000),
    stratum,
    logLevel: oneOf("log-level", LOG_LEVELS, "info"),
    help: false,
  };
}
