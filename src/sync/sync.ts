import { type Block, InvalidChainError, isBetter, MEDIAN_SPAN } from "../chain/index.js";
import { ChainChoice, forEachPeer, type PeerOutcome, type PeerReport, tipMeasure, vetTip } from "../consensus/index.js";
import type { SyncResult } from "../gossip/index.js";
import type { Logger } from "../log.js";
import type { Peer } from "../peers/index.js";
import type { TipBody } from "../schemas/index.js";
import { adopt } from "./adopt.js";
import { ResolveStoppedError } from "./errors.js";
import type { Resolution, SyncHost, SyncOptions } from "./interface.js";
import {
  discardStaged,
  PagePool,
  type RangeSyncDeps,
  type RangeSyncOptions,
  type StagedChain,
  type SyncBase,
  type SyncNetwork,
  syncRange,
} from "./range/index.js";
import { RunSignal } from "./run-signal.js";

/**
 * Our chain kept up with the peers': resolves (every peer asked, the best
 * valid chain adopted) and syncs from a peer that announced its tip, one at
 * a time, each reading a chain by range sync and adopting it when it is
 * still better than ours by the chain choice (isBetter). The node wires it
 * to its state through a SyncHost.
 */
export class Sync {
  readonly #host: SyncHost;
  readonly #network: SyncNetwork;
  readonly #deadlineMs: number;
  readonly #stopping: AbortSignal;
  readonly #log: Logger;
  readonly #pages: PagePool;
  readonly #rangeDeps: RangeSyncDeps;
  #resolving: Promise<Resolution> | undefined;
  /** Resolves and syncs from announcers, one at a time: each waits for the one before. */
  #lane: Promise<unknown> = Promise.resolve();

  constructor(host: SyncHost, { network, deadlineMs, stopping, checks, signatures, log }: SyncOptions) {
    this.#host = host;
    this.#network = network;
    this.#deadlineMs = deadlineMs;
    this.#stopping = stopping;
    this.#log = log;
    this.#pages = new PagePool({ checks });
    this.#rangeDeps = {
      network,
      checkPage: (task) => this.#pages.check(task, signatures),
      signatures,
      staging: host.store,
      rules: host.chain.rules,
      log: log.child({ component: "sync" }),
    };
  }

  /**
   * Consensus: adopt the best valid chain of the peers when it is better
   * than ours. A call made while one runs shares its answer, so a burst of
   * calls costs one round of fetches.
   */
  resolve(): Promise<Resolution> {
    this.#resolving ??= this.#exclusive(() => this.#resolve()).finally(() => {
      this.#resolving = undefined;
    });
    return this.#resolving;
  }

  /**
   * Gossip: syncs from a peer that announced `tip`, when it is still better
   * than our chain by its turn (resolves and syncs run one at a time), and
   * adopts its chain. A failure counts against the peer as a resolve's does.
   */
  syncFrom(peer: Peer, tip: TipBody): Promise<SyncResult> {
    return this.#exclusive(() => this.#syncFrom(peer, tip));
  }

  /**
   * Gossip: a peer just registered is asked its tip and synced from, as if
   * it had announced it, when its chain is better than ours: a node joining
   * a network catches up at once instead of at the network's next block.
   * Asking its tip changes nothing of the peer, whose peers stay its own.
   */
  async catchUp(peer: Peer): Promise<SyncResult> {
    const run = new RunSignal(this.#stopping, this.#deadlineMs);
    let tip: TipBody;
    try {
      tip = vetTip(await this.#network.tip(peer, run.signal), this.#host.chain.rules);
    } catch (error) {
      if (this.#stopping.aborted) return "stopped";
      const reason = error instanceof Error ? error.message : String(error);
      this.#log.info({ peer: peer.id, reason }, "a registered peer could not be asked its tip");
      return "failed";
    } finally {
      run.close();
    }
    return this.syncFrom(peer, tip);
  }

  /** Loads the page check's modules on a thread; resolves once it has (they take a while to load). */
  warmUp(): Promise<void> {
    return this.#pages.warmUp();
  }

  /** Resolves once the resolve or sync in flight, and those waiting for their turn, have ended. */
  async idle(): Promise<void> {
    await this.#lane;
  }

  /** Closes the page pool; call it once idle, the node stopping (the node closes the threads). */
  close(): Promise<void> {
    return this.#pages.close();
  }

  /**
   * syncRange from `peer`; once a chain of many pages is checked, the check
   * threads let go of the heaps the pages grew (some 30 to 50 MiB each)
   * before the switch, when the node's memory peaks. A sync of one page
   * (gossip's, at every block) keeps them warm.
   */
  async #stage(peer: Peer, tip: TipBody, signal: AbortSignal, options?: RangeSyncOptions): Promise<StagedChain> {
    const staged = await syncRange(peer, tip, this.#base(), this.#rangeDeps, signal, options);
    if (staged.pages > 1) {
      this.#pages.release();
      this.#log.debug({ pages: staged.pages }, "the check threads released before the switch");
    }
    return staged;
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const turn = this.#lane.then(task);
    this.#lane = turn.catch(() => undefined);
    return turn;
  }

  async #syncFrom(peer: Peer, tip: TipBody): Promise<SyncResult> {
    const { chain, peers, events } = this.#host;
    const failure = this.#host.failure();
    if (failure) throw failure;
    if (this.#stopping.aborted) return "stopped";
    const ours = chain.length;
    if (!isBetter(tipMeasure(tip), chain)) return "overtaken";
    if (peers.backingOff(peer.id, Date.now())) return "backing off";
    this.#log.info(
      { peer: peer.id, tip: tip.length, length: ours, work: tip.work, ours: String(chain.work) },
      chain.rules.pow.kind === "fixed"
        ? "syncing from a peer that announced a longer chain"
        : "syncing from a peer that announced a chain with more work",
    );
    const run = new RunSignal(this.#stopping, this.#deadlineMs);
    void this.#pages.warmUp();
    let staged: StagedChain | undefined;
    let adopted: boolean;
    try {
      // An announced chain most likely extends ours, by the block just mined.
      staged = await this.#stage(peer, tip, run.signal, { fromTip: true });
      // On an accounts chain the staged blocks are connected to the ledger as they are adopted: a rule broken there makes the chain unusable too.
      adopted = await adopt(this.#host, staged, this.#stopping, this.#log);
    } catch (error) {
      if (this.#stopping.aborted) return "stopped";
      const failed = this.#host.failure();
      if (failed) throw failed;
      if (staged !== undefined) {
        // Adopting failed: by a rule of the ledger (the peer's fault), or else (ours, which goes up).
        await discardStaged(this.#host.store, staged.fork, staged.hashes.length);
        if (!(error instanceof InvalidChainError)) throw error;
      }
      const reason = error instanceof Error ? error.message : String(error);
      const health = peers.failed(peer.id, reason, Date.now());
      const retryAt = health.retryAt === undefined ? undefined : new Date(health.retryAt).toISOString();
      this.#log.warn(
        { peer: peer.id, tip: tip.length, reason, failures: health.failures, retryAt },
        "announced chain not usable",
      );
      events.emit("peer", {
        source: "sync",
        node: peer.id,
        verdict: "failed",
        length: tip.length,
        reason,
        failures: health.failures,
        ...(retryAt === undefined ? {} : { retry_at: retryAt }),
      });
      return "failed";
    } finally {
      run.close();
    }
    peers.succeeded(peer.id);
    if (adopted) {
      events.emit("peer", { source: "sync", node: peer.id, verdict: "adopted", length: staged.length });
      return "adopted";
    }
    await discardStaged(this.#host.store, staged.fork, staged.hashes.length);
    return "not adopted";
  }

  async #resolve(): Promise<Resolution> {
    const { chain, peers, store, events, metrics } = this.#host;
    const failure = this.#host.failure();
    if (failure) throw failure;
    // Its turn may come after the node began stopping (see #exclusive).
    if (this.#stopping.aborted) throw new ResolveStoppedError();
    const asking = peers.list();
    const started = Date.now();
    const skipped = new Map(asking.flatMap((peer) => this.#skipReport(peer, started)).map((r) => [r.node, r]));
    const asked = asking.filter((peer) => !skipped.has(peer.id));
    const run = new RunSignal(this.#stopping, this.#deadlineMs);
    const { signal } = run;
    const { rules } = chain;
    const choice = new ChainChoice(asked, rules.pow.kind !== "fixed");
    let adopted: Peer | undefined;
    try {
      await forEachPeer(asked, async (peer) => {
        try {
          choice.tip(peer, vetTip(await this.#network.tip(peer, signal), rules));
        } catch (error) {
          choice.failed(peer, error);
        }
      });
      const better = choice.betterThan(chain);
      if (better.length > 0) void this.#pages.warmUp();
      for (const { peer, tip } of better) {
        if (signal.aborted || !isBetter(tipMeasure(tip), chain)) break;
        let staged: StagedChain;
        try {
          staged = await this.#stage(peer, tip, signal);
        } catch (error) {
          choice.failed(peer, error);
          continue;
        }
        let switched: boolean;
        try {
          switched = await adopt(this.#host, staged, this.#stopping, this.#log);
        } catch (error) {
          // A block that breaks the ledger's rules, found as the chain is connected: the peer's chain is invalid.
          if (!(error instanceof InvalidChainError)) throw error;
          await discardStaged(store, staged.fork, staged.hashes.length);
          choice.failed(peer, error);
          continue;
        }
        choice.synced(peer, staged);
        if (switched) adopted = peer;
        else await discardStaged(store, staged.fork, staged.hashes.length);
        break;
      }
    } finally {
      run.close();
    }
    const failed = this.#host.failure();
    if (failed) throw failed;
    if (this.#stopping.aborted && adopted === undefined) throw new ResolveStoppedError();
    const outcomes = choice.finish(chain, adopted);
    const finished = Date.now();
    const reports = new Map<string, PeerReport>();
    for (const peer of asked) {
      const outcome = outcomes.get(peer.id) as PeerOutcome;
      this.#recordHealth(outcome, finished);
      reports.set(peer.id, outcome.report);
    }
    const report = asking.map((peer) => skipped.get(peer.id) ?? (reports.get(peer.id) as PeerReport));
    metrics.peersResolved(report);
    for (const peer of report) {
      if (peer.verdict === "invalid" || peer.verdict === "unreachable") this.#log.warn(peer, "peer chain not usable");
      if (peer.verdict === "skipped") this.#log.info(peer, "peer skipped");
      events.emit("peer", { source: "resolve", ...peer });
    }
    return { replaced: adopted !== undefined, peers: report };
  }

  /** Our chain as range sync reads it: the hashes in memory, older timestamps from the store. */
  #base(): SyncBase {
    const { chain, store } = this.#host;
    return {
      length: chain.length,
      hashAt: (height) => chain.hashAt(height),
      workAt: (height) => chain.workAt(height),
      timestampsUpTo: async (height) => {
        if (height === chain.length) return chain.recentTimestamps;
        const timestamps: number[] = [];
        // One block at a time: a block may be tens of MiB, of which only the timestamp is wanted.
        for (let h = Math.max(1, height - MEDIAN_SPAN + 1); h <= height; h++) {
          const [block] = await store.blocks([{ height: h, hash: chain.hashAt(h) as string }]);
          timestamps.push((block as Block).timestamp);
        }
        return timestamps;
      },
    };
  }

  /** The report of a peer not asked this time, because it is backing off after repeated failures. */
  #skipReport(peer: Peer, now: number): PeerReport[] {
    const health = this.#host.peers.backingOff(peer.id, now);
    if (!health) return [];
    const retryAt = new Date(health.retryAt).toISOString();
    const reason = `skipped until ${retryAt} after failing ${health.failures} times in a row (last: ${health.lastError}); register it again to ask it now`;
    return [
      { node: peer.id, reached: false, verdict: "skipped", reason, failures: health.failures, retry_at: retryAt },
    ];
  }

  /**
   * Counts a failure against the peer, or clears its record when its chain
   * was read whole and valid; a chain read but not checked changes neither.
   * The report tells how the peer stands.
   */
  #recordHealth({ report, health: news }: PeerOutcome, now: number): void {
    const { peers } = this.#host;
    if (news === "unknown") return;
    if (news === "good") {
      peers.succeeded(report.node);
      return;
    }
    const health = peers.failed(report.node, report.reason ?? report.verdict, now);
    report.failures = health.failures;
    if (health.retryAt !== undefined) report.retry_at = new Date(health.retryAt).toISOString();
  }
}
