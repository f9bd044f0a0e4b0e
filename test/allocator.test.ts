import t from "tap";
import { ALLOCATOR_VARIABLES, ARENA_MAX, limitAllocator, MMAP_THRESHOLD } from "../src/allocator.js";
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
