import type { NetworkRules } from "../chain/index.js";
import type { Peer } from "../peers/index.js";
// Not ../schemas/index.js: the response schemas it gathers import this file (ANNOUNCE_OUTCOMES).
import type { AnnounceBody, TipBody } from "../schemas/schemas.js";

/**
 * What gossip needs of the network: telling a peer our tip. One request, no
 * retry; `signal` abandons it, and its reason is thrown.
 */
export interface GossipNetwork {
  /** Resolves once the peer has taken the announcement (HTTP 202). */
  announce(peer: Peer, announcement: AnnounceBody, signal: AbortSignal): Promise<void>;
  /** The message of the node's GET /, which names its node id. */
  greeting(peer: Peer, signal: AbortSignal): Promise<string>;
}

/**
 * Why an announcement we received led to no sync: gossip is off here, we
 * hold its tip already, our chain is at least as long, the announcer is
 * backing off after failed syncs, a sync to that very tip is on its way from
 * it, a newer one from it took its place while it waited (superseded), or
 * our chain had grown as long by its turn (overtaken).
 */
export const DROP_REASONS = [
  "gossip off",
  "known",
  "not longer",
  "backing off",
  "duplicate",
  "superseded",
  "overtaken",
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** What a sync from an announcer that read its chain came to. */
export const SYNC_OUTCOMES = ["adopted", "not adopted", "failed"] as const;
export type SyncOutcome = (typeof SYNC_OUTCOMES)[number];

/**
 * What Sync.syncFrom (ToyNode.syncFrom) came to: a sync's outcome, or why none ran when its
 * turn came (our chain as long by then, the announcer backing off, the node
 * stopping).
 */
export type SyncResult = SyncOutcome | "overtaken" | "backing off" | "stopped";

/** What the node answers an announcement, with HTTP 202: queued for a sync, ignored (gossip off), or dropped. */
export const ANNOUNCE_OUTCOMES = ["queued", "ignored", "known", "not longer", "backing off", "duplicate"] as const;
export type AnnounceOutcome = (typeof ANNOUNCE_OUTCOMES)[number];

export interface AnnounceAnswer {
  outcome: AnnounceOutcome;
  message: string;
}

/** What gossip asks of the node it runs in. */
export interface GossipHost {
  /** Our node id, which our GET / names. */
  readonly id: string;
  /** Our chain in memory: its length, work, rules (its id), its tip's hash and every block's. */
  readonly chain: {
    readonly length: number;
    readonly work: bigint;
    readonly tipHash: string;
    readonly rules: Pick<NetworkRules, "id" | "pow">;
    hashAt(height: number): string | undefined;
  };
  /** Registers an announcer we did not know, durably; TooManyPeersError at the cap. */
  register(peer: Peer): Promise<void>;
  /** Syncs from a peer that announced `tip`, in turn with resolves. */
  syncFrom(peer: Peer, tip: TipBody): Promise<SyncResult>;
  /** The durable chain's tip: what peers will find when they read it. */
  durableTip(): TipBody;
}

/** The counters /stats and /metrics show. */
export interface GossipCounts {
  /** Announcements a peer took (HTTP 202). */
  sent: number;
  /** Announcements that failed: unreachable, too slow, another status. */
  failed: number;
  /** Announcements not sent, the peer backing off after failing repeatedly. */
  skipped: number;
  /** Announcements answered 202. */
  received: number;
  dropped: Record<DropReason, number>;
  syncs: Record<SyncOutcome, number>;
}
