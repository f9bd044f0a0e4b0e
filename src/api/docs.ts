import { createHash } from "node:crypto";
import { extname } from "node:path";
import type Router from "@koa/router";
import { ASSETS_DIR, MissingAssetError, readAsset } from "../assets.js";
import {
  accountPathSchema,
  accountSchema,
  accountTransactionsSchema,
  announcedSchema,
  announceSchema,
  authoritativeSchema,
  blockFoundSchema,
  blockPathSchema,
  blockRefSchema,
  blockSchema,
  chainPageSchema,
  chainQuerySchema,
  chainSchema,
  errorSchema,
  eventSchemas,
  historyQuerySchema,
  locateSchema,
  messageSchema,
  minedSchema,
  pendingSchema,
  registeredSchema,
  registerNodesSchema,
  replacedSchema,
  signedTransactionSchema,
  statsSchema,
  tipSchema,
  transactionAddedSchema,
  transactionConfirmedSchema,
  transactionPathSchema,
  transactionPendingSchema,
  transactionSchema,
  transactionUnknownSchema,
} from "../schemas/index.js";
import { VERSION } from "../version.js";
import { DocsNotBuiltError, RouteNotFoundError } from "./errors.js";
import { openApiDocument } from "./openapi.js";

/**
 * The API's documentation, served by the node itself with no CDN, so that it
 * works with no internet: /openapi.json (built at start from the schemas),
 * Swagger UI at /docs and ReDoc at /redoc, whose scripts and styles (copied
 * from their npm packages at build time by docs-assets.ts) are read once at
 * start and served from memory under /docs/assets/.
 */

const ASSETS_PATH = "/docs/assets";

/** Where npm run build:docs (src/api/docs-assets.ts) puts the pages' files: dist/assets/docs/. */
export const DOCS_ASSETS_DIR = new URL("docs/", ASSETS_DIR);

/** The only files served under /docs/assets/. */
export const DOCS_ASSET_FILES = [
  "swagger-ui.css",
  "swagger-ui-bundle.js",
  "favicon-32x32.png",
  "favicon-16x16.png",
  "redoc.standalone.js",
] as const;

export type DocsAssetFile = (typeof DOCS_ASSET_FILES)[number];

/** The pages' files as read at start: the bytes of those found, and the error for each other one. */
export interface DocsAssets {
  files: ReadonlyMap<DocsAssetFile, Buffer>;
  missing: readonly MissingAssetError[];
}

/** Reads every file of the pages once (about 3 MB), so that nothing deleted later can break a page. */
export function loadDocsAssets(): DocsAssets {
  const files = new Map<DocsAssetFile, Buffer>();
  const missing: MissingAssetError[] = [];
  for (const file of DOCS_ASSET_FILES) {
    try {
      files.set(file, readAsset(new URL(file, DOCS_ASSETS_DIR)));
    } catch (error) {
      if (!(error instanceof MissingAssetError)) throw error;
      missing.push(error);
    }
  }
  return { files, missing };
}

const HEAD = `<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" type="image/png" href="${ASSETS_PATH}/favicon-32x32.png" sizes="32x32">
<link rel="icon" type="image/png" href="${ASSETS_PATH}/favicon-16x16.png" sizes="16x16">
<style>body { margin: 0; padding: 0; }</style>`;

/** Swagger UI on /openapi.json; "Try it out" sends its requests to this node (the document's server is "/"). */
const SWAGGER_UI_INIT = `
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  presets: [SwaggerUIBundle.presets.apis],
  deepLinking: true,
  displayRequestDuration: true,
  validatorUrl: null,
});
`;

const SWAGGER_UI_PAGE = `<!doctype html>
<html lang="en">
<head>
${HEAD}
<title>toychain API · Swagger UI</title>
<link rel="stylesheet" href="${ASSETS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script>${SWAGGER_UI_INIT}</script>
</body>
</html>
`;

const REDOC_PAGE = `<!doctype html>
<html lang="en">
<head>
${HEAD}
<title>toychain API · ReDoc</title>
</head>
<body>
<redoc spec-url="/openapi.json"></redoc>
<script src="${ASSETS_PATH}/redoc.standalone.js"></script>
</body>
</html>
`;

/**
 * The pages may load nothing but this node's own files, so they work the same
 * with no internet. Styles are inline (styled-components, React), the one
 * inline script is allowed by its hash, and ReDoc's search runs in a blob: worker.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src 'self' 'sha256-${createHash("sha256").update(SWAGGER_UI_INIT).digest("base64")}'`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src blob:",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

/** The files of ours that a page loads. */
const loadedBy = (page: string): DocsAssetFile[] =>
  DOCS_ASSET_FILES.filter((file) => page.includes(`"${ASSETS_PATH}/${file}"`));

/**
 * Adds the documentation's routes to the API's router; `guarded` as
 * openApiDocument takes it. A page, or a file of it, that is missing from
 * `assets` answers 503 (DocsNotBuiltError) rather than a blank page.
 */
export function mountDocs(router: Router, guarded: readonly string[], assets: DocsAssets): void {
  const document = openApiDocument(
    {
      transaction: transactionSchema,
      signedTransaction: signedTransactionSchema,
      transactionAdded: transactionAddedSchema,
      registerNodes: registerNodesSchema,
      block: blockSchema,
      chain: chainSchema,
      chainQuery: chainQuerySchema,
      message: messageSchema,
      error: errorSchema,
      pending: pendingSchema,
      mined: minedSchema,
      chainPage: chainPageSchema,
      tip: tipSchema,
      locate: locateSchema,
      blockRef: blockRefSchema,
      blockPath: blockPathSchema,
      blockFound: blockFoundSchema,
      registered: registeredSchema,
      replaced: replacedSchema,
      authoritative: authoritativeSchema,
      stats: statsSchema,
      announce: announceSchema,
      announced: announcedSchema,
      accountPath: accountPathSchema,
      account: accountSchema,
      historyQuery: historyQuerySchema,
      accountTransactions: accountTransactionsSchema,
      transactionPath: transactionPathSchema,
      transactionPending: transactionPendingSchema,
      transactionConfirmed: transactionConfirmedSchema,
      transactionUnknown: transactionUnknownSchema,
      events: eventSchemas,
    },
    VERSION,
    guarded,
  );
  const json = JSON.stringify(document, null, 2);

  router.get("/openapi.json", (ctx) => {
    ctx.type = "application/json";
    ctx.body = json;
  });
  /** Throws DocsNotBuiltError when any of `files` was missing at start. */
  const requireAssets = (files: readonly DocsAssetFile[]): void => {
    const missing = files.filter((file) => !assets.files.has(file));
    if (missing.length > 0) throw new DocsNotBuiltError(missing);
  };
  const swaggerUiAssets = loadedBy(SWAGGER_UI_PAGE);
  const redocAssets = loadedBy(REDOC_PAGE);

  router.get("/docs", (ctx) => {
    requireAssets(swaggerUiAssets);
    ctx.type = "html";
    ctx.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    ctx.body = SWAGGER_UI_PAGE;
  });
  router.get("/redoc", (ctx) => {
    requireAssets(redocAssets);
    ctx.type = "html";
    ctx.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    ctx.body = REDOC_PAGE;
  });
  // The walkthrough calls the ReDoc page /redocs.
  router.get("/redocs", (ctx) => {
    ctx.redirect("/redoc");
  });
  router.get(`${ASSETS_PATH}/:file`, (ctx) => {
    const file = DOCS_ASSET_FILES.find((name) => name === ctx.params.file);
    if (file === undefined) throw new RouteNotFoundError(ctx.method, ctx.path);
    const bytes = assets.files.get(file);
    if (bytes === undefined) throw new DocsNotBuiltError([file]);
    ctx.type = extname(file);
    ctx.set("Cache-Control", "public, max-age=3600");
    ctx.body = bytes;
  });
}
