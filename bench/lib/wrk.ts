import { execFile, spawnSync } from "node:child_process";
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

/**
 * Requests that differ by their bodies: each request sends the next of
 * `bodies`, in order, from the first (with one wrk thread, whichever
 * connection sends it), and after the last the first again. Built by Lua for
 * each request, where a WrkRequest is built once: compare runs of this form
 * with each other.
 */
export interface WrkRequests {
  method: string;
  contentType: string;
  /** One line each. */
  bodies: readonly string[];
}

/** A text in a Lua long bracket string, which takes it as it is. */
function luaString(text: string): string {
  if (text.includes("]==]")) throw new Error('wrk: a text holding "]==]" would end its Lua string');
  return `[==[${text}]==]`;
}

/** wrk's Lua script sending `request`; for a WrkRequests, its bodies are read from `bodiesFile`. */
function script(request: WrkRequest | WrkRequests, bodiesFile: string): string {
  const head = `wrk.method = ${JSON.stringify(request.method)}\nwrk.headers["Content-Type"] = ${JSON.stringify(request.contentType)}\n`;
  if ("body" in request) return `${head}wrk.body = ${luaString(request.body)}\n`;
  // wrk calls request() once before the run, in its first thread's Lua state, to check what it
  // builds, and sends that nowhere: that call is given the first body and not counted.
  return `${head}local bodies = {}
for line in io.lines(${luaString(bodiesFile)}) do bodies[#bodies + 1] = line end
local checked = false
local sent = 0
function request()
  if checked then sent = sent + 1 else checked = true end
  return wrk.format(nil, nil, nil, bodies[(math.max(sent, 1) - 1) % #bodies + 1])
end
`;
}

const MISSING = "wrk is not installed (apt-get install -y wrk)";

/** Why wrk cannot run here, or undefined: a bench that needs it asks before it starts anything. */
export function wrkMissing(): string | undefined {
  const { error } = spawnSync("wrk", ["--version"], { stdio: "ignore" });
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT" ? MISSING : undefined;
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
  request?: WrkRequest | WrkRequests,
): Promise<WrkResult | { missing: string }> {
  const args = [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, "--latency", url];
  let dir: string | undefined;
  if (request) {
    dir = mkdtempSync(join(tmpdir(), "toychain-wrk-"));
    const bodiesFile = join(dir, "bodies.txt");
    if ("bodies" in request) {
      // Each wrk thread has a Lua state of its own, which would send the same bodies.
      if (threads !== 1) throw new Error("wrk: a list of bodies is sent by one thread");
      if (request.bodies.some((body) => body.includes("\n"))) throw new Error("wrk: a body holds a line break");
      writeFileSync(bodiesFile, `${request.bodies.join("\n")}\n`);
    }
    writeFileSync(join(dir, "request.lua"), script(request, bodiesFile));
    args.push("-s", join(dir, "request.lua"));
  }
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)("wrk", args, { encoding: "utf8" }));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { missing: MISSING };
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
