/**
 * Build step (npm run build:docs, after tsc): copies the documentation pages'
 * scripts and styles from swagger-ui-dist and redoc (dev dependencies) into
 * dist/assets/docs/, so the running node serves them without those packages
 * and their React tree in its production dependencies. ReDoc's bundle loses
 * its CDN logo on the way, so the page loads nothing from elsewhere.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { writeAsset } from "../assets.js";
import { DOCS_ASSET_FILES, DOCS_ASSETS_DIR } from "./docs.js";

const require = createRequire(import.meta.url);
const packageDir = (name: string): string => dirname(require.resolve(`${name}/package.json`));

const REDOC_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg";
const EMPTY_IMAGE = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E";

for (const file of DOCS_ASSET_FILES) {
  const output = new URL(file, DOCS_ASSETS_DIR);
  if (file === "redoc.standalone.js") {
    const bundle = readFileSync(join(packageDir("redoc"), "bundles", file), "utf8");
    writeAsset(output, bundle.replaceAll(REDOC_CDN_LOGO, EMPTY_IMAGE));
  } else {
    writeAsset(output, readFileSync(join(packageDir("swagger-ui-dist"), file)));
  }
}
