/**
 * Build step (npm run build:explorer, after tsc -p tsconfig.explorer.json):
 * puts the explorer page's files into dist/assets/explorer/: its HTML and
 * styles from explorer/, its script as tsc compiled it into dist/explorer/,
 * and uPlot's script and styles from its npm package (a dev dependency).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { writeAsset } from "../assets.js";
import { EXPLORER_ASSETS_DIR, EXPLORER_FILES, type ExplorerFile } from "./explorer.js";

const require = createRequire(import.meta.url);
/** The repository, from this file's place in dist/src/api/. */
const root = new URL("../../../", import.meta.url);
const uplot = dirname(require.resolve("uplot/package.json"));

const SOURCES: Record<ExplorerFile, string> = {
  "index.html": new URL("explorer/index.html", root).pathname,
  "explorer.css": new URL("explorer/explorer.css", root).pathname,
  "explorer.js": new URL("dist/explorer/explorer.js", root).pathname,
  "uPlot.iife.min.js": join(uplot, "dist", "uPlot.iife.min.js"),
  "uPlot.min.css": join(uplot, "dist", "uPlot.min.css"),
};

for (const file of EXPLORER_FILES) writeAsset(new URL(file, EXPLORER_ASSETS_DIR), readFileSync(SOURCES[file]));
