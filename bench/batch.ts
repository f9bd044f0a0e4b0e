/**
 * npm run bench:batch -- [--ops 25] [--batches 400] [--rounds 6]
 *
 * What a synced LevelDB batch of pending transactions costs the main thread,
 * written as classic-level's array batch (`db.batch(ops, { sync: true })`,
 * how the store wrote until writeBatch) and as a chained batch (`db.batch()`,
 * a put each, `write({ sync: true })`, how writeBatch writes): the time the
 * call takes before it returns its promise, per operation, which is what the
 * event loop loses; and the whole batch's time, fsync included, which runs
 * on libuv's threads. Each round writes `--batches` batches of `--ops`
 * transactions each way, in a fresh store in a temporary directory, the
 * first way alternating; the table gives each round and the medians.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ClassicLevel } from "classic-level";
import { type Db, type Op, pad, type Value, writeBatch } from "../src/storage/level-keys.js";
import { median } from "./lib/stats.js";
import { table } from "./lib/table.js";

const { values } = parseArgs({
  options: {
    ops: { type: "string", default: "25" },
    batches: { type: "string", default: "400" },
    rounds: { type: "string", default: "6" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(`Usage: npm run bench:batch -- [options]
  --ops <n>       transactions a batch (default 25: a group commit's under bench:ledger's 50 connections)
  --batches <n>   batches each way a round (default 400)
  --rounds <n>    rounds, the first way alternating (default 6)`);
  process.exit(0);
}
const ops = Number(values.ops);
const batches = Number(values.batches);
const rounds = Number(values.rounds);
if (![ops, batches, rounds].every((n) => Number.isInteger(n) && n > 0)) {
  console.error("--ops, --batches and --rounds take positive integers");
  process.exit(2);
}

type Way = "array" | "chained";
const WRITE: Record<Way, (db: Db, batch: Op[]) => Promise<void>> = {
  array: (db, batch) => db.batch(batch, { sync: true }),
  chained: (db, batch) => writeBatch(db, batch, { sync: true }),
};

/** One way's round: µs of the main thread per operation, and ms per synced batch. */
async function measure(way: Way): Promise<{ callUsPerOp: number; batchMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), "toychain-batch-"));
  const db: Db = new ClassicLevel<string, Value>(dir, { valueEncoding: "json" });
  await db.open();
  let seq = 0;
  let calls = 0;
  const started = performance.now();
  try {
    for (let i = 0; i < batches; i++) {
      const batch = Array.from(
        { length: ops },
        (): Op => ({ type: "put", key: `t/${pad(++seq)}`, value: { sender: "a", recipient: "b", amount: seq } }),
      );
      const before = performance.now();
      const written = WRITE[way](db, batch);
      calls += performance.now() - before;
      await written;
    }
    return { callUsPerOp: (calls / (batches * ops)) * 1000, batchMs: (performance.now() - started) / batches };
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

process.stderr.write(`machine: ${cpus()[0]?.model}, ${availableParallelism()} cores, Node ${process.version}\n`);
const results: Record<Way, { callUsPerOp: number; batchMs: number }[]> = { array: [], chained: [] };
for (let round = 1; round <= rounds; round++) {
  const order: Way[] = round % 2 === 1 ? ["array", "chained"] : ["chained", "array"];
  process.stderr.write(`round ${round} of ${rounds}: ${order[0]} first...\n`);
  for (const way of order) results[way].push(await measure(way));
}
const rows = Array.from({ length: rounds }, (_, i) => {
  const array = results.array[i] as { callUsPerOp: number; batchMs: number };
  const chained = results.chained[i] as { callUsPerOp: number; batchMs: number };
  return [
    String(i + 1),
    array.callUsPerOp.toFixed(2),
    chained.callUsPerOp.toFixed(2),
    array.batchMs.toFixed(2),
    chained.batchMs.toFixed(2),
  ];
});
const of = (way: Way, key: "callUsPerOp" | "batchMs") => median(results[way].map((r) => r[key])).toFixed(2);
rows.push([
  "median",
  of("array", "callUsPerOp"),
  of("chained", "callUsPerOp"),
  of("array", "batchMs"),
  of("chained", "batchMs"),
]);
console.log(`synced batches of ${ops} pending transactions, ${batches} each way a round`);
console.log(table(["round", "array µs/op (call)", "chained µs/op (call)", "array ms/batch", "chained ms/batch"], rows));
