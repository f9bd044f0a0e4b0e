import type { JudgeTask } from "../src/consensus/interface.js";
import { type Judgement, judgeChain } from "../src/consensus/judge.js";

/**
 * Judges a peer's /chain body off the main thread: parsing and checking up to
 * 64 MiB of a stranger's JSON must not hold the API's event loop.
 */
export default function judge({ bytes, mustBeat, rules, now }: JudgeTask): Judgement {
  return judgeChain(bytes, mustBeat, rules, now);
}
