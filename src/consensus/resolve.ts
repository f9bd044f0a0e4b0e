import type { Block } from "../chain/index.js";
import { type Peer, PeerDataError, PeerUnreachableError } from "../peers/index.js";
import type { Judgement } from "./judge.js";

/** What one peer's chain came to. */
export const PEER_VERDICTS = [
  "adopted",
  "not longer",
  "outrun",
  "not checked",
  "invalid",
  "unreachable",
  "skipped",
] as const;
export type PeerVerdict = (typeof PEER_VERDICTS)[number];

export interface PeerReport {
  node: string;
  reached: boolean;
  verdict: PeerVerdict;
  length?: number;
  reason?: string;
  /** Failed resolves in a row, this one included, when it failed or was skipped. */
  failures?: number;
  /** When a skipped peer will be asked again (ISO 8601). */
  retry_at?: string;
}

/**
 * What a resolve learnt of a peer's health: `good` when its chain was read
 * whole and found valid (checked, or the very prefix of ours), `bad` when it
 * failed or broke a rule, `unknown` when its chain was read but not checked.
 */
export type PeerHealthNews = "good" | "bad" | "unknown";

export interface PeerOutcome {
  report: PeerReport;
  health: PeerHealthNews;
}

/** Our chain as the choice sees it at the end: its length and block hashes. */
export interface OurChain {
  readonly length: number;
  /** The hash of our block at `height` (1 for the genesis). */
  hashAt(height: number): string | undefined;
}

/** A peer's chain that passed every rule, with its block hashes. */
export interface Candidate {
  peer: Peer;
  blocks: Block[];
  hashes: string[];
}

/** Fetches a peer's /chain body (see downloadChain); `signal` abandons it. */
export type DownloadChain = (peer: Peer, signal: AbortSignal) => Promise<Uint8Array>;

/** Peers asked at once: bounds the sockets and the bodies held in memory by one resolve. */
export const FETCH_CONCURRENCY = 8;

/** Runs `task` for every peer, FETCH_CONCURRENCY at a time. */
export async function forEachPeer(peers: readonly Peer[], task: (peer: Peer) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < peers.length; i = next++) await task(peers[i] as Peer);
  };
  await Promise.all(Array.from({ length: Math.min(FETCH_CONCURRENCY, peers.length) }, lane));
}

/** What is known of one peer's chain until the choice is finished. */
type Judged =
  | { kind: "failed"; report: PeerReport }
  | { kind: "valid"; peer: Peer; length: number }
  | { kind: "unchecked"; peer: Peer; length: number; linkedTip: string | undefined };

/**
 * Consensus on the peers' answers, taken as they arrive: the longest valid
 * chain strictly longer than ours wins (the first judged, between equals).
 * Each body is judged against `mustBeat`, ours or the best valid one so far,
 * whichever is longer, so a chain that cannot win is not checked, and only
 * the best chain so far is kept. The verdicts are given at the end, against
 * our chain as it is then: it may have grown meanwhile. No I/O.
 */
export class ChainChoice {
  readonly #judged = new Map<string, Judged>();
  #best: Candidate | undefined;

  /** `ourLength` reads our chain's length now. */
  constructor(readonly ourLength: () => number) {}

  /** The length a chain must pass to be worth checking now. */
  get mustBeat(): number {
    return Math.max(this.ourLength(), this.#best?.blocks.length ?? 0);
  }

  /** A peer whose chain could not be had. */
  failed(peer: Peer, error: unknown): void {
    this.#judged.set(peer.id, { kind: "failed", report: failureReport(peer, error) });
  }

  judged(peer: Peer, judgement: Judgement): void {
    if (judgement.verdict === "invalid") {
      const report: PeerReport = { node: peer.id, reached: true, verdict: "invalid" };
      if (judgement.length !== undefined) report.length = judgement.length;
      report.reason = judgement.reason;
      this.#judged.set(peer.id, { kind: "failed", report });
      return;
    }
    if (judgement.verdict === "short") {
      const { length, linkedTip } = judgement;
      this.#judged.set(peer.id, { kind: "unchecked", peer, length, linkedTip });
      return;
    }
    const { length } = judgement.chain;
    this.#judged.set(peer.id, { kind: "valid", peer, length });
    // A chain judged against an older, lower bar may still have been outdone meanwhile.
    if (length > this.mustBeat) this.#best = { peer, blocks: judgement.chain, hashes: judgement.hashes };
  }

  /** The chain to adopt, if it is longer than `ours` as it is now, and every peer's outcome. */
  finish(ours: OurChain): { chosen: Candidate | undefined; outcomes: Map<string, PeerOutcome> } {
    const best = this.#best;
    const chosen = best !== undefined && best.blocks.length > ours.length ? best : undefined;
    const adopted = chosen && `the chain of ${chosen.peer.id}, ${chosen.blocks.length} blocks long, was adopted`;
    const outcomes = new Map<string, PeerOutcome>();
    for (const [id, judged] of this.#judged) {
      if (judged.kind === "failed") {
        outcomes.set(id, { report: judged.report, health: "bad" });
        continue;
      }
      const { length } = judged;
      const report: PeerReport = { node: id, reached: true, verdict: "not longer", length };
      if (judged.kind === "valid") {
        if (chosen?.peer.id === id) report.verdict = "adopted";
        else if (length > ours.length) Object.assign(report, { verdict: "outrun", reason: adopted });
        outcomes.set(id, { report, health: "good" });
        continue;
      }
      if (judged.linkedTip !== undefined && judged.linkedTip === ours.hashAt(length)) {
        outcomes.set(id, { report, health: "good" });
        continue;
      }
      if (length > ours.length) {
        Object.assign(report, {
          verdict: "not checked",
          reason: adopted ?? "another peer's chain was at least as long",
        });
      } else {
        report.reason = "not checked: it is not longer than ours, and not the same as ours";
      }
      outcomes.set(id, { report, health: "unknown" });
    }
    return { chosen, outcomes };
  }
}

function failureReport(peer: Peer, error: unknown): PeerReport {
  if (error instanceof PeerUnreachableError) {
    return { node: peer.id, reached: false, verdict: "unreachable", reason: error.message };
  }
  if (error instanceof PeerDataError) {
    return { node: peer.id, reached: true, verdict: "invalid", reason: error.message };
  }
  return { node: peer.id, reached: false, verdict: "unreachable", reason: String(error) };
}
