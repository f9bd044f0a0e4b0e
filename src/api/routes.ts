import Router from "@koa/router";
import type { Context } from "koa";
import { blockWork, leadingZeroBitsOf, nextTarget, type Transaction } from "../chain/index.js";
import type { ToyNode } from "../node.js";
import type { PeerHealth } from "../peers/index.js";
import {
  type BlockFoundBody,
  type Check,
  checkAnnounce,
  checkBlockPath,
  checkChainQuery,
  checkExactNumbers,
  checkLocate,
  checkRegisterNodes,
  checkSignedTransaction,
  checkTransaction,
} from "../schemas/index.js";
import type { StratumServer } from "../stratum/index.js";
import { accountsRoutes } from "./accounts-routes.js";
import { GUARDED_PATHS, requireToken } from "./auth.js";
import { type ChainAnswers, chainFrame } from "./chain-body.js";
import { MethodNotAllowedError, UnsupportedMediaTypeError } from "./errors.js";
import type { EventStreams } from "./events.js";
import { type ExplorerAssets, explorerPage } from "./explorer.js";

/** The largest JSON body a request may send. */
export const BODY_LIMIT = "1mb";

/** A JSON body as the body parser read it (`parsed` from `text`), checked against its schema, with every number exactly as written. */
export function checkedBody<T>(parsed: unknown, text: string | undefined, check: Check<T>): T {
  if (text) checkExactNumbers(text, check.what);
  return check(parsed);
}

/** The JSON body of a request, checked (checkedBody). */
function body<T>(ctx: Context, check: Check<T>): T {
  if (!ctx.is("application/json")) throw new UnsupportedMediaTypeError(ctx.get("content-type"));
  return checkedBody(ctx.request.body, ctx.request.rawBody, check);
}

/** POST /transactions/new's answer: the transaction is durable, meant for block `index`; on an accounts chain, with its id. */
export const transactionAdded = ({ index, id }: { index: number; id?: string }): { message: string; id?: string } => ({
  message: `Transaction added to the list of current transactions and will be mined into the block at index ${index}`,
  ...(id === undefined ? {} : { id }),
});

/** What POST /transactions/new takes: on an accounts chain a signed transfer, else the walkthrough's three fields. */
export const postedTransactionCheck = (node: Pick<ToyNode, "accounts">): Check<Transaction> =>
  node.accounts === undefined ? checkTransaction : checkSignedTransaction;

/** The Stratum endpoint and its miners as /stats shows them, or null without one. */
function stratumStats(stratum: StratumServer | undefined) {
  if (stratum === undefined) return null;
  const counts = stratum.counts();
  return {
    port: stratum.port,
    sessions: counts.sessions,
    shares: counts.shares,
    turned_away: counts.turnedAway,
    bans: counts.bans,
    hashes_per_second: Math.round(counts.hashesPerSecond),
    miners: stratum.miners(),
  };
}

/** A peer's failure record as /stats shows it. */
function healthOf(node: string, health: PeerHealth) {
  return {
    node,
    failures: health.failures,
    last_error: health.lastError ?? null,
    retry_at: health.retryAt === undefined ? null : new Date(health.retryAt).toISOString(),
  };
}

/**
 * GET routes that change state (mining, consensus): they must not run for
 * HEAD, which the router otherwise answers with the GET handler.
 */
const GET_ONLY = new Set(["/mine", "/nodes/resolve"]);

/**
 * The methods `path` allows: those of its routes, less HEAD on a GET-only
 * route. The one source of every Allow header and 405 message.
 */
export function allowedMethods(router: Router, path: string): string[] {
  const layers = router.match(path, "GET").path;
  const methods = new Set(layers.flatMap((layer) => layer.methods));
  if (layers.some((layer) => typeof layer.path === "string" && GET_ONLY.has(layer.path))) methods.delete("HEAD");
  return [...methods];
}

export interface RouteOptions {
  /** See requireToken. */
  apiToken?: string | undefined;
  /** What answers GET /chain and /nodes/resolve. */
  answers: ChainAnswers;
  /** What answers GET /events. */
  streams: EventStreams;
  /** The page a browser gets at GET /. */
  explorer: ExplorerAssets;
}

/**
 * Every endpoint of the walkthrough, plus /transactions/pending, /stats,
 * /metrics, the chain's sync endpoints, /nodes/announce (gossip) and the
 * event stream. With an API token, the routes that make the node work
 * (mining, peers, consensus, gossip) need it; reading and posting
 * transactions stay open. GET / answers a browser with the explorer page.
 */
export function routes(node: ToyNode, { apiToken, answers, streams, explorer }: RouteOptions): Router {
  const router = new Router();
  router.use([...GUARDED_PATHS], requireToken(apiToken));
  const getOnly = (ctx: Context): void => {
    if (ctx.method !== "GET") throw new MethodNotAllowedError(ctx.method, ctx.path, allowedMethods(router, ctx.path));
  };

  router.get("/", (ctx) => {
    ctx.vary("Accept");
    // JSON unless the client prefers HTML: curl's */*, or no Accept at all, get the walkthrough's message.
    if (ctx.accepts("json", "html") === "html") {
      explorerPage(ctx, explorer);
      return;
    }
    ctx.body = { message: `toychain node ${node.id}: try every endpoint at /docs or /redoc` };
  });

  // Also answered before Koa (fast-lane.ts), when its body is plain JSON.
  router.post("/transactions/new", async (ctx) => {
    ctx.body = transactionAdded(await node.addTransaction(body(ctx, postedTransactionCheck(node))));
  });

  router.get("/transactions/pending", (ctx) => {
    const transactions = node.mempool.list();
    ctx.body = { transactions, length: transactions.length };
  });

  router.get("/mine", async (ctx) => {
    getOnly(ctx);
    const { block } = await node.mine();
    ctx.body = {
      message: "New Block Forged",
      index: block.index,
      transactions: block.transactions,
      proof: block.proof,
      previous_hash: block.previous_hash,
      ...(block.bits === undefined ? {} : { bits: block.bits }),
    };
  });

  router.get("/chain/tip", async (ctx) => {
    ctx.body = node.durableTip;
  });

  router.post("/chain/locate", async (ctx) => {
    ctx.body = await node.locate(body(ctx, checkLocate).locator);
  });

  router.get("/blocks/:hash", async (ctx) => {
    const { hash } = checkBlockPath({ ...ctx.params });
    const { block, confirmations } = await node.blockByHash(hash);
    ctx.body = { hash, height: block.index, confirmations, block } satisfies BlockFoundBody;
  });

  router.get("/chain", async (ctx) => {
    const { from = 1, limit, max_bytes: maxBytes } = checkChainQuery({ ...ctx.query });
    ctx.type = "application/json";
    // HEAD sends no body: nothing to read.
    if (ctx.method === "HEAD") {
      ctx.status = 200;
      return;
    }
    ctx.body = await answers.answer({ from, limit, maxBytes }, chainFrame);
  });

  router.post("/nodes/register", async (ctx) => {
    const added = await node.registerNodes(body(ctx, checkRegisterNodes).nodes);
    ctx.body = { message: `${added} new nodes have been successfully added`, total_nodes: node.peers.ids };
  });

  router.get("/nodes/resolve", async (ctx) => {
    getOnly(ctx);
    const { replaced, peers } = await node.resolve();
    const [message, field] = replaced
      ? ["Our chain was replaced", "new_chain"]
      : ["Our chain is authoritative", "chain"];
    ctx.type = "application/json";
    ctx.body = await answers.answer({ from: 1 }, () => ({
      head: `{"message":${JSON.stringify(message)},"${field}":[`,
      tail: `],"peers":${JSON.stringify(peers)}}`,
    }));
  });

  router.post("/nodes/announce", async (ctx) => {
    ctx.body = await node.gossip.receive(body(ctx, checkAnnounce));
    ctx.status = 202;
  });

  router.get("/stats", (ctx) => {
    const { job, recent } = node.miner;
    const { rules } = node.chain;
    const next = nextTarget(rules, node.chain.tip);
    const now = Date.now();
    const gossip = node.gossip.stats(now);
    const finished = recent.reduce((sum, j) => ({ hashes: sum.hashes + j.hashes, seconds: sum.seconds + j.seconds }), {
      hashes: 0,
      seconds: 0,
    });
    ctx.body = {
      node_id: node.id,
      chain_length: node.chain.length,
      chain: {
        name: rules.name,
        id: rules.id,
        retarget: rules.pow.kind === "fixed" ? "fixed" : "aserti3-2d",
        block_time: rules.pow.kind === "fixed" ? null : Number(rules.pow.params.spacing),
        ledger: rules.ledger.kind,
        address_prefix: rules.ledger.kind === "accounts" ? rules.ledger.prefix : null,
        reward_address: node.accounts?.rewardAddress ?? null,
      },
      difficulty: rules.pow.kind === "fixed" ? rules.pow.difficulty : leadingZeroBitsOf(next.target),
      next_target: { bits: next.bits ?? null, expected_hashes: String(blockWork(next.target)) },
      threads: node.pool.threads,
      kernel: node.pool.kernel,
      mining: node.continuous ? "continuous" : "on request",
      pending_transactions: node.mempool.size,
      peers: node.peers.ids,
      peer_health: node.peers.health(now).map(({ peer, health }) => healthOf(peer.id, health)),
      job: job
        ? { index: job.index, hashes: job.control.hashes, elapsed_seconds: (performance.now() - job.startedAt) / 1000 }
        : null,
      hashes_per_second: finished.seconds > 0 ? finished.hashes / finished.seconds : 0,
      recent_jobs: recent.map((j) => ({
        index: j.index,
        forged: j.forged,
        hashes: j.hashes,
        seconds: j.seconds,
        hashes_per_second: j.hashesPerSecond,
        winner: j.winner,
        finished_at: new Date(j.finishedAt).toISOString(),
      })),
      gossip: {
        enabled: gossip.enabled,
        public_url: gossip.publicUrl ?? null,
        announcements_sent: gossip.counts.sent,
        announcements_failed: gossip.counts.failed,
        announcements_skipped: gossip.counts.skipped,
        announcements_received: gossip.counts.received,
        announcements_dropped: Object.values(gossip.counts.dropped).reduce((sum, n) => sum + n, 0),
        syncs: Object.values(gossip.counts.syncs).reduce((sum, n) => sum + n, 0),
        syncs_adopted: gossip.counts.syncs.adopted,
        syncs_failed: gossip.counts.syncs.failed,
        failing_peers: gossip.failing.map(({ id, health }) => healthOf(id, health)),
      },
      stratum: stratumStats(node.stratum),
    };
  });

  router.get("/events", (ctx) => {
    streams.open(ctx);
  });

  router.get("/metrics", async (ctx) => {
    ctx.type = node.metrics.registry.contentType;
    ctx.body = await node.metrics.registry.metrics();
  });

  // GET /accounts/{address}, its transactions, and GET /transactions/{id}.
  accountsRoutes(router, node);
  return router;
}
