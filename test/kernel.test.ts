import { createHash } from "node:crypto";
import t, { type Test } from "tap";
import { random } from "../bench/lib/random.js";
import {
  GENESIS,
  leadingZeroBits,
  meetsDifficulty,
  powHeader,
  sha256Hex,
  targetForLeadingZeroBits,
} from "../src/chain/index.js";
import {
  createKernel,
  type Kernel,
  type KernelName,
  NATIVE_VARIANTS,
  type NativeVariant,
  resolveKernel,
} from "../workers/kernel/index.js";
import { loadNativeAddon, nativeKernel, nativeVariants } from "../workers/kernel/native.js";
import { portableKernel } from "../workers/kernel/portable.js";

/** The walkthrough block's H (see chain.test.ts): its smallest proof of 8+ bits is 106, with exactly 16 bits. */
const VECTOR_H = "4894a8b230a301fe15e6e3e2dd508e34155e454b58a61cce1b291dc1c741b30c";
const HEADERS = [VECTOR_H, powHeader(GENESIS), sha256Hex("toychain")];
const MAX = Number.MAX_SAFE_INTEGER;

/** Every nonce in [start, start+count) that the reference check accepts. */
function referenceProofs(header: string, difficulty: number, start: number, count: number): number[] {
  const proofs: number[] = [];
  for (let nonce = start; nonce < start + count; nonce++) {
    if (meetsDifficulty(header, nonce, difficulty)) proofs.push(nonce);
  }
  return proofs;
}

/** The reference's first proof in [start, start+count), or -1. */
function referenceFirst(header: string, difficulty: number, start: number, count: number): number {
  for (let nonce = start; nonce < start + count; nonce++) {
    if (meetsDifficulty(header, nonce, difficulty)) return nonce;
  }
  return -1;
}

/** Every proof the kernel finds in [start, start+count), searching again after each find. */
function kernelProofs(kernel: Kernel, start: number, count: number): number[] {
  const proofs: number[] = [];
  const end = start + count;
  let from = start;
  while (from < end) {
    const found = kernel.search(from, end - from);
    if (found < 0) break;
    proofs.push(found);
    from = found + 1;
  }
  return proofs;
}

t.test("the kernel reports itself", async (t) => {
  const kernel = portableKernel(VECTOR_H, targetForLeadingZeroBits(8));
  t.equal(kernel.name, "portable");
  t.ok(Number.isInteger(kernel.batch) && kernel.batch > 0, "a positive batch size");
});

t.test("finds the independently computed vector proof", async (t) => {
  for (const difficulty of [1, 2, 8, 12, 16]) {
    const expected = difficulty <= 2 ? referenceFirst(VECTOR_H, difficulty, 0, 200) : 106;
    t.equal(
      portableKernel(VECTOR_H, targetForLeadingZeroBits(difficulty)).search(0, 1000),
      expected,
      `difficulty ${difficulty}`,
    );
  }
  t.equal(portableKernel(VECTOR_H, targetForLeadingZeroBits(16)).search(0, 106), -1, "the range ends just before 106");
  t.equal(portableKernel(VECTOR_H, targetForLeadingZeroBits(16)).search(106, 1), 106, "a range of one nonce");
  t.equal(portableKernel(VECTOR_H, targetForLeadingZeroBits(16)).search(107, 200), -1, "none right after it");
  t.equal(
    portableKernel(VECTOR_H, targetForLeadingZeroBits(17)).search(0, 1000),
    referenceFirst(VECTOR_H, 17, 0, 1000),
  );
});

t.test("difficulty 0 accepts the first nonce; an empty range finds nothing", async (t) => {
  const kernel = portableKernel(VECTOR_H, targetForLeadingZeroBits(0));
  for (const start of [0, 9, 99_999, MAX]) t.equal(kernel.search(start, 1), start);
  t.equal(portableKernel(VECTOR_H, targetForLeadingZeroBits(1)).search(5, 0), -1);
});

/** Starts just below a change in the number of decimal digits, so the range crosses it. */
const STARTS = [0, 9_990, 99_990, 999_990, 9_999_999 - 1500, 99_999_990, 999_999_999_999_990];
const NEAR_MAX = MAX - 4000; // the range ends exactly at 2^53-1

t.test("every proof in ranges that cross digit-length boundaries, difficulties 1 to 8", async (t) => {
  const count = 3000;
  for (const header of HEADERS) {
    for (const start of [...STARTS, NEAR_MAX]) {
      const span = Math.min(count, MAX - start + 1);
      for (let difficulty = 1; difficulty <= 8; difficulty++) {
        const expected = referenceProofs(header, difficulty, start, span);
        const kernel = portableKernel(header, targetForLeadingZeroBits(difficulty));
        const found = kernelProofs(kernel, start, span);
        if (!t.same(found, expected, `H ${header.slice(0, 8)}, start ${start}, difficulty ${difficulty}`)) return;
        // One call over the whole range returns the reference's first proof.
        t.equal(kernel.search(start, span), expected[0] ?? -1);
      }
    }
  }
});

t.test("the first proof at difficulties 9 to 12 equals the reference's", async (t) => {
  const count = 1 << 16;
  for (const header of HEADERS) {
    for (const start of [...STARTS, NEAR_MAX]) {
      const span = Math.min(count, MAX - start + 1);
      for (let difficulty = 9; difficulty <= 12; difficulty++) {
        const expected = referenceFirst(header, difficulty, start, span);
        const found = portableKernel(header, targetForLeadingZeroBits(difficulty)).search(start, span);
        t.equal(found, expected, `H ${header.slice(0, 8)}, start ${start}, difficulty ${difficulty}`);
        if (found >= 0) t.ok(leadingZeroBits(sha256Hex(header + String(found))) >= difficulty);
      }
    }
  }
});

t.test("high difficulties: no false finds across 32-bit word boundaries", async (t) => {
  const count = 1 << 16;
  for (const difficulty of [13, 16, 17, 20, 24, 31, 32, 33, 40, 64, 256]) {
    const expected = referenceFirst(VECTOR_H, difficulty, 0, count);
    t.equal(
      portableKernel(VECTOR_H, targetForLeadingZeroBits(difficulty)).search(0, count),
      expected,
      `difficulty ${difficulty}`,
    );
  }
});

t.test("one kernel gives the same answers in any order of calls", async (t) => {
  const kernel = portableKernel(HEADERS[1] as string, targetForLeadingZeroBits(4));
  const first = kernel.search(999_990, 40);
  const other = kernel.search(9, 3);
  t.equal(kernel.search(999_990, 40), first, "a search across a boundary leaves no state behind");
  t.equal(kernel.search(9, 3), other);
  t.equal(first, referenceFirst(HEADERS[1] as string, 4, 999_990, 40));
  t.equal(other, referenceFirst(HEADERS[1] as string, 4, 9, 3));
});

t.test("kernels for different jobs, used in turn, each keep their own header and difficulty", async (t) => {
  const jobs = HEADERS.flatMap((header) => [3, 6].map((difficulty) => ({ header, difficulty })));
  const kernels = jobs.map(({ header, difficulty }) => portableKernel(header, targetForLeadingZeroBits(difficulty)));
  for (const start of [0, 9_990, 999_999_999_999_990]) {
    for (let round = 0; round < 2; round++) {
      jobs.forEach(({ header, difficulty }, i) => {
        const found = (kernels[i] as Kernel).search(start, 500);
        t.equal(found, referenceFirst(header, difficulty, start, 500), `job ${i}, start ${start}, round ${round}`);
      });
    }
  }
});

/**
 * Nonces for VECTOR_H whose hashes have exactly 32 and 35 leading zero bits,
 * found by an offline search (OpenSSL from a midstate; sha256sum agrees).
 */
const DEEP_PROOFS = [
  { nonce: 4_833_669_308, bits: 32 },
  { nonce: 26_629_872_015, bits: 35 },
];

t.test("past 32 bits, the first word must be zero and the next words decide", async (t) => {
  for (const { nonce, bits } of DEEP_PROOFS) {
    t.equal(leadingZeroBits(sha256Hex(VECTOR_H + String(nonce))), bits, `the vector ${nonce}`);
    const start = nonce - 3000;
    const count = 4000;
    for (const difficulty of [31, 32, 33, 34, 35, 36, 63, 64, 65, 255, 256]) {
      const expected = referenceFirst(VECTOR_H, difficulty, start, count);
      t.equal(expected, difficulty <= bits ? nonce : -1, `the reference, difficulty ${difficulty}`);
      t.equal(
        portableKernel(VECTOR_H, targetForLeadingZeroBits(difficulty)).search(start, count),
        expected,
        `${nonce}, difficulty ${difficulty}`,
      );
    }
  }
});

t.test("the portable kernel refuses what the proof rule excludes", async (t) => {
  t.throws(
    () => portableKernel(VECTOR_H.slice(1), targetForLeadingZeroBits(8)),
    RangeError,
    "a header that is not 64 characters",
  );
  t.throws(() => portableKernel(VECTOR_H, 1n << 256n), RangeError, "a target of 2^256 or more");
  t.throws(() => portableKernel(VECTOR_H, -1n), RangeError, "a negative target");
  const kernel = portableKernel(VECTOR_H, targetForLeadingZeroBits(8));
  t.throws(() => kernel.search(-1, 10), RangeError, "a negative nonce");
  t.throws(() => kernel.search(MAX, 2), RangeError, "a nonce past 2^53 - 1");
  t.throws(() => kernel.search(0.5, 10), RangeError, "a fractional nonce");
});

/** Why the native kernels cannot be tested here, if they cannot. */
function nativeUnavailable(): string | false {
  try {
    loadNativeAddon();
    return false;
  } catch (error) {
    return `the native addon is not built: ${(error as Error).message.split("\n")[0]}`;
  }
}

/** The native variants that this CPU runs and that passed their self-check (none without the addon). */
function usableVariants(): NativeVariant[] {
  if (nativeUnavailable()) return [];
  return nativeVariants()
    .filter((variant) => variant.usable)
    .map((variant) => variant.name as NativeVariant);
}

/**
 * 16-digit starts (the pool's layout) just below a carry: into the digits of
 * W2 (10^4), W1 (10^8) and W0 (10^12), and the last nonce.
 */
const FAST_STARTS = [10 ** 15, 10 ** 15 + 9_990, 10 ** 15 + 99_999_990, 1_999_999_999_999_000, 4_444_444_449_999_990];

t.test("every kernel this CPU runs finds every proof the reference finds, 16-digit carries included", async (t) => {
  const variants: KernelName[] = [...usableVariants(), "portable"];
  t.ok(nativeUnavailable() || variants.includes("openssl"), `usable: ${variants.join(", ")}`);
  for (const header of HEADERS) {
    for (const start of [...STARTS, ...FAST_STARTS, NEAR_MAX]) {
      const span = Math.min(2001, MAX - start + 1);
      // Each nonce hashed once by the reference; a difficulty's proofs are the nonces with enough zero bits.
      const bits = Array.from({ length: span }, (_, i) => leadingZeroBits(sha256Hex(header + String(start + i))));
      for (const difficulty of [2, 5, 8]) {
        const expected = bits.flatMap((zeros, i) => (zeros >= difficulty ? [start + i] : []));
        for (const variant of variants) {
          const kernel = createKernel(variant, header, targetForLeadingZeroBits(difficulty));
          const label = `${variant}: H ${header.slice(0, 8)}, start ${start}, difficulty ${difficulty}`;
          if (!t.same(kernelProofs(kernel, start, span), expected, label)) return;
        }
      }
    }
  }
  for (const variant of variants) {
    t.equal(
      createKernel(variant, VECTOR_H, targetForLeadingZeroBits(16)).search(0, 1000),
      106,
      `${variant}: the vector proof`,
    );
    for (const { nonce, bits } of DEEP_PROOFS) {
      t.equal(
        createKernel(variant, VECTOR_H, targetForLeadingZeroBits(bits)).search(nonce - 100, 200),
        nonce,
        `${variant}: ${nonce}`,
      );
      t.equal(createKernel(variant, VECTOR_H, targetForLeadingZeroBits(bits + 1)).search(nonce - 100, 200), -1);
    }
  }
});

t.test(
  "each native variant's first proof at difficulties 9 to 13 equals the reference's",
  { skip: nativeUnavailable() },
  async (t) => {
    const variants = usableVariants();
    for (const header of HEADERS) {
      for (const start of FAST_STARTS) {
        for (let difficulty = 9; difficulty <= 13; difficulty += 2) {
          const expected = referenceFirst(header, difficulty, start, 1 << 15);
          for (const variant of variants) {
            t.equal(
              nativeKernel(variant, header, targetForLeadingZeroBits(difficulty)).search(start, 1 << 15),
              expected,
              `${variant}: H ${header.slice(0, 8)}, start ${start}, difficulty ${difficulty}`,
            );
          }
        }
      }
    }
  },
);

t.test(
  "the variants a CPU lacks say so; the auto choice calibrates only usable ones",
  { skip: nativeUnavailable() },
  async (t) => {
    const statuses = nativeVariants();
    t.same(
      statuses.map((status) => status.name),
      [...NATIVE_VARIANTS],
    );
    for (const status of statuses) {
      if (!status.usable) t.match(status.reason, /^this CPU lacks |^it failed its self-check/, status.name);
    }
    const { candidates } = resolveKernel("auto");
    t.same([...candidates].sort(), usableVariants().sort());
    t.same(resolveKernel("openssl").candidates, ["openssl"]);
  },
);

/** SHA-256(H || decimal(nonce)) by node:crypto, read as a 256-bit big-endian number. */
function hashValue(header: string, nonce: number): bigint {
  return BigInt(
    `0x${createHash("sha256")
      .update(header + String(nonce))
      .digest("hex")}`,
  );
}

const TWO_256 = 1n << 256n;
/** 2^(32 * (7 - word)): one unit of the 32-bit word `word` of a 256-bit number, word 0 the most significant. */
const wordUnit = (word: number): bigint => 1n << BigInt(32 * (7 - word));

/** A random 256-bit number with about `zeros` leading zero bits: rarely of the 2^k-1 form. */
function randomTarget(draw: (n: number) => number, zeros: number): bigint {
  let value = 0n;
  for (let i = 0; i < 8; i++) value = (value << 32n) | BigInt(draw(2 ** 32));
  return value >> BigInt(zeros);
}

/** The values, smallest first. */
const ascending = (values: readonly bigint[]): bigint[] => [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

const randomHeader = (draw: (n: number) => number): string => sha256Hex(`random header ${draw(2 ** 32)}`);

/** Every kernel this machine runs: the usable native variants and the portable one. */
const everyKernel = (): KernelName[] => [...usableVariants(), "portable"];

/**
 * Checks every kernel against node:crypto for each target over [start,
 * start+span): the nonces whose hash is at most the target, in order.
 */
function agree(
  t: Test,
  header: string,
  start: number,
  values: readonly bigint[],
  targets: readonly { target: bigint; what: string }[],
): boolean {
  for (const { target, what } of targets) {
    const expected = values.flatMap((value, i) => (value <= target ? [start + i] : []));
    for (const variant of everyKernel()) {
      const found = kernelProofs(createKernel(variant, header, target), start, values.length);
      if (!t.same(found, expected, `${variant}: H ${header.slice(0, 8)}, start ${start}, ${what}`)) return false;
    }
  }
  return true;
}

t.test("every kernel agrees with node:crypto on random headers and targets, not of the 2^k-1 form", async (t) => {
  const draw = random(22);
  for (let round = 0; round < 6; round++) {
    const header = randomHeader(draw);
    for (const start of [...FAST_STARTS, 99_990, NEAR_MAX]) {
      const span = Math.min(700, MAX - start + 1);
      const values = Array.from({ length: span }, (_, i) => hashValue(header, start + i));
      const targets = [1, 3, 5, 7].map((zeros) => {
        const target = randomTarget(draw, zeros);
        return { target, what: `target 0x${target.toString(16).padStart(64, "0")}` };
      });
      if (!agree(t, header, start, values, targets)) return;
    }
  }
});

t.test("ties: the words equal to the hash's are passed over and the first that differs decides", async (t) => {
  const draw = random(2026);
  for (let round = 0; round < 3; round++) {
    const header = randomHeader(draw);
    for (const start of [...FAST_STARTS, 9_990, NEAR_MAX]) {
      const span = Math.min(400, MAX - start + 1);
      const values = Array.from({ length: span }, (_, i) => hashValue(header, start + i));
      // The smallest hash: the one nonce a target near it can accept. One of the 16 smallest: a few more pass with it.
      const sorted = ascending(values);
      const targets = [sorted[0] as bigint, sorted[1 + draw(15)] as bigint].flatMap((value) => [
        { target: value, what: "the hash itself (equal passes)" },
        ...[1, 3, 7].flatMap((word) => [
          { target: value - wordUnit(word), what: `words 0-${word - 1} equal, word ${word} one less` },
          { target: value + wordUnit(word), what: `words 0-${word - 1} equal, word ${word} one more` },
        ]),
      ]);
      if (!agree(t, header, start, values, targets)) return;
    }
  }
});

t.test("a kernel that compares the wrong way, signed, or only the first word fails here", async (t) => {
  const header = HEADERS[2] as string;
  const start = 10 ** 15 + 9_950;
  const values = Array.from({ length: 300 }, (_, i) => hashValue(header, start + i));
  const smallest = ascending(values)[0] as bigint;
  const at = start + values.indexOf(smallest);
  for (const variant of everyKernel()) {
    const search = (target: bigint) => createKernel(variant, header, target).search(start, values.length);
    t.equal(search(smallest), at, `${variant}: a hash equal to the target passes`);
    t.equal(search(smallest - 1n), -1, `${variant}: one less than the hash, its first seven words equal, fails`);
    t.equal(search(smallest - wordUnit(1)), -1, `${variant}: the first word equal and the second one less fails`);
    t.equal(search(smallest + wordUnit(1)), at, `${variant}: the first word equal and the second one more passes`);
    // A first word with its top bit set: a signed comparison would turn most passes into failures.
    const high = 0xb504f333n * wordUnit(0) + wordUnit(0) - 1n;
    const passes = values.flatMap((value, i) => (value <= high ? [start + i] : []));
    t.same(kernelProofs(createKernel(variant, header, high), start, values.length), passes, `${variant}: unsigned`);
    t.equal(search(TWO_256 - 1n), start, `${variant}: the largest target passes every hash`);
    t.equal(search(0n), -1, `${variant}: the target 0 passes none here`);
  }
});
