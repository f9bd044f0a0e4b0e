import { execFileSync } from "node:child_process";
import t from "tap";
import {
  ALLOCATOR_VARIABLES,
  ARENA_MAX,
  HEAP_GROWING_PERCENT,
  limitAllocator,
  limitHeapGrowth,
  MMAP_THRESHOLD,
} from "../src/allocator.js";
import { startNode } from "./helpers/node-process.js";

/** glibc's version here, when the C library is glibc (process.report's header says so). */
const glibc = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime;

/** This process's environment without the variables that set glibc's malloc. */
function withoutVariables(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ALLOCATOR_VARIABLES) delete env[name];
  return env;
}

t.test("limitAllocator sets glibc's malloc limits, unless the environment chose them", async (t) => {
  if (glibc === undefined) {
    t.match(limitAllocator(withoutVariables()), { skipped: /glibc|addon/ }, "skipped where the C library is not glibc");
    return;
  }
  t.same(
    limitAllocator(withoutVariables()),
    { arenaMax: ARENA_MAX, mmapThreshold: MMAP_THRESHOLD },
    `glibc ${glibc}: two arenas, blocks of 128 KiB or more mapped`,
  );
  t.same(
    limitAllocator({ MALLOC_ARENA_MAX: "8" }),
    { skipped: "MALLOC_ARENA_MAX set in the environment" },
    "MALLOC_ARENA_MAX set: glibc read it at start, and it stands",
  );
  t.same(
    limitAllocator({ MALLOC_ARENA_MAX: "8", MALLOC_MMAP_THRESHOLD_: "65536" }),
    { skipped: "MALLOC_ARENA_MAX and MALLOC_MMAP_THRESHOLD_ set in the environment" },
    "both set: both named",
  );
});

t.test("a node started by the CLI says at debug what it did to glibc's malloc", async (t) => {
  const limited = await startNode(["--log-level", "debug"], { t, env: withoutVariables() });
  const line = await limited.waitForLog((line) => /^glibc's malloc/.test(line.msg));
  if (glibc === undefined) t.match(line, { msg: "glibc's malloc left to its settings" }, "not glibc: left");
  else {
    t.match(
      line,
      { msg: "glibc's malloc limited: two arenas, large blocks mapped and handed back", arenaMax: 2 },
      "limited",
    );
  }
  t.match(
    await limited.waitForLog((line) => /^V8's heap growth/.test(line.msg)),
    { msg: /^V8's heap growth limited: a heap grows at most 50% past/, heapGrowingPercent: HEAP_GROWING_PERCENT },
    "and V8's heap growth",
  );
  const chosen = await startNode(["--log-level", "debug"], {
    t,
    env: { ...withoutVariables(), MALLOC_ARENA_MAX: "4" },
  });
  t.match(
    await chosen.waitForLog((line) => /^glibc's malloc/.test(line.msg)),
    { msg: "glibc's malloc left to its settings", reason: "MALLOC_ARENA_MAX set in the environment" },
    "the environment's choice stands",
  );
});

t.test("limitHeapGrowth sets V8's heap growing factor, unless node was given it", async (t) => {
  t.same(limitHeapGrowth([]), { heapGrowingPercent: HEAP_GROWING_PERCENT }, "set");
  t.same(
    limitHeapGrowth(["--heap-growing-percent=200"]),
    { skipped: "--heap-growing-percent given to node" },
    "node's flag stands",
  );
  t.same(limitHeapGrowth(["--heap_growing_percent", "200"]), { skipped: "--heap-growing-percent given to node" });
});

/**
 * A program whose heap keeps some 10 MiB alive while pieces of about 10
 * MiB live long enough to be promoted, then die (what a switch of chains
 * does with its blocks); prints its heap's largest size, in MiB. With
 * "limit", it first calls limitHeapGrowth.
 */
const CHURN = `
import { getHeapStatistics } from "node:v8";
import { limitHeapGrowth } from ${JSON.stringify(new URL("../src/allocator.js", import.meta.url).href)};
if (process.argv[1] === "limit") limitHeapGrowth([]);
const live = Array.from({ length: 100_000 }, (_, i) => ({ i, s: "live-" + i + "x".repeat(40) }));
let peak = 0;
for (let piece = 0; piece < 10; piece++) {
  const held = Array.from({ length: 100_000 }, (_, i) => ({ piece, i, s: "p" + piece + "-" + i + "y".repeat(30) }));
  for (let k = 0; k < 3; k++) Array.from({ length: 100_000 }, (_, i) => ({ i }));
  peak = Math.max(peak, getHeapStatistics().total_heap_size);
  if (held.length + live.length < 0) process.exit(1);
}
process.stdout.write(String(Math.round(peak / 1048576)));
`;

t.test("with the limit, a heap that churns grows less", async (t) => {
  const peakOf = (...args: string[]): number =>
    Number(execFileSync(process.execPath, ["--input-type=module", "-e", CHURN, ...args], { encoding: "utf8" }));
  const free = peakOf();
  const limited = peakOf("limit");
  t.ok(limited < 0.75 * free, `the heap's peak: ${limited} MiB limited, ${free} MiB left to V8`);
});
