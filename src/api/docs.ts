import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import type Router from "@koa/router";
import {
  authoritativeSchema,
  blockSchema,
  chainPageSchema,
  chainQuerySchema,
  chainSchema,
  errorSchema,
  messageSchema,
  minedSchema,
  pendingSchema,
  registeredSchema,
  registerNodesSchema,
  replacedSchema,
  statsSchema,
  transactionSchema,
} from "../schemas/index.js";
import { RouteNotFoundError } from "./errors.js";
import { openApiDocument } from "./openapi.js";

/**
 * The API's documentation, served by the node itself with no CDN, so that it
 * works with no internet: /openapi.json (built at start from the schemas),
 * Swagger UI at /docs and ReDoc at /redoc, whose scripts and styles (copied
 * from their npm packages at build time by docs-assets.ts) are served under
 * /docs/assets/.
 */

/** This file runs from dist/src/api/. */
const { version } = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const ASSETS_PATH = "/docs/assets";

/** Where npm run build:docs (src/api/docs-assets.ts) puts the pages' files. */
export const DOCS_ASSETS_DIR = new URL("../../../build/docs/", import.meta.url);

/** The only files served under /docs/assets/. */
export const DOCS_ASSET_FILES = [
  "swagger-ui.css",
  "swagger-ui-bundle.js",
  "favicon-32x32.png",
  "favicon-16x16.png",
  "redoc.standalone.js",
] as const;

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

const loaded = new Map<string, Promise<Buffer>>();

/** An asset's bytes, read once. */
function asset(file: string): Promise<Buffer> {
  let bytes = loaded.get(file);
  if (bytes === undefined) {
    bytes = readFile(new URL(file, DOCS_ASSETS_DIR));
    bytes.catch(() => loaded.delete(file));
    loaded.set(file, bytes);
  }
  return bytes;
}

/** Adds the documentation's routes to the API's router; `guarded` as openApiDocument takes it. */
export function mountDocs(router: Router, guarded: readonly string[]): void {
  const document = openApiDocument(
    {
      transaction: transactionSchema,
      registerNodes: registerNodesSchema,
      block: blockSchema,
      chain: chainSchema,
      chainQuery: chainQuerySchema,
      message: messageSchema,
      error: errorSchema,
      pending: pendingSchema,
      mined: minedSchema,
      chainPage: chainPageSchema,
      registered: registeredSchema,
      replaced: replacedSchema,
      authoritative: authoritativeSchema,
      stats: statsSchema,
    },
    version,
    guarded,
  );
  const json = JSON.stringify(document, null, 2);

  router.get("/openapi.json", (ctx) => {
    ctx.type = "application/json";
    ctx.body = json;
  });
  router.get("/docs", (ctx) => {
    ctx.type = "html";
    ctx.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    ctx.body = SWAGGER_UI_PAGE;
  });
  router.get("/redoc", (ctx) => {
    ctx.type = "html";
    ctx.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    ctx.body = REDOC_PAGE;
  });
  // The walkthrough calls the ReDoc page /redocs.
  router.get("/redocs", (ctx) => {
    ctx.redirect("/redoc");
  });
  router.get(`${ASSETS_PATH}/:file`, async (ctx) => {
    const file = DOCS_ASSET_FILES.find((name) => name === ctx.params.file);
    if (file === undefined) throw new RouteNotFoundError(ctx.method, ctx.path);
    ctx.type = extname(file);
    ctx.set("Cache-Control", "public, max-age=3600");
    ctx.body = await asset(file);
  });
}
