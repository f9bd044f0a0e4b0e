import { type Block, type ChainState, HashIndex, MEDIAN_SPAN, type NetworkRules, WorkIndex } from "../chain/index.js";
import { DamagedStoreError } from "./errors.js";
import type { ChainView } from "./interface.js";

/** How many of the last blocks start-up checks fully by default, as Bitcoin Core's -checkblocks. */
export const DEFAULT_CHECK_BLOCKS = 6;

/** How many of the last blocks to check fully at start: a count, or all of them. */
export type CheckBlocks = number | "all";

/** Checks a segment of the chain (every block but the first, see checkSegment); `before` are the timestamps before it. */
export type SegmentChecker = (blocks: Block[], before: number[], rules: NetworkRules) => Promise<string[]>;

/** A segment of at most this many blocks, or of this many transactions, is checked at once: memory stays bounded. */
const SEGMENT_BLOCKS = 8192;
const SEGMENT_TRANSACTIONS = 200_000;

export interface StoredChain {
  state: ChainState;
  /** How many blocks were checked against every rule. */
  checked: number;
}

/**
 * Loads a stored chain for start-up without re-verifying every proof: the
 * whole index is checked (contiguous heights, each previous_hash the hash of
 * the block before, this network's genesis), then the last `checkBlocks`
 * blocks are read back (each hashed against its key) and checked against
 * every rule, the timestamps with the 11 before them. `all` streams the whole
 * chain through `check` in bounded segments. The chain's work at every
 * height comes from the index too: on a retargeting chain its entries hold
 * each block's bits; a store written before they did has its blocks read
 * once for them.
 */
export async function loadStoredChain(
  view: ChainView,
  location: string,
  rules: NetworkRules,
  genesisHash: string,
  checkBlocks: CheckBlocks,
  check: SegmentChecker,
): Promise<StoredChain> {
  const { length } = view;
  const hashes = new HashIndex(length + 1024);
  let work = new WorkIndex(rules.pow, { capacity: length + 1024 });
  const retargeting = rules.pow.kind !== "fixed";
  let bitsMissing = false;
  let previous = "";
  for await (const entry of view.entries(1, length)) {
    if (entry.height === 1 && entry.hash !== genesisHash) {
      throw new DamagedStoreError(location, "its genesis block differs from this network's");
    }
    if (entry.height > 1 && entry.previousHash !== previous) {
      throw new DamagedStoreError(
        location,
        `block ${entry.height}: its index entry names previous_hash ${entry.previousHash}, not the hash of block ${entry.height - 1}`,
      );
    }
    hashes.push(entry.hash);
    const bits = entry.height === 1 ? rules.genesis.bits : entry.bits;
    if (retargeting && bits === undefined) bitsMissing = true;
    if (!bitsMissing) work.push(bits);
    previous = entry.hash;
  }
  if (bitsMissing) work = await workFromBlocks(view, rules, length);
  // The first block of the checked segment is its predecessor: block `first` + 1 is the first checked.
  const first = checkBlocks === "all" ? 1 : Math.max(1, length - checkBlocks);
  // From the timestamps before it for the median rule; they include the last MEDIAN_SPAN the chain keeps.
  const from = Math.max(1, first - (MEDIAN_SPAN - 1));
  let before: number[] = [];
  let segment: Block[] = [];
  let transactions = 0;
  let checked = 0;
  let tip: Block | undefined;
  const flush = async (): Promise<void> => {
    if (segment.length > 1) await check(segment, before, rules);
    checked += segment.length - 1;
    const last = segment[segment.length - 1] as Block;
    before = [...before, ...segment.slice(0, -1).map((block) => block.timestamp)].slice(1 - MEDIAN_SPAN);
    segment = [last];
    transactions = last.transactions.length;
  };
  const recent: number[] = [];
  for await (const batch of view.blocks(from, length)) {
    for (const block of batch) {
      recent.push(block.timestamp);
      if (recent.length > MEDIAN_SPAN) recent.shift();
      tip = block;
      if (block.index < first) {
        before.push(block.timestamp);
        if (before.length >= MEDIAN_SPAN) before.shift();
        continue;
      }
      segment.push(block);
      transactions += block.transactions.length;
      if (segment.length > SEGMENT_BLOCKS || transactions > SEGMENT_TRANSACTIONS) await flush();
    }
  }
  await flush();
  if (tip === undefined) throw new DamagedStoreError(location, "it holds no block");
  return { state: { hashes, work, tip, recent }, checked };
}

/** The work index of a stored chain whose index entries do not hold the bits: read from its blocks. */
async function workFromBlocks(view: ChainView, rules: NetworkRules, length: number): Promise<WorkIndex> {
  const work = new WorkIndex(rules.pow, { capacity: length + 1024 });
  for await (const batch of view.blocks(1, length)) for (const block of batch) work.push(block.bits);
  return work;
}
