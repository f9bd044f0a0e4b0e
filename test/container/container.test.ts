import t, { type Test } from "tap";
import { NATIVE_VARIANTS } from "../../workers/kernel/index.js";
import {
  type ChainBody,
  chainProblem,
  type RegisterBody,
  type ResolveBody,
  reward,
  type Tx,
} from "../helpers/chain-check.js";
import { request } from "../helpers/node-process.js";
import { log, must, podman, portInUse, run, STAND_INS, unavailable, waitForAnswer } from "./podman.js";

/**
 * The image as a user runs it, with podman: stand-ins for the Dockerfile's
 * base images (no registry is reachable here), `podman build -t toychain .`,
 * the seed's two `podman run --init --rm -dp 500x:5000 toychain` and the
 * walkthrough between them by container address, the image's HEALTHCHECK,
 * its /docs assets, its user and its volume, then compose.yaml's three nodes
 * under podman-compose. `npm run test:container`; skips, saying why, where
 * podman cannot run, except on CI, where it fails instead.
 */

const IMAGE = "toychain";
const PORTS = [5000, 5001, 5002] as const;
const COMPOSE_PROJECT = "toychain-test";
const COMPOSE_SERVICES = ["node1", "node2", "node3"] as const;
const host = (port: number) => `http://127.0.0.1:${port}`;

interface Stats {
  node_id: string;
  chain_length: number;
  chain: { name: string; ledger: string; reward_address: string | null };
  mining: "continuous" | "on request";
  difficulty: number;
  kernel: string;
  peers: string[];
}
interface Mined {
  message: string;
  index: number;
  transactions: Tx[];
}
interface ImageInfo {
  Size: number;
  User: string;
  Config: { ExposedPorts?: Record<string, unknown>; Volumes?: Record<string, unknown> };
  Healthcheck?: { Test: string[]; Interval: number; Timeout: number; StartPeriod: number; Retries: number };
}
interface Mount {
  Type: string;
  Name: string;
  Destination: string;
}

const stats = async (port: number) => (await request<Stats>(`${host(port)}/stats`)).body;
const chainOf = async (port: number) => (await request<ChainBody>(`${host(port)}/chain`)).body.chain;
const volumeNames = async () => (await podman(["volume", "ls", "--quiet"])).split("\n").filter((name) => name !== "");

async function mine(t: Test, port: number, index: number): Promise<Mined> {
  const res = await request<Mined>(`${host(port)}/mine`);
  t.equal(res.status, 200, `GET /mine on :${port}`);
  t.equal(res.body.message, "New Block Forged");
  t.equal(res.body.index, index, `block ${index}`);
  return res.body;
}

/** Every container and compose project started here goes away at the end, passed or failed. */
const containers = new Set<string>();
let composeUp = false;
t.teardown(async () => {
  for (const id of containers) await run("podman", ["rm", "--force", "--volumes", "--time", "2", id]);
  if (composeUp) {
    await run("podman-compose", ["-p", COMPOSE_PROJECT, "down", "-v"], { timeoutMs: 120_000 });
    await run("podman", ["network", "rm", `${COMPOSE_PROJECT}_default`]);
    await run("podman", ["rmi", ...COMPOSE_SERVICES.map((service) => `${COMPOSE_PROJECT}_${service}`)]);
  }
});

let blocked: string | undefined;
/**
 * One step of the test, logged with its time. A failed `gate` step skips the
 * steps after it (they need its containers), naming it.
 */
async function step(name: string, fn: (t: Test) => Promise<void>, gate = false): Promise<void> {
  if (blocked !== undefined) {
    await t.test(name, { skip: `"${blocked}" failed` }, async () => {});
    return;
  }
  log(`${name}...`);
  const began = performance.now();
  let passed = false;
  await t.test(name, async (t) => {
    await fn(t);
    passed = t.passing();
  });
  log(`${name}: ${passed ? "ok" : "FAILED"} (${((performance.now() - began) / 1000).toFixed(1)} s)`);
  if (!passed && gate) blocked = name;
}

async function main(): Promise<void> {
  // A run that was killed before its teardown leaves its compose project up; it is this test's own.
  const leftover = await podman([
    "ps",
    "--all",
    "--quiet",
    "--filter",
    `label=io.podman.compose.project=${COMPOSE_PROJECT}`,
  ]);
  if (leftover !== "") {
    log(`removing the ${COMPOSE_PROJECT} compose project an earlier run left`);
    await run("podman-compose", ["-p", COMPOSE_PROJECT, "down", "-v"], { timeoutMs: 120_000 });
  }
  await step(
    `host ports ${PORTS.join(", ")} are free for the seed's and compose.yaml's port mappings`,
    async (t) => {
      for (const port of PORTS) {
        t.notOk(
          await portInUse(port),
          `port ${port} is free (\`podman ps\` and \`ss -ltnp sport = :${port}\` show who holds it)`,
        );
      }
    },
    true,
  );

  await step(
    "stand-ins for docker.io/library/node:20-bookworm and :20-bookworm-slim",
    async (t) => {
      await must("bash", [STAND_INS], { timeoutMs: 600_000, echo: true });
      for (const [tag, user] of [
        ["docker.io/library/node:20-bookworm-slim", "node"],
        ["docker.io/library/node:20-bookworm", "node"],
      ] as const) {
        const out = await podman(["run", "--rm", tag, "sh", "-c", "node --version; npm --version; id -u node"]);
        const [node, npm, uid] = out.split("\n");
        t.match(node, /^v20\./, `${tag} runs Node 20`);
        t.match(npm, /^10\./, `${tag} runs npm 10`);
        t.equal(uid, "1000", `${tag} has the user ${user} with uid 1000`);
      }
      const tools = await podman([
        "run",
        "--rm",
        "docker.io/library/node:20-bookworm",
        "sh",
        "-c",
        "for tool in python3 make g++; do command -v $tool; done; ls /usr/local/include/node/node_api.h",
      ]);
      t.same(
        tools.split("\n").map((path) => path.slice(path.lastIndexOf("/") + 1)),
        ["python3", "make", "g++", "node_api.h"],
        "the builder has python3, make, g++ and Node's headers",
      );
    },
    true,
  );

  await step(
    "podman build -t toychain . builds the Dockerfile",
    async (t) => {
      await podman(["build", "-t", IMAGE, "."], { timeoutMs: 900_000 });
      const [image] = JSON.parse(await podman(["image", "inspect", IMAGE])) as ImageInfo[];
      if (image === undefined) throw new Error(`podman image inspect ${IMAGE} found nothing`);
      log(`image ${IMAGE}: ${(image.Size / 1e6).toFixed(0)} MB`);
      t.equal(image.User, "node", "the image runs as node");
      t.ok(image.Config.ExposedPorts?.["5000/tcp"], "EXPOSE 5000");
      t.ok(image.Config.Volumes?.["/data"], "VOLUME /data");
      t.equal(image.Healthcheck?.Test[0], "CMD", "the image keeps its HEALTHCHECK (Docker format)");
      t.ok(image.Size < 400e6, `the image is ${(image.Size / 1e6).toFixed(0)} MB, under 400 MB`);
    },
    true,
  );

  let first = "";
  let second = "";
  const address: Record<string, string> = {};
  let volumesBefore: string[] = [];
  await step(
    "the seed's podman run --init --rm -dp 5000:5000 toychain and -dp 5001:5000",
    async (t) => {
      volumesBefore = await volumeNames();
      first = await podman(["run", "--init", "--rm", "-dp", "5000:5000", IMAGE]);
      containers.add(first);
      second = await podman(["run", "--init", "--rm", "-dp", "5001:5000", IMAGE]);
      containers.add(second);
      await Promise.all([waitForAnswer(`${host(5000)}/stats`), waitForAnswer(`${host(5001)}/stats`)]);
      for (const id of [first, second]) {
        address[id] = await podman(["inspect", "--format", "{{.NetworkSettings.IPAddress}}", id]);
        t.match(address[id], /^\d+\.\d+\.\d+\.\d+$/, `container ${id.slice(0, 12)} has the address ${address[id]}`);
      }
      const [a, b] = await Promise.all([stats(5000), stats(5001)]);
      t.ok(
        (NATIVE_VARIANTS as readonly string[]).includes(a.kernel),
        `the image mines with a native kernel built in the builder (${a.kernel})`,
      );
      t.equal(a.chain_length, 1, "a new container starts from the genesis block");
      t.not(a.node_id, b.node_id, "the two containers are two nodes");
    },
    true,
  );

  await step("the walkthrough between the two containers, registered by container address", async (t) => {
    const nodes = [
      { port: 5000, other: `${address[second]}:5000`, id: (await stats(5000)).node_id },
      { port: 5001, other: `${address[first]}:5000`, id: (await stats(5001)).node_id },
    ] as const;
    for (const { port, other } of nodes) {
      const res = await request<RegisterBody>(`${host(port)}/nodes/register`, {
        body: { nodes: [`http://${other}`] },
      });
      t.equal(res.status, 200, `register ${other} on :${port}`);
      t.same(res.body, { message: "1 new nodes have been successfully added", total_nodes: [other] });
    }
    const lea: Tx[] = [
      { sender: "Lea", recipient: "Mark", amount: 10 },
      { sender: "Lea", recipient: "Mark", amount: 5 },
    ];
    for (const { port, id } of nodes) {
      for (const tx of lea) {
        const res = await request(`${host(port)}/transactions/new`, { body: tx });
        t.equal(res.status, 200, `POST /transactions/new on :${port}`);
        t.same(res.body, {
          message: "Transaction added to the list of current transactions and will be mined into the block at index 2",
        });
      }
      const block = await mine(t, port, 2);
      t.same(block.transactions, [...lea, reward(id)], "Lea's two transactions, then the reward");
    }
    await mine(t, 5001, 3);
    const longer = await chainOf(5001);
    const { difficulty } = await stats(5001);
    t.equal(chainProblem(longer, difficulty), null, "the second container's chain links and proves");
    const resolved = await request<ResolveBody>(`${host(5000)}/nodes/resolve`);
    t.equal(resolved.status, 200);
    t.equal(resolved.body.message, "Our chain was replaced");
    t.equal(resolved.body.new_chain?.length, 3, "new_chain has 3 blocks");
    t.same(resolved.body.new_chain, longer, "the first container adopts the second's chain");
    t.match(resolved.body.peers, [{ node: nodes[0].other, reached: true, verdict: "adopted", length: 3 }]);
    t.same(await chainOf(5000), longer, "and serves it");
  });

  await step("the image's HEALTHCHECK: healthy on a running node, unhealthy without one", async (t) => {
    const healthy = await run("podman", ["healthcheck", "run", first]);
    t.equal(healthy.code, 0, `podman healthcheck run passes: ${healthy.stdout.trim()} ${healthy.stderr.trim()}`);
    t.equal(await podman(["inspect", "--format", "{{.State.Health.Status}}", first]), "healthy");
    // The same image with no node in it: the check must fail, so it checks something.
    const idle = await podman(["run", "--init", "--rm", "-d", "--entrypoint", "sleep", IMAGE, "120"]);
    containers.add(idle);
    const unhealthy = await run("podman", ["healthcheck", "run", idle]);
    t.equal(unhealthy.code, 1, "the check fails when nothing answers on /stats");
    await podman(["rm", "--force", "--volumes", "--time", "0", idle]);
    containers.delete(idle);
  });

  await step("every asset that /docs and /redoc reference answers from the container", async (t) => {
    for (const page of ["/docs", "/redoc"]) {
      const response = await fetch(`${host(5000)}${page}`, { signal: AbortSignal.timeout(10_000) });
      t.equal(response.status, 200, `GET ${page}`);
      t.match(response.headers.get("content-type"), /^text\/html/);
      const html = await response.text();
      const assets = [...new Set([...html.matchAll(/(?:src|href|spec-url)="(\/[^"]+)"/g)].map(([, path]) => path))];
      t.ok(assets.length >= 2, `${page} references its assets: ${assets.join(", ")}`);
      for (const asset of assets) {
        const res = await fetch(`${host(5000)}${asset}`, { signal: AbortSignal.timeout(10_000) });
        const body = await res.arrayBuffer();
        t.equal(res.status, 200, `${page} → ${asset} answers 200`);
        t.ok(body.byteLength > 0, `${asset} is not empty (${body.byteLength} bytes)`);
      }
    }
  });

  await step("the node runs as the non-root user node", async (t) => {
    const processes = (await podman(["top", first, "user", "args"])).split("\n").slice(1);
    t.ok(processes.length >= 2, `the init process and the node: ${processes.join(" | ")}`);
    for (const line of processes) t.match(line, /^node\s/, `runs as node: ${line}`);
    t.equal(await podman(["exec", first, "id", "-u"]), "1000");
    const write = await run("podman", ["exec", first, "touch", "/app/package.json"]);
    t.not(write.code, 0, "the node cannot change its own code");
  });

  await step("podman stop ends the seed's containers cleanly, and --rm removes them and their volumes", async (t) => {
    for (const id of [first, second]) {
      const began = performance.now();
      await podman(["stop", "--time", "10", id]);
      const seconds = (performance.now() - began) / 1000;
      t.ok(seconds < 8, `stopped on SIGTERM in ${seconds.toFixed(1)} s, before podman's SIGKILL`);
      containers.delete(id);
    }
    t.equal(await podman(["ps", "--all", "--quiet", "--filter", `ancestor=${IMAGE}`]), "", "no container is left");
    const volumes = await volumeNames();
    t.same(
      volumes.filter((name) => !volumesBefore.includes(name)),
      [],
      "nor any of their volumes",
    );
  });

  await step("a restarted container keeps its chain in its /data volume", async (t) => {
    // podman 4.3 removes a --rm container when `podman restart` stops it, so this one has no --rm.
    const id = await podman(["run", "--init", "-dp", "5002:5000", IMAGE, "--difficulty", "12"]);
    containers.add(id);
    await waitForAnswer(`${host(5002)}/stats`);
    const before = await stats(5002);
    t.equal(before.difficulty, 12, "flags after the image name apply");
    await mine(t, 5002, 2);
    await mine(t, 5002, 3);
    const chain = await chainOf(5002);
    const mounts = JSON.parse(await podman(["inspect", "--format", "{{json .Mounts}}", id])) as Mount[];
    t.match(mounts, [{ Type: "volume", Destination: "/data" }], "/data is a volume");
    await podman(["restart", "--time", "10", id]);
    await waitForAnswer(`${host(5002)}/stats`);
    const after = await stats(5002);
    t.equal(after.node_id, before.node_id, "the same node id after the restart");
    t.same(await chainOf(5002), chain, "the same three blocks after the restart");
    await podman(["rm", "--force", "--volumes", "--time", "2", id]);
    containers.delete(id);
  });

  await step(
    "podman-compose up: three devnet nodes that mine by themselves to their own keys and agree on one chain, kept across down and up",
    async (t) => {
      const compose = (...args: string[]) =>
        must("podman-compose", ["-p", COMPOSE_PROJECT, ...args], { timeoutMs: 600_000 });
      /** The toychain CLI in a service's container, as its user node, after `environment` (shell assignments). */
      const cli = async (service: string, command: string, environment = "") => {
        const filters = [
          `label=io.podman.compose.project=${COMPOSE_PROJECT}`,
          `label=com.docker.compose.service=${service}`,
        ];
        const name = await podman(["ps", ...filters.flatMap((f) => ["--filter", f]), "--format", "{{.Names}}"]);
        return podman(["exec", name, "sh", "-c", `${environment} node dist/src/cli.js ${command}`]);
      };
      composeUp = true;
      await compose("up", "-d");
      await Promise.all(PORTS.map((port) => waitForAnswer(`${host(port)}/stats`)));
      const ports = Object.fromEntries(COMPOSE_SERVICES.map((service, i) => [service, PORTS[i] as number]));
      const rewardAddresses: Record<string, string> = {};
      for (const [service, port] of Object.entries(ports)) {
        const others = COMPOSE_SERVICES.filter((other) => other !== service).map((other) => `${other}:5000`);
        const status = await stats(port);
        t.same(status.peers.sort(), others, `${service} (:${port}) knows ${others.join(" and ")}`);
        t.equal(status.chain.name, "devnet", `${service} is on devnet`);
        t.equal(status.chain.ledger, "accounts", `${service}'s devnet keeps accounts`);
        t.equal(status.mining, "continuous", `${service} mines by itself`);
        const keyAddress = await cli(service, "wallet address --file /data/reward-key.json");
        t.equal(
          status.chain.reward_address,
          keyAddress,
          `${service}'s rewards go to the key it made in its volume, /data/reward-key.json`,
        );
        rewardAddresses[service] = keyAddress;
      }
      // Nobody calls /mine: the nodes forge blocks by themselves (devnet: about one every 10 s) and gossip them.
      const agreed = await agreement(3);
      t.ok(agreed.length >= 3, `the three nodes agree on a tip at ${agreed.length} blocks, with no /mine`);
      // GET /mine beside --mine answers with the next block node1 forges; the others take it by gossip.
      const mined = (await request<Mined>(`${host(5000)}/mine`, { timeoutMs: 600_000 })).body;
      t.equal(mined.message, "New Block Forged");
      t.ok(mined.index > agreed.length - 1, `/mine on :5000 answers with a block it forged next (${mined.index})`);
      const after = await agreement(mined.index);
      t.ok(after.length >= mined.index, `the three agree again at ${after.length} blocks`);
      const ids = await Promise.all(PORTS.map(async (port) => (await stats(port)).node_id));

      // A node that mined pays another node's key with the wallet in its own container, opening its reward key
      // with the passphrase the node wrote beside it; every node confirms the transfer.
      const balances = await Promise.all(
        COMPOSE_SERVICES.map(async (service) => {
          const address = rewardAddresses[service] as string;
          return (await request<{ balance: number }>(`${host(PORTS[0])}/accounts/${address}`)).body.balance;
        }),
      );
      const payer = COMPOSE_SERVICES.find((_, i) => (balances[i] as number) > 0);
      t.ok(payer !== undefined, `a node holds the rewards of the blocks it mined (balances ${balances.join(", ")})`);
      const payee = COMPOSE_SERVICES.find((service) => service !== payer) as string;
      const sent = await cli(
        payer ?? "node1",
        `wallet send --file /data/reward-key.json --to ${rewardAddresses[payee]} --amount 1`,
        'TOYCHAIN_PASSPHRASE="$(cat /data/reward-key.passphrase)"',
      );
      const [, id] = /^id +([0-9a-f]{64})$/m.exec(sent) ?? [];
      t.match(
        sent,
        `sent 1 to ${rewardAddresses[payee]}, fee 0, nonce 1`,
        `${payer} pays ${payee} with its reward key`,
      );
      t.ok(id !== undefined, `the wallet prints the transfer's id: ${sent}`);
      const confirmedAt = await Promise.all(PORTS.map((port) => confirmation(port, id ?? "")));
      t.ok(
        confirmedAt.every((block) => block === confirmedAt[0]),
        `every node has the transfer confirmed, in block ${confirmedAt[0]}`,
      );

      await compose("down");
      for (const port of PORTS) t.notOk(await portInUse(port), `port ${port} is free after down`);
      await compose("up", "-d");
      await Promise.all(PORTS.map((port) => waitForAnswer(`${host(port)}/stats`)));
      for (const [i, port] of PORTS.entries()) {
        const kept = await request<ChainBody>(`${host(port)}/chain?from=${after.length}&limit=1`);
        t.equal(
          kept.body.chain[0]?.previous_hash,
          after.previousHash,
          `:${port} keeps the chain it had across down and up`,
        );
        const status = await stats(port);
        t.equal(status.node_id, ids[i], `:${port} keeps its node id`);
        const service = COMPOSE_SERVICES[i] as string;
        t.equal(status.chain.reward_address, rewardAddresses[service], `:${port} keeps its reward key`);
      }
    },
  );
}

/** The block a node has transaction `id` confirmed in, once it has; fails after 10 minutes. */
async function confirmation(port: number, id: string): Promise<number> {
  const deadline = Date.now() + 600_000;
  let last = "no answer";
  while (Date.now() < deadline) {
    const { body } = await request<{ status: string; block?: number }>(`${host(port)}/transactions/${id}`);
    if (body.status === "confirmed" && body.block !== undefined) return body.block;
    last = body.status;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`:${port} did not confirm transaction ${id} within 10 minutes (last: ${last})`);
}

/** A tip every compose node is on: its length and its block's previous_hash. */
interface Agreed {
  length: number;
  previousHash: string;
}

/**
 * Polls the three nodes until they are on one tip of at least `length`
 * blocks; devnet makes a block about every 10 s, so this takes a minute or
 * so, and fails after 10 minutes.
 */
async function agreement(length: number): Promise<Agreed> {
  const deadline = Date.now() + 600_000;
  let last = "no answer";
  while (Date.now() < deadline) {
    const tips = await Promise.all(
      PORTS.map(async (port) => (await request<{ length: number; hash: string }>(`${host(port)}/chain/tip`)).body),
    );
    const [first] = tips;
    if (first !== undefined && first.length >= length && tips.every((tip) => tip.hash === first.hash)) {
      const { body } = await request<ChainBody>(`${host(PORTS[0])}/chain?from=${first.length}&limit=1`);
      const block = body.chain[0];
      if (block !== undefined) return { length: first.length, previousHash: block.previous_hash };
    }
    last = tips.map((tip) => `${tip.length}:${tip.hash.slice(0, 8)}`).join(", ");
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the compose nodes did not agree on a tip of ${length} blocks within 10 minutes (last: ${last})`);
}

const reason = unavailable();
if (reason === undefined) {
  await main();
  log("done");
} else if (process.env.CI === "true") {
  t.fail(`the container test must run on CI, but cannot: ${reason}`);
} else {
  t.plan(0, reason);
}
