import {
  type AsertParams,
  blockWork,
  genesisAnchor,
  MEDIAN_SPAN,
  medianTime,
  nextBits,
  retargetFutureLimit,
  targetFromBits,
} from "../../src/chain/index.js";
import { random } from "./random.js";

/**
 * A retargeting chain mined in simulation: a clock, a hash rate, and luck
 * from a seeded PRNG. Each block's target comes from the consensus function
 * (nextBits, as a node checks it); its miner then takes an exponentially
 * distributed time to find it, of mean expected hashes / hash rate. The
 * simulation itself uses floating point (it is not consensus), the targets
 * never do.
 */

/** What a miner knows when it dates a block: the true time and the rules' window. */
export interface DatingContext {
  height: number;
  /** The true time the block is found, in seconds (a float). */
  now: number;
  /** The median of the last 11 timestamps: the block must be dated after it. */
  median: number;
  /** How far past the true time the block may be dated: the chain's future limit. */
  limit: number;
}

/** How a miner dates a block: a whole second within (median, floor(now) + limit]. */
export type Dating = (context: DatingContext) => number;

/** An honest miner: its clock, or just past the median if the clock is behind it. */
export const honest: Dating = ({ now, median }) => Math.max(Math.floor(now), median + 1);
/** As far ahead as the receiving nodes' clocks allow. */
export const futureDated: Dating = ({ now, limit }) => Math.floor(now) + limit;
/** As far back as the median allows. */
export const backdated: Dating = ({ median }) => median + 1;
/** Far ahead, then far back, block after block. */
export const alternating: Dating = (context) => (context.height % 2 === 0 ? futureDated(context) : backdated(context));

/** One simulated block. */
export interface SimBlock {
  height: number;
  /** Its timestamp, whole seconds. */
  stamp: number;
  /** The true time it was found. */
  time: number;
  /** The true time since its parent was found. */
  interval: number;
  bits: number;
  /** Whether the dating miner (`attacker`) found it. */
  byAttacker: boolean;
}

export interface SimOptions {
  params: AsertParams;
  /** The genesis' height and timestamp (whole seconds), and its bits: the anchor. */
  genesis: { height: number; stamp: number; bits: number };
  /** Blocks to mine after the genesis. */
  blocks: number;
  /** The network's hashes per second while it mines the block at `height`. */
  hashRate: (height: number) => number;
  seed: number;
  /** A miner with a `share` of the hash rate that dates its blocks its own way; the rest are honest. */
  attacker?: { share: number; dating: Dating };
}

/**
 * Mines `blocks` blocks after the genesis. Every block draws two numbers,
 * its luck and whether the attacker finds it, whoever finds it: two runs with
 * one seed have the same luck block for block, whatever their miners do.
 * Throws if a dating leaves the window the rules allow.
 */
export function simulate({ params, genesis, blocks, hashRate, seed, attacker }: SimOptions): SimBlock[] {
  const draw = random(seed);
  const anchor = genesisAnchor({
    height: BigInt(genesis.height),
    time: BigInt(genesis.stamp),
    target: targetFromBits(genesis.bits),
  });
  const limit = Number(retargetFutureLimit(params.halfLife));
  const chain: SimBlock[] = [
    {
      height: genesis.height,
      stamp: genesis.stamp,
      time: genesis.stamp,
      interval: 0,
      bits: genesis.bits,
      byAttacker: false,
    },
  ];
  const stamps = [genesis.stamp];
  let parent = chain[0] as SimBlock;
  for (let i = 0; i < blocks; i++) {
    const height = parent.height + 1;
    const bits = nextBits(params, anchor, { height: BigInt(parent.height), time: BigInt(parent.stamp) });
    const expectedHashes = Number(blockWork(targetFromBits(bits)));
    const luck = -Math.log((draw(2 ** 32) + 0.5) / 2 ** 32);
    const pick = draw(2 ** 32);
    const byAttacker = attacker !== undefined && pick < attacker.share * 2 ** 32;
    const median = medianTime(stamps);
    // A block no one may date yet (future-dated parents pushed the median past every clock's limit)
    // waits until one may: the nodes would refuse it as dated too far ahead until then.
    const now = Math.max(parent.time + (luck * expectedHashes) / hashRate(height), median + 1 - limit);
    const interval = now - parent.time;
    const stamp = (byAttacker && attacker ? attacker.dating : honest)({ height, now, median, limit });
    if (!Number.isInteger(stamp) || stamp <= median || stamp > Math.floor(now) + limit) {
      throw new RangeError(`block ${height} dated ${stamp}, outside (${median}, ${Math.floor(now) + limit}]`);
    }
    parent = { height, stamp, time: now, interval, bits, byAttacker };
    chain.push(parent);
    stamps.push(stamp);
    if (stamps.length > MEDIAN_SPAN) stamps.shift();
  }
  return chain;
}
