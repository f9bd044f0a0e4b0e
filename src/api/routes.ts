import Router from "@koa/router";
import type { Context } from "koa";
import type { ToyNode } from "../node.js";
import { type Check, checkRegisterNodes, checkTransaction } from "../schemas/index.js";
import { UnsupportedMediaTypeError } from "./errors.js";

/** The JSON body of a request, checked against its schema. */
function body<T>(ctx: Context, check: Check<T>): T {
  if (!ctx.is("application/json")) throw new UnsupportedMediaTypeError(ctx.get("content-type"));
  return check(ctx.request.body);
}

/** Every endpoint of the walkthrough, plus /transactions/pending. */
export function routes(node: ToyNode): Router {
  const router = new Router();

  router.get("/", (ctx) => {
    ctx.body = { message: `toychain node ${node.id}: try every endpoint at /docs or /redoc` };
  });

  router.post("/transactions/new", (ctx) => {
    const index = node.addTransaction(body(ctx, checkTransaction));
    ctx.body = {
      message: `Transaction added to the list of current transactions and will be mined into the block at index ${index}`,
    };
  });

  router.get("/transactions/pending", (ctx) => {
    const transactions = node.mempool.list();
    ctx.body = { transactions, length: transactions.length };
  });

  router.get("/mine", async (ctx) => {
    const { block } = await node.mine();
    ctx.body = {
      message: "New Block Forged",
      index: block.index,
      transactions: block.transactions,
      proof: block.proof,
      previous_hash: block.previous_hash,
    };
  });

  router.get("/chain", (ctx) => {
    ctx.type = "application/json";
    ctx.body = node.chain.toJSON();
  });

  router.post("/nodes/register", (ctx) => {
    const added = node.registerNodes(body(ctx, checkRegisterNodes).nodes);
    ctx.body = { message: `${added} new nodes have been successfully added`, total_nodes: node.peers.ids };
  });

  router.get("/nodes/resolve", async (ctx) => {
    const { replaced, chain, peers } = await node.resolve();
    ctx.body = replaced
      ? { message: "Our chain was replaced", new_chain: chain, peers }
      : { message: "Our chain is authoritative", chain, peers };
  });

  return router;
}
