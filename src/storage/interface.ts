import type { Block, HashList } from "../chain/index.js";
import type { LedgerReader, LedgerWrite, PieceStore } from "../ledger/index.js";
import type { PendingEntry } from "../mempool/index.js";
import type { Peer } from "../peers/index.js";
import type { BlockRef } from "../schemas/index.js";
import type { Staging } from "../sync/range/interface.js";

export type { PendingEntry };

/** What identifies a network: a store of another network is refused. */
export interface NetworkId {
  /** The chain's id. */
  genesisHash: string;
  /** The walkthrough chain's fixed difficulty; 0 on a chain whose blocks state their targets. */
  difficulty: number;
  /** The chain's name; absent in stores made before chain specs, which hold the walkthrough's. */
  chain?: string;
}

/** The stored chain's last block. */
export interface StoredTip {
  height: number;
  hash: string;
}

/** A migration of the store to the current format, made as it loaded: for the log. */
export interface StoreMigration {
  from: number;
  to: number;
  /** The chain's length. */
  blocks: number;
  ms: number;
  /** Only the deletion of the old keys was left, a migration having been cut short during it. */
  resumed: boolean;
}

/** What a node keeps across restarts, but its chain, which is read through a ChainView. */
export interface StoredState {
  nodeId: string;
  network: NetworkId;
  pending: PendingEntry[];
  peers: Peer[];
  /** Blocks a resolve had staged when the node stopped, which loading deleted. */
  discardedStaged: number;
  /** A rebuild of the ledger (--reindex) was cut short: it must run again before the node starts. */
  reindexing?: boolean;
  /**
   * A switch of chains written in pieces was cut short: the ledger is that
   * of the stored chain up to this height, and must be connected up to its
   * tip before the node starts (connectFrom).
   */
  ledgerAt?: number;
  /** Set when load() migrated the store (or finished migrating it). */
  migration?: StoreMigration;
}

/**
 * The ledger of a switch written in pieces (see adoptStaged): the index of
 * the adopted chain is written with the note that the ledger is at `at`,
 * the fork, whose blocks after it are connected next (connectFrom).
 */
export interface LedgerBehind {
  at: number;
}

/** The bits of blocks by position (a WorkIndex): undefined on the walkthrough's chain, whose blocks state none. */
export interface BitsList {
  bitsAt(position: number): string | undefined;
}

/**
 * One height of the stored chain's index: the block's hash, the hash it
 * names as its previous, and on a retargeting chain the bits it states
 * (absent on the walkthrough's chain, and in entries written before they
 * were kept).
 */
export interface IndexEntry {
  height: number;
  hash: string;
  previousHash: string;
  bits?: string;
}

/**
 * The durable chain as it was when the view was taken: later writes (a block
 * appended, the chain replaced) do not show through it. Close it when done.
 */
export interface ChainView {
  readonly length: number;
  readonly tipHash: string;
  /** The hash of the block at `height`, or undefined past the tip. */
  hashAt(height: number): Promise<string | undefined>;
  /** The index entries from `from` to `to` (heights, inclusive), in order. */
  entries(from: number, to: number): AsyncIterable<IndexEntry>;
  /**
   * The blocks from `from` to `to` (heights, inclusive), in order, in batches;
   * each checked against its key (its hash) and its index entry, else a
   * DamagedBlockError naming it.
   */
  blocks(from: number, to: number): AsyncIterable<Block[]>;
  /**
   * The same blocks as their stored bytes, their canonical JSON (keys sorted,
   * as the walkthrough's /chain shows them), each checked against its hash.
   */
  encoded(from: number, to: number): AsyncIterable<Buffer[]>;
  /**
   * The block with this hash when this chain holds it (at its index), checked
   * against the hash; undefined for a hash the store has no block of, or whose
   * block is of a branch the chain left (the store keeps those too).
   */
  blockByHash(hash: string): Promise<Block | undefined>;
  close(): Promise<void>;
}

/**
 * The node's durable state. Every write resolves once it is on disk (or, for
 * the in-memory store, at once); writes are applied in call order, and each
 * call is atomic: after a crash, all of it is there or none. Staged blocks
 * (see Staging) are not synced: one that a crash loses is read again.
 */
export interface Store extends Staging, LedgerReader, PieceStore {
  /** Where the data lives, for messages. */
  readonly location: string;
  /** What was stored, or undefined for a new store. */
  load(): Promise<StoredState | undefined>;
  /** Records a new store's identity and its genesis. */
  create(nodeId: string, network: NetworkId, genesis: Block): Promise<void>;
  addTransaction(entry: PendingEntry): Promise<void>;
  /** Pending transactions evicted (see fitCapacity). */
  evictPending(seqs: readonly number[]): Promise<void>;
  addPeers(peers: readonly Peer[]): Promise<void>;
  /**
   * A block appended on the tip, the pending transactions it confirmed and,
   * on an accounts chain, what it changes in the ledger (see LedgerWrite).
   * Accounts, undo data and places written read back at once, before they are durable.
   */
  appendBlock(block: Block, confirmed: readonly number[], ledger?: LedgerWrite): Promise<void>;
  /**
   * Adopts the staged blocks after `fork`, with these hashes (the last is the
   * new tip) and these bits (their index entries keep them, on a retargeting
   * chain), as our chain, swaps the mempool whole and, on an accounts chain,
   * writes what disconnecting ours and connecting them changes in the ledger,
   * or, for a switch too large for one batch, notes that the ledger is behind
   * at the fork (LedgerBehind), our blocks having been disconnected before.
   */
  adoptStaged(
    fork: BlockRef,
    hashes: HashList,
    bits: BitsList,
    removed: readonly number[],
    pending: readonly PendingEntry[],
    ledger?: LedgerWrite | LedgerBehind,
  ): Promise<void>;
  /** The blocks with these hashes, checked against them; a block written but not yet durable is read too. */
  blocks(at: readonly { height: number; hash: string }[]): Promise<Block[]>;
  /** A consistent view of the durable chain. */
  view(): Promise<ChainView>;
  /**
   * Starts rebuilding the ledger from the blocks (--reindex): deletes its
   * records, having noted durably that a rebuild is under way, so that one
   * cut short by a crash runs again at the next start (reindexing).
   */
  startReindex(): Promise<void>;
  /** A part of a rebuild: the ledger's records of some blocks. */
  writeLedger(write: LedgerWrite): Promise<void>;
  /** The rebuild is done: the note goes, and any note of a ledger behind its chain (the rebuild reached the tip). */
  finishReindex(): Promise<void>;
  close(): Promise<void>;
}
