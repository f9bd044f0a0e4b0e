import fc from "fast-check";
import t from "tap";
import { blockWork, targetForWork } from "../src/chain/index.js";
import { FIRST_NONCE, MAX_NONCE } from "../src/mining/index.js";
import {
  DEFAULT_VARDIFF,
  initialShareTarget,
  LineReader,
  LineTooLongError,
  nonceRange,
  RANGE_COUNT,
  RANGE_SIZE,
  RangeAllocator,
  retarget,
} from "../src/stratum/index.js";

/** Stratum's pure parts: its framing, its nonce ranges and its vardiff. */

t.test("framing: lines as TCP delivers them, split or batched, with a cap", async (t) => {
  const message = '{"id":1,"method":"mining.subscribe","params":["toychain-miner/0.1.0"]}';
  const whole = Buffer.from(`${message}\n${message}\r\n\n${message}\n`);
  fc.assert(
    fc.property(fc.array(fc.nat(whole.length), { maxLength: 8 }), (cuts) => {
      const reader = new LineReader();
      const points = [...new Set([0, ...cuts, whole.length])].sort((a, b) => a - b);
      const lines: string[] = [];
      for (let i = 1; i < points.length; i++) {
        lines.push(...reader.feed(whole.subarray(points[i - 1] as number, points[i] as number)));
      }
      return JSON.stringify(lines) === JSON.stringify([message, message, message]);
    }),
  );

  const reader = new LineReader();
  const snowman = Buffer.from("☃\n");
  t.same([...reader.feed(snowman.subarray(0, 1)), ...reader.feed(snowman.subarray(1))], ["☃"], "UTF-8 across packets");

  const capped = new LineReader(16);
  t.same(capped.feed(Buffer.from(`${"x".repeat(16)}\r\n`)), ["x".repeat(16)], "a line of the cap exactly, CRLF");
  t.throws(() => capped.feed(Buffer.from(`${"x".repeat(17)}\n`)), LineTooLongError, "one byte over, in one packet");
  const waiting = new LineReader(16);
  waiting.feed(Buffer.from("x".repeat(10)));
  t.throws(() => waiting.feed(Buffer.from("x".repeat(10))), LineTooLongError, "over the cap before its newline comes");
});

t.test("nonce ranges: 2^40 each, disjoint, within the 16-digit nonces, slot 0 the node's", async (t) => {
  t.equal(nonceRange(0).start, FIRST_NONCE);
  t.equal(nonceRange(1).start, nonceRange(0).end + 1, "each starts where the one before ends");
  const last = nonceRange(RANGE_COUNT - 1);
  t.ok(last.end <= MAX_NONCE && last.end + RANGE_SIZE > MAX_NONCE, "the last fits below 2^53, one more would not");
  t.throws(() => nonceRange(RANGE_COUNT), RangeError);
  t.throws(() => nonceRange(-1), RangeError);

  const ranges = new RangeAllocator();
  const a = ranges.take();
  const b = ranges.take();
  t.same([a?.slot, b?.slot], [1, 2], "sessions start at slot 1");
  ranges.release(1);
  t.equal(ranges.held, 1);
  t.equal(ranges.take()?.slot, 1, "a released slot is given again");
  const all = new RangeAllocator();
  let taken = 0;
  while (all.take() !== undefined) taken++;
  t.equal(taken, RANGE_COUNT - 1, "every range but the node's, then none");
});

t.test("vardiff: toward one share every shareSeconds, in bounded steps", async (t) => {
  const block = targetForWork(2n ** 40n);
  const start = initialShareTarget(block);
  t.equal(blockWork(start), DEFAULT_VARDIFF.initialHashes, "a new miner's first share target");
  t.equal(initialShareTarget(targetForWork(1000n)), targetForWork(1000n), "never harder than an easy block's own");

  t.equal(retarget(start, { since: 0, shares: 3 }, 4000, block), "wait", "3 shares in 4 s: too few to judge");
  t.equal(retarget(start, { since: 0, shares: 12 }, 60_000, block), "keep", "12 shares in 60 s: on the aim");
  const faster = retarget(start, { since: 0, shares: 12 }, 30_000, block);
  t.equal(typeof faster, "bigint");
  t.equal(
    blockWork(faster as bigint),
    2n * DEFAULT_VARDIFF.initialHashes,
    "twice the shares aimed at: twice the work a share",
  );
  const flood = retarget(start, { since: 0, shares: 12 }, 100, block) as bigint;
  t.equal(blockWork(flood), 4n * DEFAULT_VARDIFF.initialHashes, "at most 4 times harder in one step");
  const quiet = retarget(start, { since: 0, shares: 0 }, 30_000, block) as bigint;
  t.equal(blockWork(quiet), DEFAULT_VARDIFF.initialHashes / 4n, "no share in 6 spacings: 4 times easier");
  const ceiling = retarget(targetForWork(2n ** 39n), { since: 0, shares: 12 }, 100, block) as bigint;
  t.equal(ceiling, targetForWork(2n ** 40n), "never harder than the block");
  const floor = retarget(targetForWork(2n ** 17n), { since: 0, shares: 0 }, 600_000, block) as bigint;
  t.equal(blockWork(floor), DEFAULT_VARDIFF.minHashes, "never easier than minHashes");
});
