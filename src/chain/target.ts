import { InvalidBitsError } from "./errors.js";

/**
 * Targets: a proof passes when its hash, read as a 256-bit big-endian
 * integer, is at most the target. A block states its target in Bitcoin's
 * compact form ("bits"), decoded and encoded here exactly as Bitcoin's
 * arith_uint256::SetCompact and GetCompact do. BigInt only: every node must
 * agree bit for bit.
 */

/** 2^256: one more than the largest hash. */
export const HASH_SPACE = 1n << 256n;
/** The largest 256-bit integer. */
export const MAX_TARGET = HASH_SPACE - 1n;

/** Bitcoin's SetCompact: the value, and whether the sign bit or an overflow made it meaningless. */
export interface DecodedBits {
  /** The decoded value, modulo 2^256 as arith_uint256 holds it (meaningless when `overflow`). */
  target: bigint;
  /** The sign bit (0x00800000) is set under a non-zero mantissa. */
  negative: boolean;
  /** The value does not fit in 256 bits. */
  overflow: boolean;
}

/**
 * Bitcoin's SetCompact, flags and all: `bits` is one exponent byte (the size
 * in bytes) and a 23-bit mantissa with a sign bit. The flags are read from the
 * mantissa after a small size has shifted it, as Bitcoin reads them, so that
 * 0x01800000 (a zero) is not negative while 0x01fedcba (0x7e, negative) is.
 */
export function decodeBits(bits: number): DecodedBits {
  if (!Number.isInteger(bits) || bits < 0 || bits > 0xffffffff) {
    throw new RangeError(`compact bits are a 32-bit unsigned integer, not ${bits}`);
  }
  const size = bits >>> 24;
  let word = bits & 0x007fffff;
  let target: bigint;
  if (size <= 3) {
    word >>>= 8 * (3 - size);
    target = BigInt(word);
  } else {
    target = (BigInt(word) << BigInt(8 * (size - 3))) & MAX_TARGET;
  }
  return {
    target,
    negative: word !== 0 && (bits & 0x00800000) !== 0,
    overflow: word !== 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32)),
  };
}

/**
 * Bitcoin's GetCompact: the compact form of a target, its mantissa truncated
 * to its three most significant bytes (so decoding it gives the target or a
 * little less, never more). A mantissa whose top bit would read as the sign is
 * shifted down a byte into a larger size, so the result is never negative.
 */
export function encodeBits(target: bigint): number {
  if (target < 0n || target > MAX_TARGET) throw new RangeError(`a target is a 256-bit unsigned integer, not ${target}`);
  let size = Math.ceil(bitLength(target) / 8);
  let mantissa = Number(size <= 3 ? target << BigInt(8 * (3 - size)) : target >> BigInt(8 * (size - 3)));
  if (mantissa & 0x00800000) {
    mantissa >>>= 8;
    size++;
  }
  return size * 0x1000000 + mantissa;
}

/**
 * The target that compact `bits` state, as consensus takes it: a negative, an
 * overflowing or a zero one states no target any proof could be held to (zero
 * would take a hash of zero), and is refused with an InvalidBitsError, as
 * Bitcoin's CheckProofOfWork refuses it. Whether the target is also within the
 * chain's proof-of-work limit, and whether `bits` are the ones expected, are
 * the caller's rules.
 */
export function targetFromBits(bits: number): bigint {
  const { target, negative, overflow } = decodeBits(bits);
  if (negative) throw new InvalidBitsError(bits, "its sign bit is set");
  if (overflow) throw new InvalidBitsError(bits, "it overflows 256 bits");
  if (target === 0n) throw new InvalidBitsError(bits, "it is zero");
  return target;
}

/**
 * The walkthrough chain's "d leading zero bits" as a target: 2^(256-d) - 1. A
 * hash has at least d leading zero bits exactly when it is below 2^(256-d),
 * so both rules give every hash the same verdict.
 */
export function targetForLeadingZeroBits(d: number): bigint {
  if (!Number.isInteger(d) || d < 0 || d > 256) throw new RangeError(`leading zero bits are 0 to 256, not ${d}`);
  return (1n << BigInt(256 - d)) - 1n;
}

/** A SHA-256 digest (64 hex digits or 32 bytes) read as a 256-bit big-endian integer. */
export function hashValue(hash: string | Uint8Array): bigint {
  if (typeof hash === "string") {
    if (!/^[0-9a-fA-F]{64}$/.test(hash)) throw new RangeError(`not a SHA-256 hash in hex: ${hash}`);
    return BigInt(`0x${hash}`);
  }
  if (hash.length !== 32) throw new RangeError(`a SHA-256 hash is 32 bytes, not ${hash.length}`);
  return BigInt(`0x${Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString("hex")}`);
}

/** Whether a proof's hash (see proofHash), read as a 256-bit big-endian integer, is at most `target`. */
export function meetsTarget(hash: string | Uint8Array, target: bigint): boolean {
  return hashValue(hash) <= target;
}

/** The number of bits of a non-negative integer (0 for 0). */
function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** The target as 32 big-endian bytes, as the kernels take it. */
export function targetToBytes(target: bigint): Uint8Array {
  if (target < 0n || target > MAX_TARGET) throw new RangeError(`a target is a 256-bit unsigned integer, not ${target}`);
  const bytes = new Uint8Array(32);
  let rest = target;
  for (let i = 31; i >= 0; i--) {
    bytes[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes;
}

/** The leading zero bits every hash at most `target` has: 256 less the target's bit length (d for 2^(256-d) - 1). */
export function leadingZeroBitsOf(target: bigint): number {
  return 256 - bitLength(target);
}
