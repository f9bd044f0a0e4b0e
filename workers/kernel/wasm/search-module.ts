/**
 * The portable kernel's WebAssembly module, written out as WebAssembly text
 * (WAT) at build time: a proof-of-work search that runs four nonces at once,
 * one per 32-bit lane of a SIMD v128, through fully unrolled SHA-256 rounds.
 *
 * Exports:
 * - `memory`, whose bytes at `header` hold H (64 ASCII bytes, one block) and
 *   at `target` the target (32 bytes, big-endian);
 * - `init()`: compresses H into the midstate and reads the target; call it
 *   after writing both;
 * - `search(start, count)`: the first nonce in [start, start + count) whose
 *   SHA-256(H || decimal(nonce)), read as a 256-bit big-endian number, is at
 *   most the target, or -1;
 * - `searchFast(start, count)`: the same for 16-digit nonces only (10^15 to
 *   2^53-1, the pool's layout), with the nonce-independent work done once per
 *   10^4 nonces, as the native kernels do (workers/kernel/native/kernel.h):
 *   the words W0-W2 (the first 12 digits) are then constant, W3 (the last 4)
 *   comes from a table, W4-W15 never change; rounds 0-2 and the W3-free half
 *   of round 3 are computed per segment, and so are the schedule's constant
 *   terms, pre-added to K.
 *
 * Each pass builds the second block of nonces n, n+1, n+2 and n+3: their
 * decimal digits (at most 16, then the 0x80 pad byte) are words 0 to 4, words
 * 5 to 14 are zero and word 15 is the bit length. The digits are kept as ASCII
 * bytes in a v128 and incremented in place; a carry out of the last digit,
 * one increment in ten, goes through memory. The zero words are known here, so
 * the message schedule leaves out every term they would add.
 */

type Expr = string;
/** a, b, c, d, e, f, g, h */
type State = [Expr, Expr, Expr, Expr, Expr, Expr, Expr, Expr];

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
];
const INITIAL_STATE = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/** The memory layout, in bytes: everything fits in the first 64 KiB page. */
const HEADER = 0; // H, 64 bytes
const DIGITS = 64; // the digits of the next nonce, its pad byte and zeros: 32 bytes
const TARGET = 96; // the target, 32 bytes, big-endian, as the caller writes it
const MIDSTATE = 128; // 8 vectors, each word in all four lanes
const DIGEST = 256; // 8 vectors: the digests of the last pass, when one may be a proof
const ONES = 384; // 16 vectors: ONES + 16 * i has a 1 in byte i, to add to the digits' byte i
const ROUND_CONSTANTS = 640; // 64 vectors of K
const INITIAL = ROUND_CONSTANTS + 64 * 16; // 8 vectors of the initial state
const TARGET_WORDS = INITIAL + 8 * 16; // the target's 8 words, most significant first, as i32 (init's copy of TARGET)
const SEGMENT_STATE = 2048; // 8 vectors: a..h after rounds 0-2 of the segment's block
const SEGMENT_T1 = SEGMENT_STATE + 8 * 16; // round 3's t1 without W3
const SEGMENT_A = SEGMENT_T1 + 16; // round 3's S0(a) + Maj(a, b, c)
const SEGMENT_KW = SEGMENT_A + 16; // 64 vectors: K[i] plus the constant terms of W[i]
const SEGMENT_CONST = SEGMENT_KW + 64 * 16; // 64 vectors: the constant terms of a changing W[i]
const W3_TABLE = SEGMENT_CONST + 64 * 16; // u32 per last-four-digits value 0-9999 (+ 4 padding): W3, big-endian ASCII
const SEGMENT = 10_000;

const ZERO = 48; // '0'
const NINE = 57; // '9'
const PAD = 0x80;

const get = (name: string): Expr => `(local.get $${name})`;
const load = (offset: number): Expr => `(v128.load offset=${offset} (i32.const 0))`;
const fold =
  (op: string) =>
  (first: Expr, ...rest: Expr[]): Expr =>
    rest.reduce((acc, x) => `(${op} ${acc} ${x})`, first);
const add = fold("i32x4.add");
const xor = fold("v128.xor");
const and = fold("v128.and");
const shr = (x: Expr, n: number): Expr => `(i32x4.shr_u ${x} (i32.const ${n}))`;
const shl = (x: Expr, n: number): Expr => `(i32x4.shl ${x} (i32.const ${n}))`;
/** WebAssembly SIMD has no rotate: two shifts and an or. */
const rotr = (x: Expr, n: number): Expr => `(v128.or ${shr(x, n)} ${shl(x, 32 - n)})`;
const bigSigma0 = (x: Expr): Expr => xor(rotr(x, 2), rotr(x, 13), rotr(x, 22));
const bigSigma1 = (x: Expr): Expr => xor(rotr(x, 6), rotr(x, 11), rotr(x, 25));
const smallSigma0 = (x: Expr): Expr => xor(rotr(x, 7), rotr(x, 18), shr(x, 3));
const smallSigma1 = (x: Expr): Expr => xor(rotr(x, 17), rotr(x, 19), shr(x, 10));
/** Ch(e, f, g) = g ^ (e & (f ^ g)) */
const choose = (e: Expr, f: Expr, g: Expr): Expr => xor(g, and(e, xor(f, g)));

/** The data segment of vectors that hold each word in all four lanes. */
function splats(words: number[]): string {
  const bytes = Buffer.alloc(words.length * 16);
  words.forEach((word, i) => {
    for (let lane = 0; lane < 4; lane++) bytes.writeUInt32LE(word, i * 16 + lane * 4);
  });
  return dataString(bytes);
}

function dataString(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => `\\${byte.toString(16).padStart(2, "0")}`).join("");
}

function ones(): string {
  const bytes = Buffer.alloc(16 * 16);
  for (let i = 0; i < 16; i++) bytes[i * 17] = 1;
  return dataString(bytes);
}

interface Compression {
  /** The declarations of the locals that the code sets. */
  locals: string[];
  code: string[];
  /** The state after the 64 rounds, before the input state is added back. */
  out: State;
}

/**
 * One SHA-256 compression of four blocks at once, unrolled, as a sequence of
 * local.set instructions. `block` holds the 16 message words, null where a
 * word is zero in every lane.
 */
function compression(block: (Expr | null)[], input: State): Compression {
  const locals: string[] = [];
  const code: string[] = [];
  const set = (name: string, value: Expr): Expr => {
    locals.push(`(local $${name} v128)`);
    code.push(`(local.set $${name} ${value})`);
    return get(name);
  };
  const w = [...block];
  let [a, b, c, d, e, f, g, h] = input.map((x, i) => set(`in${i}`, x)) as State;
  /** b ^ c, which is the previous round's a ^ b. */
  let bc = set("bc", xor(b, c));
  for (let i = 0; i < 64; i++) {
    if (i >= 16) {
      const terms: Expr[] = [];
      const [w2, w7, w15, w16] = [w[i - 2], w[i - 7], w[i - 15], w[i - 16]];
      if (w2) terms.push(smallSigma1(w2));
      if (w7) terms.push(w7);
      if (w15) terms.push(smallSigma0(w15));
      if (w16) terms.push(w16);
      const [first, ...rest] = terms;
      w[i] = first === undefined ? null : set(`w${i}`, add(first, ...rest));
    }
    const word = w[i];
    const k = load(ROUND_CONSTANTS + i * 16);
    const t1 = set(`t${i}`, add(h, bigSigma1(e), choose(e, f, g), word ? add(k, word) : k));
    const ab = set(`ab${i}`, xor(a, b));
    /** Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c)) */
    const majority = xor(b, and(ab, bc));
    const nextA = set(`a${i}`, add(t1, bigSigma0(a), majority));
    const nextE = set(`e${i}`, add(d, t1));
    [a, b, c, d, e, f, g, h] = [nextA, a, b, c, nextE, e, f, g];
    bc = ab;
  }
  return { locals, code, out: [a, b, c, d, e, f, g, h] };
}

/** Whether a schedule word of the 16-digit block is zero, the same for every nonce of a segment, or changing. */
type Kind = "zero" | "constant" | "changing";
const KINDS: Kind[] = Array.from({ length: 16 }, (_, i) =>
  i === 3 ? "changing" : [0, 1, 2, 4, 15].includes(i) ? "constant" : "zero",
);
/** The terms of schedule word i >= 16: sigma1(W[i-2]), W[i-7], sigma0(W[i-15]), W[i-16]. */
const TERMS = (i: number) =>
  [
    { from: i - 2, f: smallSigma1 },
    { from: i - 7, f: (x: Expr) => x },
    { from: i - 15, f: smallSigma0 },
    { from: i - 16, f: (x: Expr) => x },
  ] as const;
for (let i = 16; i < 64; i++) {
  const kinds = TERMS(i).map((term) => KINDS[term.from]);
  KINDS.push(kinds.includes("changing") ? "changing" : kinds.includes("constant") ? "constant" : "zero");
}

function w3Table(): string {
  const bytes = Buffer.alloc((SEGMENT + 4) * 4);
  for (let v = 0; v < SEGMENT + 4; v++) {
    const digits = String(v % SEGMENT).padStart(4, "0");
    bytes.writeUInt32LE(Buffer.from(digits, "latin1").readUInt32BE(0), v * 4);
  }
  return dataString(bytes);
}

/**
 * segment(): the per-segment work, from the digits at DIGITS (the
 * segment's first nonce, 16 digits): rounds 0-2, half of round 3, and for
 * each word i from 4 on, K[i] plus its constant part (SEGMENT_KW) and, for a
 * changing word, its constant terms alone (SEGMENT_CONST). All in splats.
 */
function segmentFunction(): string {
  const locals: string[] = [];
  const code: string[] = [];
  const set = (name: string, value: Expr): Expr => {
    locals.push(`(local $${name} v128)`);
    code.push(`(local.set $${name} ${value})`);
    return get(name);
  };
  const bswap = "3 2 1 0 7 6 5 4 11 10 9 8 15 14 13 12";
  const digitWord = (i: number) =>
    `(i8x16.shuffle ${bswap} (v128.load32_splat offset=${DIGITS + i * 4} (i32.const 0)) (v128.const i64x2 0 0))`;
  const splat = (x: number): Expr => `(i32x4.splat (i32.const ${x | 0}))`;
  const w: (Expr | null)[] = [];
  for (let i = 0; i < 16; i++) {
    if (i < 3) w.push(set(`w${i}`, digitWord(i)));
    else if (i === 4) w.push(splat(0x80000000));
    else if (i === 15) w.push(splat((64 + 16) * 8));
    else w.push(null);
  }
  /** The sum of a word's constant terms, or null when it has none. */
  const constantTerms = (i: number): Expr | null => {
    const terms = TERMS(i)
      .filter((term) => KINDS[term.from] === "constant")
      .map((term) => term.f(w[term.from] as Expr));
    const [first, ...rest] = terms;
    return first === undefined ? null : add(first, ...rest);
  };
  for (let i = 16; i < 64; i++) {
    if (KINDS[i] === "constant") w.push(set(`w${i}`, constantTerms(i) as Expr));
    else w.push(null);
  }
  let [a, b, c, d, e, f, g, h] = stateWords.map((i) => set(`in${i}`, load(MIDSTATE + i * 16))) as State;
  for (let i = 0; i < 3; i++) {
    const t1 = set(`t${i}`, add(h, bigSigma1(e), choose(e, f, g), load(ROUND_CONSTANTS + i * 16), w[i] as Expr));
    const majority = xor(and(a, b), and(c, xor(a, b)));
    const nextA = set(`a${i}`, add(t1, bigSigma0(a), majority));
    const nextE = set(`e${i}`, add(d, t1));
    [a, b, c, d, e, f, g, h] = [nextA, a, b, c, nextE, e, f, g];
  }
  const stores = [a, b, c, d, e, f, g, h].map(
    (x, i) => `(v128.store offset=${SEGMENT_STATE + i * 16} (i32.const 0) ${x})`,
  );
  stores.push(
    `(v128.store offset=${SEGMENT_T1} (i32.const 0) ${add(h, bigSigma1(e), choose(e, f, g), load(ROUND_CONSTANTS + 3 * 16))})`,
    `(v128.store offset=${SEGMENT_A} (i32.const 0) ${add(bigSigma0(a), xor(and(a, b), and(c, xor(a, b))))})`,
  );
  for (let i = 4; i < 64; i++) {
    const k = load(ROUND_CONSTANTS + i * 16);
    const word = KINDS[i] === "changing" ? null : w[i];
    stores.push(`(v128.store offset=${SEGMENT_KW + i * 16} (i32.const 0) ${word ? add(k, word) : k})`);
    const terms = KINDS[i] === "changing" && i >= 16 ? constantTerms(i) : null;
    if (terms) stores.push(`(v128.store offset=${SEGMENT_CONST + i * 16} (i32.const 0) ${terms})`);
  }
  return `(func $segment
    ${locals.join(" ")}
    ${code.join("\n    ")}
    ${stores.join("\n    ")})`;
}

/**
 * The rounds 3-63 of the 16-digit block for the four nonces whose W3 is in
 * local $w3, after segment(): only the changing words are computed per pass.
 */
function fastCompression(): Compression {
  const locals: string[] = [];
  const code: string[] = [];
  const set = (name: string, value: Expr): Expr => {
    locals.push(`(local $${name} v128)`);
    code.push(`(local.set $${name} ${value})`);
    return get(name);
  };
  const w: (Expr | null)[] = Array(64).fill(null);
  w[3] = get("w3");
  const s = (i: number) => load(SEGMENT_STATE + i * 16);
  const t1 = set("t3", add(load(SEGMENT_T1), get("w3")));
  let [a, b, c, d, e, f, g, h] = [
    set("a3", add(t1, load(SEGMENT_A))),
    s(0),
    s(1),
    s(2),
    set("e3", add(s(3), t1)),
    s(4),
    s(5),
    s(6),
  ] as State;
  let bc = set("bc", xor(b, c));
  for (let i = 4; i < 64; i++) {
    let kw = load(SEGMENT_KW + i * 16);
    if (KINDS[i] === "changing") {
      const terms = TERMS(i)
        .filter((term) => KINDS[term.from] === "changing")
        .map((term) => term.f(w[term.from] as Expr));
      const hasConstant = TERMS(i).some((term) => KINDS[term.from] === "constant");
      if (hasConstant) terms.push(load(SEGMENT_CONST + i * 16));
      const [first, ...rest] = terms;
      w[i] = set(`w${i}`, add(first as Expr, ...rest));
      kw = add(kw, w[i] as Expr);
    }
    const t = set(`t${i}`, add(h, bigSigma1(e), choose(e, f, g), kw));
    const ab = set(`ab${i}`, xor(a, b));
    const majority = xor(b, and(ab, bc));
    const nextA = set(`a${i}`, add(t, bigSigma0(a), majority));
    const nextE = set(`e${i}`, add(d, t));
    [a, b, c, d, e, f, g, h] = [nextA, a, b, c, nextE, e, f, g];
    bc = ab;
  }
  return { locals, code, out: [a, b, c, d, e, f, g, h] };
}

/**
 * searchFast(start, count): 16-digit nonces only. Each segment (one W0-W2
 * prefix, at most 10^4 nonces) runs segment() once, then passes of four
 * nonces that load their W3 from the table.
 */
function fastSearchFunction(): string {
  const { locals, code, out } = fastCompression();
  return `(func (export "searchFast") (param $start f64) (param $count f64) (result f64)
    (local $nonce i64) (local $left i64) (local $run i64) (local $lane i32) (local $bound v128) (local $at i32)
    (local $w3 v128)
    ${locals.join(" ")}
    (local.set $nonce (i64.trunc_f64_u (local.get $start)))
    (local.set $left (i64.trunc_f64_u (local.get $count)))
    (local.set $bound (i32x4.splat (global.get $bound)))
    (block $done
      (loop $segments
        (br_if $done (i64.eqz (local.get $left)))
        (drop (call $writeDigits (local.get $nonce)))
        (call $segment)
        (local.set $at (i32.wrap_i64 (i64.rem_u (local.get $nonce) (i64.const ${SEGMENT}))))
        (local.set $run (i64.sub (i64.const ${SEGMENT}) (i64.extend_i32_u (local.get $at))))
        (if (i64.lt_u (local.get $left) (local.get $run)) (then (local.set $run (local.get $left))))
        (local.set $left (i64.sub (local.get $left) (local.get $run)))
        (loop $pass
          (local.set $w3 (v128.load offset=${W3_TABLE} (i32.shl (local.get $at) (i32.const 2))))
          ${code.join("\n          ")}
          (if (v128.any_true (i32x4.le_u ${add(out[0], load(MIDSTATE))} (local.get $bound)))
            (then
              ${out.map((x, i) => `(v128.store offset=${DIGEST + i * 16} (i32.const 0) (i32x4.add ${x} ${load(MIDSTATE + i * 16)}))`).join("\n              ")}
              (local.set $lane (i32.const 0))
              (loop $lanes
                (if (i64.gt_u (local.get $run) (i64.extend_i32_u (local.get $lane)))
                  (then
                    (if (call $meets (local.get $lane))
                      (then (return (f64.convert_i64_u (i64.add (local.get $nonce) (i64.extend_i32_u (local.get $lane)))))))))
                (br_if $lanes (i32.lt_u (local.tee $lane (i32.add (local.get $lane) (i32.const 1))) (i32.const 4))))))
          (local.set $at (i32.add (local.get $at) (i32.const 4)))
          (if (i64.gt_u (local.get $run) (i64.const 4))
            (then
              (local.set $nonce (i64.add (local.get $nonce) (i64.const 4)))
              (local.set $run (i64.sub (local.get $run) (i64.const 4)))
              (br $pass))))
        (local.set $nonce (i64.add (local.get $nonce) (local.get $run)))
        (br $segments)))
    (f64.const -1))`;
}

const lanes = [0, 1, 2, 3];
const stateWords = [0, 1, 2, 3, 4, 5, 6, 7];

/** init(): the midstate of H, and the target's words, the first of them also in $bound for the passes' test. */
function initFunction(): string {
  const bswap = "3 2 1 0 7 6 5 4 11 10 9 8 15 14 13 12";
  const word = (i: number) => `(v128.load32_splat offset=${HEADER + i * 4} (i32.const 0))`;
  const block = Array.from({ length: 16 }, (_, i) => `(i8x16.shuffle ${bswap} ${word(i)} (v128.const i64x2 0 0))`);
  const initial = stateWords.map((i) => load(INITIAL + i * 16)) as State;
  const { locals, code, out } = compression(block, initial);
  const targetHalf = (offset: number) =>
    `(v128.store offset=${TARGET_WORDS + offset} (i32.const 0) (i8x16.shuffle ${bswap} ${load(TARGET + offset)} (v128.const i64x2 0 0)))`;
  return `(func (export "init")
    ${locals.join(" ")}
    ${targetHalf(0)}
    ${targetHalf(16)}
    (global.set $bound (i32.load offset=${TARGET_WORDS} (i32.const 0)))
    ${code.join("\n    ")}
    ${out.map((x, i) => `(v128.store offset=${MIDSTATE + i * 16} (i32.const 0) (i32x4.add ${x} ${load(INITIAL + i * 16)}))`).join("\n    ")})`;
}

/** Where the next lane's digits are taken and the nonce incremented. */
function nextLane(lane: number): string {
  return `
      (local.set $digits${lane} (local.get $digits)) (local.set $length${lane} (local.get $length))
      (if (i32.lt_u (local.get $last) (i32.const 9))
        (then
          (local.set $digits (i8x16.add (local.get $digits) (local.get $one)))
          (local.set $last (i32.add (local.get $last) (i32.const 1))))
        (else
          (v128.store offset=${DIGITS} (i32.const 0) (local.get $digits))
          (local.set $length (call $carry (local.get $length)))
          (local.set $digits (v128.load offset=${DIGITS} (i32.const 0)))
          (local.set $one (v128.load offset=${ONES - 16} (i32.shl (local.get $length) (i32.const 4))))
          (local.set $last (i32.const 0))))`;
}

/** A vector of one i32 expression per lane, on each lane's digit count. */
function perLane(value: (length: Expr) => Expr): Expr {
  return lanes
    .slice(1)
    .reduce(
      (vector, lane) => `(i32x4.replace_lane ${lane} ${vector} ${value(get(`length${lane}`))})`,
      `(i32x4.splat ${value(get("length0"))})`,
    );
}

/**
 * Transposes the four lanes' digits into message words 0 to 3, each lane's
 * bytes turned big-endian: first pairs of lanes, then the pairs' halves.
 */
function transpose(): string {
  const pairs = (words: number[]) =>
    words.flatMap((word) => [0, 16].flatMap((lane) => [3, 2, 1, 0].map((byte) => lane + word * 4 + byte))).join(" ");
  const low = "0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23";
  const high = "8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31";
  return `
      (local.set $low01 (i8x16.shuffle ${pairs([0, 1])} (local.get $digits0) (local.get $digits1)))
      (local.set $low23 (i8x16.shuffle ${pairs([0, 1])} (local.get $digits2) (local.get $digits3)))
      (local.set $high01 (i8x16.shuffle ${pairs([2, 3])} (local.get $digits0) (local.get $digits1)))
      (local.set $high23 (i8x16.shuffle ${pairs([2, 3])} (local.get $digits2) (local.get $digits3)))
      (local.set $w0 (i8x16.shuffle ${low} (local.get $low01) (local.get $low23)))
      (local.set $w1 (i8x16.shuffle ${high} (local.get $low01) (local.get $low23)))
      (local.set $w2 (i8x16.shuffle ${low} (local.get $high01) (local.get $high23)))
      (local.set $w3 (i8x16.shuffle ${high} (local.get $high01) (local.get $high23)))`;
}

/** search(start, count): four nonces a pass; a lane whose first word is at most the target's is checked in full. */
function searchFunction(): string {
  const block = [get("w0"), get("w1"), get("w2"), get("w3"), get("w4"), ...Array<null>(10).fill(null), get("w15")];
  const midstate = stateWords.map((i) => load(MIDSTATE + i * 16)) as State;
  const { locals, code, out } = compression(block, midstate);
  const v128 = (names: string[]) => names.map((name) => `(local $${name} v128)`).join(" ");
  const i32 = (names: string[]) => names.map((name) => `(local $${name} i32)`).join(" ");
  return `(func (export "search") (param $start f64) (param $count f64) (result f64)
    (local $nonce i64) (local $left i64) (local $lane i32) (local $bound v128)
    (local $digits v128) (local $one v128) (local $last i32) (local $length i32)
    ${v128(lanes.map((lane) => `digits${lane}`))} ${i32(lanes.map((lane) => `length${lane}`))}
    ${v128(["low01", "low23", "high01", "high23", "w0", "w1", "w2", "w3", "w4", "w15"])}
    ${locals.join(" ")}
    (local.set $nonce (i64.trunc_f64_u (local.get $start)))
    (local.set $left (i64.trunc_f64_u (local.get $count)))
    (if (i64.eqz (local.get $left)) (then (return (f64.const -1))))
    (local.set $bound (i32x4.splat (global.get $bound)))
    (local.set $length (call $writeDigits (local.get $nonce)))
    (local.set $digits (v128.load offset=${DIGITS} (i32.const 0)))
    (local.set $one (v128.load offset=${ONES - 16} (i32.shl (local.get $length) (i32.const 4))))
    (local.set $last (i32.wrap_i64 (i64.rem_u (local.get $nonce) (i64.const 10))))
    (loop $pass
      ${lanes.map(nextLane).join("")}
      ${transpose()}
      (local.set $w4 ${perLane((length) => `(i32.shl (i32.eq ${length} (i32.const 16)) (i32.const 31))`)})
      (local.set $w15 ${perLane((length) => `(i32.shl (i32.add ${length} (i32.const 64)) (i32.const 3))`)})
      ${code.join("\n      ")}
      (if (v128.any_true (i32x4.le_u ${add(out[0], load(MIDSTATE))} (local.get $bound)))
        (then
          ${out.map((x, i) => `(v128.store offset=${DIGEST + i * 16} (i32.const 0) (i32x4.add ${x} ${load(MIDSTATE + i * 16)}))`).join("\n          ")}
          (local.set $lane (i32.const 0))
          (loop $lanes
            (if (i64.le_u (local.get $left) (i64.extend_i32_u (local.get $lane))) (then (return (f64.const -1))))
            (if (call $meets (local.get $lane))
              (then (return (f64.convert_i64_u (i64.add (local.get $nonce) (i64.extend_i32_u (local.get $lane)))))))
            (br_if $lanes (i32.lt_u (local.tee $lane (i32.add (local.get $lane) (i32.const 1))) (i32.const 4))))))
      (local.set $nonce (i64.add (local.get $nonce) (i64.const 4)))
      (br_if $pass (i64.gt_s (local.tee $left (i64.sub (local.get $left) (i64.const 4))) (i64.const 0))))
    (f64.const -1))`;
}

/**
 * The scalar helpers: the full check of one lane (its digest's words against
 * the target's, most significant first: the first that differ decide, and a
 * digest equal to the target passes), and the decimal digits.
 */
const HELPERS = `
  (func $meets (param $lane i32) (result i32) (local $at i32) (local $i i32) (local $word i32) (local $limit i32)
    (local.set $at (i32.add (i32.const ${DIGEST}) (i32.shl (local.get $lane) (i32.const 2))))
    (loop $words
      (local.set $word (i32.load (local.get $at)))
      (local.set $limit (i32.load offset=${TARGET_WORDS} (local.get $i)))
      (if (i32.ne (local.get $word) (local.get $limit)) (then (return (i32.lt_u (local.get $word) (local.get $limit)))))
      (local.set $at (i32.add (local.get $at) (i32.const 16)))
      (br_if $words (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 4))) (i32.const 32))))
    (i32.const 1))

  (func $writeDigits (param $nonce i64) (result i32) (local $length i32) (local $rest i64) (local $at i32)
    (v128.store offset=${DIGITS} (i32.const 0) (v128.const i64x2 0 0))
    (v128.store offset=${DIGITS + 16} (i32.const 0) (v128.const i64x2 0 0))
    (local.set $rest (local.get $nonce))
    (loop $count
      (local.set $length (i32.add (local.get $length) (i32.const 1)))
      (br_if $count (i64.ne (local.tee $rest (i64.div_u (local.get $rest) (i64.const 10))) (i64.const 0))))
    (i32.store8 offset=${DIGITS} (local.get $length) (i32.const ${PAD}))
    (local.set $at (local.get $length))
    (loop $digits
      (local.set $at (i32.sub (local.get $at) (i32.const 1)))
      (i32.store8 offset=${DIGITS} (local.get $at)
        (i32.add (i32.const ${ZERO}) (i32.wrap_i64 (i64.rem_u (local.get $nonce) (i64.const 10)))))
      (local.set $nonce (i64.div_u (local.get $nonce) (i64.const 10)))
      (br_if $digits (local.get $at)))
    (local.get $length))

  (func $carry (param $length i32) (result i32) (local $at i32) (local $digit i32)
    (local.set $at (local.get $length))
    (loop $digits
      (i32.store8 offset=${DIGITS} (local.tee $at (i32.sub (local.get $at) (i32.const 1))) (i32.const ${ZERO}))
      (if (i32.eqz (local.get $at))
        (then
          (i32.store8 offset=${DIGITS} (i32.const 0) (i32.const ${ZERO + 1}))
          (i32.store8 offset=${DIGITS} (local.get $length) (i32.const ${ZERO}))
          (i32.store8 offset=${DIGITS + 1} (local.get $length) (i32.const ${PAD}))
          (return (i32.add (local.get $length) (i32.const 1)))))
      (br_if $digits (i32.eq (local.tee $digit (i32.load8_u offset=${DIGITS - 1} (local.get $at))) (i32.const ${NINE}))))
    (i32.store8 offset=${DIGITS - 1} (local.get $at) (i32.add (local.get $digit) (i32.const 1)))
    (local.get $length))`;

/** The module's text, for wat2wasm. */
export function searchModuleText(): string {
  return `;; Generated by workers/kernel/wasm/search-module.ts.
(module
  (memory (export "memory") 1)
  (global (export "header") i32 (i32.const ${HEADER}))
  (global (export "target") i32 (i32.const ${TARGET}))
  (global $bound (mut i32) (i32.const 0))
  (data (i32.const ${ONES}) "${ones()}")
  (data (i32.const ${ROUND_CONSTANTS}) "${splats(K)}")
  (data (i32.const ${INITIAL}) "${splats(INITIAL_STATE)}")
  (data (i32.const ${W3_TABLE}) "${w3Table()}")
  ${HELPERS}
  ${segmentFunction()}
  ${fastSearchFunction()}
  ${initFunction()}
  ${searchFunction()})
`;
}
