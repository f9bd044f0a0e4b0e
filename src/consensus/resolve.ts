import type { Block } from "../chain/index.js";
import { type Peer, PeerDataError, PeerUnreachableError } from "../peers/index.js";
import type { Judgement } from "./judge.js";

/** What one peer's chain came to. */
export const PEER_VERDICTS = ["adopted", "not longer", "outrun", "invalid", "unreachable", "skipped"] as const;
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

/**
 * Consensus on the peers' answers, taken as they arrive: the longest valid
 * chain strictly longer than ours wins (the first judged, between equals).
 * Each body is judged against `mustBeat`, ours or the best valid one so far,
 * whichever is longer, so a chain that cannot win is not checked, and only
 * the best chain so far is kept. No I/O.
 */
export class ChainChoice {
  readonly #reports = new Map<string, PeerReport>();
  #best: { candidate: Candidate; report: PeerReport } | undefined;

  constructor(readonly ourLength: number) {}

  /** The length a chain must pass to be worth checking now. */
  get mustBeat(): number {
    return Math.max(this.ourLength, this.#best?.candidate.blocks.length ?? 0);
  }

  /** A peer whose chain could not be had. */
  failed(peer: Peer, error: unknown): void {
    this.#reports.set(peer.id, failureReport(peer, error));
  }

  judged(peer: Peer, judgement: Judgement): void {
    const report: PeerReport = { node: peer.id, reached: true, verdict: "invalid" };
    this.#reports.set(peer.id, report);
    if (judgement.verdict === "invalid") {
      if (judgement.length !== undefined) report.length = judgement.length;
      report.reason = judgement.reason;
      return;
    }
    const length = judgement.verdict === "short" ? judgement.length : judgement.chain.length;
    Object.assign(report, { verdict: length > this.ourLength ? "outrun" : "not longer", length });
    // A chain judged against an older, lower bar may still have been outdone meanwhile.
    if (judgement.verdict === "short" || length <= this.mustBeat) return;
    this.#best = { candidate: { peer, blocks: judgement.chain, hashes: judgement.hashes }, report };
  }

  /**
   * The chain to adopt, if it is still longer than ours at `currentLength`,
   * and every peer's report.
   */
  finish(currentLength: number): { chosen: Candidate | undefined; reports: Map<string, PeerReport> } {
    const best = this.#best;
    if (best === undefined || best.candidate.blocks.length <= currentLength) {
      if (best) best.report.verdict = "not longer";
      return { chosen: undefined, reports: this.#reports };
    }
    best.report.verdict = "adopted";
    const reason = `the chain of ${best.candidate.peer.id}, ${best.candidate.blocks.length} blocks long, was adopted`;
    for (const report of this.#reports.values()) if (report.verdict === "outrun") report.reason = reason;
    return { chosen: best.candidate, reports: this.#reports };
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
