import { type Block, blockHash, InvalidChainError, type NetworkRules, validateChain } from "../chain/index.js";
// Not ../schemas/index.js: the response schemas there import this module's verdicts.
import { checkChain, SchemaError } from "../schemas/validate.js";

/** What a peer's /chain body comes to, judged against the length it must beat. */
export type Judgement =
  | { verdict: "invalid"; reason: string; length?: number }
  /**
   * Too short to win, so its rules were not checked. `linkedTip` is its tip's
   * hash when every block names the hash of the one before: the chain is then
   * ours up to its tip exactly when that hash is ours at its height.
   */
  | { verdict: "short"; length: number; linkedTip?: string }
  | { verdict: "valid"; chain: Block[]; hashes: string[] };

const decoder = new TextDecoder("utf-8", { fatal: true });

/** The tip's hash if every block names its predecessor's hash, else undefined. */
function linkedTip(chain: readonly Block[]): string | undefined {
  let hash = blockHash(chain[0] as Block);
  for (let i = 1; i < chain.length; i++) {
    const block = chain[i] as Block;
    if (block.previous_hash !== hash) return undefined;
    hash = blockHash(block);
  }
  return hash;
}

/**
 * Judges a peer's /chain body, each step only if the one before passed: UTF-8,
 * JSON, the Chain schema, a length that counts the blocks, a chain longer than
 * `mustBeat` (else only its links are followed), and every rule, stopping at
 * the first invalid block; `now` is our clock (seconds since the epoch), for
 * the rule on blocks dated ahead. Pure: no I/O, no state.
 */
export function judgeChain(bytes: Uint8Array, mustBeat: number, rules: NetworkRules, now: number): Judgement {
  let body: unknown;
  try {
    body = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    return { verdict: "invalid", reason: `its /chain is not JSON: ${(error as Error).message}` };
  }
  let chain: Block[];
  try {
    const checked = checkChain(body);
    chain = checked.chain;
    if (checked.length !== chain.length) {
      return { verdict: "invalid", reason: `its length ${checked.length} does not count its ${chain.length} blocks` };
    }
  } catch (error) {
    if (error instanceof SchemaError) return { verdict: "invalid", reason: error.message };
    throw error;
  }
  if (chain.length <= mustBeat) {
    const tip = linkedTip(chain);
    return tip === undefined
      ? { verdict: "short", length: chain.length }
      : { verdict: "short", length: chain.length, linkedTip: tip };
  }
  try {
    return { verdict: "valid", chain, hashes: validateChain(chain, rules, now) };
  } catch (error) {
    if (error instanceof InvalidChainError) return { verdict: "invalid", reason: error.message, length: chain.length };
    throw error;
  }
}
