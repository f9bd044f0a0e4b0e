import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** A server in a child process, and the URL it listens on. */
export interface ServerProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const CLI = fileURLToPath(new URL("../../src/cli.js", import.meta.url));
const BARE = fileURLToPath(new URL("./bare-server.js", import.meta.url));

/**
 * Starts `node script args` and waits for the first stdout line that `urlOf`
 * recognises; every later line goes to `onLine`, or is drained unread.
 */
async function startServer(
  script: string,
  args: string[],
  urlOf: (line: string) => string | undefined,
  onLine?: (line: string) => void,
) {
  const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const stdout = child.stdout as NodeJS.ReadableStream;
  const lines = createInterface({ input: stdout });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${script} exited with code ${code} before listening`)));
    lines.on("line", (line) => {
      const found = urlOf(line);
      if (found) resolve(found);
    });
  });
  if (onLine === undefined) {
    lines.close();
    stdout.resume();
  } else {
    lines.removeAllListeners("line");
    lines.on("line", onLine);
  }
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

/**
 * A toychain node on a free port (unless the flags give one) with its store
 * in `dataDir`, or in a fresh temporary directory removed when it stops
 * (durable writes, as in production); once it listens, its log lines go to
 * `onLog`, parsed, or are drained unread.
 */
export function startToychain(
  flags: string[],
  dataDir?: string,
  onLog?: (entry: Record<string, unknown>) => void,
): Promise<ServerProcess> {
  return startToychainFrom(CLI, flags, dataDir, onLog);
}

/** startToychain with the CLI at `cli`: another build's `dist/src/cli.js` (see commit-build.ts). */
export async function startToychainFrom(
  cli: string,
  flags: string[],
  dataDir?: string,
  onLog?: (entry: Record<string, unknown>) => void,
): Promise<ServerProcess> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), "toychain-bench-"));
  const node = await startServer(
    cli,
    ["--port", "0", "--data-dir", dir, ...flags],
    (line) => {
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      return entry.msg === "node listening" ? entry.url : undefined;
    },
    onLog && ((line) => onLog(JSON.parse(line) as Record<string, unknown>)),
  );
  return {
    ...node,
    async stop() {
      await node.stop();
      if (dataDir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function startBareServer(): Promise<ServerProcess> {
  return startServer(BARE, [], (line) => (line.startsWith("http://") ? line : undefined));
}
