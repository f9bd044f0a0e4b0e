/**
 * The kernel a real node chooses and how its miners yield: the calibration's
 * log line and /stats name the same kernel, the mining threads (and only
 * they) run at SCHED_IDLE, get their priority back to exit where the system
 * allows it, and a kernel this CPU cannot run is a clear start-up error.
 */
import { readdirSync, readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import t from "tap";
import { MinerPool } from "../src/mining/index.js";
import { KERNEL_NAMES, type KernelName, type LoweredPriority } from "../workers/kernel/index.js";
import { loadNativeAddon, nativeVariants, restoreThreadPriority } from "../workers/kernel/native.js";
import { request, runCli, startNode } from "./helpers/node-process.js";

/** SCHED_IDLE's number in /proc/<pid>/task/<tid>/sched. */
const SCHED_IDLE = 5;

/** Each thread's scheduling policy, by thread id. */
function policies(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const policy = /^policy\s*:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/sched`, "utf8"));
      if (policy) out.set(Number(tid), Number(policy[1]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

function nativeProblem(): string | false {
  try {
    loadNativeAddon();
    return false;
  } catch (error) {
    return `the native addon is not built: ${(error as Error).message.split("\n")[0]}`;
  }
}

t.test("a node logs the kernel it calibrated, /stats names it, and only its miners run at SCHED_IDLE", async (t) => {
  const node = await startNode(["--difficulty", "40", "--threads", "2"], { t });
  const chosen = await node.waitForLog((line) => line.msg.startsWith("mining with the "));
  const kernel = chosen.kernel as KernelName;
  t.ok(KERNEL_NAMES.includes(kernel), `the kernel: ${kernel}`);
  const rates = chosen.rates as Record<string, number>;
  t.equal(chosen.mhps, rates[kernel], "its rate is logged");
  t.equal(Math.max(...Object.values(rates)), rates[kernel], "the fastest candidate");
  t.equal(chosen.msg, `mining with the ${kernel} kernel`);
  const stats = (await request<{ kernel: string }>(`${node.url}/stats`)).body;
  t.equal(stats.kernel, kernel, "/stats names the same kernel");

  const mining = request(`${node.url}/mine`, { timeoutMs: 120_000 }).catch(() => undefined);
  if (process.platform !== "linux" || nativeProblem()) {
    t.comment("thread priorities are set on Linux with the native addon only");
  } else {
    t.equal(chosen.priority, "SCHED_IDLE");
    const pid = node.process.pid as number;
    // Every mining thread has searched once the job's first hashes are counted.
    let idle: number[] = [];
    for (let tries = 0; tries < 200; tries++) {
      const job = (await request<{ job: { hashes: number } | null }>(`${node.url}/stats`)).body.job;
      idle = [...policies(pid)].filter(([, policy]) => policy === SCHED_IDLE).map(([tid]) => tid);
      if (job && job.hashes > 0 && idle.length === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    t.equal(idle.length, 2, "the two mining threads are SCHED_IDLE, and no other thread");
    t.equal(policies(pid).get(pid), 0, "the main thread (the event loop) is SCHED_OTHER");
  }
  await node.stop();
  await mining;
});

t.test("forcing a kernel this CPU cannot run is a clear start-up error", { skip: nativeProblem() }, async (t) => {
  const unusable = nativeVariants().find((variant) => !variant.usable);
  if (!unusable) {
    t.comment("this CPU runs every native variant");
    return;
  }
  const result = await runCli(["--in-memory", "--port", "0", "--kernel", unusable.name]);
  t.equal(result.code, 1, "the node exits with 1");
  t.match(result.stderr, `--kernel ${unusable.name}: it cannot run here: ${unusable.reason}`);
  t.notMatch(result.stderr, /at .*\.js:\d+/, "a message, not a stack trace");
});

/** Whether this process may take a thread out of SCHED_IDLE: root (CAP_SYS_NICE) here; RLIMIT_NICE is 0 by default. */
const mayRestore = process.getuid?.() === 0;
const REFUSED = /leaving SCHED_IDLE: Operation not permitted/;

t.test(
  "a thread lowered to SCHED_IDLE gets its priority back from another thread",
  { skip: nativeProblem() },
  async (t) => {
    // The thread lowers itself, says so, and waits (Atomics.wait) until told to end.
    const hold = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(
      `const { parentPort, workerData } = require("node:worker_threads");
     import(workerData.native).then(({ lowerThreadPriority }) => {
       parentPort.postMessage(lowerThreadPriority());
       Atomics.wait(workerData.hold, 0, 0);
     });`,
      { eval: true, workerData: { hold, native: new URL("../workers/kernel/native.js", import.meta.url).href } },
    );
    t.teardown(() => {
      Atomics.store(hold, 0, 1);
      Atomics.notify(hold, 0);
      return worker.terminate();
    });
    const lowered = await new Promise<LoweredPriority>((resolve) => worker.once("message", resolve));
    t.equal(lowered.how, "SCHED_IDLE");
    t.equal(policies(process.pid).get(lowered.thread), SCHED_IDLE, "its id is the thread's, now at SCHED_IDLE");

    const outcome = restoreThreadPriority(lowered);
    if (mayRestore) {
      t.equal(outcome, true);
      t.equal(policies(process.pid).get(lowered.thread), 0, "SCHED_OTHER again");
    } else {
      t.match(outcome, REFUSED, "refused, with the reason");
    }
    t.equal(
      restoreThreadPriority({ how: "SCHED_IDLE", thread: 2 ** 22 + 1, nice: 0 }),
      true,
      "a thread gone: nothing to do",
    );
  },
);

t.test(
  "a mining pool's close gives each mining thread its priority back before stopping it",
  { skip: nativeProblem() },
  async (t) => {
    const pool = new MinerPool(2);
    const { priority } = await pool.warmUp();
    t.equal("lowered" in priority && priority.lowered.how, "SCHED_IDLE");
    t.equal([...policies(process.pid).values()].filter((policy) => policy === SCHED_IDLE).length, 2);
    const closed = await pool.close();
    if (mayRestore) t.same(closed, { restored: 2 });
    else t.match(closed, { restored: 0, refused: REFUSED });
    t.equal(
      [...policies(process.pid).values()].filter((policy) => policy === SCHED_IDLE).length,
      0,
      "both have exited",
    );
  },
);
