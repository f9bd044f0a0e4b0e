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

/** Asks every peer for its chain, FETCH_CONCURRENCY at a time; never throws for a peer's fault. */
export async function fetchAll(peers: readonly Peer[], fetchChain: FetchChain): Promise<Fetched[]> {
  const fetched: Fetched[] = new Array(peers.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < peers.length; i = next++) {
      const peer = peers[i] as Peer;
      try {
        fetched[i] = { peer, chain: (await fetchChain(peer)).chain };
      } catch (error) {
        fetched[i] = { peer, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(FETCH_CONCURRENCY, peers.length) }, lane));
  return fetched;
}

/**
 * Consensus on what the peers sent: the longest valid chain strictly longer
 * than ours wins. Work is bounded: a chain no longer than ours is not
 * checked, the longer ones are checked longest first until one passes, and a
 * check stops at the first invalid block. Every peer gets a report.
 */
export function chooseChain(
  fetched: readonly Fetched[],
  ourLength: number,
  rules: NetworkRules,
): { chosen: Candidate | undefined; reports: Map<string, PeerReport> } {
  const reports = new Map<string, PeerReport>();
  const longer: { peer: Peer; chain: Block[] }[] = [];
  for (const answer of fetched) {
    const { peer } = answer;
    if ("error" in answer) reports.set(peer.id, failureReport(peer, answer.error));
    else if (answer.chain.length > ourLength) longer.push(answer);
    else reports.set(peer.id, { node: peer.id, reached: true, verdict: "not longer", length: answer.chain.length });
  }
  longer.sort((a, b) => b.chain.length - a.chain.length);
  let chosen: Candidate | undefined;
  for (const { peer, chain } of longer) {
    const report: PeerReport = { node: peer.id, reached: true, verdict: "outrun", length: chain.length };
    reports.set(peer.id, report);
    if (chosen) {
      report.reason = `the chain of ${chosen.peer.id}, ${chosen.blocks.length} blocks long, was adopted`;
      continue;
    }
    try {
      chosen = { peer, blocks: chain, hashes: validateChain(chain, rules) };
      report.verdict = "adopted";
    } catch (error) {
      if (!(error instanceof InvalidChainError)) throw error;
      Object.assign(report, { verdict: "invalid", reason: error.message });
    }
  }
  return { chosen, reports };
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
