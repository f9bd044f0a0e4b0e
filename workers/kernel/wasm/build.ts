/**
 * Build step (npm run build:wasm, after tsc): assembles the portable kernel's
 * generated WebAssembly text into build/portable.wasm with wabt's wat2wasm.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import wabt from "wabt";
import { searchModuleText } from "./search-module.js";

/** From dist/workers/kernel/wasm/ to the repository's build/. */
const OUTPUT = new URL("../../../../build/portable.wasm", import.meta.url);

const module = (await wabt()).parseWat("portable.wat", searchModuleText(), { simd: true });
try {
  module.validate();
  mkdirSync(new URL(".", OUTPUT), { recursive: true });
  writeFileSync(OUTPUT, module.toBinary({}).buffer);
} finally {
  module.destroy();
}
