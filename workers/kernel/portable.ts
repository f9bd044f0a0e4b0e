/**
 * The portable kernel: SHA-256(H || decimal(nonce)) in WebAssembly SIMD, four
 * nonces per pass, for where the native addon cannot be built or loaded.
 * 16-digit nonces (from 10^15, where the pool searches) take the module's
 * fast path, which does the nonce-independent work once per 10^4 nonces. The
 * module is generated and assembled at build time (workers/kernel/wasm/) into
 * dist/assets/portable.wasm. The main thread reads it once, at start, and the
 * pool hands the bytes to its workers, so no worker reads the disk.
 */
import { ASSETS_DIR, readAsset } from "../../src/assets.js";
import { targetToBytes } from "../../src/chain/target.js";
import type { Kernel } from "./interface.js";

/** What portable.wasm exports; see workers/kernel/wasm/search-module.ts. */
interface SearchModule {
  memory: { buffer: ArrayBuffer };
  header: { value: number };
  target: { value: number };
  init(): void;
  search(start: number, count: number): number;
  searchFast(start: number, count: number): number;
}

/** The part of the WebAssembly global that this file uses: @types/node does not declare it. */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}
const { Module, Instance } = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** Where npm run build:wasm puts the module: dist/assets/portable.wasm. */
export const PORTABLE_MODULE = new URL("portable.wasm", ASSETS_DIR);
const HEADER_LENGTH = 64;
const TARGET_LENGTH = 32;
const NONCE_LIMIT = 2 ** 53;
/** The first 16-digit nonce: the module's fast path covers 10^15 to 2^53-1. */
const FAST_FIRST = 10 ** 15;

/** This thread's copy of the module's bytes: read from the disk once, or given by the thread that did. */
let bytes: Uint8Array | undefined;
/** One instance per thread, holding the midstate of the kernel that searched last. */
let instance: SearchModule | undefined;
let owner: Kernel | undefined;

/** The module's bytes, read once per thread; throws MissingAssetError (naming the file and npm run build) when absent. */
export function readPortableModule(): Uint8Array {
  bytes ??= readAsset(PORTABLE_MODULE);
  return bytes;
}

/** Gives this thread the module's bytes, read by another one (a pool's workers get them from the main thread). */
export function usePortableModule(given: Uint8Array): void {
  bytes = given;
}

function loadModule(): SearchModule {
  instance ??= new Instance(new Module(readPortableModule())).exports as SearchModule;
  return instance;
}

export function portableKernel(header: string, target: bigint): Kernel {
  if (header.length !== HEADER_LENGTH) throw new RangeError("portable kernel: the header must be 64 characters");
  const targetBytes = targetToBytes(target);
  const wasm = loadModule();
  const kernel: Kernel = {
    name: "portable",
    batch: 4096,
    search(start, count) {
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(count) || start < 0 || count < 0) {
        throw new RangeError("portable kernel: start and count must be non-negative integers");
      }
      if (count > NONCE_LIMIT - start) throw new RangeError("portable kernel: nonces stop at 2^53 - 1");
      if (owner !== kernel) {
        new Uint8Array(wasm.memory.buffer, wasm.header.value, HEADER_LENGTH).set(Buffer.from(header, "latin1"));
        new Uint8Array(wasm.memory.buffer, wasm.target.value, TARGET_LENGTH).set(targetBytes);
        wasm.init();
        owner = kernel;
      }
      if (start >= FAST_FIRST) return wasm.searchFast(start, count);
      const slow = Math.min(count, FAST_FIRST - start);
      const found = wasm.search(start, slow);
      return found >= 0 || slow === count ? found : wasm.searchFast(FAST_FIRST, count - slow);
    },
  };
  return kernel;
}
