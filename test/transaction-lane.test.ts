import { gzipSync } from "node:zlib";
import t from "tap";
import type { AnsweredRequest } from "../src/api/access-log.js";
import { ChainAnswers } from "../src/api/chain-body.js";
import { fastLane } from "../src/api/fast-lane.js";
import type { Transaction } from "../src/chain/index.js";
import { createLogger } from "../src/log.js";
import { checkTransaction } from "../src/schemas/index.js";
import { startNode } from "../src/server.js";
import { serve } from "./helpers/sync-peer.js";

/**
 * POST /transactions/new before Koa (src/api/fast-lane.ts): which requests
 * take the lane, and, through a real node, that every body gets the answer
 * Koa's route gives it, byte for byte: status, headers and body.
 */

const TX = { sender: "Lea", recipient: "Mark", amount: 10 };

t.test("the lane takes a plain JSON body with a length; the rest goes to Koa", async (t) => {
  const added: Transaction[] = [];
  const passed: string[] = [];
  const recorded: AnsweredRequest[] = [];
  const url = await serve(
    t,
    fastLane(
      {
        answers: new ChainAnswers({
          durableTip: { length: 1, hash: "", work: "0", chain: "" },
          durableTipBlock: undefined,
          view: () => Promise.reject(new Error("no chain here")),
        }),
        check: checkTransaction,
        addTransaction: async (tx) => ({ index: added.push(tx) }),
        log: createLogger("silent"),
      },
      (request) => recorded.push(request),
      (req, res) => {
        passed.push(`${req.method} ${req.url} ${req.headers["content-type"]}`);
        res.end("{}");
      },
    ),
  );
  const post = async (path: string, type: string, body: string | ReadableStream = JSON.stringify(TX)) => {
    const init = { method: "POST", headers: { "content-type": type }, body, duplex: "half" } as RequestInit;
    return (await fetch(`${url}${path}`, init)).json();
  };
  t.same(await post("/transactions/new", "application/json"), {
    message: "Transaction added to the list of current transactions and will be mined into the block at index 1",
  });
  await post("/transactions/new", "application/json; charset=utf-8");
  t.same(added, [TX, TX], "application/json, bare or with charset=utf-8, is added in the lane");
  t.same(
    recorded.map(({ method, route, path, status }) => ({ method, route, path, status })),
    [
      { method: "POST", route: "/transactions/new", path: "/transactions/new", status: 200 },
      { method: "POST", route: "/transactions/new", path: "/transactions/new", status: 200 },
    ],
    "recorded as Koa records it",
  );
  const chunked = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(JSON.stringify(TX)));
      controller.close();
    },
  });
  await post("/transactions/new", "application/json", chunked);
  await post("/transactions/new?x=1", "application/json");
  await post("/transactions/new/", "application/json");
  await post("/transactions/new", "Application/JSON");
  await post("/transactions/new", "application/json;charset=utf-8");
  await post("/transactions/new", "text/plain");
  await post("/nodes/register", "application/json");
  t.same(
    passed,
    [
      "POST /transactions/new application/json",
      "POST /transactions/new?x=1 application/json",
      "POST /transactions/new/ application/json",
      "POST /transactions/new Application/JSON",
      "POST /transactions/new application/json;charset=utf-8",
      "POST /transactions/new text/plain",
      "POST /nodes/register application/json",
    ],
    "a chunked body, another path or another spelling of the type go to Koa",
  );
  t.equal(added.length, 2, "and add nothing in the lane");
});

/** One answer, as much of it as a client sees: status, the headers that vary, the body. */
async function answer(url: string, body: string | Uint8Array, headers: Record<string, string>) {
  const reply = await fetch(url, { method: "POST", headers, body });
  return {
    status: reply.status,
    type: reply.headers.get("content-type"),
    length: reply.headers.get("content-length"),
    allow: reply.headers.get("allow"),
    body: await reply.text(),
  };
}

t.test("every body gets the answer Koa's route gives it", async (t) => {
  const running = await startNode({
    port: 0,
    host: "127.0.0.1",
    threads: 1,
    difficulty: 8,
    maxPending: 40,
    logLevel: "silent",
  });
  t.teardown(() => running.close());
  const json = { "content-type": "application/json" };
  const gzip = { ...json, "content-encoding": "gzip" };
  const cases: [string, string | Uint8Array, Record<string, string>][] = [
    ["a transaction", JSON.stringify(TX), json],
    ["with charset=utf-8", JSON.stringify(TX), { "content-type": "application/json; charset=utf-8" }],
    ["with a byte order mark and spaces", `\ufeff ${JSON.stringify(TX, null, 2)} `, json],
    ["fields missing", "{}", json],
    ["an extra field", JSON.stringify({ ...TX, fee: 1 }), json],
    ["an amount as a string", JSON.stringify({ ...TX, amount: "10" }), json],
    ["a reserved sender", JSON.stringify({ ...TX, sender: "0" }), json],
    ["an unpaired surrogate", JSON.stringify({ ...TX, sender: "\ud800" }), json],
    ["an inexact amount", '{"sender":"Lea","recipient":"Mark","amount":9007199254740993}', json],
    ["an infinite amount", '{"sender":"Lea","recipient":"Mark","amount":1e400}', json],
    ["a key given twice", '{"sender":"Lea","sender":"Ann","recipient":"Mark","amount":1}', json],
    ["a forbidden prototype key", '{"__proto__":{"x":1},"sender":"Lea","recipient":"Mark","amount":1}', json],
    ["malformed JSON", '{"sender": "Lea", ', json],
    ["a JSON number", "42", json],
    ["a JSON array", "[]", json],
    ["null", "null", json],
    ["an empty body", "", json],
    ["over 1 MB", JSON.stringify({ ...TX, sender: "x".repeat(1024 * 1024 + 10) }), json],
    ["gzip", gzipSync(JSON.stringify(TX)), gzip],
    ["corrupt gzip", "not compressed", gzip],
    ["an unknown encoding", "{}", { ...json, "content-encoding": "zstd-x" }],
  ];
  for (const [name, body, headers] of cases) {
    const lane = await answer(`${running.url}/transactions/new`, body, headers);
    // A query string keeps the request out of the lane: Koa's route answers it.
    const koa = await answer(`${running.url}/transactions/new?through=koa`, body, headers);
    t.same(lane, koa, `${name}: ${lane.status}`);
  }
  const { transactions } = (await (await fetch(`${running.url}/transactions/pending`)).json()) as {
    transactions: Transaction[];
  };
  t.equal(transactions.length, 8, "each lane added the four transactions it took");
  for (let i = transactions.length; i < 40; i++) {
    t.equal((await answer(`${running.url}/transactions/new`, JSON.stringify(TX), json)).status, 200);
  }
  const lane = await answer(`${running.url}/transactions/new`, JSON.stringify(TX), json);
  t.equal(lane.status, 429, "a full mempool");
  t.same(lane, await answer(`${running.url}/transactions/new?through=koa`, JSON.stringify(TX), json));
  const metrics = await (await fetch(`${running.url}/metrics`)).text();
  const count = (status: number) =>
    Number(
      new RegExp(
        `toychain_http_request_duration_seconds_count\\{method="POST",route="/transactions/new",status="${status}"\\} (\\d+)`,
      ).exec(metrics)?.[1],
    );
  t.equal(count(200), 40, "both lanes' answers counted under one route");
  t.equal(count(429), 2);
});
