import { setFlagsFromString } from "node:v8";
import { addonFunction } from "../workers/kernel/addon.js";

/** Arenas glibc's malloc makes at most: the threads beyond share them. */
export const ARENA_MAX = 2;
/** Blocks of this many bytes or more are mapped, and handed back to the system when freed. */
export const MMAP_THRESHOLD = 128 * 1024;
/** The variables that set the same at start: a user who sets either keeps glibc's reading of them. */
export const ALLOCATOR_VARIABLES = ["MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_"] as const;

/** What limitAllocator did: the limits set, or why none was. */
export type AllocatorLimits = { arenaMax: number; mmapThreshold: number } | { skipped: string };

/** The native addon's mallopt (workers/kernel/native/addon.c): true once glibc takes both, or why not. */
type MallocLimits = (arenaMax: number, mmapThreshold: number) => true | string;

/**
 * Limits glibc's malloc as MALLOC_ARENA_MAX=2 and MALLOC_MMAP_THRESHOLD_=131072
 * would at start, through the native addon's mallopt: called before the
 * node's threads start, so that they share two arenas instead of one each
 * (up to 8 a core), and large buffers (pages, signature batches, LevelDB's
 * batches) go back to the system once freed instead of staying in the heap.
 * A fresh node's sync of 300,000 transfers peaked 100 to 180 MiB lower
 * (README, "Where the memory goes"). Skipped when either variable is set (glibc
 * has read it: the user's choice stands), and where the addon was not
 * built or the C library is not glibc.
 */
export function limitAllocator(env: NodeJS.ProcessEnv = process.env): AllocatorLimits {
  const set = ALLOCATOR_VARIABLES.filter((name) => env[name] !== undefined);
  if (set.length > 0) return { skipped: `${set.join(" and ")} set in the environment` };
  const mallocLimits = addonFunction<MallocLimits>("mallocLimits");
  if (typeof mallocLimits === "string") return { skipped: mallocLimits };
  const done = mallocLimits(ARENA_MAX, MMAP_THRESHOLD);
  return done === true ? { arenaMax: ARENA_MAX, mmapThreshold: MMAP_THRESHOLD } : { skipped: done };
}

/**
 * How far V8 lets a heap grow, in percent, past what its last full
 * collection kept before it collects again. V8's own factor ranges from 1.1
 * to 4 by how fast it collects against how fast the program allocates: a
 * switch of chains, which reads and writes whole blocks, made it let the
 * main thread's heap grow to 150 to 180 MiB around 30 to 50 MiB alive.
 * At 50%, a fresh node's sync of 300,000 transfers peaked at 400 MiB instead
 * of 508 to 546 (20% gave the same; 100%, 415), its time the same, and the
 * durable POSTs of bench:ledger's signed section ran as fast (README, the
 * accounts ledger's figures, "What moved since fdee68d").
 */
export const HEAP_GROWING_PERCENT = 50;

/** What limitHeapGrowth did: the percent set, or why none was. */
export type HeapGrowth = { heapGrowingPercent: number } | { skipped: string };

/** node's own flag for it, which a user may give (`node --heap-growing-percent=N dist/src/cli.js`); NODE_OPTIONS refuses it. */
const GROWING_FLAG = /^--heap[-_]growing[-_]percent(=|$)/;

/**
 * Sets V8's heap growing factor to HEAP_GROWING_PERCENT, for every heap of
 * the process, the worker threads' included: V8 reads it each time a full
 * collection sets the next limit, so that it holds from then on. Skipped when
 * node was given the flag: the user's choice stands.
 */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): HeapGrowth {
  if (execArgv.some((arg) => GROWING_FLAG.test(arg))) return { skipped: "--heap-growing-percent given to node" };
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return { heapGrowingPercent: HEAP_GROWING_PERCENT };
}
