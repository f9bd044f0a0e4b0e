import { type Block, InvalidChainError, type NetworkRules, validateChain } from "../chain/index.js";
import { type Peer, PeerDataError, PeerUnreachableError } from "../peers/index.js";
import type { ChainBody } from "../schemas/index.js";

/** What one peer's chain came to. */
export type PeerVerdict = "adopted" | "not longer" | "outrun" | "invalid" | "unreachable";

export interface PeerReport {
  node: string;
  reached: boolean;
  verdict: PeerVerdict;
  length?: number;
  reason?: string;
}

/** A peer's chain that passed every rule, with its block hashes. */
export interface Candidate {
  peer: Peer;
  blocks: Block[];
  hashes: string[];
}

export type FetchChain = (peer: Peer) => Promise<ChainBody>;

/**
 * Fetches every peer's chain at once and validates each completely. Never
 * throws for a peer's fault: each peer ends up in a report, and the valid
 * chains are returned longest first.
 */
export async function gatherCandidates(
  peers: readonly Peer[],
  rules: NetworkRules,
  fetchChain: FetchChain,
): Promise<{ candidates: Candidate[]; reports: Map<string, PeerReport> }> {
  const reports = new Map<string, PeerReport>();
  const candidates: Candidate[] = [];
  await Promise.all(
    peers.map(async (peer) => {
      try {
        const { chain } = await fetchChain(peer);
        const hashes = validateChain(chain, rules);
        candidates.push({ peer, blocks: chain, hashes });
        reports.set(peer.id, { node: peer.id, reached: true, verdict: "not longer", length: chain.length });
      } catch (error) {
        reports.set(peer.id, failureReport(peer, error));
      }
    }),
  );
  candidates.sort((a, b) => b.blocks.length - a.blocks.length);
  return { candidates, reports };
}

function failureReport(peer: Peer, error: unknown): PeerReport {
  if (error instanceof PeerUnreachableError) {
    return { node: peer.id, reached: false, verdict: "unreachable", reason: error.message };
  }
  if (error instanceof PeerDataError || error instanceof InvalidChainError) {
    return { node: peer.id, reached: true, verdict: "invalid", reason: error.message };
  }
  return { node: peer.id, reached: false, verdict: "unreachable", reason: String(error) };
}

/** The first candidate strictly longer than ours, if any: the longest valid chain wins. */
export function chooseChain(candidates: readonly Candidate[], ourLength: number): Candidate | undefined {
  const best = candidates[0];
  return best !== undefined && best.blocks.length > ourLength ? best : undefined;
}
