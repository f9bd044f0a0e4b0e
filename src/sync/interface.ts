import type { Block, Chain } from "../chain/index.js";
import type { CheckThreads } from "../checks/index.js";
import type { PeerReport } from "../consensus/index.js";
import type { EventBus } from "../events/index.js";
import type { AccountsMempool, Ledger, LedgerGate } from "../ledger/index.js";
import type { Logger } from "../log.js";
import type { Mempool } from "../mempool/index.js";
import type { NodeMetrics } from "../metrics/index.js";
import type { Peer, PeerSet } from "../peers/index.js";
import type { SignatureVerifier } from "../signatures/index.js";
import type { Store, StoreFailedError } from "../storage/index.js";
import type { SyncNetwork } from "./range/index.js";

/** What a resolve came to; the chain it answers with is read from the store (see ToyNode.view). */
export interface Resolution {
  replaced: boolean;
  peers: PeerReport[];
}

/** The tip of a chain just adopted, once it is on disk. */
export interface AdoptedTip {
  length: number;
  hash: string;
  work: bigint;
  block: Block;
}

/** An accounts chain's ledger and pool, which a switch of chains changes. */
export interface SyncAccounts {
  /** The ledger over the store itself, which a switch reads and writes with. */
  ledger: Ledger;
  /** The ledger as the node's other readers see it: a switch written in pieces holds their reads until it is done. */
  gate: LedgerGate;
  mempool: AccountsMempool;
  /** Transactions a switch writes at most in one atomic batch, about: a larger one is written in pieces (see adopt). */
  switchPiece: number;
}

/**
 * What resolves and syncs need of the node they run in: its state, which
 * they read and switch, and what the node does as our chain changes.
 */
export interface SyncHost {
  readonly chain: Chain;
  readonly mempool: Mempool | AccountsMempool;
  /** On an accounts chain, its ledger and pool of transfers. */
  readonly accounts: SyncAccounts | undefined;
  readonly peers: PeerSet;
  readonly store: Store;
  readonly events: EventBus;
  readonly metrics: Pick<NodeMetrics, "peersResolved" | "pendingEvicted">;
  /** The error a durable write failed with, after which nothing changes until restart. */
  failure(): StoreFailedError | undefined;
  /** Runs a write on the store; a failure stops every further change (StoreFailedError). */
  durable(write: () => Promise<void>): Promise<void>;
  /** Our chain in memory has switched to an adopted one, not yet on disk: work on the old tip stops. */
  switched(): void;
  /** The adopted chain is on disk: its tip is the durable one, and every peer but `from` may hear of it. */
  adopted(tip: AdoptedTip, from: Peer): void;
}

export interface SyncOptions {
  /** How peers are asked for their chains. */
  network: SyncNetwork;
  /** How long a resolve, or a sync from an announcer, may take in all. */
  deadlineMs: number;
  /** Aborted when the node stops: abandons the downloads in flight. */
  stopping: AbortSignal;
  /** The threads pages are checked on: the node's, which its signature pool verifies on too. */
  checks: CheckThreads;
  /** Verifies the signatures of peers' pages, which the page check leaves: the node's signature pool. */
  signatures: SignatureVerifier;
  log: Logger;
}
