import { createHash } from "node:crypto";
import { canonicalize } from "json-canonicalize";
import type { Block, BlockTemplate } from "./types.js";

/** RFC 8785 canonical JSON: sorted keys, no whitespace, ECMAScript number form. */
export function canonicalJson(value: Block | BlockTemplate): string {
  return canonicalize(value);
}

export function sha256Hex(data: string): string {
  return createHash("sha256").update(data, "utf8").digest("hex");
}

/** The block's hash, which the next block names as its previous_hash. */
export function blockHash(block: Block): string {
  return sha256Hex(canonicalJson(block));
}

/**
 * H, the 64 hex characters the proof of work extends: the hash of the block
 * without its proof. 64 ASCII bytes are one SHA-256 block, so a search hashes
 * them once and then spends one compression per nonce.
 */
export function powHeader(block: BlockTemplate | Block): string {
  const { index, timestamp, transactions, previous_hash } = block;
  return sha256Hex(canonicalJson({ index, timestamp, transactions, previous_hash }));
}

/** Leading zero bits of a hex digest. */
export function leadingZeroBits(hex: string): number {
  let bits = 0;
  for (const char of hex) {
    const nibble = Number.parseInt(char, 16);
    if (nibble !== 0) return bits + Math.clz32(nibble) - 28;
    bits += 4;
  }
  return bits;
}

/** The hash a proof is judged by: SHA-256 of H followed by the proof in decimal. */
export function proofHash(header: string, proof: number): string {
  return sha256Hex(header + String(proof));
}

export function meetsDifficulty(header: string, proof: number, difficulty: number): boolean {
  return leadingZeroBits(proofHash(header, proof)) >= difficulty;
}
