import type Router from "@koa/router";
import type { Context } from "koa";
import {
  type ConfirmedTransaction,
  type LedgerQueries,
  NoAccountsError,
  type TransactionStatus,
} from "../ledger/index.js";
import type { PooledTransfer } from "../mempool/index.js";
import type { ToyNode } from "../node.js";
import {
  type AccountBody,
  type AccountTransactionsBody,
  type ConfirmedTransactionBody,
  checkHistoryQuery,
  checkTransactionPath,
  DEFAULT_HISTORY_PAGE,
  type PendingTransferBody,
  type TransactionConfirmedBody,
  type TransactionPendingBody,
} from "../schemas/index.js";

/**
 * GET /transactions/{id} matches every path one step under /transactions/
 * but those of routes.ts (new, pending): a RegExp, since the router's paths
 * take no pattern for a parameter. So GET /transactions/new stays a 405
 * (POST only), and a mistyped id answers 400 naming `id`, not 404.
 */
const TRANSACTION_PATH = /^\/transactions\/(?!(?:new|pending)$)([^/]+)$/;
/** Its path as /openapi.json writes it, and its route's name. */
const TRANSACTION_ROUTE = "/transactions/{id}";

const pendingBody = ({ id, tx }: PooledTransfer): PendingTransferBody => ({ id, transaction: tx });

const confirmedBody = ({
  id,
  height,
  position,
  confirmations,
  transaction,
}: ConfirmedTransaction): ConfirmedTransactionBody => ({ id, block: height, position, confirmations, transaction });

function statusBody(found: TransactionStatus): TransactionPendingBody | TransactionConfirmedBody {
  if (found.status === "pending") return { id: found.id, status: "pending", transaction: found.transaction };
  const { id, block, position, confirmations, transaction } = confirmedBody(found);
  return { id, status: "confirmed", block, position, confirmations, transaction };
}

/** A path parameter: the router decodes it; a route of this path always has it. */
const param = (ctx: Context, name: string): string => (ctx.params as Record<string, string>)[name] as string;

/**
 * The accounts ledger's reading routes: an address's balance, nonce and
 * pending transfers, its confirmed transactions a page at a time, and where
 * a transaction is. On a chain without accounts (the walkthrough's), each
 * answers 404 saying so.
 */
export function accountsRoutes(router: Router, node: ToyNode): void {
  const queries = (): LedgerQueries => {
    if (node.accounts === undefined) throw new NoAccountsError(node.chain.rules.name);
    return node.accounts.queries;
  };

  router.get("/accounts/:address", async (ctx) => {
    const { address, account, nextNonce, pendingFrom, pendingTo } = await queries().account(param(ctx, "address"));
    ctx.body = {
      address,
      balance: account.balance,
      nonce: account.nonce,
      next_nonce: nextNonce,
      pending: { from: pendingFrom.map(pendingBody), to: pendingTo.map(pendingBody) },
    } satisfies AccountBody;
  });

  router.get("/accounts/:address/transactions", async (ctx) => {
    const accounts = queries();
    const { limit = DEFAULT_HISTORY_PAGE, before } = checkHistoryQuery({ ...ctx.query });
    const address = param(ctx, "address");
    const { transactions, next } = await accounts.history(address, limit, before);
    ctx.body = {
      address,
      transactions: transactions.map(confirmedBody),
      next: next ?? null,
    } satisfies AccountTransactionsBody;
  });

  router.get(TRANSACTION_ROUTE, TRANSACTION_PATH, async (ctx) => {
    const accounts = queries();
    const { id } = checkTransactionPath({ id: ctx.captures?.[0] });
    const found = await accounts.transaction(id);
    ctx.body = statusBody(found);
  });
}
