import { readFileSync } from "node:fs";
import { type ChainSpec, specFromFile, walkthroughSpec } from "../chain/index.js";
import { checkChainSpecFile, checkExactNumbers } from "../schemas/index.js";
import devnet from "./devnet.json" with { type: "json" };

/**
 * Where a node's chain comes from: `--chain NAME` for a built-in one, or
 * `--chain FILE` for a spec file that `toychain chain new` wrote. The
 * walkthrough's chain is the default, at `--difficulty`.
 */

/** The spec files every node knows by name, committed beside this file. */
const BUILTIN_FILES: Readonly<Record<string, unknown>> = { devnet };
/** The chains every node knows by name: the walkthrough's, and those of BUILTIN_FILES. */
export const BUILTIN_CHAINS: readonly string[] = ["walkthrough", ...Object.keys(BUILTIN_FILES)];

/** A spec that cannot be had: no such file or name, not JSON, not a spec, or a spec that makes no chain. */
export class ChainSpecLoadError extends Error {
  override readonly name = "ChainSpecLoadError";
}

/** A spec file's text, checked: exact numbers, the schema, then the rules its genesis must commit to. */
export function parseChainSpec(text: string, source: string): ChainSpec {
  try {
    const value: unknown = JSON.parse(text);
    checkExactNumbers(text, "chain spec");
    return specFromFile(checkChainSpecFile(value));
  } catch (error) {
    throw new ChainSpecLoadError(`${source}: ${(error as Error).message}`);
  }
}

/** The chain `--chain` names (a built-in chain's name or a spec file's path); the walkthrough's takes `difficulty`. */
export function loadChainSpec(chain: string, difficulty: number): ChainSpec {
  if (chain === "walkthrough") return walkthroughSpec(difficulty);
  const builtin = BUILTIN_FILES[chain];
  if (builtin !== undefined) return parseChainSpec(JSON.stringify(builtin), `the built-in chain ${chain}`);
  let text: string;
  try {
    text = readFileSync(chain, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new ChainSpecLoadError(
      `${chain}: ${why}; give a spec file that toychain chain new wrote, or one of ${BUILTIN_CHAINS.join(", ")}`,
    );
  }
  return parseChainSpec(text, chain);
}
