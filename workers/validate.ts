import { checkSegment, InvalidChainError } from "../src/chain/index.js";
import type { SegmentOutcome, SegmentTask } from "../src/mining/interface.js";

/**
 * One worker's share of checking a long chain: every block of the segment
 * but the first (checked by the previous segment) against its predecessor.
 * A broken rule comes back as data, since error classes do not cross threads.
 */
export default function validateSegment({ blocks, before, rules }: SegmentTask): SegmentOutcome {
  try {
    return { hashes: checkSegment(blocks, rules, { before }) };
  } catch (error) {
    if (error instanceof InvalidChainError) return { reason: error.reason, blockIndex: error.blockIndex };
    throw error;
  }
}
