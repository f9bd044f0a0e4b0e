import { type Block, HashIndex, type NetworkRules, type TipContext, WorkIndex } from "../../chain/index.js";
import { vetTip } from "../../consensus/index.js";
import type { Logger } from "../../log.js";
import { type Peer, PeerDataError } from "../../peers/index.js";
import { type BlockRef, MAX_PAGE, type TipBody } from "../../schemas/index.js";
import type { SignatureVerifier } from "../../signatures/index.js";
import type { PageOutcome, PageTask, StagedBlock, Staging, SyncNetwork } from "./interface.js";
import { buildLocator } from "./locator.js";
import { verifyPageSignatures } from "./signatures.js";

/** Our chain as range sync reads it. */
export interface SyncBase {
  readonly length: number;
  hashAt(height: number): string | undefined;
  /** The chain's work up to `height`. */
  workAt(height: number): bigint | undefined;
  /** The timestamps of up to MEDIAN_SPAN blocks up to `height`, oldest first, its own last. */
  timestampsUpTo(height: number): Promise<number[]>;
}

export interface RangeSyncDeps {
  network: SyncNetwork;
  /** Checks a page against every rule but its signatures, on a check thread (PagePool). */
  checkPage: (task: PageTask) => Promise<PageOutcome>;
  /** Verifies the signatures checkPage leaves, on every core (the signature pool). */
  signatures: SignatureVerifier;
  staging: Staging;
  rules: NetworkRules;
  /** Told of every page, at debug level, and of the fork point. */
  log: Logger;
}

/** A peer's chain after the last block it shares with ours: checked against every rule, and staged. */
export interface StagedChain {
  peer: Peer;
  /** The last block both chains hold. */
  fork: BlockRef;
  /** The hashes of the peer's blocks after it, in order. */
  hashes: HashIndex;
  /** The work of its blocks after the fork, from the fork's on, and their bits. */
  workIndex: WorkIndex;
  /** The chain's work: ours up to the fork, and its blocks' after it. */
  work: bigint;
  tip: Block;
  /** The timestamps of the last MEDIAN_SPAN blocks up to the tip. */
  recent: number[];
  length: number;
  /** The pages read and checked. */
  pages: number;
}

export interface RangeSyncOptions {
  /**
   * The peer's chain most likely extends ours (it announced a tip one block
   * past ours, say): read on from our tip first, and look for the fork point
   * only if the first page does not follow it. Saves a request per block.
   */
  fromTip?: boolean;
}

/** A page read and checked, but for its signatures, with the time each took. */
interface ReadPage {
  from: number;
  outcome: PageOutcome;
  size: number;
  fetchMs: number;
  checkMs: number;
}

/** The fork point with `peer`, found with a block locator of our chain. */
async function locate(peer: Peer, ours: SyncBase, network: SyncNetwork, signal: AbortSignal): Promise<BlockRef> {
  const locator = buildLocator(ours.length, (height) => ours.hashAt(height));
  const located = await network.locate(peer, locator, signal);
  if (!locator.some((entry) => entry.height === located.height && entry.hash === located.hash)) {
    throw new PeerDataError(
      `its fork point, block ${located.height} (${located.hash}), is not one of the blocks our locator named`,
    );
  }
  return located;
}

/**
 * Range sync from one peer whose tip is `target`: refuses a tip no chain of
 * ours can have (another chain's, or work its length rules out: vetTip)
 * before any request, then finds the fork point with a block locator, then reads the blocks after it in pages, checks each page
 * (shape and every rule, each block extending the one before) as it arrives,
 * its signatures on every core while the next page is read and checked, and
 * stages it, up to the announced tip, whose hash must match. A page that
 * breaks a rule ends it: a bad peer costs the pages read until then (and the
 * one read ahead), and the blocks staged from it are discarded. With
 * `fromTip`, the first page is read
 * from our tip, and the fork point looked for only if that page does not
 * follow our tip (one page more). A chain whose blocks, every one checked,
 * hold less work than the peer claimed is refused: a peer lying about its
 * work costs the pages of the length it claimed, no more.
 */
export async function syncRange(
  peer: Peer,
  target: TipBody,
  ours: SyncBase,
  { network, checkPage, signatures, staging, rules, log }: RangeSyncDeps,
  signal: AbortSignal,
  { fromTip = false }: RangeSyncOptions = {},
): Promise<StagedChain> {
  vetTip(target, rules);
  let guessed = fromTip && target.length > ours.length;
  const located = guessed
    ? { height: ours.length, hash: ours.hashAt(ours.length) as string }
    : await locate(peer, ours, network, signal);
  log.info(
    { peer: peer.id, fork: located.height, tip: target.length, ...(guessed ? { fromTip: true } : {}) },
    "syncing the blocks after the fork point",
  );
  let fork = located;
  const started = performance.now();
  let pages = 0;
  let after: TipContext = { ...located, recent: await ours.timestampsUpTo(located.height) };
  const hashes = new HashIndex();
  let workIndex: WorkIndex | undefined;
  let tip: Block | undefined;
  const read = async (after: TipContext, signal: AbortSignal): Promise<ReadPage> => {
    const from = after.height + 1;
    const limit = Math.min(MAX_PAGE, target.length - after.height);
    const asked = performance.now();
    const bytes = await network.page(peer, from, limit, signal);
    const size = bytes.length;
    const received = performance.now();
    const outcome = await checkPage({ bytes, from, limit, after, rules, now: Date.now() / 1000 });
    return { from, outcome, size, fetchMs: received - asked, checkMs: performance.now() - received };
  };
  // The next page, read and checked while this one's signatures are verified: abandoned if this one fails.
  let ahead: { page: Promise<ReadPage>; stop: AbortController } | undefined;
  try {
    while (after.height < target.length) {
      const { from, outcome, size, fetchMs, checkMs } = await (ahead?.page ?? read(after, signal));
      ahead = undefined;
      if ("invalid" in outcome && guessed && outcome.unlinked) {
        // Its chain forks from ours below our tip: find where, and read on from there.
        guessed = false;
        fork = await locate(peer, ours, network, signal);
        log.info({ peer: peer.id, fork: fork.height, tip: target.length }, "syncing the blocks after the fork point");
        after = { ...fork, recent: await ours.timestampsUpTo(fork.height) };
        continue;
      }
      if ("invalid" in outcome) {
        // A signature checked before the broken rule may fail first: it is then the page's refusal.
        const refused = await verifyPageSignatures(outcome.signatures, from, rules, signatures);
        throw new PeerDataError(refused ?? outcome.invalid);
      }
      guessed = false;
      const page = outcome.valid;
      if (page.tip.height < target.length) {
        const stop = new AbortController();
        ahead = { page: read(page.tip, AbortSignal.any([signal, stop.signal])), stop };
        // Awaited at the next turn, or abandoned below.
        ahead.page.catch(() => undefined);
      }
      const verifying = performance.now();
      const refused = await verifyPageSignatures(page.signatures, from, rules, signatures);
      if (refused !== undefined) throw new PeerDataError(refused);
      const verified = performance.now();
      const fresh: StagedBlock[] = [];
      page.hashes.forEach((hash, i) => {
        const height = from + i;
        // The locator is sparse: the chains may share blocks after the block it found.
        if (hashes.length === 0 && ours.hashAt(height) === hash) {
          fork = { height, hash };
          return;
        }
        const previousHash = i === 0 ? after.hash : (page.hashes[i - 1] as string);
        const bytes = page.encoded.subarray(i === 0 ? 0 : page.ends[i - 1], page.ends[i]);
        fresh.push({ height, hash, previousHash, bytes });
        hashes.push(hash);
        workIndex ??= new WorkIndex(rules.pow, { base: ours.workAt(fork.height) as bigint });
        workIndex.push(page.bits[i]);
      });
      if (fresh.length > 0) await staging.stage(fresh);
      log.debug(
        {
          peer: peer.id,
          from,
          blocks: page.hashes.length,
          bytes: size,
          fetchMs: Math.round(fetchMs),
          checkMs: Math.round(checkMs),
          signaturesMs: Math.round(verified - verifying),
          stageMs: Math.round(performance.now() - verified),
        },
        "page read",
      );
      signal.throwIfAborted();
      after = page.tip;
      tip = page.last;
      pages++;
    }
    if (after.hash !== target.hash || tip === undefined || workIndex === undefined) {
      throw new PeerDataError(
        `its block ${after.height} is ${after.hash}, not the tip ${target.hash} it announced for that height`,
      );
    }
    if (workIndex.total < BigInt(target.work)) {
      throw new PeerDataError(`its blocks hold ${workIndex.total} work, less than the ${target.work} it claimed`);
    }
  } catch (error) {
    if (ahead !== undefined) {
      ahead.stop.abort();
      await ahead.page.catch(() => undefined);
    }
    await discardStaged(staging, fork, hashes.length);
    throw error;
  }
  const work = workIndex.total;
  // A sync of many pages is long: say where it stands before the switch, which may take a while too.
  const staged = {
    peer: peer.id,
    fork: fork.height,
    blocks: hashes.length,
    pages,
    seconds: Math.round(performance.now() - started) / 1000,
  };
  const message = "the peer's blocks are checked and staged: switching to its chain";
  if (pages > 1) log.info(staged, message);
  else log.debug(staged, message);
  return { peer, fork, hashes, workIndex, work, tip, recent: [...after.recent], length: after.height, pages };
}

/** Deletes what a sync staged after `fork`; blocks staged but not durable are found by the next start's clean-up. */
export async function discardStaged(staging: Staging, fork: BlockRef, count: number): Promise<void> {
  if (count > 0) await staging.discard(fork.height + 1, fork.height + count);
}
