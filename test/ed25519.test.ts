import { spawnSync } from "node:child_process";
import { createPublicKey, verify as nodeVerify } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import t from "tap";
import {
  generateKeyPair,
  KEY_CACHE_SIZE,
  L,
  pointFailure,
  publicKeyFailure,
  publicKeyOf,
  SMALL_ORDER_ENCODINGS,
  sign,
  signer,
  verify,
} from "../src/keys/index.js";
import {
  chooseBackend,
  libsodiumBackend,
  nodeCryptoBackend,
  SignatureBatch,
  type SignatureJob,
  type VerifyBackend,
} from "../src/signatures/index.js";

/**
 * The pinned verification rule (src/keys/ed25519.ts) against C2SP/CCTV's
 * edge cases and Wycheproof's cases (test/vectors/ed25519, README there):
 * the exact set of CCTV vectors it accepts, so that a Node or OpenSSL
 * upgrade that changes node:crypto's part of it fails here; every
 * Wycheproof result; and node:crypto alone, to show what the rule adds.
 * Then the same through every backend (src/signatures/backend.ts: node:crypto
 * and libsodium, whole batches at once), and the two against each other on
 * random and mutated signatures.
 */

const VECTORS = new URL("../../test/vectors/ed25519/", import.meta.url);
const hex = (text: string): Buffer => Buffer.from(text, "hex");

interface CctvVector {
  number: number;
  key: string;
  sig: string;
  msg: string;
  flags: string[] | null;
}

interface WycheproofFile {
  numberOfTests: number;
  testGroups: {
    publicKey: { pk: string };
    tests: { tcId: number; comment: string; msg: string; sig: string; result: "valid" | "invalid" | "acceptable" }[];
  }[];
}

const cctv = JSON.parse(readFileSync(new URL("cctv_ed25519vectors.json", VECTORS), "utf8")) as CctvVector[];
const wycheproof = JSON.parse(readFileSync(new URL("wycheproof_ed25519_test.json", VECTORS), "utf8")) as WycheproofFile;

const ourVerify = (v: CctvVector): boolean => verify(hex(v.key), Buffer.from(v.msg), hex(v.sig));

/** node:crypto alone, its KeyObject made from the raw key: what the pinned rule wraps. */
function plainVerify(v: CctvVector): boolean {
  const key = createPublicKey({
    key: Buffer.concat([hex("302a300506032b6570032100"), hex(v.key)]),
    format: "der",
    type: "spki",
  });
  return nodeVerify(null, Buffer.from(v.msg), key, hex(v.sig));
}

/**
 * The CCTV vectors the pinned rule accepts, all 43 of them. They are those
 * whose flags are low_order_component_A or _R and nothing else: A and R are
 * canonical and not of small order (steps 3 and 4), and their low-order
 * components cancel, so the cofactorless equation holds (step 5). Written
 * out, not computed from the flags, so that a change in node:crypto shows
 * as a vector gained or lost.
 */
const ACCEPTED = [
  7, 29, 50, 117, 139, 161, 182, 249, 305, 411, 425, 438, 465, 473, 481, 489, 497, 511, 525, 538, 565, 573, 581, 589,
  597, 611, 625, 638, 665, 673, 681, 689, 697, 711, 725, 738, 765, 773, 781, 789, 797, 832, 899,
];

const flagsOf = (v: CctvVector): string[] => v.flags ?? [];

t.test("CCTV: the pinned rule accepts exactly the 43 listed vectors of the 914", async (t) => {
  t.equal(cctv.length, 914);
  t.same(
    cctv.filter(ourVerify).map((v) => v.number),
    ACCEPTED,
  );
});

t.test("keys kept between verifies change no answer: CCTV again, backwards, and past the keys kept", async (t) => {
  const accepted = (vectors: readonly CctvVector[]) =>
    vectors
      .filter(ourVerify)
      .map((v) => v.number)
      .sort((a, b) => a - b);
  t.same(accepted(cctv), ACCEPTED, "again, its keys seen already");
  t.same(accepted([...cctv].reverse()), ACCEPTED, "in the other order");
  const { secretKey } = generateKeyPair();
  const message = Buffer.from("m");
  const keys = Array.from({ length: KEY_CACHE_SIZE + 10 }, () => generateKeyPair().publicKey);
  t.notOk(
    keys.some((key) => verify(key, message, sign(secretKey, message))),
    `${keys.length} other keys, more than are kept: none verifies another key's signature`,
  );
  t.same(accepted(cctv), ACCEPTED, "and CCTV once they have pushed its keys out");
});

t.test("CCTV: the listed vectors are those whose only flags are low-order components", async (t) => {
  const componentsOnly = cctv.filter((v) =>
    flagsOf(v).every((f) => f === "low_order_component_A" || f === "low_order_component_R"),
  );
  t.same(
    componentsOnly.map((v) => v.number),
    ACCEPTED,
  );
  // Among them, the one vector with no flag at all: an ordinary signature.
  t.same(
    cctv.filter((v) => flagsOf(v).length === 0).map((v) => v.number),
    [305],
  );
});

t.test("CCTV: node:crypto alone accepts 208, all but non-canonical R and low-order residues", async (t) => {
  const plain = cctv.filter(plainVerify).map((v) => v.number);
  t.equal(plain.length, 208);
  t.same(
    plain,
    cctv
      .filter((v) => !flagsOf(v).includes("non_canonical_R") && !flagsOf(v).includes("low_order_residue"))
      .map((v) => v.number),
  );
  // The rule refuses no signature that node:crypto accepts but for its own checks of A and R.
  const ours = new Set(ACCEPTED);
  const refusedByUs = cctv.filter((v) => plain.includes(v.number) && !ours.has(v.number));
  t.equal(refusedByUs.length, 165);
  t.same(
    refusedByUs.filter((v) => !["low_order_A", "low_order_R", "non_canonical_A"].some((f) => flagsOf(v).includes(f))),
    [],
    "each of the 165 has a small-order or non-canonical A, or a small-order R",
  );
  t.ok(
    ACCEPTED.every((n) => plain.includes(n)),
    "the rule accepts nothing that node:crypto refuses",
  );
});

t.test("CCTV: every flag the rule itself refuses, it refuses", async (t) => {
  for (const flag of ["low_order_A", "low_order_R", "non_canonical_A", "non_canonical_R", "low_order_residue"]) {
    const flagged = cctv.filter((v) => flagsOf(v).includes(flag));
    t.ok(flagged.length > 0, `${flag}: some vectors`);
    t.same(
      flagged.filter(ourVerify).map((v) => v.number),
      [],
      `${flag}: all ${flagged.length} refused`,
    );
  }
});

t.test("Wycheproof: every valid case verifies and every invalid one does not", async (t) => {
  const cases = wycheproof.testGroups.flatMap((g) => g.tests.map((c) => ({ ...c, pk: g.publicKey.pk })));
  t.equal(cases.length, 151);
  t.equal(wycheproof.numberOfTests, 151);
  // The file has no "acceptable" case, whose result would be left to the implementation.
  t.same(
    cases.filter((c) => c.result === "acceptable").map((c) => c.tcId),
    [],
  );
  t.equal(cases.filter((c) => c.result === "valid").length, 88);
  const wrong = cases.filter((c) => verify(hex(c.pk), hex(c.msg), hex(c.sig)) !== (c.result === "valid"));
  t.same(
    wrong.map((c) => `${c.tcId} (${c.result}: ${c.comment})`),
    [],
  );
});

/** RFC 8032, section 7.1, TEST 1 and TEST 3. */
const RFC8032 = [
  {
    secret: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    public: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    message: "",
    signature:
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    secret: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    public: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    message: "af82",
    signature:
      "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
  },
];

t.test("RFC 8032's tests: the public key, the signature, and it verifies", async (t) => {
  for (const v of RFC8032) {
    t.equal(Buffer.from(publicKeyOf(hex(v.secret))).toString("hex"), v.public);
    t.equal(Buffer.from(sign(hex(v.secret), hex(v.message))).toString("hex"), v.signature);
    t.equal(Buffer.from(signer(hex(v.secret))(hex(v.message))).toString("hex"), v.signature, "signer: the same");
    t.ok(verify(hex(v.public), hex(v.message), hex(v.signature)));
  }
});

t.test("a new key pair signs, and its signature verifies for its message only", async (t) => {
  const { publicKey, secretKey } = generateKeyPair();
  t.equal(publicKey.length, 32);
  t.equal(secretKey.length, 32);
  t.same(Buffer.from(publicKeyOf(secretKey)), Buffer.from(publicKey));
  t.equal(publicKeyFailure(publicKey), undefined);
  const message = Buffer.from("pay Mark 10");
  const signature = sign(secretKey, message);
  t.ok(verify(publicKey, message, signature));
  t.notOk(verify(publicKey, Buffer.from("pay Mark 11"), signature), "another message");
  t.notOk(verify(generateKeyPair().publicKey, message, signature), "another key");
  const flipped = Buffer.from(signature);
  flipped[10] = (flipped[10] ?? 0) ^ 1;
  t.notOk(verify(publicKey, message, flipped), "a bit of R flipped");
});

t.test("S not below L, and wrong lengths, are refused without an exception", async (t) => {
  const { publicKey, secretKey } = generateKeyPair();
  const message = Buffer.from("m");
  const signature = Buffer.from(sign(secretKey, message));
  // S + L: the same scalar mod L, a second encoding of the signature.
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i] ?? 0);
  const malleated = Buffer.from(signature);
  let sPlusL = s + L;
  for (let i = 32; i < 64; i++) {
    malleated[i] = Number(sPlusL & 0xffn);
    sPlusL >>= 8n;
  }
  t.notOk(verify(publicKey, message, malleated), "S + L");
  t.notOk(verify(publicKey, message, signature.subarray(0, 63)), "63 bytes");
  t.notOk(verify(publicKey, message, Buffer.concat([signature, Buffer.alloc(1)])), "65 bytes");
  t.notOk(verify(publicKey.subarray(0, 31), message, signature), "a 31-byte key");
  t.equal(publicKeyFailure(publicKey.subarray(0, 31)), "31 bytes, not 32");
});

// Curve arithmetic, exact, for what the rule decides by lists and bytes alone.
const P = (1n << 255n) - 19n;
const D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n;
const mod = (a: bigint): bigint => ((a % P) + P) % P;
function power(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  for (let b = mod(base), e = exponent; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) result = (result * b) % P;
  return result;
}

/** RFC 8032, 5.1.3, leniently: y as given (mod p), the sign bit as given; undefined if no x exists. */
function decodeLeniently(encoding: Buffer): { x: bigint; y: bigint } | undefined {
  const n = BigInt(`0x${Buffer.from(encoding).reverse().toString("hex")}`);
  const y = mod(n & ((1n << 255n) - 1n));
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  let x = mod(u * v ** 3n * power(u * v ** 7n, (P - 5n) / 8n));
  if (mod(v * x * x) !== u) {
    if (mod(v * x * x) !== mod(-u)) return undefined;
    x = mod(x * power(2n, (P - 1n) / 4n));
  }
  if (x % 2n !== n >> 255n) x = mod(-x);
  return { x, y };
}

/** [8]P by three doublings in affine coordinates (x3 = 2xy / (y^2 - x^2), y3 = (y^2 + x^2) / (2 - y^2 + x^2)). */
function timesEight(point: { x: bigint; y: bigint }): { x: bigint; y: bigint } {
  let { x, y } = point;
  for (let i = 0; i < 3; i++) {
    const inverse = (a: bigint): bigint => power(a, P - 2n);
    [x, y] = [mod(2n * x * y * inverse(y * y - x * x)), mod((y * y + x * x) * inverse(2n - y * y + x * x))];
  }
  return { x, y };
}

t.test("the 8 small-order encodings are 8 distinct points P with [8]P the identity: the whole list", async (t) => {
  t.equal(new Set(SMALL_ORDER_ENCODINGS).size, 8);
  for (const encoding of SMALL_ORDER_ENCODINGS) {
    const point = decodeLeniently(hex(encoding));
    if (point === undefined) throw new Error(`${encoding} is not a point`);
    t.same(timesEight(point), { x: 0n, y: 1n }, encoding);
    t.equal(pointFailure(hex(encoding)), "a point of small order");
  }
  // An ordinary key is not: [8]A is not the identity.
  const ordinary = decodeLeniently(Buffer.from(generateKeyPair().publicKey));
  if (ordinary === undefined) throw new Error("a generated key is not a point");
  t.notSame(timesEight(ordinary), { x: 0n, y: 1n });
});

t.test("the 6 non-canonical encodings of small-order points are refused as non-canonical", async (t) => {
  // C2SP/CCTV's ed25519/README.md lists them under their canonical encodings.
  const nonCanonical = {
    edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f: "not canonical (y is not below p)",
    edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff: "not canonical (y is not below p)",
    "0100000000000000000000000000000000000000000000000000000000000080": "not canonical (x = 0 with its sign bit set)",
    eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f: "not canonical (y is not below p)",
    eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff: "not canonical (y is not below p)",
    ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff: "not canonical (x = 0 with its sign bit set)",
  };
  for (const [encoding, failure] of Object.entries(nonCanonical)) {
    t.ok(decodeLeniently(hex(encoding)) !== undefined, `${encoding} decodes leniently`);
    t.equal(pointFailure(hex(encoding)), failure, encoding);
  }
});

t.test("a key whose y has no x on the curve passes the byte checks but never verifies", async (t) => {
  // y = 2 has no x: the rule leaves it to node:crypto's decoding of A (step 5).
  const offCurve = Buffer.alloc(32);
  offCurve[0] = 2;
  t.equal(decodeLeniently(offCurve), undefined);
  t.equal(publicKeyFailure(offCurve), undefined);
  const { secretKey } = generateKeyPair();
  const message = Buffer.from("m");
  t.notOk(verify(offCurve, message, sign(secretKey, message)));
});

// Every backend (src/signatures/backend.ts), on the same vectors and on random signatures.

const libsodium = libsodiumBackend();
/** The backends: node:crypto, and libsodium, which .ci/run installs (Debian's libsodium23). */
const BACKENDS: VerifyBackend[] = typeof libsodium === "string" ? [nodeCryptoBackend] : [nodeCryptoBackend, libsodium];

t.test("libsodium is usable here, and is the backend chosen", async (t) => {
  t.equal(typeof libsodium === "string" ? libsodium : "usable", "usable", "install libsodium23 (.ci/run does)");
  t.same(chooseBackend("auto"), { backend: libsodium }, "auto chooses it, with no fallback");
  t.same(chooseBackend("libsodium"), { backend: libsodium }, "and so does libsodium");
  t.same(chooseBackend("node:crypto"), { backend: nodeCryptoBackend }, "node:crypto when asked for");
});

/**
 * Each job's verdict by `backend`, the jobs in one batch: every verdict with
 * the first failure, and the first failure found by stopping at it.
 */
function verdicts(
  backend: VerifyBackend,
  jobs: readonly SignatureJob[],
): { each: boolean[]; first: number; stopped: number } {
  const batch = SignatureBatch.pack(jobs);
  const results = new Uint8Array(jobs.length);
  const first = backend.verifyRange(batch, 0, jobs.length, results);
  return { each: Array.from(results, (r) => r === 1), first, stopped: backend.verifyRange(batch, 0, jobs.length) };
}

const cctvJobs = cctv.map((v) => ({ publicKey: hex(v.key), message: Buffer.from(v.msg), signature: hex(v.sig) }));

for (const backend of BACKENDS) {
  t.test(`${backend.name}: CCTV's 914 give the pinned rule's 43, and Wycheproof's 151 their results`, async (t) => {
    const { each, first, stopped } = verdicts(backend, cctvJobs);
    t.same(
      cctv.filter((_, i) => each[i]).map((v) => v.number),
      ACCEPTED,
    );
    t.same(
      [first, stopped],
      [0, 0],
      "CCTV's first vector is refused: the first failure, whether it stops there or not",
    );
    const cases = wycheproof.testGroups.flatMap((g) => g.tests.map((c) => ({ ...c, pk: g.publicKey.pk })));
    const wycheproofVerdicts = verdicts(
      backend,
      cases.map((c) => ({ publicKey: hex(c.pk), message: hex(c.msg), signature: hex(c.sig) })),
    ).each;
    t.equal(cases.length, 151);
    t.same(
      cases.filter((c, i) => wycheproofVerdicts[i] !== (c.result === "valid")).map((c) => `${c.tcId} (${c.comment})`),
      [],
    );
    const ranged = new Uint8Array(100);
    t.equal(backend.verifyRange(SignatureBatch.pack(cctvJobs), 300, 400, ranged), 300, "a range: from its own start");
    t.same(
      Array.from(ranged, (r) => r === 1),
      each.slice(300, 400),
      "and its verdicts",
    );
  });
}

/** Keys to sign random messages with: fewer than the checks, so that keys come again, as a sender's do. */
const signers = Array.from({ length: 8 }, () => {
  const pair = generateKeyPair();
  return { publicKey: pair.publicKey, sign: signer(pair.secretKey) };
});

/** Encodings the rule refuses as A or R, and canonical ones of mixed order (CCTV's key of vectors 6 and 7). */
const POINTS = [
  ...SMALL_ORDER_ENCODINGS,
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "0100000000000000000000000000000000000000000000000000000000000080",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "10eb7c3acfb2bed3e0d6ab89bf5a3d6afddd1176ce4812e38d9fd485058fdb1f",
  "0200000000000000000000000000000000000000000000000000000000000000",
].map(hex);

/** S + L for a signature's S: its other encoding below 2^256. */
function plusL(signature: Uint8Array): Uint8Array {
  const out = Uint8Array.from(signature);
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(out[i] ?? 0);
  s += L;
  for (let i = 32; i < 64; i++, s >>= 8n) out[i] = Number(s & 0xffn);
  return out;
}

/** A genuine signature of a random message, then one change or none: what a forger or a broken wallet might send. */
const mutatedJob = fc
  .record({
    who: fc.nat(signers.length - 1),
    message: fc.uint8Array({ maxLength: 200 }),
    change: fc.oneof(
      fc.constant({ kind: "none" as const }),
      fc.record({ kind: fc.constantFrom("signature" as const, "key" as const, "message" as const), bit: fc.nat() }),
      fc.record({ kind: fc.constantFrom("R" as const, "A" as const), point: fc.nat(POINTS.length - 1) }),
      fc.record({ kind: fc.constant("S+L" as const) }),
      fc.record({ kind: fc.constant("length" as const), cut: fc.integer({ min: -2, max: 2 }) }),
      fc.record({ kind: fc.constant("random" as const), bytes: fc.uint8Array({ minLength: 64, maxLength: 64 }) }),
    ),
  })
  .map(({ who, message, change }): SignatureJob => {
    const { publicKey, sign } = signers[who] as (typeof signers)[number];
    const job: SignatureJob = {
      publicKey: Uint8Array.from(publicKey),
      message: Uint8Array.from(message),
      signature: sign(message),
    };
    const flip = (bytes: Uint8Array, bit: number) => {
      if (bytes.length > 0)
        bytes[(bit >> 3) % bytes.length] = (bytes[(bit >> 3) % bytes.length] as number) ^ (1 << (bit & 7));
    };
    switch (change.kind) {
      case "signature":
        job.signature = Uint8Array.from(job.signature);
        flip(job.signature, change.bit);
        break;
      case "key":
        flip(job.publicKey, change.bit);
        break;
      case "message":
        flip(job.message, change.bit);
        break;
      case "R":
        job.signature = Buffer.concat([POINTS[change.point] as Buffer, job.signature.subarray(32)]);
        break;
      case "A":
        job.publicKey = POINTS[change.point] as Buffer;
        break;
      case "S+L":
        job.signature = plusL(job.signature);
        break;
      case "length":
        job.signature =
          change.cut < 0
            ? job.signature.subarray(0, 64 + change.cut)
            : Buffer.concat([job.signature, Buffer.alloc(change.cut)]);
        break;
      case "random":
        job.signature = change.bytes;
        break;
    }
    return job;
  });

t.test("every backend gives every job the same verdict: random and mutated signatures", async (t) => {
  t.equal(BACKENDS.length, 2, "both backends are here to compare");
  let valid = 0;
  let checked = 0;
  fc.assert(
    fc.property(fc.array(mutatedJob, { minLength: 1, maxLength: 30 }), (jobs) => {
      const [reference, ...others] = BACKENDS.map((backend) => verdicts(backend, jobs));
      if (reference === undefined || reference.first !== reference.stopped) return false;
      for (const other of others) if (JSON.stringify(other) !== JSON.stringify(reference)) return false;
      valid += reference.each.filter(Boolean).length;
      checked += jobs.length;
      return true;
    }),
    { numRuns: 1000 },
  );
  t.ok(valid > checked / 10 && valid < checked, `${valid} of ${checked} verified: both verdicts were tried`);
});

t.test("libsodium that fails its self-test, or none at all: auto chooses node:crypto, and says why", async (t) => {
  // Each in a process of its own: a process opens one library, the first asked for.
  const script = `import("${new URL("../src/signatures/index.js", import.meta.url).href}").then((m) => {
    m.libsodiumBackend(process.argv[1]);
    const { backend, fallback } = m.chooseBackend("auto");
    let forced;
    try {
      forced = m.chooseBackend("libsodium").backend.name;
    } catch (error) {
      forced = error.name + ": " + error.message;
    }
    console.log(JSON.stringify({ backend: backend.name, fallback, forced }));
  })`;
  const chosen = (library: string) => {
    const run = spawnSync(process.execPath, ["-e", script, library], { encoding: "utf8" });
    return JSON.parse(run.stdout) as { backend: string; fallback?: string; forced: string };
  };
  t.match(chosen("/no/such/libsodium.so"), {
    backend: "node:crypto",
    fallback: /^\/no\/such\/libsodium\.so does not load \(.*No such file/,
    forced: /^VerifierUnavailableError: --verifier libsodium: \/no\/such\/libsodium\.so does not load/,
  });
  t.same(chosen("libsodium.so.23"), { backend: "libsodium", forced: "libsodium" }, "the system's");
  // A library that accepts every signature: the self-test's wrong message shows it.
  const dir = mkdtempSync(join(tmpdir(), "toychain-libsodium-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, "lax.c"),
    "int sodium_init(void) { return 0; }\n" +
      "int crypto_sign_ed25519_verify_detached(const unsigned char *s, const unsigned char *m,\n" +
      "  unsigned long long n, const unsigned char *k) { (void)s; (void)m; (void)n; (void)k; return 0; }\n",
  );
  const lax = join(dir, "lax.so");
  const cc = spawnSync("cc", ["-shared", "-fPIC", "-o", lax, join(dir, "lax.c")], { encoding: "utf8" });
  if (cc.error !== undefined || cc.status !== 0) {
    t.fail(`cc could not build the lax library (node-gyp needs it too): ${cc.error?.message ?? cc.stderr}`);
    return;
  }
  const reason = `${lax} failed its self-test: it accepts RFC 8032 TEST 3 for another message`;
  t.same(chosen(lax), {
    backend: "node:crypto",
    fallback: reason,
    forced: `VerifierUnavailableError: --verifier libsodium: ${reason}`,
  });
});
