import {
  type ChainMeasure,
  type ChainSpec,
  compareChains,
  InvalidChainError,
  impossibleClaim,
  isBetter,
} from "../chain/index.js";
import { type Peer, PeerDataError, PeerUnreachableError } from "../peers/index.js";
import type { TipBody } from "../schemas/schemas.js";

/** What one peer's chain came to. */
export const PEER_VERDICTS = ["adopted", "not longer", "not checked", "invalid", "unreachable", "skipped"] as const;
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
 * What a resolve learnt of a peer's health: `good` when its chain was found
 * valid (checked, or its tip a block of ours), `bad` when it failed or broke
 * a rule, `unknown` when its chain was not checked.
 */
export type PeerHealthNews = "good" | "bad" | "unknown";

export interface PeerOutcome {
  report: PeerReport;
  health: PeerHealthNews;
}

/** What the chain choice reads of a peer's tip: its length, and its work as a number. */
export function tipMeasure(tip: TipBody): ChainMeasure {
  return { length: tip.length, work: BigInt(tip.work) };
}

/**
 * A peer's tip, refused (PeerDataError) when it cannot be true of a chain of
 * ours (see impossibleClaim): another chain's id, or work its length rules
 * out. Costs no request: read at first contact, before any block.
 */
export function vetTip(tip: TipBody, spec: ChainSpec): TipBody {
  const why = impossibleClaim({ length: tip.length, work: BigInt(tip.work), chain: tip.chain }, spec);
  if (why !== undefined) throw new PeerDataError(why);
  return tip;
}

/** Our chain as the choice sees it at the end: its length, work and block hashes. */
export interface OurChain {
  readonly length: number;
  readonly work: bigint;
  /** The hash of our block at `height` (1 for the genesis). */
  hashAt(height: number): string | undefined;
}

/** Peers asked at once: bounds the sockets one resolve holds. */
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
type Known =
  | { kind: "failed"; report: PeerReport }
  | { kind: "tip"; peer: Peer; tip: TipBody }
  | { kind: "synced"; peer: Peer; length: number; work: bigint };

/**
 * Consensus on the peers' chains: the best valid chain strictly better than
 * ours wins, by the chain choice (compareChains: the most work, on the
 * walkthrough's chain the longest). Every
 * peer's tip is learnt first, which costs it nothing; the chains worth
 * reading are then read best first, and the first one found valid wins (a
 * worse one could not beat it). The verdicts are given
 * at the end, against our chain as it is then. No I/O.
 */
export class ChainChoice {
  readonly #known = new Map<string, Known>();

  /**
   * `asked` are the peers asked, in the order that breaks ties between equal
   * chains; `byWork`: the chain retargets, and reasons speak of work, not
   * length (on a fixed chain the two agree, and the walkthrough's words stay).
   */
  constructor(
    readonly asked: readonly Peer[],
    readonly byWork = false,
  ) {}

  /** A peer whose tip or chain could not be had, or broke a rule. */
  failed(peer: Peer, error: unknown): void {
    const known = this.#known.get(peer.id);
    const report = failureReport(peer, error);
    // Its tip was learnt: it was reached, and claimed this length.
    if (known?.kind === "tip") Object.assign(report, { reached: true, length: known.tip.length });
    this.#known.set(peer.id, { kind: "failed", report });
  }

  tip(peer: Peer, tip: TipBody): void {
    this.#known.set(peer.id, { kind: "tip", peer, tip });
  }

  /** A peer whose chain was read, every block after the fork point checked. */
  synced(peer: Peer, { length, work }: ChainMeasure): void {
    this.#known.set(peer.id, { kind: "synced", peer, length, work });
  }

  /** The peers whose tips are better than `ours` (see compareChains), best first (in the order asked, between equals). */
  betterThan(ours: ChainMeasure): { peer: Peer; tip: TipBody }[] {
    return this.asked
      .flatMap((peer) => {
        const known = this.#known.get(peer.id);
        return known?.kind === "tip" && isBetter(tipMeasure(known.tip), ours) ? [known] : [];
      })
      .sort((a, b) => compareChains(tipMeasure(b.tip), tipMeasure(a.tip)));
  }

  /** Every peer's outcome, against `ours` as it is now, and `adopted`, the peer whose chain it became, if any. */
  finish(ours: OurChain, adopted: Peer | undefined): Map<string, PeerOutcome> {
    const won = adopted && `the chain of ${adopted.id}, ${ours.length} blocks long, was adopted`;
    const outcomes = new Map<string, PeerOutcome>();
    for (const [id, known] of this.#known) {
      if (known.kind === "failed") {
        outcomes.set(id, { report: known.report, health: "bad" });
        continue;
      }
      const measure = known.kind === "synced" ? known : tipMeasure(known.tip);
      const { length } = measure;
      const report: PeerReport = { node: id, reached: true, verdict: "not longer", length };
      const order = compareChains(measure, ours);
      if (known.kind === "synced") {
        if (adopted?.id === id) report.verdict = "adopted";
        outcomes.set(id, { report, health: "good" });
        continue;
      }
      if (ours.hashAt(length) === known.tip.hash) {
        outcomes.set(id, { report, health: "good" });
        continue;
      }
      // At least as good as the chain adopted instead: it was left unread because that one won.
      if (order > 0 || (won !== undefined && order === 0)) {
        Object.assign(report, {
          verdict: "not checked",
          reason: won ?? "the resolve's deadline passed before its chain was read",
        });
      } else {
        report.reason = this.byWork
          ? "not checked: it holds no more work than ours, and is not the same as ours"
          : "not checked: it is not longer than ours, and not the same as ours";
      }
      outcomes.set(id, { report, health: "unknown" });
    }
    return outcomes;
  }
}

function failureReport(peer: Peer, error: unknown): PeerReport {
  if (error instanceof PeerUnreachableError) {
    return { node: peer.id, reached: false, verdict: "unreachable", reason: error.message };
  }
  // A rule broken: in what the peer sent (its tip, a page), or, on an accounts chain, by a block the ledger connects.
  if (error instanceof PeerDataError || error instanceof InvalidChainError) {
    return { node: peer.id, reached: true, verdict: "invalid", reason: error.message };
  }
  return { node: peer.id, reached: false, verdict: "unreachable", reason: String(error) };
}
