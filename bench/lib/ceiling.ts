import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The hardware ceiling tools beside the repository, in ../shared/bench/. */
const TOOLS = {
  /** OpenSSL's SHA256_Transform, one block after another: one stream. */
  "sha256-limit": { source: "sha256-limit.c", flags: ["-O2"] },
  /** Several nonces in flight (SHA-NI streams, AVX-512 lanes): the physical limit. Its header says -march=native. */
  "sha256-lanes": { source: "sha256-lanes.c", flags: ["-O3", "-march=native"] },
} as const;
export type CeilingTool = keyof typeof TOOLS;

/** Builds a ceiling tool with the C compiler, or says why it cannot. */
export function buildCeiling(tool: CeilingTool): { binary: string } | { missing: string } {
  const { source, flags } = TOOLS[tool];
  const path = fileURLToPath(new URL(`../../../../shared/bench/${source}`, import.meta.url));
  if (!existsSync(path)) return { missing: `${path} is not there` };
  const binary = join(mkdtempSync(join(tmpdir(), "toychain-bench-")), tool);
  try {
    execFileSync("cc", [...flags, "-pthread", path, "-lcrypto", "-o", binary], { stdio: "pipe" });
    return { binary };
  } catch (error) {
    return { missing: `cc could not build ${tool} (${(error as Error).message.split("\n")[0]})` };
  }
}

/**
 * Runs a tool at the mining threads' priority (SCHED_IDLE, through util-linux's
 * chrt when it is there), so that on a machine that other work shares, the
 * tools and the pool lose the CPU alike; on an idle machine it changes nothing.
 */
function runTool(binary: string, threads: number, seconds: number): string {
  const args = [String(threads), String(seconds)];
  try {
    return execFileSync("chrt", ["--idle", "0", binary, ...args], { encoding: "utf8" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    return execFileSync(binary, args, { encoding: "utf8" });
  }
}

/** sha256-limit's total rate, in compressions per second, at `threads` threads. */
export function measureCeiling(binary: string, threads: number, seconds: number): number {
  const output = runTool(binary, threads, seconds);
  const match = /total \d+ threads: ([\d.]+) M/.exec(output);
  if (!match) throw new Error(`unexpected sha256-limit output: ${output}`);
  return Number(match[1]) * 1e6;
}

/** sha256-lanes at `threads` threads: every kernel's rate and the best one's, in compressions per second. */
export function measureLanes(
  binary: string,
  threads: number,
  seconds: number,
): { rates: Record<string, number>; best: { name: string; rate: number } } {
  const output = runTool(binary, threads, seconds);
  const rates: Record<string, number> = {};
  for (const [, name, rate] of output.matchAll(/^(\S+) \d+ threads: ([\d.]+) M/gm)) {
    rates[name as string] = Number(rate) * 1e6;
  }
  const best = /^best (\S+): ([\d.]+) M/m.exec(output);
  if (!best) throw new Error(`unexpected sha256-lanes output: ${output}`);
  return { rates, best: { name: best[1] as string, rate: Number(best[2]) * 1e6 } };
}
