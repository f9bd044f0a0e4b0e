import { type Block, InvalidChainError, type NetworkRules, validateChain } from "../chain/index.js";
import { type Peer, PeerDataError, PeerUnreachableError } from "../peers/index.js";
import type { ChainBody } from "../schemas/index.js";

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

export type FetchChain = (peer: Peer) => Promise<ChainBody>;

/** One peer's answer: a chain of the right shape, or why there is none. */
export type Fetched = { peer: Peer; chain: Block[] } | { peer: Peer; error: unknown };

/** Peers asked at once: bounds the sockets and the chains held in memory by one resolve. */
export const FETCH_CONCURRENCY = 8;

/**
 * Asks every peer for its chain, FETCH_CONCURRENCY at a time, and hands each
 * answer to `onAnswer` as it arrives, so that no more than those in flight
 * are held at once. Never throws for a peer's fault.
 */
export async function fetchAll(
  peers: readonly Peer[],
  fetchChain: FetchChain,
  onAnswer: (answer: Fetched) => void,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < peers.length; i = next++) {
      const peer = peers[i] as Peer;
      let answer: Fetched;
      try {
        answer = { peer, chain: (await fetchChain(peer)).chain };
      } catch (error) {
        answer = { peer, error };
      }
      onAnswer(answer);
    }
  };
  await Promise.all(Array.from({ length: Math.min(FETCH_CONCURRENCY, peers.length) }, lane));
}

/**
 * Consensus on the peers' answers, taken as they arrive: the longest valid
 * chain strictly longer than ours wins (the first to arrive, between equals).
 * Work and memory are bounded: a chain no longer than ours or than the best
 * valid one so far is not checked and not kept, a check stops at the first
 * invalid block, and only the best chain so far is kept. No I/O.
 */
export class ChainChoice {
  readonly #reports = new Map<string, PeerReport>();
  #best: { candidate: Candidate; report: PeerReport } | undefined;

  constructor(
    readonly ourLength: number,
    readonly rules: NetworkRules,
  ) {}

  offer(answer: Fetched): void {
    const { peer } = answer;
    if ("error" in answer) {
      this.#reports.set(peer.id, failureReport(peer, answer.error));
      return;
    }
    const { chain } = answer;
    const report: PeerReport = { node: peer.id, reached: true, verdict: "not longer", length: chain.length };
    this.#reports.set(peer.id, report);
    if (chain.length <= this.ourLength) return;
    report.verdict = "outrun";
    if (this.#best && chain.length <= this.#best.candidate.blocks.length) return;
    try {
      const candidate = { peer, blocks: chain, hashes: validateChain(chain, this.rules) };
      this.#best = { candidate, report };
    } catch (error) {
      if (!(error instanceof InvalidChainError)) throw error;
      Object.assign(report, { verdict: "invalid", reason: error.message });
    }
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
