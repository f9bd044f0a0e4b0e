import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { resolveKernel } from "../workers/kernel/index.js";
import { createApp } from "./api/index.js";
import type { Config } from "./config.js";
import { createLogger, type Logger } from "./log.js";
import { ToyNode } from "./node.js";
import { LevelStore, MemoryStore } from "./storage/index.js";

export interface RunningNode {
  node: ToyNode;
  server: Server;
  url: string;
  log: Logger;
  close(): Promise<void>;
}

/** The flags a node runs with; kernel, store, mempool cap and peers have defaults (auto, in memory, 100,000, none). */
export type NodeConfig = Omit<Config, "help" | "kernel" | "dataDir" | "maxPending" | "peers"> &
  Partial<Pick<Config, "kernel" | "dataDir" | "maxPending" | "peers">>;

/** Builds the node, serves its API, and resolves once it listens. */
export async function startNode(config: NodeConfig): Promise<RunningNode> {
  const log = createLogger(config.logLevel);
  const kernel = resolveKernel(config.kernel ?? "auto");
  if (kernel.fallback) log.warn({ reason: kernel.fallback }, "mining with the portable kernel");
  const store = config.dataDir === undefined ? new MemoryStore() : new LevelStore(resolve(config.dataDir));
  const node = await ToyNode.open({
    difficulty: config.difficulty,
    threads: config.threads,
    kernel: kernel.name,
    store,
    maxPending: config.maxPending,
    log,
  });
  if (config.peers?.length) await node.registerNodes(config.peers);
  const server = createServer(createApp(node, log.child({ component: "api" })).callback());
  server.listen(config.port, config.host);
  try {
    await once(server, "listening");
  } catch (error) {
    await node.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  log.info(
    {
      url,
      nodeId: node.id,
      threads: config.threads,
      kernel: kernel.name,
      difficulty: config.difficulty,
      store: store.location,
      length: node.chain.length,
      pending: node.mempool.size,
      peers: node.peers.ids.length,
    },
    "node listening",
  );
  return {
    node,
    server,
    url,
    log,
    async close() {
      server.close();
      server.closeAllConnections();
      await node.close();
      log.info("node stopped");
    },
  };
}
