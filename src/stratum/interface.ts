import type { Logger } from "pino";
import type { MiningJob, RefusedProof } from "../mining/index.js";
import type { VardiffRules } from "./vardiff.js";

/** --stratum-port and the flags beside it. */
export interface StratumConfig {
  port: number;
  host: string;
  maxSessions: number;
  /** The spacing of each miner's shares that vardiff aims at. */
  shareSeconds: number;
}

/** How a Stratum endpoint is run: where, for how many, and how it treats them. */
export interface StratumOptions {
  host: string;
  port: number;
  /** Sessions open at once, at most; the next connection is closed at once. */
  maxSessions: number;
  /** With the node's --api-token, mining.authorize must give it. */
  apiToken?: string | undefined;
  vardiff: VardiffRules;
  /** A connection that has not subscribed and authorized by then is closed. */
  handshakeMs: number;
  /** A session that sends nothing for this long is closed. */
  idleMs: number;
  /** A session with at least `refused` refused shares, half or more of its shares, is closed and its address banned for `ms`. */
  ban: { refused: number; ms: number };
  log: Logger;
}

export const DEFAULT_HANDSHAKE_MS = 5_000;
export const DEFAULT_IDLE_MS = 10 * 60_000;
export const DEFAULT_BAN = { refused: 20, ms: 10 * 60_000 } as const;
export const DEFAULT_MAX_SESSIONS = 4096;

/** Where a remote miner's proof goes (the node's Miner), and what it says. */
export interface ProofSink {
  submitProof(seq: number, nonce: number, by: string): true | RefusedProof;
}

/** What the node knows of its jobs, as the endpoint needs it. */
export interface JobSource {
  /** The job being mined now, or undefined before the first. */
  readonly current: MiningJob | undefined;
  /** A job remote miners' shares may still be for: on the tip, not yet replaced too long ago. */
  live(seq: number): MiningJob | undefined;
}

/** A share's fate, as the counters and the metrics count it. */
export type ShareOutcome = "accepted" | "stale" | "refused";

/** One miner, as /stats and the explorer show it. */
export interface MinerView {
  session: string;
  name: string | null;
  /** The miner's IP address and port, as the node sees them. */
  address: string;
  /** The work of its accepted shares since it authorized, Σ 2^256 / (share target + 1), in decimal. */
  work: string;
  /** Its rate: that work over the seconds since it authorized. */
  hashes_per_second: number;
  /** The hashes one share takes now (2^256 / (share target + 1)). */
  share_hashes: number;
  shares: Record<ShareOutcome, number>;
  blocks: number;
  /** When its last accepted share came, or null. */
  last_share: string | null;
  connected_at: string;
}
