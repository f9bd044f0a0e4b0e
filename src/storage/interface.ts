import type { Block } from "../chain/index.js";
import type { PendingEntry } from "../mempool/index.js";
import type { Peer } from "../peers/index.js";

export type { PendingEntry };

/** What identifies a network: a store of another network is refused. */
export interface NetworkId {
  genesisHash: string;
  difficulty: number;
}

/** Everything a node keeps across restarts. */
export interface StoredState {
  nodeId: string;
  network: NetworkId;
  blocks: Block[];
  pending: PendingEntry[];
  peers: Peer[];
}

/**
 * The node's durable state. Every write resolves once it is on disk (or, for
 * the in-memory store, at once); writes are applied in call order, and each
 * call is atomic: after a crash, all of it is there or none.
 */
export interface Store {
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
  /** A block appended on the tip, and the pending transactions it confirmed. */
  appendBlock(block: Block, confirmed: readonly number[]): Promise<void>;
  /**
   * The chain replaced from the first of `added` on (blocks are keyed by their
   * index; the last one is the new tip), and the mempool swapped whole.
   */
  replaceChain(added: readonly Block[], removed: readonly number[], pending: readonly PendingEntry[]): Promise<void>;
  close(): Promise<void>;
}
