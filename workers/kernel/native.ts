import { createRequire } from "node:module";
import type { Kernel } from "./interface.js";

/** The addon's one function, from workers/kernel/native/search.c. */
interface NativeAddon {
  search(header: Buffer, difficulty: number, start: number, count: number): number;
}

/** Where node-gyp puts the addon, from dist/workers/kernel/. */
const ADDON = new URL("../../../build/Release/toychain_kernel.node", import.meta.url);

let addon: NativeAddon | undefined;

/** Loads the addon once; throws with the reason when it was not built or does not load. */
export function loadNativeAddon(): NativeAddon {
  addon ??= createRequire(import.meta.url)(ADDON.pathname) as NativeAddon;
  return addon;
}

/** The native kernel: OpenSSL's SHA256_Transform from a midstate, in C. */
export function nativeKernel(header: string, difficulty: number): Kernel {
  const { search } = loadNativeAddon();
  const bytes = Buffer.from(header, "latin1");
  return {
    name: "native",
    batch: 8192,
    search: (start, count) => search(bytes, difficulty, start, count),
  };
}
