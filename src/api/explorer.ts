import { extname } from "node:path";
import type Router from "@koa/router";
import type { Context } from "koa";
import { ASSETS_DIR, MissingAssetError, readAsset } from "../assets.js";
import { ExplorerNotBuiltError, RouteNotFoundError } from "./errors.js";

/**
 * The explorer: the page a browser gets at GET / (see routes.ts), and its
 * files under /explorer/, built into dist/assets/explorer/ by
 * explorer-assets.ts, read once at start and served from memory. The page
 * loads nothing but these files and the API's own answers.
 */

/** Where npm run build:explorer puts the page's files. */
export const EXPLORER_ASSETS_DIR = new URL("explorer/", ASSETS_DIR);

export const EXPLORER_PATH = "/explorer";

/** The page, then the only files served under /explorer/. */
export const EXPLORER_FILES = [
  "index.html",
  "explorer.js",
  "explorer.css",
  "uPlot.iife.min.js",
  "uPlot.min.css",
] as const;

export type ExplorerFile = (typeof EXPLORER_FILES)[number];

export interface ExplorerAssets {
  files: ReadonlyMap<ExplorerFile, Buffer>;
  missing: readonly MissingAssetError[];
}

/** Reads the page's files once (about 80 KB). */
export function loadExplorerAssets(): ExplorerAssets {
  const files = new Map<ExplorerFile, Buffer>();
  const missing: MissingAssetError[] = [];
  for (const file of EXPLORER_FILES) {
    try {
      files.set(file, readAsset(new URL(file, EXPLORER_ASSETS_DIR)));
    } catch (error) {
      if (!(error instanceof MissingAssetError)) throw error;
      missing.push(error);
    }
  }
  return { files, missing };
}

/**
 * Nothing but this node: its scripts (no inline one), its styles, its API
 * (fetch and EventSource), and the data: URL of the page's empty icon.
 */
export const EXPLORER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

function asset(assets: ExplorerAssets, file: ExplorerFile): Buffer {
  const bytes = assets.files.get(file);
  if (bytes === undefined) throw new ExplorerNotBuiltError([file]);
  return bytes;
}

/** Answers with the explorer page (503 when it was not built). */
export function explorerPage(ctx: Context, assets: ExplorerAssets): void {
  const missing = EXPLORER_FILES.filter((file) => !assets.files.has(file));
  if (missing.length > 0) throw new ExplorerNotBuiltError(missing);
  ctx.type = "html";
  ctx.set("Content-Security-Policy", EXPLORER_CSP);
  ctx.set("Cache-Control", "no-cache");
  ctx.body = asset(assets, "index.html");
}

/** Serves the page's files under /explorer/. */
export function mountExplorer(router: Router, assets: ExplorerAssets): void {
  router.get(`${EXPLORER_PATH}/:file`, (ctx) => {
    const file = EXPLORER_FILES.find((name) => name === ctx.params.file && name !== "index.html");
    if (file === undefined) throw new RouteNotFoundError(ctx.method, ctx.path);
    ctx.type = extname(file);
    // Revalidated at each load: a rebuilt node serves its new page at once.
    ctx.set("Cache-Control", "no-cache");
    ctx.body = asset(assets, file);
  });
}
