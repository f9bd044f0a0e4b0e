import { FIRST_NONCE, MAX_NONCE } from "../mining/index.js";

/**
 * The nonces of one miner, both ends included: Stratum's extranonce in our
 * terms. The header H is the same for every miner of a job, so ranges that
 * never overlap are what keeps two miners from hashing the same nonces.
 */
export interface NonceRange {
  start: number;
  end: number;
}

/**
 * 2^40 nonces a range: over a trillion, 3 hours of a 100 MH/s miner on one
 * job, far more than a job lives (a new tip, or new transactions, every few
 * seconds); and the 16-digit nonces the kernels search (10^15 to 2^53-1) hold
 * 7,281 such ranges, more sessions than a node allows.
 */
export const RANGE_SIZE = 2 ** 40;

/** How many ranges the nonce space holds. */
export const RANGE_COUNT = Math.floor((MAX_NONCE - FIRST_NONCE + 1) / RANGE_SIZE);

/** Range `slot`: slot 0 is the node's own threads', the others its sessions'. */
export function nonceRange(slot: number): NonceRange {
  if (!Number.isInteger(slot) || slot < 0 || slot >= RANGE_COUNT) {
    throw new RangeError(`nonce range ${slot} is not one of the ${RANGE_COUNT}`);
  }
  const start = FIRST_NONCE + slot * RANGE_SIZE;
  return { start, end: start + RANGE_SIZE - 1 };
}

export const inRange = (nonce: number, { start, end }: NonceRange): boolean => nonce >= start && nonce <= end;

/** A session's range of nonces, and the slot it is taken from (given back when the session ends). */
export interface RangeClaim {
  slot: number;
  range: NonceRange;
}

/**
 * Hands out the sessions' ranges, slots 1 and up, and takes them back when a
 * session ends, to give them again: the slots in use and free never number
 * more than the most sessions ever open at once.
 */
export class RangeAllocator {
  readonly #free: number[] = [];
  #next = 1;

  /** A range no open session holds, or undefined once all are held. */
  take(): RangeClaim | undefined {
    let slot = this.#free.pop();
    if (slot === undefined) {
      if (this.#next >= RANGE_COUNT) return undefined;
      slot = this.#next++;
    }
    return { slot, range: nonceRange(slot) };
  }

  /** Gives a slot back; a later session may get it. */
  release(slot: number): void {
    this.#free.push(slot);
  }

  /** Slots held now. */
  get held(): number {
    return this.#next - 1 - this.#free.length;
  }
}
