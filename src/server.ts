import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "./api/index.js";
import type { Config } from "./config.js";
import { createLogger, type Logger } from "./log.js";
import { ToyNode } from "./node.js";

export interface RunningNode {
  node: ToyNode;
  server: Server;
  url: string;
  log: Logger;
  close(): Promise<void>;
}

/** Builds the node, serves its API, and resolves once it listens. */
export async function startNode(config: Omit<Config, "help">): Promise<RunningNode> {
  const log = createLogger(config.logLevel);
  const node = new ToyNode({ difficulty: config.difficulty, threads: config.threads, log });
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
    { url, nodeId: node.id, threads: config.threads, difficulty: config.difficulty, docs: `${url}/docs` },
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
