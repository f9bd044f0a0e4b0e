/**
 * The Dockerfile and compose.yaml cannot be built here (no Docker daemon), so
 * this checks what can be: the image's settings and command line are accepted
 * by the real CLI, the node they start listens on every interface and passes
 * the image's own HEALTHCHECK, and the compose network names every other node.
 */
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import t from "tap";
import { parse } from "yaml";
import { parseConfig } from "../src/config.js";
import { parsePeerAddress } from "../src/peers/index.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const dockerfile = readFileSync(join(root, "Dockerfile"), "utf8");
const runtime = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));

/** The runtime stage's ENV lines, continuation lines joined. */
function imageEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  const joined = runtime.replaceAll("\\\n", " ");
  for (const line of joined.split("\n").filter((l) => l.startsWith("ENV "))) {
    for (const [, key, value] of line.matchAll(/(\w+)=(\S+)/g)) env[key as string] = value as string;
  }
  return env;
}

function jsonInstruction(name: string): string[] {
  const line = runtime
    .replaceAll("\\\n", " ")
    .split("\n")
    .find((l) => l.trim().startsWith(name));
  const json = line?.slice(line.indexOf("["));
  if (!json) throw new Error(`no ${name} in the runtime stage`);
  return JSON.parse(json) as string[];
}

t.test("the image's settings are a valid configuration: all interfaces, port 5000, /data", async (t) => {
  const env = imageEnv();
  const config = parseConfig([], env);
  t.equal(config.host, "0.0.0.0");
  t.equal(config.port, 5000);
  t.equal(config.dataDir, "/data");
  t.same(jsonInstruction("ENTRYPOINT"), ["node", "dist/src/cli.js"]);
  t.match(runtime, /\nEXPOSE 5000\n/);
  t.match(runtime, /\nUSER node\n/, "runs as a non-root user");
  t.match(runtime, /\nVOLUME \/data\n/);
  t.equal(parseConfig(["--difficulty", "20"], env).difficulty, 20, "flags after the image name still apply");
});

t.test("the image's command line starts a node that passes the image's HEALTHCHECK", async (t) => {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
  const dataDir = mkdtempSync(join(tmpdir(), "toychain-docker-"));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = { PATH: process.env.PATH, ...imageEnv(), TOYCHAIN_PORT: String(port), TOYCHAIN_DATA_DIR: dataDir };
  const [node, script] = jsonInstruction("ENTRYPOINT");
  const child = spawn(node === "node" ? process.execPath : (node as string), [join(root, script as string)], {
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  t.teardown(() => {
    child.kill("SIGKILL");
  });
  const listening = await new Promise<{ url?: string }>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the node exited with code ${code}`)));
    createInterface({ input: child.stdout }).on("line", (line) => {
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg === "node listening") resolve(entry);
    });
  });
  t.equal(listening.url, `http://0.0.0.0:${port}`, "listens on every interface");
  const [command, ...args] = jsonInstruction("HEALTHCHECK");
  const code = await new Promise<number>((resolve) => {
    execFile(command === "node" ? process.execPath : (command as string), args, { env }, (error) =>
      resolve(error ? 1 : 0),
    );
  });
  t.equal(code, 0, "HEALTHCHECK passes against the running node");
  child.kill("SIGTERM");
  const [exitCode] = (await once(child, "exit")) as [number | null];
  t.equal(exitCode, 0, "docker stop (SIGTERM) ends the node cleanly");
});

t.test("compose starts three nodes that know each other", async (t) => {
  interface Service {
    ports: string[];
    environment: Record<string, string>;
  }
  const compose = parse(readFileSync(join(root, "compose.yaml"), "utf8")) as { services: Record<string, Service> };
  const names = Object.keys(compose.services);
  t.equal(names.length, 3);
  const hostPorts = new Set<string>();
  for (const [name, service] of Object.entries(compose.services)) {
    const config = parseConfig([], { ...imageEnv(), ...service.environment });
    const peers = config.peers.map((peer) => parsePeerAddress(peer).url);
    t.same(
      peers.sort(),
      names
        .filter((other) => other !== name)
        .map((other) => `http://${other}:5000`)
        .sort(),
      `${name} registers the other two`,
    );
    for (const mapping of service.ports) hostPorts.add(mapping.split(":")[0] as string);
  }
  t.equal(hostPorts.size, 3, "each node gets its own host port");
});
