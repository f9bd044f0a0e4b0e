import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import t, { type Test } from "tap";

/**
 * The README's opening commands, run as a newcomer runs them: in a fresh
 * clone, `npm ci && npm start` in one terminal, then `npx toychain --port N`
 * in a second. npx reaches the project through a link to the folder, and npm
 * runs the package's prepare and install scripts again on the way (install
 * is node-gyp configure build), under the first node's feet. Then every file that
 * /docs and /redoc load must answer 200 on both nodes, and Swagger UI must
 * render in chromium. Last, a node whose generated files are missing must say
 * so at start and answer 503 for them, never 500.
 *
 * The clone holds the files `git clone` would give, as they are in the working
 * tree, so that what is about to be committed is what is tested. The first
 * node runs the README's exact command, its port set by TOYCHAIN_PORT (the
 * README's 5000 may be taken on a shared machine); the second runs the
 * README's command with a free port in place of its number. Both run in an
 * environment without what npm and tap add to this one, as in a new terminal.
 */

const CHROMIUM = "/usr/bin/chromium";
const NO_CHROMIUM =
  `${CHROMIUM} is missing: the browser check needs Debian's chromium ` +
  "(apt-get install -y chromium, as .ci/run does); playwright-core never downloads a browser";

// npm ci in the clone takes about 40 s with a warm npm cache, npx's scripts 20 s more; a busy machine, twice that.
t.setTimeout(600_000);

/** From dist/test/ to the repository. */
const root = fileURLToPath(new URL("../../", import.meta.url));
const readme = readFileSync(join(root, "README.md"), "utf8");

/** The first command of the README's first ```sh block, without its comment. */
const firstCommand = (/```sh\n([^\n]*)/.exec(readme)?.[1] ?? "").replace(/\s+#.*$/, "").trim();
/** The README's way to start another node: `npx toychain --port <n>`. */
const [, npxCommand = "", npxPort = ""] = /`(npx toychain --port (\d+))`/.exec(readme) ?? [];

/** A new terminal's environment: none of the npm_*, tap, NODE_OPTIONS or TOYCHAIN_* variables of this run. */
function terminalEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|toychain_|tap_|_tapjs)|^(tap|node_options|node_v8_coverage|init_cwd)$/i.test(key)) env[key] = value;
  }
  // npm run puts each project's node_modules/.bin and its node-gyp shim first on the PATH.
  env.PATH = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((dir) => !dir.includes(`node_modules${sep}.bin`) && !dir.includes("node-gyp-bin"))
    .join(delimiter);
  return { ...env, ...extra };
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });

/** The files a clone checks out (tracked or new, not ignored), copied from the working tree into `to`. */
function cloneWorkingTree(to: string): void {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    encoding: "utf8",
  });
  for (const file of files.split("\0")) {
    if (file === "" || !existsSync(join(root, file))) continue;
    mkdirSync(dirname(join(to, file)), { recursive: true });
    copyFileSync(join(root, file), join(to, file));
  }
}

/** One JSON log line of a node. */
interface LogLine {
  level: number;
  msg: string;
  url?: string;
  status?: number;
}

/** A command running in the clone, in its own process group, with what it printed. */
interface Terminal {
  logs: LogLine[];
  output(): string;
  /** Resolves with the URL the node logged once listening; rejects if the command ends first. */
  listening: Promise<string>;
  exited: Promise<number | null>;
  /** SIGTERM to the whole group (sh, npm, node), SIGKILL after 10 s. */
  stop(): Promise<void>;
}

const groups = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of groups) killGroup(child, "SIGKILL");
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Runs `file` in `cwd`; `listening` rejects after `timeoutMs` without a node. */
function run(cwd: string, file: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 20_000): Terminal {
  // tap's process-info hook puts these back into every child's environment: env(1) takes them out again.
  const hooked = ["NODE_OPTIONS", ...Object.keys(process.env).filter((key) => key.startsWith("_TAPJS_"))];
  const child = spawn("env", [...hooked.flatMap((key) => ["-u", key]), file, ...args], {
    cwd,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  groups.add(child);
  const logs: LogLine[] = [];
  let output = "";
  let partial = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines.filter((l) => l.startsWith("{"))) logs.push(JSON.parse(line) as LogLine);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once("close", (code: number | null) => {
      groups.delete(child);
      resolve(code);
    });
  });
  const started = Date.now();
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const line = logs.find((l) => l.msg === "node listening");
      if (line?.url !== undefined) {
        clearInterval(timer);
        resolve(line.url);
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(timer);
        reject(new Error(`${file} ${args.join(" ")}: no node listening after ${timeoutMs} ms:\n${output}`));
      }
    }, 100);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`${file} ${args.join(" ")} ended (code ${code}) before a node listened:\n${output}`));
    });
  });
  listening.catch(() => undefined);
  return {
    logs,
    output: () => output,
    listening,
    exited,
    async stop() {
      if (!groups.has(child)) return;
      killGroup(child, "SIGTERM");
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The same-origin files a page loads: every src and href of its HTML. */
async function pageAssets(t: Test, url: string, accept = "*/*"): Promise<string[]> {
  const page = await fetch(url, { headers: { accept } });
  t.equal(page.status, 200, `${url} answers 200`);
  const html = await page.text();
  return [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map(([, ref]) => new URL(ref ?? "", url).href);
}

/** Removes the npx cache entry that links to `clone`, made by its first npx run. */
function forgetNpxLink(clone: string): void {
  const cache = execFileSync("npm", ["config", "get", "cache"], { cwd: clone, env: terminalEnv(), encoding: "utf8" });
  const npx = join(cache.trim(), "_npx");
  if (!existsSync(npx)) return;
  for (const entry of readdirSync(npx)) {
    const manifest = join(npx, entry, "package.json");
    if (!existsSync(manifest)) continue;
    const { _npx } = JSON.parse(readFileSync(manifest, "utf8")) as { _npx?: { packages?: string[] } };
    if (_npx?.packages?.includes(clone)) rmSync(join(npx, entry), { recursive: true, force: true });
  }
}

const clone = mkdtempSync(join(tmpdir(), "toychain-readme-"));
t.teardown(() => {
  forgetNpxLink(clone);
  rmSync(clone, { recursive: true, force: true });
});
cloneWorkingTree(clone);

t.test("the README's commands, in a fresh clone: both nodes serve every file of their pages", async (t) => {
  t.equal(firstCommand, "npm ci && npm start", "the README opens with npm ci && npm start");
  t.equal(npxCommand, `npx toychain --port ${npxPort}`, "and starts another node with npx toychain --port");

  const firstPort = await freePort();
  const first = run(clone, "sh", ["-c", firstCommand], terminalEnv({ TOYCHAIN_PORT: String(firstPort) }), 400_000);
  t.teardown(() => first.stop());
  const firstUrl = await first.listening;
  t.equal(firstUrl, `http://127.0.0.1:${firstPort}`, `${firstCommand}: a node listens`);
  // npx sets the bin's mode when it links the clone, but not when it finds the link of an
  // earlier clone at the same path in its cache: then only the build's mode counts.
  t.ok(statSync(join(clone, "dist/src/cli.js")).mode & 0o111, "the build leaves the bin executable");

  const secondPort = await freePort();
  const command = npxCommand.replace(new RegExp(`${npxPort}$`), String(secondPort));
  const second = run(clone, "sh", ["-c", command], terminalEnv(), 200_000);
  t.teardown(() => second.stop());
  const secondUrl = await second.listening;
  t.equal(secondUrl, `http://127.0.0.1:${secondPort}`, `${command}: a second node listens`);

  for (const url of [firstUrl, secondUrl]) {
    for (const [path, accept] of [
      ["/docs", "*/*"],
      ["/redoc", "*/*"],
      ["/", "text/html"],
    ]) {
      // The explorer's links to the other pages and its data: icon aside, its own files.
      const assets = (await pageAssets(t, `${url}${path}`, accept)).filter(
        (asset) => path !== "/" || asset.startsWith(`${url}/explorer/`),
      );
      t.ok(assets.length >= 3, `${path} loads its scripts, styles and icons`, { assets });
      for (const asset of assets) {
        t.ok(asset.startsWith(`${url}/`), `${asset} is the node's own`);
        const answer = await fetch(asset);
        const body = await answer.arrayBuffer();
        t.equal(answer.status, 200, `${asset} answers 200`);
        t.ok(body.byteLength > 0, `${asset} is not empty`);
      }
    }
  }
  const errors = [first, second].flatMap((node) => node.logs.filter((line) => line.level >= 50));
  t.strictSame(errors, [], "neither node logged an error");

  await t.test(
    "Swagger UI renders in chromium on both nodes",
    { skip: existsSync(CHROMIUM) ? false : NO_CHROMIUM },
    async (t) => {
      const profile = mkdtempSync(join(tmpdir(), "toychain-readme-chromium-"));
      t.teardown(() => rmSync(profile, { recursive: true, force: true }));
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
      t.teardown(() => context.close());
      const failed: string[] = [];
      context.on("response", (response) => {
        if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
      });
      context.on("requestfailed", (request) => failed.push(`${request.failure()?.errorText} ${request.url()}`));
      for (const url of [firstUrl, secondUrl]) {
        const operations = Object.values(
          ((await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, object> }).paths,
        ).flatMap((item) => Object.keys(item)).length;
        const page = await context.newPage();
        page.setDefaultTimeout(20_000);
        await page.goto(`${url}/docs`);
        await page.locator('.opblock-summary-path[data-path="/chain"]').waitFor({ state: "visible" });
        t.equal(await page.locator(".opblock").count(), operations, `${url}/docs lists every operation`);
        await page.close();
      }
      t.strictSame(failed, [], "nothing failed to load");
    },
  );
});

t.test("a node whose generated files are missing says so at start, and answers 503 for them", async (t) => {
  // Where the README says the build puts them.
  const docs = join(clone, "dist", "assets", "docs");
  const bundle = join(docs, "swagger-ui-bundle.js");
  const wasm = join(clone, "dist", "assets", "portable.wasm");
  for (const file of [bundle, wasm]) {
    t.ok(existsSync(file), `the build made ${file}`);
    rmSync(file, { force: true });
  }
  const cli = ["dist/src/cli.js", "--port", "0", "--in-memory"];

  const node = run(clone, process.execPath, cli, terminalEnv());
  t.teardown(() => node.stop());
  const url = await node.listening;
  const warnings = node.logs.filter((line) => line.level === 40).map((line) => line.msg);
  for (const file of [bundle, wasm]) {
    t.ok(
      warnings.some((msg) => msg.includes(file) && msg.includes("npm run build")),
      `a warning at start names ${file} and npm run build`,
      { warnings },
    );
  }

  // Deleted once the node runs, a file it read at start is still served.
  rmSync(join(docs, "redoc.standalone.js"), { force: true });
  for (const [path, status] of [
    ["/docs", 503],
    ["/docs/assets/swagger-ui-bundle.js", 503],
    ["/docs/assets/swagger-ui.css", 200],
    ["/redoc", 200],
    ["/docs/assets/redoc.standalone.js", 200],
  ] as const) {
    const answer = await fetch(`${url}${path}`);
    t.equal(answer.status, status, `${path} answers ${status}`);
    if (status !== 503) continue;
    t.match(answer.headers.get("content-type"), /^application\/json/, `${path}: a JSON answer`);
    const { message } = (await answer.json()) as { message: string };
    t.match(message, /swagger-ui-bundle\.js.*npm run build/, `${path}: the message names the file and the command`);
  }
  t.notOk(
    node.logs.some((line) => line.status === 500),
    "no request answered 500",
  );

  const portable = run(clone, process.execPath, [...cli, "--kernel", "portable"], terminalEnv());
  t.equal(await portable.exited, 1, "--kernel portable without its module: the node refuses to start");
  t.match(portable.output(), wasm, "naming the missing file");
  t.match(portable.output(), "npm run build", "and the command that makes it");
});
