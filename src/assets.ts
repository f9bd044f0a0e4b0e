import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The files the build generates besides the compiled code: the documentation
 * pages' scripts and styles (npm run build:docs) and the portable kernel's
 * WebAssembly (npm run build:wasm). They live in dist/assets/, beside tsc's
 * output, which only ever overwrites files, and away from build/, which is
 * node-gyp's: `node-gyp rebuild` deletes it whole. (The package's install
 * script, which npm runs again whenever npx links the project, under any
 * node running from there, is `node-gyp configure build`, which deletes
 * nothing.)
 * A node reads the files it needs once, at start.
 */

/** dist/assets/, from this file's place in dist/src/. */
export const ASSETS_DIR = new URL("../assets/", import.meta.url);

/** What makes every generated file again. */
export const BUILD_COMMAND = "npm run build";

/** A generated file that could not be read: not built, or deleted since. */
export class MissingAssetError extends Error {
  override readonly name = "MissingAssetError";
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    const code = (cause as NodeJS.ErrnoException).code ?? String(cause);
    super(`${path} is missing (${code}): "${BUILD_COMMAND}" makes it`, { cause });
  }
}

/** A generated file's bytes; throws MissingAssetError, naming it and the command that makes it, when it cannot be read. */
export function readAsset(url: URL): Buffer {
  try {
    return readFileSync(url);
  } catch (error) {
    throw new MissingAssetError(fileURLToPath(url), error);
  }
}

/**
 * Writes a generated file whole or not at all: into a temporary file, then
 * renamed over the old one, so that a node starting meanwhile (npm test and
 * npx rebuild while nodes run) reads either version, never half of one.
 */
export function writeAsset(url: URL, bytes: string | Uint8Array): void {
  mkdirSync(new URL(".", url), { recursive: true });
  const temporary = new URL(`${url.pathname.split("/").pop()}.${process.pid}.tmp`, url);
  writeFileSync(temporary, bytes);
  renameSync(temporary, url);
}
