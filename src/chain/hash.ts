import { createHash } from "node:crypto";
import { meetsTarget, targetForLeadingZeroBits } from "./target.js";
import type { Block, BlockTemplate, Transaction } from "./types.js";

/** A transaction's keys, sorted: as JSON.stringify's replacer, they pick and order every transaction's fields. */
const TRANSACTION_KEYS = ["amount", "fee", "nonce", "recipient", "sender", "signature"];

/** The canonical JSON of one transaction, as a block holds it. */
export const transactionJson = (tx: Transaction): string => JSON.stringify(tx, TRANSACTION_KEYS);

/** The canonical JSON of a block's transactions. */
const transactionsJson = (transactions: readonly Transaction[]): string =>
  JSON.stringify(transactions, TRANSACTION_KEYS);

/** A retargeting chain's blocks state their bits, the first key in sorted order; the walkthrough's have none. */
const bitsField = (bits: string | undefined): string => (bits === undefined ? "" : `"bits":${JSON.stringify(bits)},`);

/** The canonical JSON of a template up to its transactions, which follow, then "}". */
function templateHead({ bits, index, previous_hash, timestamp }: BlockTemplate): string {
  return `{${bitsField(bits)}"index":${JSON.stringify(index)},"previous_hash":${JSON.stringify(previous_hash)},"timestamp":${JSON.stringify(timestamp)},"transactions":`;
}

/** The canonical JSON of a block up to its transactions, which follow, then "}". */
function blockHead({ bits, index, previous_hash, proof, timestamp }: Block): string {
  return `{${bitsField(bits)}"index":${JSON.stringify(index)},"previous_hash":${JSON.stringify(previous_hash)},"proof":${JSON.stringify(proof)},"timestamp":${JSON.stringify(timestamp)},"transactions":`;
}

/**
 * RFC 8785 canonical JSON of a block or a template: sorted keys, no
 * whitespace, ECMAScript number form. Their keys are known, so the sorted
 * order is written out and JSON.stringify does the rest: for finite numbers
 * and well-formed strings (the schemas refuse any other) its output is
 * RFC 8785's, whose number and string forms are ECMAScript's own (sections
 * 3.2.2.2 and 3.2.2.3). A generic canonicalizer was six times slower.
 */
export function canonicalJson(value: Block | BlockTemplate): string {
  const head = "proof" in value ? blockHead(value) : templateHead(value);
  return `${head}${transactionsJson(value.transactions)}}`;
}

/**
 * A block's canonical JSON in its parts, `head` + `transactions` + "}", with
 * its hash and its H (see powHeader): the transactions, most of a block, are
 * encoded to UTF-8 once, hashed twice in place and copied where the block
 * goes, never joined into a whole text.
 */
export interface EncodedBlock {
  head: string;
  /** The transactions' canonical JSON, as UTF-8. */
  transactions: Buffer;
  hash: string;
  header: string;
}

/** SHA-256 of `head` + `transactions` + "}", strings as UTF-8, in hex. */
const sha256Of = (head: string, transactions: string | Buffer): string =>
  createHash("sha256").update(head, "utf8").update(transactions).update("}", "utf8").digest("hex");

export function encodeBlock(block: Block): EncodedBlock {
  const transactions = Buffer.from(transactionsJson(block.transactions), "utf8");
  const head = blockHead(block);
  return {
    head,
    transactions,
    hash: sha256Of(head, transactions),
    header: sha256Of(templateHead(block), transactions),
  };
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
  return sha256Of(templateHead(block), transactionsJson(block.transactions));
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

/** Whether the proof's hash, read as a 256-bit big-endian number, is at most the target. */
export function proofMeetsTarget(header: string, proof: number, target: bigint): boolean {
  return meetsTarget(proofHash(header, proof), target);
}

/** Whether the proof's hash has `difficulty` leading zero bits: the target 2^(256 - difficulty) - 1. */
export function meetsDifficulty(header: string, proof: number, difficulty: number): boolean {
  return proofMeetsTarget(header, proof, targetForLeadingZeroBits(difficulty));
}
