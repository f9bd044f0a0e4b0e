import { parseArgs } from "node:util";
import { KERNEL_CHOICES, type KernelChoice } from "../workers/kernel/index.js";
import { LOG_LEVELS, type LogLevel } from "./log.js";
import { defaultThreads } from "./mining/index.js";

export interface Config {
  port: number;
  host: string;
  threads: number;
  difficulty: number;
  kernel: KernelChoice;
  logLevel: LogLevel;
  help: boolean;
}

/** A bad flag or value: the CLI prints the message and exits with code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const MAX_DIFFICULTY = 64;
export const MAX_THREADS = 1024;

export function usage(): string {
  return `Usage: toychain [options]

A toychain node: a proof-of-work blockchain whose mining runs on every CPU core.

Options:
  --port <n>          TCP port to listen on (default 5000; 0 picks a free one)
  --host <addr>       address to listen on (default 127.0.0.1; 0.0.0.0 for all)
  --threads <n>       mining worker threads (default: this machine's ${defaultThreads()})
  --difficulty <n>    leading zero bits a proof hash needs, 1-${MAX_DIFFICULTY} (default 16)
  --kernel <k>        proof-of-work kernel: auto (native when it loads), native
                      or portable (default auto)
  --log-level <l>     ${LOG_LEVELS.join(", ")} (default info)
  -h, --help          print this help and exit
`;
}

function integer(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}`);
  }
  return n;
}

export function parseConfig(argv: readonly string[]): Config {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        threads: { type: "string" },
        difficulty: { type: "string" },
        kernel: { type: "string" },
        "log-level": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const text = (flag: string, fallback: string): string => {
    const value = values[flag];
    return typeof value === "string" ? value : fallback;
  };
  const host = text("host", "127.0.0.1");
  if (host.trim() === "") throw new UsageError("--host must not be empty");
  const logLevel = text("log-level", "info");
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")}, not ${JSON.stringify(logLevel)}`);
  }
  const kernel = text("kernel", "auto");
  if (!(KERNEL_CHOICES as readonly string[]).includes(kernel)) {
    throw new UsageError(`--kernel must be one of ${KERNEL_CHOICES.join(", ")}, not ${JSON.stringify(kernel)}`);
  }
  return {
    port: integer("port", text("port", "5000"), 0, 65535),
    host,
    threads: integer("threads", text("threads", String(defaultThreads())), 1, MAX_THREADS),
    difficulty: integer("difficulty", text("difficulty", "16"), 1, MAX_DIFFICULTY),
    kernel: kernel as KernelChoice,
    logLevel: logLevel as LogLevel,
    help: values.help === true,
  };
}
