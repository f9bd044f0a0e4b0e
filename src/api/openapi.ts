/**
 * The API's OpenAPI 3.1 document, built from the very ajv schema objects that
 * validate its requests (and those of its answers): a pure function, schemas
 * in, document out. Every schema that has an `$id` becomes a component, and
 * wherever one is embedded in another it becomes a `$ref` to it.
 */

/** A JSON Schema, as ajv takes it and as OpenAPI 3.1 shows it. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** The schemas the document is built from; each must have an `$id`. */
export interface ApiSchemas {
  transaction: JsonSchema;
  signedTransaction: JsonSchema;
  transactionAdded: JsonSchema;
  registerNodes: JsonSchema;
  block: JsonSchema;
  chain: JsonSchema;
  chainQuery: JsonSchema;
  message: JsonSchema;
  error: JsonSchema;
  pending: JsonSchema;
  mined: JsonSchema;
  chainPage: JsonSchema;
  tip: JsonSchema;
  locate: JsonSchema;
  blockRef: JsonSchema;
  blockPath: JsonSchema;
  blockFound: JsonSchema;
  registered: JsonSchema;
  replaced: JsonSchema;
  authoritative: JsonSchema;
  stats: JsonSchema;
  announce: JsonSchema;
  announced: JsonSchema;
  accountPath: JsonSchema;
  account: JsonSchema;
  historyQuery: JsonSchema;
  accountTransactions: JsonSchema;
  transactionPath: JsonSchema;
  transactionPending: JsonSchema;
  transactionConfirmed: JsonSchema;
  transactionUnknown: JsonSchema;
  /** The data schema of each kind of event of GET /events, by its name in the stream. */
  events: Readonly<Record<string, JsonSchema>>;
}

/** A type, not an interface, so that it is also a JsonSchema. */
export type Reference = { $ref: string };

export interface MediaType {
  schema: JsonSchema;
  example?: unknown;
}

export interface ResponseObject {
  description: string;
  content?: Record<string, MediaType>;
}

export interface RequestBody {
  description?: string;
  required: boolean;
  content: Record<string, MediaType>;
}

export interface Parameter {
  name: string;
  in: "query" | "path";
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface Operation {
  tags: string[];
  operationId: string;
  summary: string;
  description?: string;
  parameters?: Parameter[];
  requestBody?: RequestBody;
  responses: Record<string, ResponseObject | Reference>;
  security?: Record<string, string[]>[];
}

export type Method = "get" | "post";
export type PathItem = Partial<Record<Method, Operation>>;

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string; license: { name: string; identifier: string } };
  servers: { url: string; description: string }[];
  security: Record<string, string[]>[];
  tags: { name: string; description: string }[];
  paths: Record<string, PathItem>;
  components: {
    schemas: Record<string, JsonSchema>;
    responses: Record<string, ResponseObject>;
    securitySchemes?: Record<string, { type: "http"; scheme: "bearer"; description: string }>;
  };
}

/** Keywords whose value is a map of name → subschema. */
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]);
/** Keywords whose value is a subschema or a list of them. */
const SUBSCHEMAS = new Set([
  "items",
  "prefixItems",
  "additionalItems",
  "additionalProperties",
  "unevaluatedItems",
  "unevaluatedProperties",
  "propertyNames",
  "contains",
  "not",
  "if",
  "then",
  "else",
  "allOf",
  "anyOf",
  "oneOf",
]);

const isSchema = (value: unknown): value is JsonSchema =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const idOf = (schema: JsonSchema): string | undefined => (typeof schema.$id === "string" ? schema.$id : undefined);

function idOrThrow(schema: JsonSchema): string {
  const id = idOf(schema);
  if (id === undefined) throw new Error(`A schema given to the OpenAPI document has no $id: ${JSON.stringify(schema)}`);
  return id;
}

const refTo = (id: string): Reference => ({ $ref: `#/components/schemas/${id}` });

/** Applies `fn` to every subschema directly under `schema`, keeping every other keyword as it is. */
function mapSubschemas(schema: JsonSchema, fn: (sub: JsonSchema) => JsonSchema): Record<string, unknown> {
  const each = (value: unknown): unknown => (isSchema(value) ? fn(value) : structuredClone(value));
  const out: Record<string, unknown> = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (SCHEMA_MAPS.has(keyword) && isSchema(value)) {
      out[keyword] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, each(sub)]));
    } else if (SUBSCHEMAS.has(keyword)) {
      out[keyword] = Array.isArray(value) ? value.map(each) : each(value);
    } else {
      out[keyword] = structuredClone(value);
    }
  }
  return out;
}

/** The subschemas directly under `schema`. */
function subschemasOf(schema: JsonSchema): JsonSchema[] {
  return Object.entries(schema)
    .flatMap(([keyword, value]): unknown[] => {
      if (SCHEMA_MAPS.has(keyword) && isSchema(value)) return Object.values(value);
      return SUBSCHEMAS.has(keyword) ? [value].flat() : [];
    })
    .filter(isSchema);
}

/** Every schema with an `$id` under the given ones (themselves included), by id; one id, one schema. */
function collectById(roots: JsonSchema[]): Map<string, JsonSchema> {
  const found = new Map<string, JsonSchema>();
  const visit = (schema: JsonSchema): void => {
    const id = idOf(schema);
    if (id !== undefined) {
      const known = found.get(id);
      if (known !== undefined) {
        if (JSON.stringify(known) !== JSON.stringify(schema))
          throw new Error(`Two different schemas have the $id "${id}"`);
        return;
      }
      found.set(id, schema);
    }
    subschemasOf(schema).forEach(visit);
  };
  roots.forEach(visit);
  return found;
}

/**
 * An ajv schema as OpenAPI 3.1 (JSON Schema 2020-12) shows it: no `$id`,
 * embedded schemas that have one as `$ref`s (and a `$ref` to an `$id`, as
 * ajv reads it, a `$ref` to its component), and ajv's `nullable: true` as a
 * "null" member of `type` (and of `enum`).
 */
function toOpenApiSchema(schema: JsonSchema): JsonSchema {
  const convert = (sub: JsonSchema): JsonSchema => {
    const id = idOf(sub);
    return id === undefined ? toOpenApiSchema(sub) : refTo(id);
  };
  const { $id: _id, nullable, $ref, ...rest } = mapSubschemas(schema, convert);
  if (typeof $ref === "string") return { ...rest, ...refTo($ref) };
  if (nullable !== true) return rest;
  const types: unknown[] = Array.isArray(rest.type) ? rest.type : [rest.type];
  const values: unknown[] | undefined = Array.isArray(rest.enum) ? rest.enum : undefined;
  const nullableEnum = values === undefined ? {} : { enum: [...values, null] };
  return { ...rest, type: [...types, "null"], ...nullableEnum };
}

/**
 * A query string's fields, or a path's, as parameters. A field's `nullable`
 * only tells ajv that it may be absent, which `required` says here: a query
 * string has no null. A path parameter is always required.
 */
function parameters(schema: JsonSchema, where: Parameter["in"] = "query"): Parameter[] {
  const properties = isSchema(schema.properties) ? schema.properties : {};
  const required: unknown[] = Array.isArray(schema.required) ? schema.required : [];
  return Object.entries(properties).map(([name, property]) => {
    const { description, nullable: _nullable, ...rest } = isSchema(property) ? property : {};
    return {
      name,
      in: where,
      required: where === "path" || required.includes(name),
      ...(typeof description === "string" ? { description } : {}),
      schema: toOpenApiSchema(rest),
    };
  });
}

const firstExample = (schema: JsonSchema): { example?: unknown } =>
  Array.isArray(schema.examples) && schema.examples.length > 0 ? { example: structuredClone(schema.examples[0]) } : {};

/** A JSON request body of this schema (or of any of several), with the first one's first example prefilled. */
function jsonBody(schemas: JsonSchema | JsonSchema[], description?: string): RequestBody {
  const [first, ...others] = [schemas].flat() as [JsonSchema, ...JsonSchema[]];
  const ref = refTo(idOrThrow(first));
  return {
    ...(description === undefined ? {} : { description }),
    required: true,
    content: {
      "application/json": {
        schema: others.length === 0 ? ref : { oneOf: [ref, ...others.map((schema) => refTo(idOrThrow(schema)))] },
        ...firstExample(first),
      },
    },
  };
}

/** A JSON answer of this schema (or of any of several). */
function jsonAnswer(description: string, schemas: JsonSchema[], example?: unknown): ResponseObject {
  const refs = schemas.map((schema) => refTo(idOrThrow(schema)));
  const schema = refs.length === 1 && refs[0] !== undefined ? refs[0] : { oneOf: refs };
  return { description, content: { "application/json": { schema, ...(example === undefined ? {} : { example }) } } };
}

/**
 * GET /events' answer: a text/event-stream whose every message is shown as
 * an object of its fields: `event` names its kind, `id` numbers it, and
 * `data` is one line of JSON of that kind's schema.
 */
function eventStreamAnswer(events: Readonly<Record<string, JsonSchema>>): ResponseObject {
  const messages = Object.entries(events).map(([kind, schema]) => ({
    type: "object",
    title: kind,
    required: ["id", "event", "data"],
    properties: {
      id: { type: "string", pattern: "^[0-9]+$", description: "Increasing from 1 since the node started" },
      event: { const: kind },
      data: refTo(idOrThrow(schema)),
    },
  }));
  return {
    description:
      "Server-Sent Events, one message per event as it happens (each shown here as an object of its fields, `data` being one line of JSON), after a `retry:` field; a comment every 15 s keeps the stream open",
    content: { "text/event-stream": { schema: { oneOf: messages } } },
  };
}

const errorRef = (name: string): Reference => ({ $ref: `#/components/responses/${name}` });

/** The error answers, each with the error body and an example; operations refer to them by name. */
function errorResponses(error: JsonSchema): Record<string, ResponseObject> {
  const answer = (description: string, example: unknown): ResponseObject => jsonAnswer(description, [error], example);
  return {
    BadRequest: answer(
      "The body, query or path breaks its schema, or a field is refused (an address whose checksum fails, a signature that does not verify): `errors` names each field; or the JSON is malformed",
      {
        message: "Invalid transaction: amount must be > 0",
        errors: [{ field: "amount", message: "must be > 0" }],
      },
    ),
    MethodNotAllowed: answer("The path exists, but not for this method; the Allow header lists those it has", {
      message: "Method HEAD is not allowed on /mine; use GET",
    }),
    PayloadTooLarge: answer("The body is larger than the node accepts (1 MB)", {
      message: "The request body is larger than the limit of 1048576 bytes",
    }),
    UnsupportedMediaType: answer('The body is not sent as "Content-Type: application/json"', {
      message: 'Send the body as JSON with "Content-Type: application/json" (got "text/plain")',
    }),
    TooManyRequests: answer(
      "The mempool is full: retry once a block has been mined; on an accounts chain, a transfer paying a higher fee rate than the lowest pending one that may be evicted takes its place (the message names the fee needed)",
      {
        message: "The node already holds 100000 pending transactions; retry once a block has been mined",
      },
    ),
    TransferRefused: answer(
      "On an accounts chain, the transfer's nonce does not fit its sender's: used already (a replay), past the next one (a gap), or pending already (the same transfer, or a replacement that does not pay a higher fee)",
      {
        message:
          "nonce 3 from toy1qy352euf40x77qfrg4ncn27dauqjx3t83x4ummcpydzk0zdtehhsmn0fsz leaves a gap: the next is 1",
      },
    ),
    InsufficientFunds: answer(
      "On an accounts chain, the sender's confirmed balance does not cover this transfer's amount and fee with those of its pending ones",
      {
        message:
          "toy1qy352euf40x77qfrg4ncn27dauqjx3t83x4ummcpydzk0zdtehhsmn0fsz holds 1000, and its pending transfers with this one need 1200",
      },
    ),
    NoAccounts: answer("This node's chain keeps no accounts: its ledger is names (the walkthrough's)", {
      message:
        "This node's chain, walkthrough, keeps no accounts: its ledger is names, the walkthrough's transactions between any names. Accounts, balances and transfer ids are kept on chains made with \"toychain chain new --ledger accounts\"",
    }),
    Unauthorized: answer("This node has an API token, and the request did not carry it", {
      message: 'GET /mine needs this node\'s API token: send "Authorization: Bearer <token>"',
    }),
    Conflict: answer(
      "The node already has as many peers as it keeps; or, to an announcement, the announcer is on another chain",
      {
        message: "Cannot add 1 nodes to the 1000 registered: a node keeps at most 1000",
      },
    ),
    UnknownBlock: answer("No block of this node's chain has this hash", {
      message: "Block 0000000000000000000000000000000000000000000000000000000000000000 is not in this node's chain",
    }),
    NoCommonBlock: answer("None of the locator's blocks is in this node's chain: another network", {
      message: "None of the locator's 12 blocks is in this node's chain: it starts from another genesis block",
    }),
    SignatureCheckFailed: answer(
      "On an accounts chain, the node's signature workers failed to answer for the transfer (the node's fault, logged with its cause): it was not taken; retry",
      {
        message: "Internal error: the node could not check the signature, and did not take the transfer; retry",
      },
    ),
    ServiceUnavailable: answer(
      "The node is shutting down, or cannot serve this now (the explorer page not built, as many event streams open as it keeps, a reorganisation changing the chain during each read of its transactions)",
      {
        message: "The node is shutting down; no block was forged",
      },
    ),
  };
}

const bodyErrors = {
  400: errorRef("BadRequest"),
  413: errorRef("PayloadTooLarge"),
  415: errorRef("UnsupportedMediaType"),
};

function paths(s: ApiSchemas): Record<string, PathItem> {
  return {
    "/": {
      get: {
        tags: ["node"],
        operationId: "home",
        summary: "Greeting",
        description:
          "Names the node and points to these pages; a client whose Accept prefers text/html (a browser) gets the explorer page instead, a live view of the node. The answer varies with Accept.",
        responses: {
          200: {
            description: "The node's greeting, or the explorer page",
            content: {
              ...jsonAnswer("", [s.message]).content,
              "text/html": { schema: { type: "string", description: "The explorer page" } },
            },
          },
          503: errorRef("ServiceUnavailable"),
        },
      },
    },
    "/transactions/new": {
      post: {
        tags: ["transactions"],
        operationId: "newTransaction",
        summary: "Add a transaction",
        description:
          "Queues the transaction for the next block. Sender \"0\" is reserved for mining rewards. Which form a node takes depends on its chain's ledger (`chain.ledger` in /stats): on the walkthrough's (names), a Transaction between any names; on an accounts chain, a SignedTransaction, admitted once its addresses' checksums pass, its signature verifies for this chain, its nonce is its sender's next (or replaces a pending one with a higher fee) and its sender's confirmed balance covers it with its pending ones.",
        requestBody: jsonBody(
          [s.transaction, s.signedTransaction],
          "A Transaction on a names chain (the walkthrough's), a SignedTransaction on an accounts chain",
        ),
        responses: {
          200: jsonAnswer(
            "Queued, with the index of the block it will be mined into and, on an accounts chain, the transfer's id",
            [s.transactionAdded],
            {
              message:
                "Transaction added to the list of current transactions and will be mined into the block at index 2",
            },
          ),
          ...bodyErrors,
          409: errorRef("TransferRefused"),
          422: errorRef("InsufficientFunds"),
          429: errorRef("TooManyRequests"),
          500: errorRef("SignatureCheckFailed"),
          503: errorRef("ServiceUnavailable"),
        },
      },
    },
    "/transactions/{id}": {
      get: {
        tags: ["transactions"],
        operationId: "transaction",
        summary: "Find a transaction",
        description:
          "On an accounts chain: a transfer this node holds for a coming block, or a transaction (a reward too) in a block of its chain, with the block's height and its confirmations. An id it knows neither way answers 404 with the status unknown: a transfer posted to another node is known here once it reaches this node's pool or chain.",
        parameters: parameters(s.transactionPath, "path"),
        responses: {
          200: jsonAnswer("Pending or confirmed", [s.transactionPending, s.transactionConfirmed]),
          400: errorRef("BadRequest"),
          404: jsonAnswer("Unknown to this node; or this node's chain keeps no accounts", [
            s.transactionUnknown,
            s.error,
          ]),
          503: errorRef("ServiceUnavailable"),
        },
      },
    },
    "/transactions/pending": {
      get: {
        tags: ["transactions"],
        operationId: "pendingTransactions",
        summary: "List the pending transactions",
        responses: { 200: jsonAnswer("The transactions waiting for the next block", [s.pending]) },
      },
    },
    "/accounts/{address}": {
      get: {
        tags: ["accounts"],
        operationId: "account",
        summary: "Get an account",
        description:
          "An address's confirmed balance and nonce, the nonce its next transfer takes, and the transfers pending from and to it. An address no block has touched has a balance of 0 and a nonce of 0. The address must be one of this chain's (its prefix, and its checksum: 400 naming `address` otherwise).",
        parameters: parameters(s.accountPath, "path"),
        responses: {
          200: jsonAnswer("The account", [s.account]),
          400: errorRef("BadRequest"),
          404: errorRef("NoAccounts"),
        },
      },
    },
    "/accounts/{address}/transactions": {
      get: {
        tags: ["accounts"],
        operationId: "accountTransactions",
        summary: "List an account's transactions",
        description:
          "The confirmed transactions that pay an address or that it sent, its rewards included, newest first, a page at a time from an index the node keeps with its blocks: give a page's `next` as `before` for the next one.",
        parameters: [...parameters(s.accountPath, "path"), ...parameters(s.historyQuery)],
        responses: {
          200: jsonAnswer("A page of its transactions", [s.accountTransactions]),
          400: errorRef("BadRequest"),
          404: errorRef("NoAccounts"),
          503: errorRef("ServiceUnavailable"),
        },
      },
    },
    "/mine": {
      get: {
        tags: ["mining"],
        operationId: "mine",
        summary: "Mine a block",
        description:
          "Searches a proof of work for a block of the pending transactions plus this node's reward, on every mining thread. Concurrent requests queue: each mines the next block at its turn. On a node started with --mine, which mines block after block by itself, it starts no job of its own: it answers with the next block the node forges past its tip at the time of asking (at the next index, or later when a peer's block took that index first).",
        responses: {
          200: jsonAnswer("The block forged", [s.mined]),
          405: errorRef("MethodNotAllowed"),
          503: errorRef("ServiceUnavailable"),
        },
      },
    },
    "/chain": {
      get: {
        tags: ["chain"],
        operationId: "chain",
        summary: "Get the chain",
        description:
          "The whole chain, or the blocks that `from`, `limit` and `max_bytes` select, streamed from the store. Each block's keys are sorted, as its hash covers them.",
        parameters: parameters(s.chainQuery),
        responses: { 200: jsonAnswer("The blocks and the chain's length", [s.chainPage]), 400: errorRef("BadRequest") },
      },
    },
    "/blocks/{hash}": {
      get: {
        tags: ["chain"],
        operationId: "block",
        summary: "Find a block by its hash",
        description:
          "The block of this node's chain with this hash, its height and its confirmations, read from the store by its hash. A block this node never held, or one of a branch its chain left, answers 404. By height, a block is `GET /chain?from=N&limit=1`.",
        parameters: parameters(s.blockPath, "path"),
        responses: {
          200: jsonAnswer("The block, where it is and how deep", [s.blockFound]),
          400: errorRef("BadRequest"),
          404: errorRef("UnknownBlock"),
        },
      },
    },
    "/chain/tip": {
      get: {
        tags: ["chain"],
        operationId: "chainTip",
        summary: "Get the chain's tip",
        description:
          "The length of the chain, the hash of its last block, its work and its id (the genesis hash): what a syncing peer asks first, since it costs nothing. A peer on another chain is refused, and one whose work its length rules out; nodes choose the chain with the most work.",
        responses: { 200: jsonAnswer("The tip", [s.tip]) },
      },
    },
    "/chain/locate": {
      post: {
        tags: ["chain"],
        operationId: "locate",
        summary: "Find the fork point",
        description:
          "Given a block locator (blocks of the asker's chain, from its tip back, ever further apart), answers the first of them that this chain holds: the asker then reads the blocks after it with `GET /chain?from`.",
        requestBody: jsonBody(s.locate),
        responses: {
          200: jsonAnswer("The first locator block in this chain", [s.blockRef]),
          ...bodyErrors,
          404: errorRef("NoCommonBlock"),
        },
      },
    },
    "/nodes/register": {
      post: {
        tags: ["nodes"],
        operationId: "registerNodes",
        summary: "Register peers",
        description: "Adds nodes to this node's peers; /nodes/resolve compares chains with them.",
        requestBody: jsonBody(s.registerNodes),
        responses: {
          200: jsonAnswer("How many were new, and every peer", [s.registered]),
          ...bodyErrors,
          409: errorRef("Conflict"),
        },
      },
    },
    "/nodes/resolve": {
      get: {
        tags: ["nodes"],
        operationId: "resolve",
        summary: "Resolve conflicts",
        description:
          "Fetches every peer's chain and adopts the valid one with the most work when it has more than ours (on the walkthrough's chain: the longest, when longer); reports each peer.",
        responses: {
          200: jsonAnswer("Whether our chain was replaced, the chain kept, and each peer's verdict", [
            s.replaced,
            s.authoritative,
          ]),
          405: errorRef("MethodNotAllowed"),
          503: errorRef("ServiceUnavailable"),
        },
      },
    },
    "/nodes/announce": {
      post: {
        tags: ["nodes"],
        operationId: "announce",
        summary: "Announce a tip (gossip)",
        description:
          "What a node started with --gossip tells its peers when its chain grows. An announcement from another chain is refused (409). A tip this node holds, or with no more work than its chain (on the walkthrough's chain: no longer), is dropped (and one with less is answered with an announcement of this node's tip); one with more work is synced from the announcer in the background, at most one sync per announcer in flight and one waiting. The url is read as /nodes/register reads an address, and an announcer this node did not know is registered. Without --gossip, every announcement is answered `ignored`.",
        requestBody: jsonBody(s.announce),
        responses: {
          202: jsonAnswer("Queued, ignored, or dropped, and why", [s.announced]),
          ...bodyErrors,
          409: errorRef("Conflict"),
        },
      },
    },
    "/stats": {
      get: {
        tags: ["node"],
        operationId: "stats",
        summary: "Node statistics",
        description: "The node's state and mining: the running job and the hash rate of recent jobs.",
        responses: { 200: jsonAnswer("The node's statistics", [s.stats]) },
      },
    },
    "/events": {
      get: {
        tags: ["node"],
        operationId: "events",
        summary: "Stream the node's events",
        description:
          "What the node does, as it happens: a block appended (mined here or adopted), a chain replaced, a transaction added, mining progress four times a second, a job ended, a peer's verdict. A client that sends Last-Event-ID (EventSource does when it reconnects) first gets the events it missed, of the last 64 (mining progress aside). A client that falls 64 KiB behind is dropped and its stream closed; the node keeps at most 1000 streams.",
        responses: { 200: eventStreamAnswer(s.events), 503: errorRef("ServiceUnavailable") },
      },
    },
    "/metrics": {
      get: {
        tags: ["node"],
        operationId: "metrics",
        summary: "Prometheus metrics",
        responses: {
          200: {
            description: "Prometheus text exposition format",
            content: { "text/plain; version=0.0.4; charset=utf-8": { schema: { type: "string" } } },
          },
        },
      },
    },
  };
}

/** Marks every operation of the guarded paths as needing the bearer token, with its 401 answer. */
function guard(paths: Record<string, PathItem>, guarded: readonly string[]): Record<string, PathItem> {
  return Object.fromEntries(
    Object.entries(paths).map(([path, item]) => {
      if (!guarded.includes(path)) return [path, item];
      const operations = Object.entries(item).map(([method, operation]) => [
        method,
        {
          ...operation,
          security: [{ [TOKEN_SCHEME]: [] }],
          responses: { ...operation.responses, 401: errorRef("Unauthorized") },
        },
      ]);
      return [path, Object.fromEntries(operations)];
    }),
  );
}

const TOKEN_SCHEME = "apiToken";

/**
 * The OpenAPI 3.1 document of the node's API. `guarded` lists the paths that
 * need the node's API token, when it has one.
 */
export function openApiDocument(schemas: ApiSchemas, version: string, guarded: readonly string[]): OpenApiDocument {
  const { events, ...rest } = schemas;
  const components = collectById([...Object.values(rest), ...Object.values(events)]);
  return {
    openapi: "3.1.0",
    info: {
      title: "toychain",
      version,
      description:
        'A proof-of-work blockchain node. Errors answer JSON `{"message", "errors"?}`; an unknown path gets 404, a wrong method 405.',
      license: { name: "MIT", identifier: "MIT" },
    },
    servers: [{ url: "/", description: "This node" }],
    // Open by default; with an API token, the guarded operations name it.
    security: [],
    tags: [
      { name: "transactions", description: "Pending and confirmed transactions" },
      {
        name: "accounts",
        description: "Balances, nonces and histories, on a chain with an accounts ledger (chain new --ledger accounts)",
      },
      { name: "mining", description: "Proof of work" },
      { name: "chain", description: "The blocks" },
      { name: "nodes", description: "Peers and consensus" },
      { name: "node", description: "This node" },
    ],
    paths: guard(paths(schemas), guarded),
    components: {
      schemas: Object.fromEntries([...components].map(([id, schema]) => [id, toOpenApiSchema(schema)])),
      responses: errorResponses(schemas.error),
      ...(guarded.length === 0
        ? {}
        : {
            securitySchemes: {
              [TOKEN_SCHEME]: {
                type: "http",
                scheme: "bearer",
                description: "The token the node was started with (--api-token or TOYCHAIN_API_TOKEN)",
              },
            },
          }),
    },
  };
}
