import { createHash } from "node:crypto";
import type { Block, BlockTemplate, Transaction } from "./types.js";

const canonicalTransaction = ({ amount, recipient, sender }: Transaction) => ({ amount, recipient, sender });

/**
 * RFC 8785 canonical JSON of a block or a template: sorted keys, no
 * whitespace, ECMAScript number form. Their keys are known, so the sorted
 * order is written out and JSON.stringify does the rest: for finite numbers
 * and well-formed strings (the schemas refuse any other) its output is
 * RFC 8785's, whose number and string forms are ECMAScript's own (sections
 * 3.2.2.2 and 3.2.2.3). A generic canonicalizer was six times slower.
 */
export function canonicalJson(value: Block | BlockTemplate): string {
  const transactions = value.transactions.map(canonicalTransaction);
  const { index, previous_hash, timestamp } = value;
  return "proof" in value
    ? JSON.stringify({ index, previous_hash, proof: value.proof, timestamp, transactions })
    : JSON.stringify({ index, previous_hash, timestamp, transactions });
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
