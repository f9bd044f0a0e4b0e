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
