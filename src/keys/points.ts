/**
 * What the pinned verification rule (ed25519.ts) asks of a point's 32-byte
 * encoding, the public key A or a signature's R, before node:crypto sees it:
 * canonical, and not one of the curve's 8 points of small order. Byte and
 * integer comparisons only, exact and cheap enough for every signature (the
 * square root that decoding a point takes costs more than a verify here).
 */

/** The field's prime, 2^255 - 19. */
const P = (1n << 255n) - 19n;

/** The order of the prime-order subgroup, 2^252 + 27742317777372353535851937790883648493 (RFC 8032's L). */
export const L = (1n << 252n) + 27742317777372353535851937790883648493n;

/** Bytes read as a little-endian integer. */
export function littleEndian(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).reverse().toString("hex") || "0"}`);
}

/**
 * The canonical encodings of the 8 small-order points (C2SP/CCTV's list,
 * ed25519/README.md, less its 6 non-canonical encodings, which are refused
 * first). The group of points is cyclic of order 8L, so these 8 are all of
 * them; test/ed25519.test.ts proves each decodes to a point P with [8]P the
 * identity.
 */
export const SMALL_ORDER_ENCODINGS: readonly string[] = [
  "0000000000000000000000000000000000000000000000000000000000000000", // order 4
  "0000000000000000000000000000000000000000000000000000000000000080", // order 4
  "0100000000000000000000000000000000000000000000000000000000000000", // the identity
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", // order 8
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", // order 8
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
];

const SMALL_ORDER = new Set(SMALL_ORDER_ENCODINGS);

/**
 * Why a 32-byte encoding is refused, or undefined. A point has exactly one
 * canonical encoding (RFC 8032, 5.1.3): y below p, and no sign bit on x = 0.
 * The others are y + p for the 19 values of y below 19, and the sign bit set
 * where x = 0 (y = 1 and y = p - 1, the only y with x = 0). Whether y has an
 * x on the curve at all is not asked: that takes a square root, and
 * node:crypto refuses such an A when it decodes it, and never computes such
 * an R.
 */
export function pointFailure(encoding: Uint8Array): string | undefined {
  const n = littleEndian(encoding);
  const y = n & ((1n << 255n) - 1n);
  if (y >= P) return "not canonical (y is not below p)";
  if (n >> 255n === 1n && (y === 1n || y === P - 1n)) return "not canonical (x = 0 with its sign bit set)";
  return SMALL_ORDER.has(Buffer.from(encoding).toString("hex")) ? "a point of small order" : undefined;
}
