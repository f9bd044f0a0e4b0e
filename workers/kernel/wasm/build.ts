/**
 * Build step (npm run build:wasm, after tsc): assembles the portable kernel's
 * generated WebAssembly text into dist/assets/portable.wasm with wabt's wat2wasm.
 */
import wabt from "wabt";
import { writeAsset } from "../../../src/assets.js";
import { PORTABLE_MODULE } from "../portable.js";
import { searchModuleText } from "./search-module.js";

const module = (await wabt()).parseWat("portable.wat", searchModuleText(), { simd: true });
try {
  module.validate();
  writeAsset(PORTABLE_MODULE, module.toBinary({}).buffer);
} finally {
  module.destroy();
}
