import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import t, { type Test } from "tap";
import { CheckThreads } from "../src/checks/index.js";
import { generateKeyPair, sign } from "../src/keys/index.js";
import {
  LocalVerifier,
  libsodiumBackend,
  nodeCryptoBackend,
  SignatureBatch,
  SignatureBatchBuilder,
  type SignatureJob,
  SignaturePool,
} from "../src/signatures/index.js";

/**
 * The signature pool (src/signatures): a batch packed in one buffer and
 * back; answers equal to LocalVerifier's, which verifies on this thread by
 * the pinned rule, on genuine signatures, altered ones and C2SP/CCTV's edge
 * cases, whatever the threads and threshold; the first failing job in
 * order however many chunks fail; small batches on the calling thread; and
 * a worker that throws or dies rejects the batch's promise; firstFailure
 * stops short of the jobs its caller has made moot; the chunks' buffers come
 * back to be freed here, not left in the workers.
 */

const hex = (text: string): Buffer => Buffer.from(text, "hex");

function genuine(count: number): SignatureJob[] {
  const keys = Array.from({ length: 4 }, () => generateKeyPair());
  return Array.from({ length: count }, (_, i) => {
    const key = keys[i % keys.length] as (typeof keys)[number];
    const message = Buffer.from(`transfer ${i}`);
    return { publicKey: key.publicKey, message, signature: sign(key.secretKey, message) };
  });
}

/** The job with its signature's last byte of R changed: it no longer verifies. */
const altered = ({ publicKey, message, signature }: SignatureJob): SignatureJob => {
  const changed = Uint8Array.from(signature);
  changed[5] = (changed[5] as number) ^ 1;
  return { publicKey, message, signature: changed };
};

const VALID = genuine(48);
/** The reference: node:crypto, on this thread. */
const local = new LocalVerifier(nodeCryptoBackend);

interface CctvVector {
  key: string;
  sig: string;
  msg: string;
}
const cctv = (
  JSON.parse(
    readFileSync(new URL("../../test/vectors/ed25519/cctv_ed25519vectors.json", import.meta.url), "utf8"),
  ) as CctvVector[]
).map((v): SignatureJob => ({ publicKey: hex(v.key), signature: hex(v.sig), message: Buffer.from(v.msg) }));

type PoolOptions = ConstructorParameters<typeof SignaturePool>[0];
/** Makes pools kept in `made`, for their owner to close; chunks as small as a pool's threshold allows, unless `options` say otherwise. */
const poolsInto =
  (made: SignaturePool[]) =>
  (options: PoolOptions): SignaturePool => {
    const pool = new SignaturePool({ minChunk: 1, ...options });
    made.push(pool);
    return pool;
  };
const pools: SignaturePool[] = [];
/** A pool closed when the tests end. */
const poolOf = poolsInto(pools);
t.teardown(() => Promise.all(pools.map((pool) => pool.close())));

t.test(
  "a batch packs its jobs' bytes, whatever their lengths; slices copy a range of them, concat joins them",
  async (t) => {
    const odd: SignatureJob[] = [
      VALID[0] as SignatureJob,
      { publicKey: new Uint8Array(31), signature: new Uint8Array(0), message: new Uint8Array(0) },
      { publicKey: new Uint8Array(33).fill(7), signature: new Uint8Array(65).fill(9), message: Buffer.from("m") },
      VALID[1] as SignatureJob,
    ];
    const batch = SignatureBatch.pack(odd);
    t.equal(batch.length, 4);
    const plain = (job: SignatureJob) => [job.publicKey, job.signature, job.message].map((bytes) => [...bytes]);
    t.same(
      Array.from({ length: batch.length }, (_, i) => plain(batch.job(i))),
      odd.map(plain),
    );
    const middle = batch.slice(1, 3);
    t.equal(middle.length, 2);
    t.same([plain(middle.job(0)), plain(middle.job(1))], odd.slice(1, 3).map(plain));
    t.equal(batch.slice(2, 2).length, 0, "an empty slice");
    t.same(
      plain(new SignatureBatch(middle.buffer.slice(0)).job(1)),
      plain(odd[2] as SignatureJob),
      "read back from its buffer",
    );
    t.throws(() => batch.slice(3, 5), RangeError);
    t.throws(() => batch.job(4), RangeError);
    const joined = SignatureBatch.concat([batch.slice(0, 1), SignatureBatch.pack([]), middle, batch.slice(3, 4)]);
    t.same(
      Array.from({ length: joined.length }, (_, i) => plain(joined.job(i))),
      odd.map(plain),
      "concat: slices and an empty batch joined back, in order",
    );
    t.equal(joined.buffer.byteLength, batch.buffer.byteLength, "as large as the batch they were cut from");
    t.equal(SignatureBatch.concat([]).length, 0, "none: an empty batch");
    const broken = batch.buffer.slice(0);
    new Uint32Array(broken, 0, 2)[1] = broken.byteLength + 1;
    t.throws(() => new SignatureBatch(broken), RangeError, "offsets past its end are refused");
  },
);

t.test(
  "a builder packs jobs from their parts as pack packs the jobs, byte for byte, and again after a build",
  async (t) => {
    const builder = new SignatureBatchBuilder();
    // 1,000 jobs of a few hundred bytes: past the builder's first 64 KiB, so it grows.
    const jobs = genuine(1000).map((job, i) => ({
      ...job,
      message: Buffer.from(`transfer ${i} ${"é".repeat(i % 200)}`),
    }));
    const add = (job: SignatureJob) =>
      builder.add(job.publicKey, Buffer.from(job.signature).toString("hex"), job.message.toString());
    for (const round of [1, 2]) {
      for (const job of jobs) add(job);
      t.equal(builder.length, jobs.length);
      const built = builder.build();
      t.same(Buffer.from(built.buffer), Buffer.from(SignatureBatch.pack(jobs).buffer), `build ${round}: pack's bytes`);
      t.equal(builder.length, 0, "empty after it");
    }
    t.equal(builder.build().length, 0, "nothing added: an empty batch");
    const key = (jobs[0] as SignatureJob).publicKey;
    t.throws(() => builder.add(key, "abc", "m"), RangeError, "odd hex digits");
    t.throws(() => builder.add(key, "zz", "m"), RangeError, "no hex digits");
    add(jobs[1] as SignatureJob);
    t.same(
      Buffer.from(builder.build().buffer),
      Buffer.from(SignatureBatch.pack([jobs[1] as SignatureJob]).buffer),
      "a refused job left nothing behind",
    );
  },
);

t.test("all valid: -1, and true for each; on the workers", async (t) => {
  const pool = poolOf({ threads: 2, threshold: 4 });
  t.equal(await pool.firstFailure(VALID), -1);
  t.same(
    await pool.verifyEach(VALID),
    VALID.map(() => true),
  );
  t.same(pool.counts, {
    backend: "libsodium",
    batches: { workers: 2, caller: 0 },
    signatures: { workers: 96, caller: 0 },
    chunks: 4,
  });
});

t.test("empty: -1 and no answers, on the calling thread", async (t) => {
  const pool = poolOf({ threads: 2 });
  t.equal(await pool.firstFailure([]), -1);
  t.same(await pool.verifyEach([]), []);
  t.same(await pool.firstFailure(SignatureBatch.pack([])), -1);
  t.same(pool.counts, {
    backend: "libsodium",
    batches: { workers: 0, caller: 3 },
    signatures: { workers: 0, caller: 0 },
    chunks: 0,
  });
});

t.test("below the threshold on the calling thread, from it on the workers: the same answers", async (t) => {
  const pool = poolOf({ threads: 2, threshold: 8 });
  const small = [VALID[0], altered(VALID[1] as SignatureJob), VALID[2]] as SignatureJob[];
  t.equal(await pool.firstFailure(small), 1);
  t.same(await pool.verifyEach(small), [true, false, true]);
  t.same(pool.counts.batches, { workers: 0, caller: 2 }, "3 signatures: verified here");
  const large = [...VALID.slice(0, 7), altered(VALID[7] as SignatureJob)];
  t.equal(await pool.firstFailure(large), 7);
  t.same(await pool.verifyEach(large), [...Array(7).fill(true), false]);
  t.same(pool.counts.batches, { workers: 2, caller: 2 }, "8 signatures: on the workers");
});

t.test("chunks of at least minChunk signatures, a smaller batch in one: the same answers", async (t) => {
  const pool = poolOf({ threads: 2, threshold: 4, minChunk: 20 });
  const failing = new Set([3, 17, 30]);
  const jobs = VALID.map((job, i) => (failing.has(i) ? altered(job) : job));
  t.same(
    await pool.verifyEach(jobs.slice(0, 19)),
    jobs.slice(0, 19).map((_, i) => !failing.has(i)),
  );
  t.equal(pool.counts.chunks, 1, "19 signatures, fewer than minChunk: one chunk, one thread");
  t.equal(await pool.firstFailure(jobs.slice(0, 39)), 3);
  t.equal(pool.counts.chunks, 2, "39: still one, two would hold fewer than 20");
  t.equal(await pool.firstFailure(jobs.slice(4)), 13, "44 in two chunks: the first failure in order");
  t.equal(pool.counts.chunks, 4);
  t.same(pool.counts.batches, { workers: 3, caller: 0 });
});

t.test("the first failing job in order, among failures in several chunks", async (t) => {
  const pool = poolOf({ threads: 4, threshold: 1 });
  const failing = new Set([13, 20, 25, 38, 47]);
  const jobs = VALID.map((job, i) => (failing.has(i) ? altered(job) : job));
  t.equal(await pool.firstFailure(jobs), 13, "chunks of 12: the second's first failure, though the others fail too");
  t.equal(await pool.firstFailure(SignatureBatch.pack(jobs)), 13, "packed alike");
  t.same(
    await pool.verifyEach(jobs),
    jobs.map((_, i) => !failing.has(i)),
  );
  const lastOnly = VALID.map((job, i) => (i === 47 ? altered(job) : job));
  t.equal(await pool.firstFailure(lastOnly), 47, "a failure in the last chunk alone");
  const firstOfAll = VALID.map((job, i) => (i === 0 || i === 30 ? altered(job) : job));
  t.equal(await pool.firstFailure(firstOfAll), 0);
});

t.test("a large batch, in several chunks a thread: the first failure in order, and each answer", async (t) => {
  const pool = poolOf({ threads: 2 });
  const failing = new Set([700, 701, 1500, 2047]);
  const jobs = Array.from({ length: 2048 }, (_, i) => {
    const job = VALID[i % VALID.length] as SignatureJob;
    return failing.has(i) ? altered(job) : job;
  });
  t.equal(await pool.firstFailure(SignatureBatch.pack(jobs)), 700);
  t.same(
    await pool.verifyEach(jobs),
    jobs.map((_, i) => !failing.has(i)),
  );
  t.equal(await pool.firstFailure(jobs.slice(701 + 1)), 1500 - 702, "and past the first two");
});

for (const backend of ["libsodium", "node:crypto"] as const) {
  t.test(
    `${backend}: answers equal node:crypto's on this thread, on genuine, altered and CCTV's signatures`,
    async (t) => {
      const chosen = backend === "node:crypto" ? nodeCryptoBackend : libsodiumBackend();
      if (typeof chosen === "string") {
        t.fail(`libsodium is not usable here (install libsodium23, as .ci/run does): ${chosen}`);
        return;
      }
      const pool = poolOf({ threads: 3, threshold: 2, backend: chosen });
      const everyCctv = await pool.verifyEach(cctv);
      t.same(everyCctv, await local.verifyEach(cctv), "every CCTV vector, in one batch");
      t.ok(
        everyCctv.includes(true) && everyCctv.includes(false),
        "CCTV holds signatures the pinned rule accepts and refuses",
      );
      const job = fc.oneof(fc.constantFrom(...VALID), fc.constantFrom(...VALID).map(altered), fc.constantFrom(...cctv));
      await fc.assert(
        fc.asyncProperty(fc.array(job, { maxLength: 40 }), fc.boolean(), async (jobs, packed) => {
          const given = packed ? SignatureBatch.pack(jobs) : jobs;
          t.same(await pool.verifyEach(given), await local.verifyEach(jobs));
          t.equal(await pool.firstFailure(given), await local.firstFailure(jobs));
        }),
        { numRuns: 60 },
      );
      t.equal(pool.counts.backend, backend, "the pool says which verified");
    },
  );
}

t.test("libsodium's batches: the addon reads a batch's offsets, never trusts them", async (t) => {
  const libsodium = libsodiumBackend();
  if (typeof libsodium === "string") {
    t.fail(`libsodium is not usable here (install libsodium23, as .ci/run does): ${libsodium}`);
    return;
  }
  const batch = SignatureBatch.pack(VALID.slice(0, 3));
  t.equal(libsodium.verifyRange(batch, 0, 3), -1, "as packed, every job verifies");
  t.throws(() => libsodium.verifyRange(batch, 2, 4), RangeError, "jobs past the batch's end");
  t.throws(() => libsodium.verifyRange(batch, 2, 1), RangeError, "a range backwards");
  t.throws(() => libsodium.verifyRange(batch, 0, 3, new Uint8Array(2)), RangeError, "results of the wrong length");
  // Offsets changed once the batch was built and checked: the third job's message past the buffer's end.
  const offsets = new Uint32Array(batch.buffer, 4, 10);
  offsets[9] = batch.buffer.byteLength + 1;
  t.throws(() => libsodium.verifyRange(batch, 2, 3), RangeError, "an offset past the end");
  t.equal(libsodium.verifyRange(batch, 0, 2), -1, "the jobs before it are still read");
  offsets[9] = (offsets[8] as number) - 1;
  t.throws(() => libsodium.verifyRange(batch, 0, 3), RangeError, "offsets out of order");
});

/**
 * A directory of the test's for worker modules, and pools of workers from
 * them; the directory is removed once every such pool is closed: Piscina
 * replaces a worker that died, and the new one must still find its module.
 */
function workerModules(t: Test): { dir: string; poolOf: (options: PoolOptions) => SignaturePool } {
  const dir = mkdtempSync(join(tmpdir(), "toychain-signatures-"));
  const made: SignaturePool[] = [];
  t.teardown(async () => {
    await Promise.all(made.map((pool) => pool.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    poolOf: poolsInto(made),
  };
}

t.test("a worker that throws or dies: the batch's promise rejects", async (t) => {
  const { dir, poolOf } = workerModules(t);
  const throwing = join(dir, "throws.mjs");
  writeFileSync(
    throwing,
    'export function verifyEach() { throw new Error("worker broke"); }\nexport const firstFailure = verifyEach;\n',
  );
  const throws = poolOf({ threads: 2, threshold: 1, worker: throwing });
  await t.rejects(throws.firstFailure(VALID), { message: "worker broke" });
  await t.rejects(throws.verifyEach(VALID), { message: "worker broke" });
  const dying = join(dir, "dies.mjs");
  writeFileSync(dying, "export function verifyEach() { process.exit(3); }\nexport const firstFailure = verifyEach;\n");
  const dies = poolOf({ threads: 2, threshold: 1, worker: dying });
  await t.rejects(dies.firstFailure(VALID));
  await t.rejects(dies.verifyEach(VALID));
});

/** A workers' module in `dir` whose chunks are each held 2 s before they are verified: a close comes while one is on a thread. */
function slowWorker(dir: string): string {
  const slow = join(dir, "slow.mjs");
  const real = new URL("../workers/signatures.js", import.meta.url).href;
  writeFileSync(
    slow,
    [
      `import { verifyEach as verify } from ${JSON.stringify(real)};`,
      "export function verifyEach(task) {",
      "  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);",
      "  return verify(task);",
      "}",
      "export const firstFailure = verifyEach;",
      "",
    ].join("\n"),
  );
  return slow;
}

t.test("a pool closed under a batch, or before one: SignaturePoolClosedError", async (t) => {
  const { dir, poolOf } = workerModules(t);
  const pool = poolOf({ threads: 1, threshold: 2, worker: slowWorker(dir) });
  const closed = {
    name: "SignaturePoolClosedError",
    message: "The node is stopping: its signature workers are closed",
  };
  const onWorker = t.rejects(pool.verifyEach(VALID), closed, "the batch on the worker");
  await new Promise((resolve) => setTimeout(resolve, 300));
  await pool.close();
  await onWorker;
  await t.rejects(pool.verifyEach(VALID), closed, "a batch after");
  await t.rejects(pool.firstFailure(VALID.slice(0, 1)), closed, "even one it would have verified on this thread");
});

t.test(
  "pools on shared threads: closing one leaves the threads to the other; closing the threads refuses what waits",
  async (t) => {
    const { dir } = workerModules(t);
    const checks = new CheckThreads({ threads: 1, worker: slowWorker(dir) });
    t.teardown(() => checks.close());
    const first = new SignaturePool({ checks, threshold: 2 });
    const second = new SignaturePool({ checks, threshold: 2 });
    t.equal(first.threads, 1, "a pool on shared threads has as many as they are");
    await first.close();
    const four = VALID.slice(0, 4);
    t.same(await second.verifyEach(four), [true, true, true, true], "the other pool still verifies");
    const closed = { name: "SignaturePoolClosedError" };
    const onThread = second.verifyEach(four);
    const waiting = t.rejects(second.verifyEach(four), closed, "a batch waiting for the thread as it closes");
    await new Promise((resolve) => setTimeout(resolve, 300));
    await checks.close();
    t.same(await onThread, [true, true, true, true], "the batch on the thread is answered");
    await waiting;
    await t.rejects(second.verifyEach(four), closed, "a batch after");
  },
);

t.test("firstFailure's mootFrom: the chunks past it stop, those before it are verified", async (t) => {
  const { dir, poolOf } = workerModules(t);
  // The pool's worker, each chunk held until the batch's stop flag is lowered (5 s at most): so the cut comes first.
  const held = join(dir, "held.mjs");
  const real = new URL("../workers/signatures.js", import.meta.url).href;
  writeFileSync(
    held,
    [
      `import { firstFailure as verify } from ${JSON.stringify(real)};`,
      `export { verifyEach } from ${JSON.stringify(real)};`,
      "export function firstFailure(task) {",
      "  const flag = new Int32Array(task.stop);",
      "  const until = Date.now() + 5000;",
      "  while (Atomics.load(flag, 0) === 0x7fffffff && Date.now() < until) Atomics.wait(flag, 0, 0x7fffffff, 1);",
      "  return verify(task);",
      "}",
      "",
    ].join("\n"),
  );
  const pool = poolOf({ threads: 2, threshold: 1, worker: held });
  // 48 jobs in 2 chunks of 24; the 41st fails.
  const jobs = VALID.map((job, i) => (i === 40 ? altered(job) : job));
  t.equal(await pool.firstFailure(jobs, { mootFrom: Promise.resolve(10) }), -1, "moot from 10: the second chunk stops");
  t.equal(await pool.firstFailure(jobs, { mootFrom: Promise.resolve(41) }), 40, "moot from 41: the failure is found");
  const early = VALID.map((job, i) => (i === 5 || i === 40 ? altered(job) : job));
  t.equal(await pool.firstFailure(early, { mootFrom: Promise.resolve(10) }), 5, "a failure before it is found");
});

t.test("the chunks' buffers come back: the workers hold none of them once answered", async (t) => {
  // A worker that only verifies seldom collects: a buffer left with it is freed late (32 MiB of these were still
  // held when the buffers stayed), and this thread counts the buffers it made (arrayBuffers) until they are.
  setFlagsFromString("--expose-gc");
  const v8gc = runInNewContext("gc") as () => void;
  // V8 frees the buffers a collection found dead on another thread, after it: the next collection waits for that.
  const gc = (): void => {
    v8gc();
    v8gc();
  };
  const pool = poolOf({ threads: 2, threshold: 1 });
  const [job] = genuine(1) as [SignatureJob];
  const large = { ...job, message: Buffer.alloc(1024, 7) };
  const signed = generateKeyPair();
  const kib = { publicKey: signed.publicKey, message: large.message, signature: sign(signed.secretKey, large.message) };
  // 4,000 jobs of 1 KiB, the first failing: each batch is 4.4 MB in 8 chunks, which stop at once.
  const batch = SignatureBatch.pack([altered(kib), ...Array.from({ length: 3_999 }, () => kib)]);
  const mib = (bytes: number): number => Math.round(bytes / 2 ** 20);
  gc();
  const before = process.memoryUsage().arrayBuffers;
  for (let i = 0; i < 40; i++) t.equal(await pool.firstFailure(batch), 0, `batch ${i}`);
  gc();
  const after = process.memoryUsage().arrayBuffers;
  t.ok(
    after - before < 8 * 2 ** 20,
    `40 batches of ${mib(batch.buffer.byteLength)} MiB: ${mib(after - before)} MiB kept`,
  );
});

t.test("threads, threshold and minChunk must be whole numbers from 1", async (t) => {
  t.throws(() => new SignaturePool({ threads: 0 }), RangeError);
  t.throws(() => new SignaturePool({ threshold: 0.5 }), RangeError);
  t.throws(() => new SignaturePool({ minChunk: 0 }), RangeError);
});
