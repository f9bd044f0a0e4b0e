/**
 * Targets: a proof passes when SHA-256(H || decimal proof), read as a 256-bit
 * big-endian number, is at most the target. A difficulty of d leading zero
 * bits is the target 2^(256-d) - 1.
 */

/** 2^256: every target is below it. */
const TARGET_LIMIT = 1n << 256n;

/** The target of `bits` leading zero bits (0 to 256): 2^(256 - bits) - 1. */
export function targetForLeadingZeroBits(bits: number): bigint {
  if (!Number.isInteger(bits) || bits < 0 || bits > 256) {
    throw new RangeError(`leading zero bits must be an integer from 0 to 256, not ${bits}`);
  }
  return (1n << BigInt(256 - bits)) - 1n;
}

/** The target as 32 big-endian bytes, as the kernels take it. */
export function targetToBytes(target: bigint): Uint8Array {
  if (target < 0n || target >= TARGET_LIMIT) throw new RangeError(`a target is from 0 to 2^256 - 1, not ${target}`);
  const bytes = new Uint8Array(32);
  let rest = target;
  for (let i = 31; i >= 0; i--) {
    bytes[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes;
}
