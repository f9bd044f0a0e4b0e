import { type Block, InvalidChainError, type NetworkRules, validateChain } from "../chain/index.js";
// Not ../schemas/index.js: the response schemas there import this module's verdicts.
import { checkChain, SchemaError } from "../schemas/validate.js";

/** What a peer's /chain body comes to, judged against the length it must beat. */
export type Judgement =
  | { verdict: "invalid"; reason: string; length?: number }
  | { verdict: "short"; length: number }
  | { verdict: "valid"; chain: Block[]; hashes: string[] };

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Judges a peer's /chain body, each step only if the one before passed: UTF-8,
 * JSON, the Chain schema, a length that counts the blocks, a chain longer than
 * `mustBeat` (else it is not checked further), and every rule, stopping at the
 * first invalid block. Pure: no I/O, no state.
 */
export function judgeChain(bytes: Uint8Array, mustBeat: number, rules: NetworkRules): Judgement {
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
  if (chain.length <= mustBeat) return { verdict: "short", length: chain.length };
  try {
    return { verdict: "valid", chain, hashes: validateChain(chain, rules) };
  } catch (error) {
    if (error instanceof InvalidChainError) return { verdict: "invalid", reason: error.message, length: chain.length };
    throw error;
  }
}
