import t from "tap";
import { GENESIS, leadingZeroBits, meetsDifficulty, powHeader, sha256Hex } from "../src/chain/index.js";
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
  const kernel = portableKernel(VECTOR_H, 8);
  t.equal(kernel.name, "portable");
  t.ok(Number.isInteger(kernel.batch) && kernel.batch > 0, "a positive batch size");
});

t.test("finds the independently computed vector proof", async (t) => {
  for (const difficulty of [1, 2, 8, 12, 16]) {
    const expected = difficulty <= 2 ? referenceFirst(VECTOR_H, difficulty, 0, 200) : 106;
    t.equal(portableKernel(VECTOR_H, difficulty).search(0, 1000), expected, `difficulty ${difficulty}`);
  }
  t.equal(portableKernel(VECTOR_H, 16).search(0, 106), -1, "the range ends just before 106");
  t.equal(portableKernel(VECTOR_H, 16).search(106, 1), 106, "a range of one nonce");
  t.equal(portableKernel(VECTOR_H, 16).search(107, 200), -1, "none right after it");
  t.equal(portableKernel(VECTOR_H, 17).search(0, 1000), referenceFirst(VECTOR_H, 17, 0, 1000));
});

t.test("difficulty 0 accepts the first nonce; an empty range finds nothing", async (t) => {
  const kernel = portableKernel(VECTOR_H, 0);
  for (const start of [0, 9, 99_999, MAX]) t.equal(kernel.search(start, 1), start);
  t.equal(portableKernel(VECTOR_H, 1).search(5, 0), -1);
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
        const kernel = portableKernel(header, difficulty);
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
        const found = portableKernel(header, difficulty).search(start, span);
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
    t.equal(portableKernel(VECTOR_H, difficulty).search(0, count), expected, `difficulty ${difficulty}`);
  }
});

t.test("one kernel gives the same answers in any order of calls", async (t) => {
  const kernel = portableKernel(HEADERS[1] as string, 4);
  const first = kernel.search(999_990, 40);
  const other = kernel.search(9, 3);
  t.equal(kernel.search(999_990, 40), first, "a search across a boundary leaves no state behind");
  t.equal(kernel.search(9, 3), other);
  t.equal(first, referenceFirst(HEADERS[1] as string, 4, 999_990, 40));
  t.equal(other, referenceFirst(HEADERS[1] as string, 4, 9, 3));
});

t.test("kernels for different jobs, used in turn, each keep their own header and difficulty", async (t) => {
  const jobs = HEADERS.flatMap((header) => [3, 6].map((difficulty) => ({ header, difficulty })));
  const kernels = jobs.map(({ header, difficulty }) => portableKernel(header, difficulty));
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
        portableKernel(VECTOR_H, difficulty).search(start, count),
        expected,
        `${nonce}, difficulty ${difficulty}`,
      );
    }
  }
});

t.test("the portable kernel refuses what the proof rule excludes", async (t) => {
  t.throws(() => portableKernel(VECTOR_H.slice(1), 8), RangeError, "a header that is not 64 characters");
  t.throws(() => portableKernel(VECTOR_H, 257), RangeError, "a difficulty above 256");
  const kernel = portableKernel(VECTOR_H, 8);
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
          const kernel = createKernel(variant, header, difficulty);
          const label = `${variant}: H ${header.slice(0, 8)}, start ${start}, difficulty ${difficulty}`;
          if (!t.same(kernelProofs(kernel, start, span), expected, label)) return;
        }
      }
    }
  }
  for (const variant of variants) {
    t.equal(createKernel(variant, VECTOR_H, 16).search(0, 1000), 106, `${variant}: the vector proof`);
    for (const { nonce, bits } of DEEP_PROOFS) {
      t.equal(createKernel(variant, VECTOR_H, bits).search(nonce - 100, 200), nonce, `${variant}: ${nonce}`);
      t.equal(createKernel(variant, VECTOR_H, bits + 1).search(nonce - 100, 200), -1);
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
              nativeKernel(variant, header, difficulty).search(start, 1 << 15),
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
