import { type NetworkRules, signatureRefusal } from "../../chain/index.js";
import { encodeAddress } from "../../keys/index.js";
import { SignatureBatch, type SignatureVerifier } from "../../signatures/index.js";
import type { PageSignatures } from "./interface.js";

/**
 * Verifies the signatures the page worker left of a page starting at block
 * `from` (see checkPage), on every core; resolves with the refusal of the
 * first that fails, word for word what checking the blocks one signature
 * after another would have thrown (signatureRefusal), or undefined if all
 * verify. If their verification began as the page was checked (PagePool),
 * its answer is awaited instead. The signer's address is its key's: an address has one text
 * (src/keys/address.ts), the one the transfer named.
 */
export async function verifyPageSignatures(
  signatures: PageSignatures | undefined,
  from: number,
  rules: NetworkRules,
  verifier: SignatureVerifier,
): Promise<string | undefined> {
  if (signatures === undefined) return undefined;
  if (rules.ledger.kind !== "accounts") throw new Error("signatures of a page of a chain that keeps no accounts");
  const batch = new SignatureBatch(signatures.buffer);
  const failed = await (signatures.verdict ?? verifier.firstFailure(batch));
  if (failed < 0) return undefined;
  let first = 0;
  for (const [i, count] of signatures.perBlock.entries()) {
    if (failed < first + count) {
      const sender = encodeAddress(rules.ledger.prefix, batch.publicKey(failed));
      return signatureRefusal(from + i, failed - first + 1, sender).message;
    }
    first += count;
  }
  throw new RangeError(`signature ${failed} of a page is in none of its ${signatures.perBlock.length} blocks`);
}
