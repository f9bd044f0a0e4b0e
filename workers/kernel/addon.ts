import { createRequire } from "node:module";

/** Where node-gyp puts the addon (workers/kernel/native/addon.c), from dist/workers/kernel/. */
const ADDON = new URL("../../../build/Release/toychain_kernel.node", import.meta.url);

/**
 * The native addon, typed as what its caller uses of it: the mining
 * kernels, the libsodium verifier, the allocator's limits. Loaded once in
 * the process (require caches it); throws when it was not built or does
 * not load.
 */
export function requireAddon<T>(): T {
  return createRequire(import.meta.url)(ADDON.pathname) as T;
}

/**
 * The addon's function `name`, or why it cannot be had here, as a sentence:
 * the addon does not load, or was built before the function was added.
 */
export function addonFunction<F extends (...args: never[]) => unknown>(name: string): F | string {
  let addon: Record<string, unknown>;
  try {
    addon = requireAddon<Record<string, unknown>>();
  } catch (error) {
    return `the native addon does not load (${(error as Error).message.split("\n")[0]})`;
  }
  const found = addon[name];
  return typeof found === "function" ? (found as F) : `the native addon predates ${name}: rebuild it`;
}
