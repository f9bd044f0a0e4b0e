import { randomBytes } from "node:crypto";
import t from "tap";
import { random } from "../bench/lib/random.js";
import {
  blockWork,
  chainWork,
  compareWork,
  decodeBits,
  encodeBits,
  formatWork,
  HASH_SPACE,
  hashValue,
  InvalidBitsError,
  InvalidChainError,
  leadingZeroBits,
  MAX_TARGET,
  meetsDifficulty,
  meetsTarget,
  outworks,
  proofHash,
  targetForLeadingZeroBits,
  targetForWork,
  targetFromBits,
} from "../src/chain/index.js";

/** Targets in compact bits, the proof against a target, and work. */

t.test("decodeBits is Bitcoin's SetCompact: values, sign and overflow", async (t) => {
  // Bitcoin Core's arith_uint256_tests, and the overflow thresholds on either side.
  const cases: [number, bigint, boolean, boolean][] = [
    [0x00000000, 0n, false, false],
    [0x00123456, 0n, false, false],
    [0x01003456, 0n, false, false],
    [0x02000056, 0n, false, false],
    [0x03000000, 0n, false, false],
    [0x04000000, 0n, false, false],
    [0x00923456, 0n, false, false],
    [0x01803456, 0n, false, false],
    [0x02800056, 0n, false, false],
    [0x03800000, 0n, false, false],
    [0x04800000, 0n, false, false],
    [0x01123456, 0x12n, false, false],
    [0x01fedcba, 0x7en, true, false],
    [0x02123456, 0x1234n, false, false],
    [0x03123456, 0x123456n, false, false],
    [0x04123456, 0x12345600n, false, false],
    [0x04923456, 0x12345600n, true, false],
    [0x05009234, 0x92340000n, false, false],
    [0x20123456, 0x123456n << 232n, false, false],
    [0x1d00ffff, 0xffffn << 208n, false, false],
    [0x2100ffff, 0xffffn << 240n, false, false],
    [0x21010000, 0n, false, true],
    [0x22000001, 1n << 248n, false, false],
    [0x22000100, 0n, false, true],
    [0x23000001, 0n, false, true],
    [0xff123456, 0n, false, true],
  ];
  for (const [bits, target, negative, overflow] of cases) {
    const decoded = decodeBits(bits);
    const hex = `0x${bits.toString(16).padStart(8, "0")}`;
    t.same({ negative: decoded.negative, overflow: decoded.overflow }, { negative, overflow }, `${hex} flags`);
    if (!overflow) t.equal(decoded.target, target, `${hex} value`);
  }
  t.throws(() => decodeBits(-1), RangeError);
  t.throws(() => decodeBits(2 ** 32), RangeError);
  t.throws(() => decodeBits(1.5), RangeError);
});

t.test("encodeBits is Bitcoin's GetCompact", async (t) => {
  const cases: [bigint, number][] = [
    [0n, 0x00000000],
    [0x12n, 0x01120000],
    [0x80n, 0x02008000],
    [0x1234n, 0x02123400],
    [0x123456n, 0x03123456],
    [0x12345600n, 0x04123456],
    [0x92340000n, 0x05009234],
    [0x123456n << 232n, 0x20123456],
    [(1n << 224n) - 1n, 0x1d00ffff],
    [MAX_TARGET, 0x2100ffff],
    [1n, 0x01010000],
  ];
  for (const [target, bits] of cases) t.equal(encodeBits(target), bits, `0x${target.toString(16)}`);
  t.equal(encodeBits(0x12345678n), 0x04123456, "truncated to three bytes, never rounded up");
  t.ok(decodeBits(encodeBits(0x12345678n)).target <= 0x12345678n);
  t.throws(() => encodeBits(-1n), RangeError);
  t.throws(() => encodeBits(HASH_SPACE), RangeError);
});

t.test("bits of canonical targets round-trip, from 1 to 2^256 - 1", async (t) => {
  const draw = random(22);
  let failures = 0;
  for (let i = 0; i < 5000; i++) {
    const size = 1 + draw(32);
    let target = 0n;
    for (let b = 0; b < size; b++) target = (target << 8n) | BigInt(draw(256));
    if (target === 0n) continue;
    const bits = encodeBits(target);
    const decoded = targetFromBits(bits);
    if (encodeBits(decoded) !== bits || decoded > target) failures++;
  }
  t.equal(failures, 0, "encode, decode, encode gives the same bits, and decoding never gives more than the target");
});

t.test("targetFromBits refuses a negative, an overflowing and a zero target", async (t) => {
  for (const [bits, why] of [
    [0x04923456, /sign bit/],
    [0x01fedcba, /sign bit/],
    [0xff123456, /overflows/],
    [0x21010000, /overflows/],
    [0x00000000, /zero/],
    [0x03000000, /zero/],
    [0x01803456, /zero/],
  ] as const) {
    t.throws(() => targetFromBits(bits), { name: "InvalidBitsError", message: why, bits });
    try {
      targetFromBits(bits);
    } catch (error) {
      t.ok(error instanceof InvalidBitsError && error instanceof InvalidChainError, "a typed consensus error");
    }
  }
  t.equal(targetFromBits(0x1d00ffff), (1n << 224n) - (1n << 208n));
});

t.test("targetForLeadingZeroBits agrees with meetsDifficulty on every hash and every d", async (t) => {
  t.equal(targetForLeadingZeroBits(0), MAX_TARGET);
  t.equal(targetForLeadingZeroBits(16), (1n << 240n) - 1n);
  t.equal(targetForLeadingZeroBits(256), 0n);
  t.throws(() => targetForLeadingZeroBits(257), RangeError);
  t.throws(() => targetForLeadingZeroBits(-1), RangeError);
  t.throws(() => targetForLeadingZeroBits(1.5), RangeError);

  // Proofs of random headers, judged both ways at every d.
  const draw = random(2022);
  let disagreements = 0;
  for (let i = 0; i < 300; i++) {
    const header = randomBytes(32).toString("hex");
    const proof = draw(2 ** 31);
    const hash = proofHash(header, proof);
    for (let d = 0; d <= 256; d++) {
      if (meetsDifficulty(header, proof, d) !== meetsTarget(hash, targetForLeadingZeroBits(d))) disagreements++;
    }
  }
  t.equal(disagreements, 0, "meetsDifficulty and meetsTarget agree on 300 proofs at d = 0..256");

  // Random proofs rarely have many leading zeros: hashes with exactly k, at d = k - 1, k, k + 1, for every k.
  for (let k = 0; k <= 256; k++) {
    const bytes = randomBytes(32);
    for (let bit = 0; bit < k; bit++) bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) & ~(0x80 >> (bit & 7));
    if (k < 256) bytes[k >> 3] = (bytes[k >> 3] ?? 0) | (0x80 >> (k & 7));
    const hex = bytes.toString("hex");
    t.equal(leadingZeroBits(hex), k);
    for (const d of [k - 1, k, k + 1].filter((d) => d >= 0 && d <= 256)) {
      if (meetsTarget(hex, targetForLeadingZeroBits(d)) !== k >= d) disagreements++;
      if (meetsTarget(bytes, targetForLeadingZeroBits(d)) !== k >= d) disagreements++;
    }
  }
  t.equal(disagreements, 0, "and on hashes with every count of leading zero bits, at the boundary");
});

t.test("meetsTarget reads the hash as a big-endian integer at most the target", async (t) => {
  const hash = `00000000ffff${"0".repeat(52)}`;
  const value = 0xffffn << 208n;
  t.equal(hashValue(hash), value);
  t.equal(hashValue(Buffer.from(hash, "hex")), value);
  t.ok(meetsTarget(hash, value), "equal to the target: passes");
  t.notOk(meetsTarget(hash, value - 1n), "one above the target: fails");
  t.ok(meetsTarget("0".repeat(64), 0n), "the zero hash meets the zero target");
  t.notOk(meetsTarget("f".repeat(64), MAX_TARGET - 1n));
  t.ok(meetsTarget("F".repeat(64), MAX_TARGET), "upper-case hex reads the same");
  const bytes = new Uint8Array(64).fill(0xff).subarray(32);
  t.equal(hashValue(bytes), MAX_TARGET, "a view into a larger buffer reads only its own 32 bytes");
  t.throws(() => meetsTarget("abc", 1n), RangeError);
  t.throws(() => meetsTarget(new Uint8Array(31), 1n), RangeError);
});

t.test("blockWork is Bitcoin's GetBlockProof: 2^256 / (target + 1)", async (t) => {
  for (let d = 0; d <= 256; d++) t.equal(blockWork(targetForLeadingZeroBits(d)), 1n << BigInt(d), `d = ${d}: 2^${d}`);
  t.equal(blockWork(targetFromBits(0x1d00ffff)), 4_295_032_833n, "Bitcoin's genesis: 0x100010001");
  t.equal(blockWork(2n), HASH_SPACE / 3n, "rounded down");
  t.throws(() => blockWork(-1n), RangeError);
  t.throws(() => blockWork(HASH_SPACE), RangeError);
  t.equal(formatWork(blockWork(targetFromBits(0x1d00ffff))), "4.30 G");
  t.equal(formatWork(256n), "256");
  t.equal(formatWork(1500n), "1.50 k");
});

t.test("a longer chain with less work loses to a shorter one with more; on a tie ours stays", async (t) => {
  const easy = targetForLeadingZeroBits(8);
  const hard = targetForLeadingZeroBits(12);
  const longer = chainWork(Array.from({ length: 10 }, () => easy));
  const shorter = chainWork([hard, hard, hard]);
  t.equal(longer, 2560n);
  t.equal(shorter, 12_288n);
  t.ok(outworks(shorter, longer), "3 hard blocks replace 10 easy ones");
  t.notOk(outworks(longer, shorter), "10 easy blocks do not replace 3 hard ones");
  const ours = chainWork([hard, easy]);
  const theirs = chainWork([easy, hard]);
  t.equal(compareWork(theirs, ours), 0);
  t.notOk(outworks(theirs, ours), "a tie keeps the chain seen first");
  t.ok(outworks(theirs + 1n, ours));
  t.equal(chainWork([]), 0n);
  t.same([5n, 1n, 3n].sort(compareWork), [1n, 3n, 5n]);
});

t.test("targetForWork is the easiest target with at least that work", async (t) => {
  const draw = random(7);
  for (let i = 0; i < 500; i++) {
    const work = BigInt(1 + draw(2 ** 31)) * BigInt(1 + draw(2 ** 31)) ** BigInt(1 + draw(7));
    if (work > HASH_SPACE) continue;
    const target = targetForWork(work);
    t.ok(blockWork(target) >= work, `${work}: enough work`);
    if (target < MAX_TARGET) t.ok(blockWork(target + 1n) < work, `${work}: the next target is short of it`);
  }
  t.equal(targetForWork(1n), MAX_TARGET);
  t.equal(targetForWork(HASH_SPACE), 0n);
  t.equal(targetForWork(1_500_000_000n), HASH_SPACE / 1_500_000_000n - 1n);
  t.throws(() => targetForWork(0n), RangeError);
  t.throws(() => targetForWork(HASH_SPACE + 1n), RangeError);
});
