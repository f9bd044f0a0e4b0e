import { encodeBits, MAX_TARGET } from "./target.js";

/**
 * aserti3-2d, Bitcoin Cash's difficulty algorithm (ASERT, "absolutely
 * scheduled exponentially rising targets"), as Bitcoin Cash Node's
 * CalculateASERT computes it. An ideal schedule starts at an anchor block:
 * one block every `spacing` seconds. The next block's target is the anchor's,
 * doubled for every `halfLife` seconds the chain's tip is behind that schedule
 * and halved for every `halfLife` it is ahead. It depends on the anchor and
 * the parent block only, not on any window of blocks between them.
 *
 * Integer arithmetic only (BigInt), so every node agrees bit for bit: 2^x is
 * approximated by BCHN's cubic in 16-bit fixed point. Where BCHN's 64- and
 * 256-bit integers would overflow (inputs its asserts refuse), BigInt gives
 * the value wider integers would: the one BCHN's own comments intend.
 */

/** The retargeting parameters of a chain, seconds and a target. */
export interface AsertParams {
  /** The ideal time between blocks (Bitcoin Cash: 600). */
  spacing: bigint;
  /** The time behind (or ahead of) schedule that doubles (or halves) the target (Bitcoin Cash: 172,800). */
  halfLife: bigint;
  /** The easiest target allowed, the proof-of-work limit (Bitcoin Cash: 2^224 - 1, bits 0x1d00ffff). */
  powLimit: bigint;
}

/** The block the schedule starts from. */
export interface AsertAnchor {
  height: bigint;
  /**
   * The time the schedule counts from: the timestamp of the anchor's parent,
   * as ASERT's absolute formulation has it. The genesis has no parent, so when
   * the anchor is the genesis this is the genesis' own timestamp, as Bitcoin
   * Cash Node does (see genesisAnchor).
   */
  parentTime: bigint;
  /** The anchor's own target (decoded from its bits). */
  target: bigint;
}

/** The parent of the block whose target is computed. */
export interface AsertParent {
  height: bigint;
  time: bigint;
}

/** The coefficients of BCHN's cubic: 2^x ≈ 1 + 0.695502049x + 0.2262698x² + 0.0782318x³ on [0, 1), in 2^-48 units. */
const C1 = 195_766_423_245_049n;
const C2 = 971_821_376n;
const C3 = 5_127n;
/** Fixed point: 16 fractional bits. */
const RADIX_BITS = 16n;

/**
 * The anchor a chain whose schedule starts at its genesis uses: the genesis'
 * own timestamp stands in for its parent's (it has none), as Bitcoin Cash
 * Node does. The schedule is thus one spacing later than a parent's time
 * would make it: on a chain exactly on schedule, every target is
 * 2^(-spacing/halfLife) of the genesis' (0.2% for 10 s and 1 hour).
 */
export function genesisAnchor(genesis: { height: bigint; time: bigint; target: bigint }): AsertAnchor {
  return { height: genesis.height, parentTime: genesis.time, target: genesis.target };
}

/**
 * BCHN's CalculateASERT: `refTarget` (the anchor's) scaled by
 * 2^((timeDiff - spacing * (heightDiff + 1)) / halfLife), where `timeDiff`
 * is the parent's time less the anchor's parent's and `heightDiff` the
 * parent's height less the anchor's; then clamped to 1..powLimit.
 */
export function calculateAsert(
  refTarget: bigint,
  spacing: bigint,
  timeDiff: bigint,
  heightDiff: bigint,
  powLimit: bigint,
  halfLife: bigint,
): bigint {
  if (powLimit < 1n || powLimit > MAX_TARGET) throw new RangeError(`the pow limit ${powLimit} is not a 256-bit target`);
  if (refTarget < 1n || refTarget > powLimit) {
    throw new RangeError(`the anchor's target ${refTarget} is not within 1..the pow limit ${powLimit}`);
  }
  if (heightDiff < 0n) throw new RangeError(`the parent is below the anchor (height difference ${heightDiff})`);
  if (spacing < 1n || halfLife < 1n)
    throw new RangeError(`spacing ${spacing} and half-life ${halfLife} must be positive`);

  // The exponent in 16-bit fixed point. BigInt division truncates toward zero, as C++'s does.
  const exponent = ((timeDiff - spacing * (heightDiff + 1n)) << RADIX_BITS) / halfLife;
  // Whole part by an arithmetic shift (a floor, unlike the division), and the fraction in [0, 2^16).
  let shifts = exponent >> RADIX_BITS;
  const frac = exponent - (shifts << RADIX_BITS);
  // 2^16 * 2^(frac / 2^16), rounded: the cubic, then the + 2^47 >> 48 rounding.
  const factor = 65536n + ((C1 * frac + C2 * frac * frac + C3 * frac * frac * frac + (1n << 47n)) >> 48n);
  let next = refTarget * factor;
  // Multiply by 2^shifts and divide by the 2^16 of the factor.
  shifts -= RADIX_BITS;
  if (shifts <= 0n) {
    next >>= -shifts;
  } else if (shifts >= 256n) {
    // next is at least 2^16 before the shift, so at least 2^272 after: past any limit, and past BCHN's 256 bits too.
    next = powLimit;
  } else {
    next <<= shifts;
  }
  if (next === 0n) return 1n;
  return next > powLimit ? powLimit : next;
}

/**
 * The compact bits the block after `parent` must state on a chain that
 * retargets with `params` from `anchor`: BCHN's GetNextASERTWorkRequired.
 * Heights and times are BigInt, so that any height (Bitcoin Cash's vectors
 * cross 2^63) and any time are exact; times are whole seconds.
 */
export function nextBits(params: AsertParams, anchor: AsertAnchor, parent: AsertParent): number {
  const target = calculateAsert(
    anchor.target,
    params.spacing,
    parent.time - anchor.parentTime,
    parent.height - anchor.height,
    params.powLimit,
    params.halfLife,
  );
  return encodeBits(target);
}

/** The half-life over the future limit: the limit eases a target by at most 2^(1/24). */
export const FUTURE_LIMIT_DIVISOR = 24n;

/**
 * How far ahead of the receiving node's clock a block of a retargeting chain
 * may be dated: a 24th of the half-life, in whole seconds (150 s for a 1-hour
 * half-life).
 *
 * ASERT reads one timestamp, the parent's. A block dated x seconds ahead of
 * the true time makes the next target 2^(x / halfLife) times larger (easier),
 * and only the next one: the block after it is dated truly again and the
 * schedule is where it was. Dating every block ahead shifts the schedule once,
 * so a miner gains at most the limit's worth of blocks, once, never a rate.
 * Hence the bound: a block dated as far ahead as allowed eases the next target
 * by at most 2^(limit / halfLife) = 2^(1/24), 2.9%, Bitcoin Cash's own exposure
 * (a 2-hour limit against a 2-day half-life). Backdating is bounded by the
 * median-of-11 rule and only makes the next target harder.
 *
 * The limit must still exceed the clocks' disagreement: a block dated past it
 * is refused (a FutureBlockError) until the receiving node's clock catches up,
 * a delay, not a split. NTP keeps clocks within milliseconds, so a half-life
 * of 12 minutes or more (a limit of 30 s or more) leaves ample room.
 */
export function retargetFutureLimit(halfLife: bigint): bigint {
  if (halfLife < 1n) throw new RangeError(`the half-life ${halfLife} must be positive`);
  return halfLife / FUTURE_LIMIT_DIVISOR;
}
