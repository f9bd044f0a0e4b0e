import { createHash } from "node:crypto";

/**
 * The network's hashing rules, written again from the specification (issue 2)
 * rather than imported from src/, so that tests check the node against them.
 */

export interface Tx {
  sender: string;
  recipient: string;
  amount: number;
}

export interface Block {
  index: number;
  timestamp: number;
  transactions: Tx[];
  proof: number;
  previous_hash: string;
}

/** RFC 8785 for the JSON a block holds: sorted keys, no whitespace, ECMAScript numbers. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export const sha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

export const hashOf = (block: Block): string => sha256(canonical(block));

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

/** Leading zero bits of SHA-256(H + proof), H being the hash of the block without its proof. */
export function proofBits(block: Block): number {
  const { proof, ...rest } = block;
  return leadingZeroBits(sha256(sha256(canonical(rest)) + String(proof)));
}

/**
 * Why `chain` breaks a link, an index or a proof, or null when it is sound:
 * each block names its predecessor's hash, indexes count up from 1, and every
 * mined block's proof reaches `difficulty`.
 */
export function chainProblem(chain: readonly Block[], difficulty: number): string | null {
  for (let i = 0; i < chain.length; i++) {
    const block = chain[i] as Block;
    if (block.index !== i + 1) return `block at position ${i} has index ${block.index}`;
    if (i === 0) continue;
    const expected = hashOf(chain[i - 1] as Block);
    if (block.previous_hash !== expected) {
      return `block ${block.index} names previous_hash ${block.previous_hash}, not ${expected}`;
    }
    const bits = proofBits(block);
    if (bits < difficulty) return `block ${block.index}: proof reaches ${bits} bits, not ${difficulty}`;
  }
  return null;
}

export const NODE_ID = /^[0-9a-f]{32}$/;

export const reward = (nodeId: string): Tx => ({ sender: "0", recipient: nodeId, amount: 1 });

/** GET /chain's body. */
export interface ChainBody {
  chain: Block[];
  length: number;
}

/** GET /transactions/pending's body. */
export interface PendingBody {
  transactions: Tx[];
  length: number;
}

/** POST /nodes/register's answer. */
export interface RegisterBody {
  message: string;
  total_nodes: string[];
}

/** GET /nodes/resolve's answer: `new_chain` when ours was replaced, else `chain`. */
export interface ResolveBody {
  message: string;
  chain?: Block[];
  new_chain?: Block[];
  peers: PeerReport[];
}

/** One peer's line in GET /nodes/resolve's report. */
export interface PeerReport {
  node: string;
  reached: boolean;
  verdict: string;
  length?: number;
  reason?: string;
  failures?: number;
  retry_at?: string;
}
