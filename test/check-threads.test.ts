/**
 * CheckThreads.release: the threads are replaced, so that the heaps a
 * sync's pages grew are let go; a task running then finishes on its thread,
 * and the threads are replaced once it is answered.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { CheckThreads } from "../src/checks/index.js";

const dir = mkdtempSync(join(tmpdir(), "toychain-check-threads-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
/** A module whose tasks answer with the id of the thread that ran them; `page` waits `ms` first. */
const worker = join(dir, "which-thread.mjs");
writeFileSync(
  worker,
  [
    'import { threadId } from "node:worker_threads";',
    "export function page({ ms }) {",
    "  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);",
    "  return threadId;",
    "}",
    "export const warmUpPage = () => threadId;",
    "",
  ].join("\n"),
);

t.test("released threads are replaced: the next task runs on a new thread", async (t) => {
  const checks = new CheckThreads({ threads: 1, worker });
  t.teardown(() => checks.close());
  const first = await checks.run<number>("warmUpPage", null);
  t.equal(await checks.run<number>("warmUpPage", null), first, "the thread stays while not released");
  checks.release();
  const second = await checks.run<number>("warmUpPage", null);
  t.not(second, first, "a new thread");
  checks.release();
  checks.release();
  t.not(await checks.run<number>("warmUpPage", null), second, "released twice: one new thread more");
});

t.test("a task running when the threads are released finishes on its thread; the next runs on a new one", async (t) => {
  const checks = new CheckThreads({ threads: 1, worker });
  t.teardown(() => checks.close());
  const first = await checks.run<number>("warmUpPage", null);
  const running = checks.run<number>("page", { ms: 300 });
  // Asked before the release: it waits for the one thread, and runs on it.
  const queued = checks.run<number>("warmUpPage", null);
  checks.release();
  t.equal(await running, first, "the running task is answered, from its thread");
  t.equal(await queued, first, "so is the task that waited for it");
  t.not(await checks.run<number>("warmUpPage", null), first, "the threads were replaced once both were answered");
});

t.test("closed after a release: the tasks asked then are refused, and release does nothing", async (t) => {
  const checks = new CheckThreads({ threads: 2, worker, keep: true });
  await checks.run<number>("warmUpPage", null);
  checks.release();
  await checks.close();
  checks.release();
  await t.rejects(checks.run("warmUpPage", null), { message: "the check threads are closed: warmUpPage not run" });
});
