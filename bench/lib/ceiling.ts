import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The hardware ceiling tool beside the repository: ../shared/bench/sha256-limit.c. */
const SOURCE = fileURLToPath(new URL("../../../../shared/bench/sha256-limit.c", import.meta.url));

/** Builds sha256-limit with the C compiler, or says why it cannot. */
export function buildCeiling(): { binary: string } | { missing: string } {
  if (!existsSync(SOURCE)) return { missing: `${SOURCE} is not there` };
  const binary = join(mkdtempSync(join(tmpdir(), "toychain-bench-")), "sha256-limit");
  try {
    execFileSync("cc", ["-O2", "-pthread", SOURCE, "-lcrypto", "-o", binary], { stdio: "pipe" });
    return { binary };
  } catch (error) {
    return { missing: `cc could not build sha256-limit (${(error as Error).message.split("\n")[0]})` };
  }
}

/** sha256-limit's total rate, in compressions per second, at `threads` threads. */
export function measureCeiling(binary: string, threads: number, seconds: number): number {
  const output = execFileSync(binary, [String(threads), String(seconds)], { encoding: "utf8" });
  const match = /total \d+ threads: ([\d.]+) M/.exec(output);
  if (!match) throw new Error(`unexpected sha256-limit output: ${output}`);
  return Number(match[1]) * 1e6;
}
