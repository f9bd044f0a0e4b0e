import type { MessagePort } from "node:worker_threads";
import type { Block, NetworkRules, TipContext } from "../../chain/index.js";
import type { Peer } from "../../peers/index.js";
import type { BlockRef, TipBody } from "../../schemas/index.js";

/**
 * What range sync needs of a peer: the network layer that carries it. Each
 * call is one request; `signal` abandons it, and its reason is thrown.
 */
export interface SyncNetwork {
  /** The peer's tip: its length, the hash of its last block, its work and its chain's id. */
  tip(peer: Peer, signal: AbortSignal): Promise<TipBody>;
  /** The first block of our locator that the peer's chain holds. */
  locate(peer: Peer, locator: readonly BlockRef[], signal: AbortSignal): Promise<BlockRef>;
  /** The body of a /chain page: the blocks from `from`, `limit` at most, of PAGE_BYTES at most unless it is one block. */
  page(peer: Peer, from: number, limit: number, signal: AbortSignal): Promise<Uint8Array>;
}

/** What the page worker (workers/page.ts) is given: a page's body, moved, not copied. */
export interface PageTask {
  bytes: Uint8Array;
  /** The first height asked for, and how many blocks at most. */
  from: number;
  limit: number;
  /** The block the page must extend. */
  after: TipContext;
  rules: NetworkRules;
  /** Our clock, in seconds since the epoch. */
  now: number;
  /**
   * Where the page's signatures are sent ahead (AheadSignatures, their
   * buffers moved), in pieces of `piece` as they are made, once the schema has passed,
   * so that they are verified while the worker makes the rest and checks the
   * other rules (PagePool): then the outcome's `ahead` says how many it sent
   * and how many of them the check reached, and it holds no signatures itself.
   */
  early?: { port: MessagePort; piece: number };
}

/** A piece of a page's signatures sent ahead: packed (SignatureBatch's buffer), and the page's index of its first. */
export interface AheadSignatures {
  buffer: ArrayBuffer;
  first: number;
}

/**
 * A page's transfers' signatures, which the page worker leaves to the
 * signature pool: packed in a SignatureBatch's buffer (moved back, not
 * copied), in the order its blocks' check would have verified them, and how
 * many of them each block holds, from the page's first block on.
 */
export interface PageSignatures {
  buffer: ArrayBuffer;
  perBlock: number[];
  /**
   * On the main thread, when their verification began as soon as the page
   * worker sent them ahead (PagePool): its answer, SignatureVerifier's
   * firstFailure's, already cut to the signatures the page's check reached.
   */
  verdict?: Promise<number>;
}

/**
 * A page that passed every check but its signatures: its blocks as
 * canonical JSON, their hashes, where it leaves the chain, and its
 * signatures to verify (none on the walkthrough's chain, or in blocks
 * without transfers).
 */
export interface CheckedPage {
  /**
   * Every block's canonical JSON as UTF-8, one after another in one buffer,
   * which is moved back from the worker, not copied: block i ends at ends[i].
   */
  encoded: Uint8Array;
  ends: number[];
  hashes: string[];
  /** The bits every block states (none on a fixed chain): its work is read from them. */
  bits: (string | undefined)[];
  /** Its last block, and the context the next page extends. */
  last: Block;
  tip: TipContext;
  signatures: PageSignatures | undefined;
}

/**
 * What a page came to; a broken rule comes back as data, since error classes
 * do not cross threads. `unlinked`: the page is well formed but its first
 * block does not follow the block it was to extend. `signatures`: those of
 * the transfers checked before the broken rule, one of which may fail
 * first, making the page's refusal its own.
 */
export type PageOutcome = (
  | { valid: CheckedPage }
  | { invalid: string; unlinked?: true; signatures?: PageSignatures | undefined }
) & {
  /**
   * With PageTask's `early`, once any was: how many signatures were sent
   * ahead, how many of them each block holds, and how many of them the
   * check reached (a failure among the rest is moot).
   */
  ahead?: { sent: number; perBlock: number[]; reached: number };
};

/** A block of a peer's chain written aside: its height, hash, the hash it follows, and its canonical JSON as UTF-8. */
export interface StagedBlock {
  height: number;
  hash: string;
  previousHash: string;
  bytes: Uint8Array;
}

/** Where range sync keeps a peer's blocks until they are adopted or discarded: the store. */
export interface Staging {
  /** Writes blocks aside; they are no part of our chain, and nothing is synced for them. */
  stage(blocks: readonly StagedBlock[]): Promise<void>;
  /** Deletes the blocks staged at these heights, but any our chain holds. */
  discard(from: number, to: number): Promise<void>;
  /** The blocks staged at these heights, in batches, each checked against its hash. */
  staged(from: number, to: number): AsyncIterable<Block[]>;
}
