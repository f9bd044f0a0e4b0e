import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * podman, podman-compose and the stand-in script for the container test, run
 * with this machine's settings: runc and ulimits from containers.conf, and
 * the Docker image format, which keeps HEALTHCHECK (the OCI format drops it).
 */

/** The repository, found from this file's place in dist/test/container/. */
export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const STAND_INS = join(ROOT, "test/container/stand-ins.sh");
const ENV = { ...process.env, CONTAINERS_CONF: join(ROOT, "test/container/containers.conf"), BUILDAH_FORMAT: "docker" };

const started = performance.now();
const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(1)} s`;

/** A progress line on stderr, so that a failed run says which step it was in. */
export function log(message: string): void {
  process.stderr.write(`container test [${elapsed()}]: ${message}\n`);
}

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs?: number;
  /** Copies the command's stderr lines to ours as they come (for long steps that log their progress). */
  echo?: boolean;
}

/** Runs `command args` in the repository with the podman settings; never rejects on a non-zero exit. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: ENV, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      if (options.echo) process.stderr.write(chunk);
    });
    const timeoutMs = options.timeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${timeoutMs / 1000} s)`;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.once("error", reject);
    child.once("close", (code: number | null) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The last lines of a command's output, for an error message. */
const tail = (text: string, lines = 40): string => text.trimEnd().split("\n").slice(-lines).join("\n");

/** Runs `command args` and resolves with its trimmed stdout; rejects with its output's tail on a non-zero exit. */
export async function must(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const ran = await run(command, args, options);
  if (ran.code !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited with ${ran.code}:\n${tail(`${ran.stdout}\n${ran.stderr}`)}`);
  }
  return ran.stdout.trim();
}

export const podman = (args: readonly string[], options?: RunOptions): Promise<string> => must("podman", args, options);

/** A tool the container test needs, as test/container/tools.tsv lists it (.ci/run installs from the same list). */
interface Tool {
  tool: string;
  debianPackage: string;
}

function neededTools(): Tool[] {
  return readFileSync(join(ROOT, "test/container/tools.tsv"), "utf8")
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [tool = "", debianPackage = ""] = line.split("\t");
      return { tool, debianPackage };
    });
}

const present = ({ tool }: Tool): boolean =>
  tool.startsWith("/")
    ? spawnSync("test", ["-x", tool]).status === 0
    : spawnSync("sh", ["-c", `PATH="$PATH:/usr/sbin:/sbin" command -v ${tool}`]).status === 0;

/** Why the container test cannot run on this machine, or undefined when it can. */
export function unavailable(): string | undefined {
  if (process.platform !== "linux") return `podman containers need Linux, not ${process.platform}`;
  if (process.getuid?.() !== 0) return "it runs as root (debootstrap makes the base image; rootful podman networks)";
  const missing = neededTools().filter((tool) => !present(tool));
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((tool) => tool.debianPackage))].join(" ");
    return `${missing.map((tool) => tool.tool).join(", ")} not installed (apt-get install -y ${packages}, as .ci/run does)`;
  }
  return undefined;
}

/** Whether something already listens on `port` on the host's every interface. */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(true));
    probe.listen(port, "0.0.0.0", () => probe.close(() => resolve(false)));
  });
}

/** Polls `url` until it answers 200, or rejects after `timeoutMs` with the last failure. */
export async function waitForAnswer(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.ok) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000} s (${last})`);
}
