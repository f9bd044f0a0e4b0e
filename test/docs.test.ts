import { createConfig, lintFromString } from "@redocly/openapi-core";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { Registry } from "prom-client";
import t, { type Test } from "tap";
import { ChainAnswers } from "../src/api/chain-body.js";
import { EventStreams } from "../src/api/events.js";
import { loadExplorerAssets } from "../src/api/explorer.js";
import type { JsonSchema, Method, OpenApiDocument, Operation, Reference, ResponseObject } from "../src/api/openapi.js";
import { routes } from "../src/api/routes.js";
import { newChainSpec, specFromFile } from "../src/chain/index.js";
import { EVENT_KINDS, EventBus } from "../src/events/index.js";
import {
  announceSchema,
  chainQuerySchema,
  eventSchemas,
  historyQuerySchema,
  registerNodesSchema,
  signedTransactionSchema,
  transactionSchema,
} from "../src/schemas/index.js";
import { startNode } from "../src/server.js";
import { chromiumSkip, launchChromium } from "./helpers/browser.js";
import { newWallet, transfer } from "./helpers/wallets.js";

/**
 * The documentation pages: /openapi.json against the router and the ajv
 * schemas, the node's real answers against the document, then Swagger UI and
 * ReDoc in a real browser (Debian's chromium, driven by playwright-core) that
 * may reach nothing but the node. DOCS_SCREENSHOT=<file.png> saves /docs after
 * "Execute".
 */

const JSON_TYPE = "application/json";

const running = await startNode({ port: 0, host: "127.0.0.1", threads: 2, difficulty: 8, logLevel: "silent" });
t.teardown(() => running.close());
const origin = running.url;
const document = (await (await fetch(`${origin}/openapi.json`)).json()) as OpenApiDocument;

/**
 * The API's routes as routes() builds them (app.ts mounts the docs' own
 * beside them): path → methods, HEAD aside. A path's `:name` is OpenAPI's
 * `{name}`; a route matched by a RegExp is named by its OpenAPI path.
 */
function routerRoutes(): Map<string, Method[]> {
  const found = new Map<string, Method[]>();
  const streams = new EventStreams(new EventBus(), running.log, new Registry());
  for (const layer of routes(running.node, {
    answers: new ChainAnswers(running.node),
    streams,
    explorer: loadExplorerAssets(),
  }).stack) {
    const path = typeof layer.path === "string" ? layer.path.replace(/:(\w+)/g, "{$1}") : String(layer.name);
    const methods = layer.methods.filter((m) => m !== "HEAD").map((m) => m.toLowerCase() as Method);
    found.set(path, [...(found.get(path) ?? []), ...methods].sort());
  }
  return found;
}

const operationsOf = (): [string, Method, Operation][] =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]): [string, Method, Operation] => [path, method as Method, operation]),
  );

const isReference = (value: unknown): value is Reference =>
  typeof value === "object" && value !== null && typeof (value as Partial<Reference>).$ref === "string";

/** Follows a local "#/a/b" reference inside the document. */
function resolve(ref: string): unknown {
  return ref
    .replace(/^#\//, "")
    .split("/")
    .reduce<unknown>(
      (at, key) => (at as Record<string, unknown>)[key.replaceAll("~1", "/").replaceAll("~0", "~")],
      document,
    );
}

function requestSchema(path: string, method: Method): JsonSchema {
  const schema = document.paths[path]?.[method]?.requestBody?.content[JSON_TYPE]?.schema;
  if (schema === undefined) throw new Error(`${method} ${path} has no JSON request body`);
  return (isReference(schema) ? resolve(schema.$ref) : schema) as JsonSchema;
}

t.test("/openapi.json is an OpenAPI 3.1 document of every route", async (t) => {
  t.match(document.openapi, /^3\.1\.\d+$/, "openapi 3.1.x");
  t.same(document.servers, [{ url: "/", description: "This node" }], 'the server is "/": this node');

  const problems = await lintFromString({
    source: JSON.stringify(document),
    absoluteRef: `${origin}/openapi.json`,
    config: await createConfig({ extends: ["minimal"] }),
  });
  const errors = problems.filter((p) => p.severity === "error").map((p) => `${p.ruleId}: ${p.message}`);
  t.strictSame(errors, [], "Redocly's structural check of OpenAPI 3.1 finds no error");

  const documented = new Map(
    Object.entries(document.paths).map(([path, item]) => [path, (Object.keys(item) as Method[]).sort()]),
  );
  t.strictSame(documented, routerRoutes(), "every route of the router, with its methods, and nothing else");
  for (const [path, method, operation] of operationsOf()) {
    // An announcement is taken (202) for a sync that runs after the answer.
    const success = path === "/nodes/announce" ? "202" : "200";
    t.ok(operation.responses[success], `${method.toUpperCase()} ${path} documents its ${success} answer`);
  }

  const transactionForms = (requestSchema("/transactions/new", "post").oneOf ?? []) as Reference[];
  t.strictSame(
    transactionForms,
    [{ $ref: "#/components/schemas/Transaction" }, { $ref: "#/components/schemas/SignedTransaction" }],
    "POST /transactions/new: a Transaction (names ledger) or a SignedTransaction (accounts ledger)",
  );
  for (const [path, documentedSchema, schema] of [
    ["/transactions/new", resolve(transactionForms[0]?.$ref ?? "") as JsonSchema, transactionSchema],
    ["/transactions/new", resolve(transactionForms[1]?.$ref ?? "") as JsonSchema, signedTransactionSchema],
    ["/nodes/register", requestSchema("/nodes/register", "post"), registerNodesSchema],
    ["/nodes/announce", requestSchema("/nodes/announce", "post"), announceSchema],
  ] as const) {
    t.strictSame(documentedSchema.properties, schema.properties, `POST ${path}: the ajv schema's properties`);
    t.strictSame(documentedSchema.required, schema.required, `POST ${path}: the ajv schema's required fields`);
    t.equal(documentedSchema.additionalProperties, false, `POST ${path}: no other field`);
  }
  const examples = ["/transactions/new", "/nodes/register"].map(
    (path) => document.paths[path]?.post?.requestBody?.content[JSON_TYPE]?.example,
  );
  t.strictSame(
    examples,
    [{ sender: "Lea", recipient: "Mark", amount: 10 }, { nodes: ["http://127.0.0.1:5001"] }],
    "the walkthrough's requests are the examples",
  );
  const home = document.paths["/"]?.get?.responses["200"] as ResponseObject | undefined;
  t.strictSame(
    Object.keys(home?.content ?? {}),
    [JSON_TYPE, "text/html"],
    "GET /: the JSON greeting and the explorer page",
  );
  const stream = document.paths["/events"]?.get?.responses["200"] as ResponseObject | undefined;
  const messages = (stream?.content?.["text/event-stream"]?.schema.oneOf ?? []) as JsonSchema[];
  t.strictSame(
    messages.map((message) => (message.properties as Record<string, JsonSchema>).event),
    EVENT_KINDS.map((kind) => ({ const: kind })),
    "GET /events: a text/event-stream of every kind of event",
  );
  for (const kind of EVENT_KINDS) {
    const id = String(eventSchemas[kind].$id);
    const documentedEvent = document.components.schemas[id];
    t.strictSame(
      documentedEvent?.required,
      eventSchemas[kind].required,
      `the ${kind} event's data is the ajv schema ${id}`,
    );
  }
  const parameters = document.paths["/chain"]?.get?.parameters ?? [];
  t.strictSame(
    parameters.map((p) => [p.name, p.in, p.required]),
    Object.keys(chainQuerySchema.properties).map((name) => [name, "query", false]),
    "GET /chain: the query schema's fields as optional query parameters",
  );
  const parametersOf = (path: string) =>
    (document.paths[path]?.get?.parameters ?? []).map((p) => [p.name, p.in, p.required]);
  t.strictSame(parametersOf("/accounts/{address}"), [["address", "path", true]], "GET /accounts/{address}");
  t.strictSame(
    parametersOf("/accounts/{address}/transactions"),
    [["address", "path", true], ...Object.keys(historyQuerySchema.properties).map((name) => [name, "query", false])],
    "GET /accounts/{address}/transactions: the address, and the page's optional query",
  );
  t.strictSame(parametersOf("/transactions/{id}"), [["id", "path", true]], "GET /transactions/{id}");
  t.strictSame(parametersOf("/blocks/{hash}"), [["hash", "path", true]], "GET /blocks/{hash}");
});

/** The documented path a request's path is of: itself, or the one whose `{parameters}` it fills. */
function routeOf(path: string): string {
  if (document.paths[path] !== undefined) return path;
  const templates = Object.keys(document.paths).filter((template) => template.includes("{"));
  const pattern = (template: string) => new RegExp(`^${template.replace(/\{\w+\}/g, "[^/]+")}$`);
  return templates.find((template) => pattern(template).test(path)) ?? path;
}

t.test("the node's answers match the schemas the document gives them", async (t) => {
  const ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: true });
  ajv.addSchema(document, "openapi.json");
  const pointer = (...keys: string[]) => keys.map((k) => k.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

  async function answer(
    t: Test,
    method: string,
    path: string,
    status: number,
    body?: unknown,
    type = JSON_TYPE,
    at = origin,
  ): Promise<void> {
    const init: RequestInit = { method };
    if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
    if (body !== undefined) init.headers = { "content-type": type };
    const res = await fetch(`${at}${path}`, init);
    const route = routeOf(path.split("?")[0] ?? path);
    t.equal(res.status, status, `${method} ${path} answers ${status}`);
    const documented = document.paths[route]?.[method.toLowerCase() as Method]?.responses[String(status)];
    const location = isReference(documented)
      ? pointer(...documented.$ref.replace(/^#\//, "").split("/"))
      : pointer("paths", route, method.toLowerCase(), "responses", String(status));
    const response = (isReference(documented) ? resolve(documented.$ref) : documented) as ResponseObject | undefined;
    if (response === undefined) {
      t.fail(`${method} ${route} documents no ${status} answer`);
      return;
    }
    const validate = ajv.compile({ $ref: `openapi.json#/${location}/content/${pointer(JSON_TYPE)}/schema` });
    t.ok(validate(await res.json()), `${method} ${path}: the ${status} answer matches its schema`, {
      errors: validate.errors,
    });
  }

  await answer(t, "GET", "/", 200);
  await answer(t, "POST", "/transactions/new", 200, { sender: "Lea", recipient: "Mark", amount: 10 });
  await answer(t, "GET", "/transactions/pending", 200);
  await answer(t, "GET", "/mine", 200);
  await answer(t, "GET", "/chain", 200);
  await answer(t, "GET", "/chain?from=2&limit=1", 200);
  await answer(t, "GET", "/chain?from=99", 200);
  await answer(t, "POST", "/nodes/register", 200, { nodes: [origin] });
  await answer(t, "GET", "/nodes/resolve", 200);
  await answer(t, "GET", "/stats", 200);
  await answer(t, "GET", "/chain?from=2&max_bytes=1", 200);
  await answer(t, "GET", "/chain/tip", 200);
  const tip = (await (await fetch(`${origin}/chain/tip`)).json()) as {
    length: number;
    hash: string;
    work: string;
    chain: string;
  };
  await answer(t, "POST", "/chain/locate", 200, { locator: [{ height: tip.length, hash: tip.hash }] });
  await answer(t, "POST", "/chain/locate", 404, { locator: [{ height: 1, hash: "0".repeat(64) }] });
  await answer(t, "POST", "/chain/locate", 400, { locator: [] });
  await answer(t, "GET", `/blocks/${tip.hash}`, 200);
  await answer(t, "GET", `/blocks/${"0".repeat(64)}`, 404);
  await answer(t, "GET", "/blocks/0xabc", 400);
  await answer(t, "POST", "/nodes/announce", 202, { ...tip, url: origin });
  await answer(t, "POST", "/nodes/announce", 400, { ...tip, url: "ftp://127.0.0.1:1" });
  await answer(t, "POST", "/nodes/announce", 400, { ...tip, length: 0, url: origin });

  // A gossiping node's answers: an announcement dropped and one queued, and its /stats.
  const gossiping = await startNode({
    port: 0,
    host: "127.0.0.1",
    threads: 1,
    difficulty: 8,
    logLevel: "silent",
    gossip: true,
  });
  t.teardown(() => gossiping.close());
  const genesis = { ...tip, length: 1, hash: tip.chain, work: "256" };
  await answer(t, "POST", "/nodes/announce", 202, { ...genesis, url: origin }, JSON_TYPE, gossiping.url);
  await answer(t, "POST", "/nodes/announce", 202, { ...tip, url: origin }, JSON_TYPE, gossiping.url);
  const foreign = { ...tip, chain: "0".repeat(64), url: origin };
  await answer(t, "POST", "/nodes/announce", 409, foreign, JSON_TYPE, gossiping.url);
  await answer(t, "GET", "/stats", 200, undefined, JSON_TYPE, gossiping.url);
  await answer(t, "GET", "/chain?limit=0", 400);
  await answer(t, "POST", "/transactions/new", 400, { sender: "Lea", recipient: "Mark", amount: -1 });
  await answer(t, "POST", "/transactions/new", 400, "{not json");
  await answer(t, "POST", "/transactions/new", 415, "Lea pays Mark", "text/plain");
  await answer(t, "POST", "/nodes/register", 413, { nodes: ["x".repeat(2 * 1024 * 1024)] });

  // The accounts routes on the walkthrough's chain, which keeps none.
  const someone = newWallet("toy").address;
  await answer(t, "GET", `/accounts/${someone}`, 404);
  await answer(t, "GET", `/accounts/${someone}/transactions`, 404);
  await answer(t, "GET", `/transactions/${"0".repeat(64)}`, 404);

  // An accounts chain's answers: transfers taken and refused, accounts, histories and transactions.
  const spec = specFromFile(
    newChainSpec({
      name: "docs-accounts",
      blockTime: 5,
      hashesPerSecond: 1e3,
      now: Math.floor(Date.now() / 1000),
      ledger: "accounts",
      reward: 1000,
    }),
  );
  const [miner, payee] = [newWallet("toy"), newWallet("toy")];
  const accounts = await startNode({
    port: 0,
    host: "127.0.0.1",
    threads: 1,
    difficulty: 8,
    logLevel: "silent",
    chain: spec,
    rewardAddress: miner.address,
    maxPending: 2,
  });
  t.teardown(() => accounts.close());
  const at = accounts.url;
  const pay = (nonce: number, amount = 100, key = miner) =>
    transfer(spec.id, key, payee.address, { amount, fee: 1, nonce });
  await answer(t, "GET", "/mine", 200, undefined, JSON_TYPE, at);
  await answer(t, "GET", "/mine", 200, undefined, JSON_TYPE, at);
  await answer(t, "POST", "/transactions/new", 200, pay(1), JSON_TYPE, at);
  const forged = { ...pay(2), signature: pay(2, 100, payee).signature };
  await answer(t, "POST", "/transactions/new", 400, forged, JSON_TYPE, at);
  await answer(t, "POST", "/transactions/new", 409, pay(3), JSON_TYPE, at);
  await answer(t, "POST", "/transactions/new", 422, pay(2, 5000), JSON_TYPE, at);
  await answer(t, "POST", "/transactions/new", 200, pay(2), JSON_TYPE, at);
  await answer(t, "POST", "/transactions/new", 429, pay(3), JSON_TYPE, at);
  await answer(t, "GET", `/accounts/${miner.address}`, 200, undefined, JSON_TYPE, at);
  await answer(t, "GET", `/accounts/${payee.address}`, 200, undefined, JSON_TYPE, at);
  // Its last character changed (to another one: an address may end in any of them), so its checksum fails.
  const mistyped = `${miner.address.slice(0, -1)}${miner.address.endsWith("q") ? "p" : "q"}`;
  await answer(t, "GET", `/accounts/${mistyped}`, 400, undefined, JSON_TYPE, at);
  const posted = (await (await fetch(`${at}/accounts/${miner.address}`)).json()) as {
    pending: { from: { id: string }[] };
  };
  const id = posted.pending.from[0]?.id ?? "";
  await answer(t, "GET", `/transactions/${id}`, 200, undefined, JSON_TYPE, at);
  await answer(t, "GET", "/mine", 200, undefined, JSON_TYPE, at);
  await answer(t, "GET", `/transactions/${id}`, 200, undefined, JSON_TYPE, at);
  const { hash: transfersBlock } = (await (await fetch(`${at}/chain/tip`)).json()) as { hash: string };
  await answer(t, "GET", `/blocks/${transfersBlock}`, 200, undefined, JSON_TYPE, at);
  await answer(t, "GET", `/transactions/${"0".repeat(64)}`, 404, undefined, JSON_TYPE, at);
  await answer(t, "GET", "/transactions/0xabc", 400, undefined, JSON_TYPE, at);
  await answer(t, "GET", `/accounts/${miner.address}/transactions?limit=2`, 200, undefined, JSON_TYPE, at);
  await answer(t, "GET", `/accounts/${miner.address}/transactions`, 200, undefined, JSON_TYPE, at);
  await answer(t, "GET", `/accounts/${miner.address}/transactions?limit=101`, 400, undefined, JSON_TYPE, at);
  await answer(t, "GET", "/stats", 200, undefined, JSON_TYPE, at);

  const metrics = await fetch(`${origin}/metrics`);
  t.equal(metrics.status, 200, "GET /metrics answers 200");
  const metricsAnswer = document.paths["/metrics"]?.get?.responses["200"] as ResponseObject | undefined;
  t.strictSame(
    Object.keys(metricsAnswer?.content ?? {}),
    [metrics.headers.get("content-type")],
    "GET /metrics: the documented content type",
  );
  const redocs = await fetch(`${origin}/redocs`, { redirect: "manual" });
  t.equal(redocs.headers.get("location"), "/redoc", "the walkthrough's /redocs leads to /redoc");
  const missing = await fetch(`${origin}/nowhere`);
  t.equal(missing.status, 404, "an unknown path answers 404");
  t.ok(ajv.validate({ $ref: "openapi.json#/components/schemas/Error" }, await missing.json()), "a 404 is an Error");
});

/** Opens one of the node's pages, and keeps its script errors and failed loads. */
async function openPage(context: BrowserContext, path: string): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  await page.goto(`${origin}${path}`);
  return { page, problems };
}

/** Swagger UI's block for one operation. */
const operationBlock = (page: Page, method: Method, path: string): Locator =>
  page.locator(`.opblock-${method}`, { has: page.locator(`.opblock-summary-path[data-path="${path}"]`) });

/** Expands an operation, clicks "Try it out" then "Execute", and returns the answer's status and body as shown. */
async function tryItOut(block: Locator): Promise<{ status: string; body: string }> {
  await block.locator(".opblock-summary-control").click();
  await block.getByRole("button", { name: "Try it out" }).click();
  await block.getByRole("button", { name: "Execute" }).click();
  const live = block.locator(".live-responses-table .response");
  await live.waitFor();
  return {
    status: (await live.locator(".response-col_status").textContent())?.trim() ?? "",
    body: (await live.locator(".highlight-code pre").first().textContent()) ?? "",
  };
}

t.test("Swagger UI and ReDoc in a real browser, with no internet", { skip: chromiumSkip }, async (t) => {
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const requests: string[] = [];
  context.on("request", (request) => requests.push(request.url()));
  // The node's own origin (blob: URLs made by its pages included) or inline data; nothing else.
  const local = (url: URL) => url.protocol === "data:" || url.origin === origin;
  await context.route(
    (url) => !local(url),
    (route) => route.abort("internetdisconnected"),
  );

  await t.test("/docs: Try it out on GET /chain and POST /transactions/new", async (t) => {
    const { page, problems } = await openPage(context, "/docs");
    const chain = operationBlock(page, "get", "/chain");
    const shown = await tryItOut(chain);
    t.equal(shown.status, "200", "GET /chain answered 200");
    t.match(shown.body, /"previous_hash": "1"/, "the response shows the genesis block");
    t.match(shown.body, /"length": \d+/, "and the chain's length");
    const answer = JSON.parse(shown.body) as { chain: unknown[]; length: number };
    t.equal(answer.chain.length, answer.length, "the whole chain");
    if (process.env.DOCS_SCREENSHOT) {
      await chain.evaluate((element) => element.scrollIntoView());
      await page.screenshot({ path: process.env.DOCS_SCREENSHOT });
    }

    const transaction = operationBlock(page, "post", "/transactions/new");
    const posted = await tryItOut(transaction);
    t.equal(posted.status, "200", "the walkthrough's prefilled transaction is accepted");
    t.match(
      posted.body,
      /Transaction added to the list of current transactions and will be mined into the block at index \d+/,
    );
    t.strictSame(problems, [], "no script error, nothing failed to load");
  });

  await t.test("/redoc renders every operation", async (t) => {
    const { page, problems } = await openPage(context, "/redoc");
    for (const [path, method, operation] of operationsOf()) {
      const section = page.locator(`[data-section-id="tag/${operation.tags[0]}/operation/${operation.operationId}"]`);
      const endpoint = section.locator("button", { has: page.locator(`.http-verb.${method}`) });
      await endpoint.waitFor();
      t.equal(
        await endpoint.textContent(),
        `${method}${path}`,
        `${operation.summary}: ${method.toUpperCase()} ${path}`,
      );
    }
    t.strictSame(problems, [], "no script error, nothing failed to load");
  });

  const outside = requests.filter((url) => !local(new URL(url)));
  t.strictSame(outside, [], "the browser asked for nothing but the node's own pages and files");
  t.ok(requests.includes(`${origin}/docs/assets/swagger-ui-bundle.js`), "Swagger UI came from the node");
  t.ok(requests.includes(`${origin}/docs/assets/redoc.standalone.js`), "ReDoc came from the node");
});
