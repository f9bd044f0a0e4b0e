import type { Transaction } from "../chain/index.js";
import type { PeerVerdict } from "../consensus/index.js";

/**
 * What the node tells whoever listens (the API's /events stream) as it
 * works. Every event is emitted once the change it reports is durable; the
 * fields are named as the API names them.
 */

/** A block appended to our chain: forged here, or the tip of a chain adopted from a peer. */
export interface BlockEvent {
  index: number;
  hash: string;
  timestamp: number;
  /** Transactions in the block, its reward included. */
  transactions: number;
  /** The recipient of the block's reward, or null for the genesis. */
  miner: string | null;
  origin: "mined" | "adopted";
}

/** Our chain switched to a peer's, with more work (after a resolve or a sync from an announcer). */
export interface ChainEvent {
  length: number;
  hash: string;
  /** The last block both chains hold. */
  fork: number;
  /** Our blocks after the fork that the new chain does not hold (0 when it only extends ours). */
  dropped: number;
  /** The peer the chain came from. */
  from: string;
}

/** A transaction queued for a block. */
export interface TransactionEvent {
  transaction: Transaction;
  /** The index of the block meant to hold it. */
  index: number;
  /** Pending transactions, this one included. */
  pending: number;
}

/** A mining job's progress, a few times a second while it runs. */
export interface MiningEvent {
  index: number;
  hashes: number;
  elapsed_seconds: number;
  hashes_per_second: number;
}

/** A mining job that ended: forged its block, or restarted on a new tip. */
export interface JobEvent {
  index: number;
  forged: boolean;
  hashes: number;
  seconds: number;
  hashes_per_second: number;
}

/** A sync from an announcer ends `adopted` or `failed`; a resolve gives each peer its verdict. */
export type PeerEventVerdict = PeerVerdict | "failed";

/** What a resolve, or a sync from an announcer, found of one peer. */
export interface PeerEvent {
  source: "resolve" | "sync";
  node: string;
  /** Whether it answered (a resolve's report says). */
  reached?: boolean;
  verdict: PeerEventVerdict;
  length?: number;
  reason?: string;
  failures?: number;
  retry_at?: string;
}

/** Each kind of event and its data. */
export interface NodeEvents {
  block: BlockEvent;
  chain: ChainEvent;
  transaction: TransactionEvent;
  mining: MiningEvent;
  job: JobEvent;
  peer: PeerEvent;
}

export type EventKind = keyof NodeEvents;

export const EVENT_KINDS = [
  "block",
  "chain",
  "transaction",
  "mining",
  "job",
  "peer",
] as const satisfies readonly EventKind[];

/** One event as emitted: its number (increasing from 1 since the node started), kind and data. */
export type NodeEvent = { [K in EventKind]: { id: number; kind: K; data: NodeEvents[K] } }[EventKind];

/** Whoever listens to the bus. */
export interface EventListener {
  event(event: NodeEvent): void;
  /** The bus closed: the node is stopping, and no event will follow. */
  end(): void;
}
