import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { type AddressInfo, isIPv4, Server as NetServer } from "node:net";
import { resolve } from "node:path";
import type { Duplex } from "node:stream";
import { resolveKernel } from "../workers/kernel/index.js";
import type { AllocatorLimits, HeapGrowth } from "./allocator.js";
import { createApp, InFlight, loadDocsAssets, loadExplorerAssets } from "./api/index.js";
import { walkthroughSpec } from "./chain/index.js";
import type { Config } from "./config.js";
import { DEFAULT_SWITCH_PIECE } from "./ledger/index.js";
import { createLogger, type Logger } from "./log.js";
import { REFRESH_MS } from "./mining/index.js";
import { ToyNode } from "./node.js";
import { chooseBackend } from "./signatures/index.js";
import { DEFAULT_CHECK_BLOCKS, LevelStore, MemoryStore, type TableMaps } from "./storage/index.js";

export interface RunningNode {
  node: ToyNode;
  server: Server;
  url: string;
  log: Logger;
  close(): Promise<void>;
}

type Defaulted =
  | "kernel"
  | "verifier"
  | "dataDir"
  | "maxPending"
  | "checkBlocks"
  | "peers"
  | "peerTimeoutMs"
  | "resolveDeadlineMs"
  | "apiToken"
  | "gossip"
  | "publicUrl"
  | "chain"
  | "mine"
  | "rewardAddress"
  | "reindex"
  | "switchPiece"
  | "stratum";

/**
 * The flags a node runs with. These have defaults: kernel (auto), verifier (auto), dataDir (in
 * memory), maxPending (100,000), checkBlocks (6), peers (none), peerTimeoutMs
 * (5 s), resolveDeadlineMs (120 s), apiToken (none), gossip (off), publicUrl
 * (http://host:port, the port listened on), chain (the walkthrough's, at
 * difficulty), mine (off), switchPiece (10,000).
 */
export type NodeConfig = Omit<Config, "help" | Defaulted> & Partial<Pick<Config, Defaulted>>;

/** How long a client has to send its request's headers, and the whole request (not the answer). */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;
/** How long a stopping node lets the requests in flight finish before it cuts them. */
export const DRAIN_TIMEOUT_MS = 10_000;
/**
 * How long a stopping node keeps its idle keep-alive connections: a request a
 * client sends on one meanwhile is answered (with Connection: close), not reset.
 */
export const IDLE_GRACE_MS = 1000;

/** Statuses for what Node's HTTP parser rejects before Koa sees a request. */
const PARSER_ANSWERS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, "Request Header Fields Too Large", "The request's headers are larger than 16 KiB"],
  HPE_INVALID_METHOD: [400, "Bad Request", "The request's method is not an HTTP method this node knows"],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "Request Timeout", "The request was not received in time"],
};

/**
 * Answers a request Node's parser refused with JSON and a message, like every
 * other error, then closes the connection: its bytes can no longer be trusted.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, text, message] = PARSER_ANSWERS[error.code ?? ""] ?? [
    400,
    "Bad Request",
    `The request is not valid HTTP (${error.code ?? error.message})`,
  ];
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** 0.0.0.0 and ::, every interface: no address a peer could reach the node at. */
const isWildcard = (host: string): boolean => host === "0.0.0.0" || host === "::" || host === "[::]";

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach. */
function isLoopback(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  return isIPv4(host) && host.startsWith("127.");
}

/** Says at debug what the program set before the node started (`done`'s message), or why it left it (`left`). */
function logSetting<T extends object>(
  log: Logger,
  setting: T | { skipped: string } | undefined,
  left: string,
  done: (set: T) => string,
): void {
  if (setting === undefined) return;
  if ("skipped" in setting) {
    log.debug({ reason: setting.skipped }, left);
    return;
  }
  const fields: object = setting;
  log.debug(fields, done(setting));
}

/**
 * Builds the node, serves its API, and resolves once it listens. `allocator`,
 * `heap` and `tables`: what the program did to glibc's malloc
 * (limitAllocator), V8's heap growth (limitHeapGrowth) and LevelDB's maps
 * (unmapLevelTables) before, for the log.
 */
export async function startNode(
  config: NodeConfig,
  { allocator, heap, tables }: { allocator?: AllocatorLimits; heap?: HeapGrowth; tables?: TableMaps } = {},
): Promise<RunningNode> {
  const log = createLogger(config.logLevel);
  logSetting(
    log,
    allocator,
    "glibc's malloc left to its settings",
    () => "glibc's malloc limited: two arenas, large blocks mapped and handed back",
  );
  logSetting(
    log,
    tables,
    "LevelDB maps its table files for its reads",
    () => "LevelDB reads its table files without mapping them",
  );
  logSetting(
    log,
    heap,
    "V8's heap growth left to node's flag",
    ({ heapGrowingPercent }) =>
      `V8's heap growth limited: a heap grows at most ${heapGrowingPercent}% past what its last full collection kept`,
  );
  const kernel = resolveKernel(config.kernel ?? "auto");
  if (kernel.fallback) log.warn({ reason: kernel.fallback }, "mining with the portable kernel");
  if (kernel.portableMissing) log.warn(`${kernel.portableMissing}; mining with a native kernel`);
  for (const refused of kernel.refused) log.warn(`native kernel refused: ${refused}`);
  const docsAssets = loadDocsAssets();
  if (docsAssets.missing.length > 0) {
    log.warn(
      { missing: docsAssets.missing.map((error) => error.path) },
      `the documentation pages are not built: ${docsAssets.missing.map((error) => error.message).join("; ")}. ` +
        "Until the node restarts after the build, the pages that need them answer 503",
    );
  }
  const explorerAssets = loadExplorerAssets();
  if (explorerAssets.missing.length > 0) {
    log.warn(
      { missing: explorerAssets.missing.map((error) => error.path) },
      `the explorer page is not built: ${explorerAssets.missing.map((error) => error.message).join("; ")}. ` +
        "Until the node restarts after the build, GET / answers browsers 503",
    );
  }
  const store = config.dataDir === undefined ? new MemoryStore() : new LevelStore(resolve(config.dataDir));
  const chain = config.chain ?? walkthroughSpec(config.difficulty);
  const verifier = chooseBackend(config.verifier ?? "auto");
  if (chain.ledger.kind === "accounts") {
    if (verifier.fallback)
      log.warn({ reason: verifier.fallback }, `verifying signatures with ${verifier.backend.name}`);
    else log.info(`verifying signatures with ${verifier.backend.name}`);
  }
  const node = await ToyNode.open({
    chain,
    threads: config.threads,
    kernels: kernel.candidates,
    verifier: verifier.backend,
    store,
    maxPending: config.maxPending,
    checkBlocks: config.checkBlocks ?? DEFAULT_CHECK_BLOCKS,
    peerTimeoutMs: config.peerTimeoutMs,
    resolveDeadlineMs: config.resolveDeadlineMs,
    gossip: config.gossip ?? false,
    apiToken: config.apiToken,
    mine: config.mine ?? false,
    rewardAddress: config.rewardAddress,
    reindex: config.reindex ?? false,
    switchPiece: config.switchPiece ?? DEFAULT_SWITCH_PIECE,
    stratum: config.stratum,
    dataDir: config.dataDir === undefined ? undefined : resolve(config.dataDir),
    log,
  });
  if (config.peers?.length) await node.registerNodes(config.peers);
  const server = createServer(
    // A client that trickles its request (slowloris) is cut off with a 408.
    { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1000 },
    createApp(node, log.child({ component: "api" }), {
      apiToken: config.apiToken,
      docsAssets,
      explorerAssets,
    }),
  );
  server.on("clientError", answerClientError);
  const inFlight = new InFlight(server);
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
      kernel: node.pool.kernel,
      chain: chain.name,
      chainId: chain.id,
      ...(chain.pow.kind === "fixed"
        ? { difficulty: chain.pow.difficulty }
        : { blockTime: Number(chain.pow.params.spacing) }),
      store: store.location,
      length: node.chain.length,
      pending: node.mempool.size,
      peers: node.peers.ids.length,
      apiToken: config.apiToken !== undefined,
    },
    "node listening",
  );
  if (node.gossip.enabled) {
    const publicUrl = config.publicUrl ?? url;
    node.gossip.start(publicUrl);
    log.info({ publicUrl, peers: node.peers.ids.length }, "gossip on: announcing our tip to the peers");
    if (config.publicUrl === undefined && isWildcard(config.host)) {
      log.warn(
        { publicUrl },
        `gossip announces this node as ${publicUrl}, which peers cannot reach: give --public-url (TOYCHAIN_PUBLIC_URL)`,
      );
    }
  }
  if (node.stratum !== undefined) {
    try {
      await node.stratum.listen();
    } catch (error) {
      server.close();
      await node.close();
      throw error;
    }
    const { host: stratumHost, maxSessions, shareSeconds } = config.stratum ?? {};
    log.info(
      { host: stratumHost, port: node.stratum.port, maxSessions, shareSeconds, threads: config.threads },
      `stratum endpoint listening on stratum+tcp://${stratumHost}:${node.stratum.port} for remote miners (toychain miner)`,
    );
  }
  if (node.continuous) {
    // After gossip's start: the first block forged is announced.
    node.continuous.start();
    log.info(
      { refreshMs: REFRESH_MS },
      `mining continuously: block after block on our tip, taking in new transactions every ${REFRESH_MS / 1000} s`,
    );
  }
  if (config.apiToken === undefined && !isLoopback(config.host)) {
    log.warn(
      { host: config.host },
      "listening beyond this machine without --api-token: anyone who reaches the port can mine, register nodes and resolve",
    );
  }
  return {
    node,
    server,
    url,
    log,
    /**
     * Graceful: no new connection is taken, mining and resolving are abandoned
     * (their requests answer 503), and every other request in flight finishes,
     * a write once it is durable. Idle connections are kept IDLE_GRACE_MS, so
     * that a request already on its way is answered. What is still open after
     * DRAIN_TIMEOUT_MS is cut, and logged.
     */
    async close() {
      log.info({ inFlight: inFlight.size }, "stopping: taking no new connections, finishing the requests in flight");
      inFlight.closing();
      // net's close, not http's: it stops listening without destroying the idle connections at once.
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
      node.stop();
      const idle = setTimeout(() => server.closeIdleConnections(), IDLE_GRACE_MS);
      let timer: NodeJS.Timeout | undefined;
      const drained = await Promise.race([
        closed.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), DRAIN_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
      clearTimeout(idle);
      if (!drained) {
        log.warn(
          { requests: inFlight.size, cut: inFlight.list(), afterMs: DRAIN_TIMEOUT_MS },
          "cutting the connections still open after the drain timeout",
        );
        server.closeAllConnections();
        await closed;
      }
      // http's close, now a no-op but for its timers.
      server.close();
      await node.close();
      log.info("node stopped");
    },
  };
}
