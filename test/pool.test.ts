import { setTimeout as sleep } from "node:timers/promises";
import t from "tap";
import {
  meetsDifficulty,
  powHeader,
  proofMeetsTarget,
  sha256Hex,
  targetForLeadingZeroBits,
} from "../src/chain/index.js";
import { CANCELLED, CHUNK_SIZE, FIRST_NONCE, FOUND, JobControl, MAX_NONCE, RUNNING } from "../src/mining/control.js";
import { MinerPool } from "../src/mining/index.js";
import { KERNEL_NAMES, resolveKernel } from "../workers/kernel/index.js";

const THREADS = 2;

/** The claim counter (chunks handed out so far), read straight from the job's shared memory. */
function chunksClaimed(control: JobControl): bigint {
  return Atomics.load(new BigInt64Array(control.buffer, 8, 1), 0);
}

const header = (label: string): string =>
  powHeader({ index: 2, timestamp: 1_700_000_000.25, transactions: [], previous_hash: sha256Hex(label) });

t.test("JobControl", async (t) => {
  t.test("claimChunk hands out disjoint, increasing chunks", async (t) => {
    const control = new JobControl();
    const starts = Array.from({ length: 6 }, () => control.claimChunk());
    t.same(
      starts,
      starts.map((_, i) => FIRST_NONCE + i * CHUNK_SIZE),
      "consecutive chunks from 10^15, the first 16-digit nonce",
    );
    // A second view of the same memory (as a worker has) continues the same counter.
    const view = new JobControl(control.buffer);
    t.equal(view.claimChunk(), FIRST_NONCE + 6 * CHUNK_SIZE);
    t.equal(control.claimChunk(), FIRST_NONCE + 7 * CHUNK_SIZE);
    t.equal(String(FIRST_NONCE).length, 16);
    t.ok(CHUNK_SIZE > 0 && Number.isInteger(CHUNK_SIZE));
  });

  t.test("claimChunk returns -1 once the nonce space is spent", async (t) => {
    const control = new JobControl();
    const lastChunk = BigInt(Math.floor((MAX_NONCE - FIRST_NONCE) / CHUNK_SIZE));
    Atomics.store(new BigInt64Array(control.buffer, 8, 1), 0, lastChunk);
    const start = control.claimChunk();
    t.equal(start, FIRST_NONCE + Number(lastChunk) * CHUNK_SIZE, "the last chunk still starts within 2^53-1");
    t.ok(start <= MAX_NONCE && start + CHUNK_SIZE > MAX_NONCE);
    t.equal(control.claimChunk(), -1);
    t.equal(control.claimChunk(), -1);
  });

  t.test("a job over a range of nonces claims chunks within it only, shared by its views", async (t) => {
    const start = FIRST_NONCE + 5 * 2 ** 40;
    const control = new JobControl({ start, end: start + 3 * CHUNK_SIZE - 1 });
    t.equal(control.end, start + 3 * CHUNK_SIZE - 1);
    const view = new JobControl(control.buffer);
    t.equal(view.end, control.end, "a worker's view knows where the range ends");
    t.same(
      [control.claimChunk(), view.claimChunk(), control.claimChunk(), view.claimChunk()],
      [start, start + CHUNK_SIZE, start + 2 * CHUNK_SIZE, -1],
      "three chunks, then the range is spent",
    );
    for (const [range, why] of [
      [{ start: FIRST_NONCE - 1 }, "a nonce of 15 digits"],
      [{ end: MAX_NONCE + 1 }, "past 2^53-1"],
      [{ start: FIRST_NONCE + 10, end: FIRST_NONCE + 9 }, "an end before its start"],
      [{ start: FIRST_NONCE + 0.5 }, "a fraction"],
    ] as const) {
      t.throws(() => new JobControl(range), RangeError, why);
    }
  });

  t.test("win and cancel: only the first transition counts", async (t) => {
    const won = new JobControl();
    t.equal(won.state, RUNNING);
    t.equal(won.win(), true);
    t.equal(won.state, FOUND);
    t.equal(won.win(), false, "a second finder loses");
    t.equal(won.cancel(), false, "too late to cancel");
    t.equal(won.state, FOUND);

    const cancelled = new JobControl();
    t.equal(cancelled.cancel(), true);
    t.equal(cancelled.state, CANCELLED);
    t.equal(cancelled.win(), false, "no find after a cancel");
    t.equal(cancelled.cancel(), false);
    t.equal(new JobControl(cancelled.buffer).state, CANCELLED, "visible through another view");
  });
});

t.test("MinerPool (portable kernel)", async (t) => {
  const pool = new MinerPool(THREADS, "portable");
  t.teardown(() => pool.close());
  t.equal(pool.threads, THREADS);
  t.equal(pool.kernel, "portable");

  t.test("a first job on a fresh pool finds a proof", async (t) => {
    // Also warms the pool up: until each worker has loaded its module, a task
    // waits for it, and that start-up delay would count as stop latency.
    const h = header("warm-up");
    const result = await pool.search(h, targetForLeadingZeroBits(4), new JobControl());
    t.ok(result.nonce !== null && meetsDifficulty(h, result.nonce, 4));
  });

  t.test("a search at difficulty 16 finds a valid proof and every worker stops", async (t) => {
    for (const label of ["first job", "second job, warm pool"]) {
      const h = header(label);
      const control = new JobControl();
      const result = await pool.search(h, targetForLeadingZeroBits(16), control);
      // The promise resolved: every one of the THREADS tasks returned.
      t.type(result.nonce, "number", label);
      const nonce = result.nonce as number;
      t.ok(Number.isSafeInteger(nonce) && nonce >= 0);
      t.ok(meetsDifficulty(h, nonce, 16), `${label}: proof ${nonce} meets difficulty 16`);
      t.type(result.winner, "number");
      t.ok((result.winner as number) >= 0 && (result.winner as number) < THREADS, "one of the workers won");
      t.equal(result.kernel, "portable");
      t.equal(control.state, FOUND);
      t.ok(
        nonce >= FIRST_NONCE && nonce < FIRST_NONCE + Number(chunksClaimed(control)) * CHUNK_SIZE,
        "the proof lies in a claimed chunk",
      );
      t.ok(result.hashes > 0, "hashes are counted");
      t.ok(result.seconds > 0);
      // How soon they stop is bench:mine's figure; here, that they do, and that it is measured.
      t.ok(Number.isFinite(result.stopLatencyMs) && result.stopLatencyMs >= 0, "the stop latency is measured");

      // No worker goes on claiming chunks after search resolved.
      const claimed = chunksClaimed(control);
      await sleep(250);
      t.equal(chunksClaimed(control), claimed, "no chunk claimed after the job ended");
    }
  });

  t.test("cancel from the main thread stops a hopeless search at once", async (t) => {
    const control = new JobControl();
    const job = pool.search(header("difficulty 40"), targetForLeadingZeroBits(40), control);
    await sleep(150);
    t.equal(control.state, RUNNING, "still searching");
    t.ok(chunksClaimed(control) >= BigInt(THREADS), "every worker claimed a chunk");
    t.equal(control.cancel(), true);
    const result = await job;
    t.equal(result.nonce, null);
    t.equal(result.winner, null);
    t.equal(result.stopLatencyMs, 0);
    t.equal(control.state, CANCELLED);
    t.ok(result.hashes > 0);
    const claimed = chunksClaimed(control);
    await sleep(250);
    t.equal(chunksClaimed(control), claimed, "no chunk claimed after the search resolved");
  });

  t.test("a job cancelled before it starts returns at once with nothing", async (t) => {
    const control = new JobControl();
    control.cancel();
    const result = await pool.search(header("never"), targetForLeadingZeroBits(40), control);
    t.equal(result.nonce, null);
    t.equal(result.winner, null);
    t.equal(chunksClaimed(control), 0n, "no chunk claimed");
  });

  t.test("a job over a range finds its proof there, and spends exactly the range when there is none", async (t) => {
    const start = FIRST_NONCE + 3 * 2 ** 40;
    const h = header("range");
    const found = await pool.search(
      h,
      targetForLeadingZeroBits(8),
      new JobControl({ start, end: start + 2 ** 40 - 1 }),
    );
    t.ok(
      found.nonce !== null && found.nonce >= start && found.nonce < start + 2 ** 40,
      `proof ${found.nonce} in range`,
    );
    t.ok(found.nonce !== null && meetsDifficulty(h, found.nonce, 8));
    const end = start + 2 * CHUNK_SIZE + 99;
    const spent = await pool.search(h, targetForLeadingZeroBits(60), new JobControl({ start, end }));
    t.equal(spent.nonce, null, "no proof at difficulty 60");
    t.equal(spent.hashes, end - start + 1, "every nonce of the range tried once, none past it");
  });

  t.test("the pool still works after a cancelled job", async (t) => {
    const h = header("after cancel");
    const result = await pool.search(h, targetForLeadingZeroBits(12), new JobControl());
    t.ok(result.nonce !== null && meetsDifficulty(h, result.nonce, 12));
  });

  t.test("a target not of the 2^k-1 form: the proof's hash is at most it", async (t) => {
    const h = header("odd target");
    const target = 0x000b_ad5e_ed00_7777_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000n;
    const result = await pool.search(h, target, new JobControl());
    t.ok(result.nonce !== null && proofMeetsTarget(h, result.nonce, target), `proof ${result.nonce}`);
  });
});

t.test("MinerPool with the default kernel", async (t) => {
  const pool = new MinerPool(THREADS);
  t.teardown(() => pool.close());
  const { calibration, priority } = await pool.warmUp();
  const candidates = resolveKernel("auto").candidates;
  t.same(calibration.rates.map((rate) => rate.name).sort(), [...candidates].sort(), "every candidate was measured");
  t.ok(calibration.rates.every((rate) => rate.hashesPerSecond > 0));
  const best = Math.max(...calibration.rates.map((rate) => rate.hashesPerSecond));
  t.equal(calibration.rates.find((rate) => rate.name === calibration.kernel)?.hashesPerSecond, best, "the fastest");
  t.equal(pool.kernel, calibration.kernel);
  t.ok(KERNEL_NAMES.includes(pool.kernel));
  t.ok("lowered" in priority || "failed" in priority);
  const h = header("default kernel");
  const control = new JobControl();
  const result = await pool.search(h, targetForLeadingZeroBits(16), control);
  t.ok(result.nonce !== null && meetsDifficulty(h, result.nonce, 16), "a valid proof");
  t.equal(result.kernel, pool.kernel);
  t.ok(Number.isFinite(result.stopLatencyMs) && result.stopLatencyMs >= 0, "the stop latency is measured");

  const hopeless = new JobControl();
  const job = pool.search(h, targetForLeadingZeroBits(48), hopeless);
  await sleep(100);
  hopeless.cancel();
  const cancelled = await job;
  t.equal(cancelled.nonce, null);
  const claimed = chunksClaimed(hopeless);
  await sleep(250);
  t.equal(chunksClaimed(hopeless), claimed, "cancelled: no chunk claimed after the search resolved");
});
