import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
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
 * Swagger UI at /docs and ReDoc at /redoc, whose scripts and styles come from
 * their npm packages under /docs/assets/.
 */

const require = createRequire(import.meta.url);
const packageDir = (name: string): string => dirname(require.resolve(`${name}/package.json`));

/** This file runs from dist/src/api/. */
const { version } = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const ASSETS_PATH = "/docs/assets";
const swaggerUi = packageDir("swagger-ui-dist");
const REDOC_BUNDLE = join(packageDir("redoc"), "bundles", "redoc.standalone.js");

/** The only files served under /docs/assets/, by name. */
const ASSETS = new Map<string, string>([
  ...["swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "favicon-16x16.png"].map(
    (file): [string, string] => [file, join(swaggerUi, file)],
  ),
  ["redoc.standalone.js", REDOC_BUNDLE],
]);

/**
 * ReDoc 2's sidebar always shows Redocly's logo from their CDN: the bundle is
 * served with an empty image in its place, so that the page loads nothing from
 * elsewhere (the Content-Security-Policy below would block it anyway).
 */
const REDOC_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg";
const EMPTY_IMAGE = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E";

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

/** A file's bytes, ReDoc's bundle without the CDN logo. */
async function read(path: string): Promise<Buffer> {
  const bytes = await readFile(path);
  if (path !== REDOC_BUNDLE) return bytes;
  return Buffer.from(bytes.toString("utf8").replaceAll(REDOC_CDN_LOGO, EMPTY_IMAGE));
}

/** An asset's bytes, read once. */
function asset(path: string): Promise<Buffer> {
  let bytes = loaded.get(path);
  if (bytes === undefined) {
    bytes = read(path);
    bytes.catch(() => loaded.delete(path));
    loaded.set(path, bytes);
  }
  return bytes;
}

/** Adds the documentation's routes to the API's router. */
export function mountDocs(router: Router): void {
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
    const path = ASSETS.get(ctx.params.file ?? "");
    if (path === undefined) throw new RouteNotFoundError(ctx.method, ctx.path);
    ctx.type = extname(path);
    ctx.set("Cache-Control", "public, max-age=3600");
    ctx.body = await asset(path);
  });
}
