import { Writable } from "node:stream";
import { type Logger, pino } from "pino";
import t from "tap";
import {
  ContinuousMiner,
  FIRST_RETRY_MS,
  MAX_RETRY_MS,
  type MinedBlock,
  MinerStoppedError,
  retryMs,
} from "../src/mining/index.js";

/**
 * ContinuousMiner's choreography in process, with a forge the test drives:
 * GET /mine's wait for the next block, the retry's doubling wait on failure
 * (never a spin), the stop, and the refresh check. The real processes are in
 * mine.test.ts.
 */

interface Line {
  level: number;
  msg: string;
  [field: string]: unknown;
}

function capture(): { log: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString("utf8").split("\n")) if (text) lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  return { log: pino({ level: "info" }, stream), lines };
}

const mined = (index: number): MinedBlock => ({
  block: { index, timestamp: index, transactions: [], proof: index, previous_hash: "0".repeat(64) },
  confirmed: [],
  removed: [],
  search: { nonce: index, winner: 0, kernel: "portable", hashes: 1, seconds: 0.001, stopLatencyMs: 0 },
});

/** A forge that resolves or rejects only when the test says, one call at a time. */
class Forge {
  calls = 0;
  #pending: { resolve: (m: MinedBlock) => void; reject: (e: unknown) => void } | undefined;
  #called: (() => void)[] = [];

  readonly forge = (): Promise<MinedBlock> => {
    this.calls++;
    for (const wake of this.#called.splice(0)) wake();
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
    });
  };

  /** Resolves once the loop has asked for its `n`-th block. */
  async asked(n: number): Promise<void> {
    while (this.calls < n) await new Promise<void>((resolve) => this.#called.push(resolve));
  }

  resolve(m: MinedBlock): void {
    this.#pending?.resolve(m);
  }

  reject(error: unknown): void {
    this.#pending?.reject(error);
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

t.test("GET /mine's wait: the next block forged at the index asked for or later", async (t) => {
  const forge = new Forge();
  const stopping = new AbortController();
  let next = 5;
  const { log } = capture();
  const miner = new ContinuousMiner({
    miner: { refresh: () => false },
    forge: forge.forge,
    nextIndex: () => next,
    signal: stopping.signal,
    log,
  });
  miner.start();
  await forge.asked(1);
  const first = miner.next();
  const second = miner.next();
  forge.resolve(mined(5));
  t.equal((await first).block.index, 5, "the block at the next index");
  t.equal((await second).block.index, 5, "requests asked together get the same block");

  await forge.asked(2);
  next = 7;
  const later = miner.next();
  let settled = false;
  void later.then(() => {
    settled = true;
  });
  forge.resolve(mined(6));
  await forge.asked(3);
  await flush();
  t.notOk(settled, "a block below the index asked for (the tip moved meanwhile) does not answer it");
  forge.resolve(mined(7));
  t.equal((await later).block.index, 7, "the next one at or past it does");

  await forge.asked(4);
  const waiting = miner.next();
  stopping.abort();
  forge.reject(new MinerStoppedError());
  await t.rejects(waiting, MinerStoppedError, "the node stopping: the request waiting gets MinerStoppedError");
  await miner.stopped();
  await t.rejects(miner.next(), MinerStoppedError, "and so does one asked after");
});

t.test("a failure is logged and retried after a wait that doubles; a block forged resets it", async (t) => {
  const forge = new Forge();
  const stopping = new AbortController();
  const { log, lines } = capture();
  const waits: number[] = [];
  const miner = new ContinuousMiner({
    miner: { refresh: () => false },
    forge: forge.forge,
    nextIndex: () => 2,
    signal: stopping.signal,
    log,
    wait: async (ms) => {
      waits.push(ms);
    },
  });
  miner.start();
  for (let i = 1; i <= 8; i++) {
    await forge.asked(i);
    const waiting = miner.next();
    forge.reject(new Error("the store is on fire"));
    await t.rejects(waiting, /the store is on fire/, `failure ${i}: the request waiting gets the error`);
  }
  await forge.asked(9);
  t.same(
    waits,
    [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000],
    "each attempt after a failure waits, twice as long each time, up to a minute",
  );
  t.equal(FIRST_RETRY_MS, 1000);
  t.equal(MAX_RETRY_MS, 60_000);
  t.equal(retryMs(1), FIRST_RETRY_MS);
  const errors = lines.filter((line) => line.level === 50);
  t.equal(errors.length, 8, "each failure is logged once, as an error");
  t.match(errors[0], {
    msg: "mining continuously: no block could be forged (the store is on fire); trying again in 1000 ms",
    failures: 1,
    retryInMs: 1000,
  });

  forge.resolve(mined(2));
  await forge.asked(10);
  forge.reject(new Error("again"));
  await forge.asked(11);
  t.equal(waits.at(-1), FIRST_RETRY_MS, "a block forged resets the wait");

  stopping.abort();
  forge.reject(new MinerStoppedError());
  await miner.stopped();
  t.equal(lines.filter((line) => line.level === 50).length, 9, "stopping logs no error");
});

t.test("stopping during a retry's wait ends the loop at once", async (t) => {
  const forge = new Forge();
  const stopping = new AbortController();
  const { log } = capture();
  const miner = new ContinuousMiner({
    miner: { refresh: () => false },
    forge: forge.forge,
    nextIndex: () => 2,
    signal: stopping.signal,
    log,
  });
  miner.start();
  await forge.asked(1);
  forge.reject(new Error("failing"));
  await flush();
  // The real wait: 1 s; the abort ends it.
  stopping.abort();
  await miner.stopped();
  t.equal(forge.calls, 1, "no block is begun once the node stops");
});

t.test("the running job is asked to refresh every check, with the refresh interval", async (t) => {
  const forge = new Forge();
  const stopping = new AbortController();
  const { log } = capture();
  const asked: number[] = [];
  const miner = new ContinuousMiner({
    miner: {
      refresh: (ms) => {
        asked.push(ms);
        return false;
      },
    },
    forge: forge.forge,
    nextIndex: () => 2,
    signal: stopping.signal,
    log,
    refreshMs: 40,
    checkMs: 5,
  });
  miner.start();
  while (asked.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
  t.same(asked.slice(0, 3), [40, 40, 40], "Miner.refresh(refreshMs), again and again");
  stopping.abort();
  forge.reject(new MinerStoppedError());
  await miner.stopped();
  const after = asked.length;
  await new Promise((resolve) => setTimeout(resolve, 30));
  t.equal(asked.length, after, "and no more once the loop has ended");
});
