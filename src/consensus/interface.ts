import type { NetworkRules } from "../chain/index.js";

/** What the judge worker (workers/judge.ts) is given: a body, moved, not copied. */
export interface JudgeTask {
  bytes: Uint8Array;
  mustBeat: number;
  rules: NetworkRules;
  /** Our clock, in seconds since the epoch. */
  now: number;
}
