import { createHash } from "node:crypto";
import { type Block, canonicalJson, sha256Hex } from "../chain/index.js";

/**
 * How a block is stored: its canonical JSON, so that the SHA-256 of the
 * stored bytes is the block's hash, its key. A block read back is checked by
 * hashing those bytes, with no re-serialization.
 */

export function encodeBlock(block: Block): { hash: string; bytes: string } {
  const bytes = canonicalJson(block);
  return { hash: sha256Hex(bytes), bytes };
}

/** True when `bytes` (canonical JSON, as UTF-8) are the block whose hash is `hash`. */
export function matchesHash(bytes: Uint8Array, hash: string): boolean {
  return createHash("sha256").update(bytes).digest("hex") === hash;
}

/**
 * The block of canonical bytes, with its fields in the walkthrough's order
 * (canonical JSON sorts them), so that JSON.stringify gives what /chain always
 * gave; a signed transfer's fee, nonce and signature follow its amount.
 */
export function decodeBlock(bytes: string): Block {
  const stored = JSON.parse(bytes) as Block;
  return {
    index: stored.index,
    timestamp: stored.timestamp,
    transactions: stored.transactions.map(({ sender, recipient, amount, fee, nonce, signature }) =>
      // A transfer of an accounts chain has the three fields more; the walkthrough's have none.
      signature === undefined ? { sender, recipient, amount } : { sender, recipient, amount, fee, nonce, signature },
    ),
    proof: stored.proof,
    previous_hash: stored.previous_hash,
    ...(stored.bits === undefined ? {} : { bits: stored.bits }),
  };
}
