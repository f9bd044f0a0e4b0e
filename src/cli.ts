#!/usr/bin/env node
import { KernelUnavailableError } from "../workers/kernel/index.js";
import { limitAllocator, limitHeapGrowth } from "./allocator.js";
import { ChainUsageError, runChainCommand } from "./cli/chain.js";
import { isMinerFailure, MinerUsageError, runMinerCommand } from "./cli/miner.js";
import { isWalletFailure, runWalletCommand, WalletUsageError } from "./cli/wallet.js";
import { parseConfig, UsageError, usage } from "./config.js";
import { startNode } from "./server.js";
import { VerifierUnavailableError } from "./signatures/index.js";
import {
  DamagedStoreError,
  ForeignStoreError,
  StoreFormatError,
  StoreUnavailableError,
  unmapLevelTables,
} from "./storage/index.js";

function fail(message: string, code: number): never {
  process.stderr.write(`toychain: ${message}\n`);
  process.exit(code);
}

/** A subcommand: what runs it, its usage error (exit 2), and what else it fails with for the user to act on (exit 1). */
interface Subcommand {
  run: (argv: string[], out: (text: string) => void, log: (line: string) => void) => Promise<void>;
  usageError: new (...args: never[]) => Error;
  isFailure: (error: unknown) => error is Error;
}

const SUBCOMMANDS = new Map<string, Subcommand>([
  ["chain", { run: runChainCommand, usageError: ChainUsageError, isFailure: (_error): _error is Error => false }],
  ["wallet", { run: runWalletCommand, usageError: WalletUsageError, isFailure: isWalletFailure }],
  ["miner", { run: runMinerCommand, usageError: MinerUsageError, isFailure: isMinerFailure }],
]);

const name = process.argv[2] ?? "";
const subcommand = SUBCOMMANDS.get(name);
if (subcommand !== undefined) {
  try {
    await subcommand.run(
      process.argv.slice(3),
      (text) => process.stdout.write(text),
      (line) => process.stderr.write(`${line}\n`),
    );
    process.exit(0);
  } catch (error) {
    if (error instanceof subcommand.usageError) {
      fail(`${error.message}\nRun "toychain ${name} --help" to see the commands.`, 2);
    }
    if (subcommand.isFailure(error)) fail(error.message, 1);
    throw error;
  }
}

let config: ReturnType<typeof parseConfig>;
try {
  config = parseConfig(process.argv.slice(2), process.env);
} catch (error) {
  if (error instanceof UsageError) fail(`${error.message}\nRun "toychain --help" to see the flags.`, 2);
  throw error;
}
if (config.help) {
  process.stdout.write(usage());
  process.exit(0);
}

// Before the node's threads start: they share the arenas it allows, and their heaps grow as the main thread's.
const allocator = limitAllocator();
const heap = limitHeapGrowth();
// Before the store opens: LevelDB reads the limit then.
const tables = unmapLevelTables();
const running = await startNode(config, { allocator, heap, tables }).catch((error: NodeJS.ErrnoException) => {
  if (error instanceof KernelUnavailableError || error instanceof VerifierUnavailableError) fail(error.message, 1);
  if (
    error instanceof DamagedStoreError ||
    error instanceof ForeignStoreError ||
    error instanceof StoreFormatError ||
    error instanceof StoreUnavailableError
  ) {
    fail(error.message, 1);
  }
  if (error.code === "EADDRINUSE") fail(`port ${config.port} on ${config.host} is already in use`, 1);
  if (error.code === "EADDRNOTAVAIL") fail(`cannot listen on ${config.host}: no such local address`, 1);
  throw error;
});

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) {
      // A second Ctrl-C is a person who will not wait; a repeated SIGTERM changes nothing, the drain is bounded.
      if (signal === "SIGTERM") return;
      running.log.warn({ signal }, "a second Ctrl-C: exiting at once, without waiting for the requests in flight");
      process.exit(1);
    }
    stopping = true;
    running.log.info({ signal }, "stopping");
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

running.node.storeFailed.then(async (error) => {
  process.stderr.write(`toychain: ${error.message}\n`);
  await running.close().catch(() => undefined);
  process.exit(1);
});
