import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/** What wrk reports of one run, latencies in ms. */
export interface WrkResult {
  /** Answered in the run. */
  requests: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
}

const UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function ms(text: string | undefined): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? "");
  if (!match) throw new Error(`wrk: unexpected latency ${text}`);
  return Number(match[1]) * (UNITS[match[2] as string] ?? Number.NaN);
}

/** A request other than GET, for every connection to send again and again. */
export interface WrkRequest {
  method: string;
  contentType: string;
  body: string;
}

/** wrk's Lua script sending `request`; the body in a long bracket string, which takes it as it is. */
function script({ method, contentType, body }: WrkRequest): string {
  if (body.includes("]==]")) throw new Error('wrk: a body holding "]==]" would end its Lua string');
  return `wrk.method = ${JSON.stringify(method)}\nwrk.headers["Content-Type"] = ${JSON.stringify(contentType)}\nwrk.body = [==[${body}]==]\n`;
}

/**
 * Runs Debian's wrk (`wrk -t<threads> -c<connections> -d<seconds>s --latency url`),
 * sending `request` when given (GET otherwise), and reads its figures;
 * `{ missing }` when wrk is not installed.
 */
export async function runWrk(
  url: string,
  threads: number,
  connections: number,
  seconds: number,
  request?: WrkRequest,
): Promise<WrkResult | { missing: string }> {
  const args = [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, "--latency", url];
  let dir: string | undefined;
  if (request) {
    dir = mkdtempSync(join(tmpdir(), "toychain-wrk-"));
    writeFileSync(join(dir, "request.lua"), script(request));
    args.push("-s", join(dir, "request.lua"));
  }
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)("wrk", args, { encoding: "utf8" }));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { missing: "wrk is not installed (apt-get install -y wrk)" };
    throw error;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  const quantile = (q: string) => ms(new RegExp(`^\\s+${q}%\\s+(\\S+)`, "m").exec(stdout)?.[1]);
  const latency = /^\s+Latency\s+\S+\s+\S+\s+(\S+)/m.exec(stdout);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  return {
    requests: Number(/^\s*(\d+) requests in/m.exec(stdout)?.[1]),
    requestsPerSecond: Number(/^Requests\/sec:\s+([\d.]+)/m.exec(stdout)?.[1]),
    p50: quantile("50"),
    p99: quantile("99"),
    max: ms(latency?.[1]),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0),
    errors: errors ? errors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}
