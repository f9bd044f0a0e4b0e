import { createConfig, lintFromString } from "@redocly/openapi-core";
import fc from "fast-check";
import t from "tap";
import type { OpenApiDocument } from "../src/api/openapi.js";
import type { ChainBody } from "./helpers/chain-check.js";
import { request, startNode } from "./helpers/node-process.js";

/**
 * --api-token on real node processes: the routes that make a node work
 * (mining, peers, consensus) need `Authorization: Bearer <token>`; reading
 * and posting transactions stay open; a node listening beyond loopback
 * without a token says so at start.
 */

const TOKEN = "test-token-7f3a9c2e51d84b06";
const node = await startNode(["--api-token", TOKEN, "--difficulty", "8", "--threads", "2"], { t });

interface Guarded {
  method: "GET" | "POST";
  path: string;
  body?: unknown;
}

const GUARDED: Guarded[] = [
  { method: "GET", path: "/mine" },
  { method: "POST", path: "/nodes/register", body: { nodes: ["127.0.0.1:1"] } },
  { method: "GET", path: "/nodes/resolve" },
  {
    method: "POST",
    path: "/nodes/announce",
    body: {
      length: 2,
      hash: "0".repeat(64),
      work: "512",
      chain: "3359bdb5a0bba889b9fe4387a3d400715eddc65be81661733aa502880c47e6e7",
      url: "http://127.0.0.1:1",
    },
  },
];

interface Message {
  message: string;
}

/** What a refused request must leave alone. */
async function state(): Promise<{ chain: ChainBody; peers: unknown; pending: unknown }> {
  const chain = (await request<ChainBody>(`${node.url}/chain`)).body;
  const stats = (await request<{ peers: unknown }>(`${node.url}/stats`)).body;
  const pending = (await request(`${node.url}/transactions/pending`)).body;
  return { chain, peers: stats.peers, pending };
}

t.test("the guarded routes answer 401 with a message without the right token, and change nothing", async (t) => {
  const before = await state();
  for (const route of GUARDED) {
    const call = (headers: Record<string, string>) =>
      request<Message>(`${node.url}${route.path}`, { method: route.method, body: route.body, headers });
    const name = `${route.method} ${route.path}`;

    const missing = await call({});
    t.equal(missing.status, 401, `${name} without a token: 401`);
    t.equal(missing.body.message, `${name} needs this node's API token: send "Authorization: Bearer <token>"`);
    t.equal(missing.headers.get("www-authenticate"), 'Bearer realm="toychain"', "with the Bearer challenge");

    const basic = await call({ authorization: `Basic ${Buffer.from(`user:${TOKEN}`).toString("base64")}` });
    t.equal(basic.status, 401, `${name} with Basic credentials: 401`);
    t.equal(basic.body.message, 'The Authorization header must read "Bearer <token>"');

    for (const wrong of [`${TOKEN}x`, TOKEN.slice(1), TOKEN.toUpperCase(), "0".repeat(TOKEN.length)]) {
      const answer = await call({ authorization: `Bearer ${wrong}` });
      t.equal(answer.status, 401, `${name} with a wrong token: 401`);
      t.equal(answer.body.message, "The API token is wrong");
      t.equal(answer.headers.get("www-authenticate"), 'Bearer realm="toychain", error="invalid_token"');
    }
  }
  t.same(await state(), before, "no block mined, no peer registered, nothing pending changed");
});

t.test("with the token, the guarded routes work; the scheme is case-insensitive", async (t) => {
  const mined = await request<Message & { index: number }>(`${node.url}/mine`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  t.equal(mined.status, 200);
  t.equal(mined.body.message, "New Block Forged");
  const registered = await request<Message>(`${node.url}/nodes/register`, {
    body: { nodes: ["127.0.0.1:1"] },
    headers: { authorization: `bearer  ${TOKEN}` },
  });
  t.equal(registered.status, 200);
  t.equal(registered.body.message, "1 new nodes have been successfully added");
  const resolved = await request<Message & { peers: { verdict: string }[] }>(`${node.url}/nodes/resolve`, {
    headers: { authorization: `BEARER ${TOKEN}` },
  });
  t.equal(resolved.status, 200);
  t.equal(resolved.body.message, "Our chain is authoritative");
  t.match(resolved.body.peers, [{ verdict: "unreachable" }]);
  const announced = await request<Message & { outcome: string }>(`${node.url}/nodes/announce`, {
    body: {
      length: 2,
      hash: "0".repeat(64),
      work: "512",
      chain: "3359bdb5a0bba889b9fe4387a3d400715eddc65be81661733aa502880c47e6e7",
      url: "http://127.0.0.1:1",
    },
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  t.equal(announced.status, 202);
  t.equal(announced.body.outcome, "ignored", "this node gossips not: the announcement is ignored");
});

t.test("reading and posting transactions stay open", async (t) => {
  const posted = await request<Message>(`${node.url}/transactions/new`, {
    body: { sender: "Lea", recipient: "Mark", amount: 10 },
  });
  t.equal(posted.status, 200, "POST /transactions/new");
  for (const path of ["/", "/chain", "/transactions/pending", "/stats", "/openapi.json"]) {
    t.equal((await request(`${node.url}${path}`)).status, 200, `GET ${path}`);
  }
});

t.test("any Authorization header but the token's is refused and changes nothing", async (t) => {
  const near = fc.oneof(
    fc.string({ maxLength: 40 }).map((s) => `Bearer ${s}`),
    fc.string({ maxLength: 60 }),
    fc
      .tuple(fc.nat(TOKEN.length - 1), fc.string({ minLength: 1, maxLength: 1 }))
      .filter(([at, char]) => TOKEN[at] !== char)
      .map(([at, char]) => `Bearer ${TOKEN.slice(0, at)}${char}${TOKEN.slice(at + 1)}`),
    fc.constantFrom(`Bearer${TOKEN}`, `Token ${TOKEN}`, `Bearer ${TOKEN} ${TOKEN}`, `${TOKEN}`, `Bearer "${TOKEN}"`),
  );
  const before = await state();
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...GUARDED), near, async (route, authorization) => {
      let response: Response;
      try {
        response = await fetch(`${node.url}${route.path}`, {
          method: route.method,
          headers: { authorization, "content-type": "application/json" },
          body: route.body === undefined ? null : JSON.stringify(route.body),
          signal: AbortSignal.timeout(10_000),
        });
      } catch (error) {
        // fetch itself refuses header values with control characters: nothing was sent.
        if (error instanceof TypeError && /header/i.test(String(error.cause ?? error.message))) return;
        throw error;
      }
      const body = (await response.json()) as Partial<Message>;
      if (response.status !== 401 || typeof body.message !== "string" || body.message === "") {
        throw new Error(`answered ${response.status}: ${JSON.stringify(body)}`);
      }
    }),
    { numRuns: 300 },
  );
  t.same(await state(), before, "after every refused request, the state is as it was");
});

t.test("/openapi.json names the token on the guarded operations only", async (t) => {
  const document = (await request<OpenApiDocument>(`${node.url}/openapi.json`)).body;
  t.match(document.components.securitySchemes, { apiToken: { type: "http", scheme: "bearer" } });
  const guarded = new Set(GUARDED.map((route) => `${route.method.toLowerCase()} ${route.path}`));
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (guarded.has(`${method} ${path}`)) {
        t.same(operation.security, [{ apiToken: [] }], `${method} ${path} needs the token`);
        t.ok(operation.responses["401"], `${method} ${path} documents its 401`);
      } else {
        t.equal(operation.security, undefined, `${method} ${path} is open`);
      }
    }
  }
  const problems = await lintFromString({
    source: JSON.stringify(document),
    absoluteRef: `${node.url}/openapi.json`,
    config: await createConfig({ extends: ["minimal"] }),
  });
  t.strictSame(
    problems.filter((p) => p.severity === "error").map((p) => p.message),
    [],
    "Redocly finds no error in the guarded document",
  );
});

t.test("the token is never logged", async (t) => {
  const listening = node.logs.find((line) => line.msg === "node listening");
  t.equal(listening?.apiToken, true, "the start line says a token guards the node");
  t.notMatch(JSON.stringify(node.logs) + node.stderr(), TOKEN, "the token itself appears nowhere");
});

t.test("listening beyond loopback: a warning without a token, none with one", async (t) => {
  const warning = /without --api-token/;
  const open = await startNode(["--host", "0.0.0.0", "--difficulty", "8", "--threads", "1"], { t });
  const warned = await open.waitForLog((line) => warning.test(line.msg));
  t.equal(warned.level, 40, "at warn level");
  t.equal(warned.host, "0.0.0.0");
  await open.stop();

  const guarded = await startNode(["--host", "0.0.0.0", "--api-token", TOKEN, "--difficulty", "8", "--threads", "1"], {
    t,
  });
  await guarded.stop();
  t.notOk(
    guarded.logs.some((line) => warning.test(line.msg)),
    "no warning when a token guards the node",
  );
  t.notOk(
    node.logs.some((line) => warning.test(line.msg)),
    "no warning on 127.0.0.1",
  );
});
