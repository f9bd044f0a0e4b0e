import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * Real toychain node processes for tests: `node dist/src/cli.js --port 0 ...`,
 * started and stopped the way a user would, with their JSON log lines parsed.
 */

/** The compiled CLI, found from this file's own place in dist/test/helpers/. */
export const CLI = fileURLToPath(new URL("../../src/cli.js", import.meta.url));

/** One pino line of a node's stdout. */
export interface LogLine {
  level: number;
  time: number;
  msg: string;
  [field: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface NodeProcess {
  /** Where the API answers, as the node logged it: http://127.0.0.1:<port>. */
  url: string;
  port: number;
  /** The node id the node logged at start (32 hex digits). */
  nodeId: string;
  process: ChildProcess;
  /** Every JSON line the node has written to stdout so far, in order. */
  logs: LogLine[];
  /** Everything the node has written to stderr so far. */
  stderr(): string;
  /** Resolves with the first log line (already written or still to come) that matches. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** SIGTERM, then SIGKILL if the node has not exited after `killAfterMs`; resolves with the exit. */
  stop(killAfterMs?: number): Promise<Exit>;
}

/** What a test needs to clean up after itself (a tap Test has it). */
export interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface StartOptions {
  /** How long to wait for "node listening" (default 30 s: two test files share the two cores, and a loaded machine starts a node slowly). */
  timeoutMs?: number;
  /** Registers stop() on this test's teardown, so the node stops even when the test fails. */
  t?: Teardown;
  /** The node's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export interface CliOptions {
  /** The command's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /**
   * Runs it in a session of its own, with no controlling terminal, as a
   * script or a service would: a command that would ask on the terminal
   * (a wallet's passphrase) cannot ask whoever runs the tests.
   */
  noTerminal?: boolean;
}

const running = new Set<ChildProcess>();
// Last resort: never leave a node behind when the test process itself goes away.
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Spawns the CLI with `args` and no port handling: for --help, bad flags, and commands that end by themselves. */
export async function runCli(
  args: readonly string[],
  // A guard against a CLI that hangs, not a speed bound: a loaded machine may take seconds to start one.
  timeoutMs = 60_000,
  { env, noTerminal = false }: CliOptions = {},
): Promise<Exit & { stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    detached: noTerminal,
    ...(env === undefined ? {} : { env }),
  });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    // "close" rather than "exit": every byte of stdout and stderr has been read.
    const [code, signal] = (await new Promise((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (...exit) => resolve(exit));
    })) as [number | null, NodeJS.Signals | null];
    return { code, signal, stdout, stderr };
  } finally {
    clearTimeout(timer);
    running.delete(child);
  }
}

/**
 * Starts a node on a free port (`--port 0`) with the given extra flags (and
 * `--in-memory` unless they name a `--data-dir`) and resolves once it has
 * logged "node listening". Rejects, with its stderr, if it exits first or
 * does not listen within the timeout.
 */
export async function startNode(extraFlags: readonly string[] = [], options: StartOptions = {}): Promise<NodeProcess> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const flags = extraFlags.includes("--data-dir") ? extraFlags : ["--in-memory", ...extraFlags];
  const child = spawn(process.execPath, [CLI, "--port", "0", ...flags], {
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  running.add(child);
  // "close" rather than "exit": by then every byte of stdout and stderr has been read.
  const exit = new Promise<Exit>((resolve) => {
    child.once("close", (code: number | null, signal: NodeJS.Signals | null) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });

  const logs: LogLine[] = [];
  const waiters = new Set<{ match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();
  let stderr = "";
  let partial = "";
  child.once("error", (error) => {
    stderr += `(spawn failed: ${error.message})\n`;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const text of lines) {
      if (text.trim() === "") continue;
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        // Not a log line: keep it visible without breaking the parse of the others.
        line = { level: 0, time: Date.now(), msg: "(not JSON)", raw: text };
      }
      logs.push(line);
      for (const waiter of waiters) {
        if (waiter.match(line)) {
          waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
    }
  });

  const describe = () => `node ${CLI} ${["--port", "0", ...flags].join(" ")}`;

  const waitForLog = (match: (line: LogLine) => boolean, waitMs = 10_000): Promise<LogLine> => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      const waiter = {
        match,
        resolve: (line: LogLine) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`${describe()}: no matching log line within ${waitMs} ms; logs so far:\n${dump(logs)}`));
      }, waitMs);
      waiters.add(waiter);
    });
  };

  let stopping: Promise<Exit> | undefined;
  const stop = (killAfterMs = 5_000): Promise<Exit> => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
        try {
          return await exit;
        } finally {
          clearTimeout(timer);
        }
      }
      return exit;
    })();
    return stopping;
  };

  let listening: LogLine;
  try {
    listening = await new Promise<LogLine>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`${describe()} did not log "node listening" within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        match: (line: LogLine) => line.msg === "node listening",
        resolve: (line: LogLine) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      waiters.add(waiter);
      void exit.then(({ code, signal }) => {
        clearTimeout(timer);
        waiters.delete(waiter);
        reject(new Error(`${describe()} exited (code ${code}, signal ${signal}) before listening`));
      });
    });
  } catch (error) {
    await stop();
    (error as Error).message += `\nstderr:\n${stderr || "(empty)"}\nstdout:\n${dump(logs)}`;
    throw error;
  }

  const url = String(listening.url);
  const node: NodeProcess = {
    url,
    port: Number(new URL(url).port),
    nodeId: String(listening.nodeId),
    process: child,
    logs,
    stderr: () => stderr,
    waitForLog,
    stop,
  };
  options.t?.teardown(() => stop());
  return node;
}

function dump(logs: readonly LogLine[]): string {
  return logs.map((line) => JSON.stringify(line)).join("\n") || "(none)";
}

/** A JSON request to a node: its status, headers, parsed body and how long it took. */
export async function request<T = Record<string, unknown>>(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ status: number; headers: Headers; body: T; ms: number }> {
  const started = performance.now();
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: { ...(init.body === undefined ? {} : { "content-type": "application/json" }), ...init.headers },
    body: init.body === undefined ? null : JSON.stringify(init.body),
    // A node that stops answering fails the test with a message instead of hanging it.
    signal: AbortSignal.timeout(init.timeoutMs ?? 30_000),
  });
  const text = await response.text();
  const ms = performance.now() - started;
  let body: T;
  try {
    body = JSON.parse(text) as T;
  } catch {
    throw new Error(`${init.method ?? "GET"} ${url} answered ${response.status} with a body that is not JSON: ${text}`);
  }
  return { status: response.status, headers: response.headers, body, ms };
}
