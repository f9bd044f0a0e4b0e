import { randomUUID } from "node:crypto";
import type { KernelName } from "../workers/kernel/index.js";
import {
  type Block,
  blockHash,
  Chain,
  GENESIS,
  InvalidChainError,
  isReward,
  MAX_BLOCK_TRANSACTIONS,
  MEDIAN_SPAN,
  type NetworkRules,
  NoCommonBlockError,
  type Transaction,
} from "./chain/index.js";
import {
  ChainChoice,
  forEachPeer,
  type PeerOutcome,
  type PeerReport,
  ResolveDeadlineError,
  ResolveStoppedError,
} from "./consensus/index.js";
import { type BlockEvent, EventBus } from "./events/index.js";
import { Gossip, type GossipNetwork, PeerGossipNetwork, type SyncResult } from "./gossip/index.js";
import type { Logger } from "./log.js";
import { countConfirmed, fitCapacity, Mempool, pendingAfterReorg, transactionKey } from "./mempool/index.js";
import { NodeMetrics } from "./metrics/index.js";
import { ContinuousMiner, type MinedBlock, Miner, MinerPool } from "./mining/index.js";
import { DEFAULT_PEER_TIMEOUT_MS, type Peer, PeerSet } from "./peers/index.js";
import { type BlockRef, checkAnnounce, type TipBody } from "./schemas/index.js";
import {
  type ChainView,
  type CheckBlocks,
  DamagedStoreError,
  DEFAULT_CHECK_BLOCKS,
  ForeignStoreError,
  loadStoredChain,
  MemoryStore,
  type Store,
  StoreFailedError,
} from "./storage/index.js";
import {
  discardStaged,
  PagePool,
  PeerNetwork,
  type RangeSyncDeps,
  type StagedChain,
  type SyncBase,
  type SyncNetwork,
  syncRange,
} from "./sync/index.js";

export interface NodeOptions {
  difficulty: number;
  threads: number;
  log: Logger;
  /** The proof-of-work kernels to choose from by calibration (one when forced); the best that load when absent. */
  kernels?: readonly KernelName[];
  /** Where the node keeps its state; in memory when absent. */
  store?: Store;
  maxPending?: number;
  maxTransactionsPerBlock?: number;
  /** How long a peer has to answer each request, a page of its chain included (default 5 s). */
  peerTimeoutMs?: number;
  /** How long a resolve may take in all (default 120 s). */
  resolveDeadlineMs?: number;
  /** How peers are asked for their chains; over HTTP with got when absent. */
  network?: SyncNetwork;
  /** How many of the last stored blocks start-up checks against every rule (default 6), or all. */
  checkBlocks?: CheckBlocks;
  /** --gossip: announce our tip to peers when the chain grows, and sync from those announcing a longer one. */
  gossip?: boolean;
  /** How announcements are sent; over HTTP with got when absent. */
  gossipNetwork?: GossipNetwork;
  /** The API token, which our announcements carry (a private network shares it). */
  apiToken?: string | undefined;
  /** --mine: forge block after block on the tip (see ContinuousMiner), from its start(). */
  mine?: boolean;
}

/** A block as the event bus tells it. */
function blockEvent(block: Block, hash: string, origin: BlockEvent["origin"]): BlockEvent {
  const reward = block.transactions.at(-1);
  return {
    index: block.index,
    hash,
    timestamp: block.timestamp,
    transactions: block.transactions.length,
    miner: reward !== undefined && isReward(reward) ? reward.recipient : null,
    origin,
  };
}

const perSecond = (hashes: number, seconds: number): number => (seconds > 0 ? hashes / seconds : 0);

/** What a resolve came to; the chain it answers with is read from the store (see ToyNode.view). */
export interface Resolution {
  replaced: boolean;
  peers: PeerReport[];
}

export const DEFAULT_MAX_PENDING = 100_000;
export const DEFAULT_RESOLVE_DEADLINE_MS = 120_000;
export const DEFAULT_MAX_BLOCK_TRANSACTIONS = MAX_BLOCK_TRANSACTIONS;

const newNodeId = (): string => randomUUID().replaceAll("-", "");

interface NodeParts {
  id: string;
  chain: Chain;
  mempool: Mempool;
  peers: PeerSet;
  store: Store;
  pool: MinerPool;
}

/** Loads the store's state (refusing a damaged or foreign one), or starts a new one. */
async function openState(store: Store, rules: NetworkRules, pool: MinerPool, options: NodeOptions): Promise<NodeParts> {
  const network = { genesisHash: blockHash(rules.genesis), difficulty: rules.difficulty };
  const capacity = options.maxPending ?? DEFAULT_MAX_PENDING;
  const stored = await store.load();
  if (stored?.migration !== undefined) {
    const { from, to, blocks, ms, resumed } = stored.migration;
    options.log.info(
      stored.migration,
      resumed
        ? `store migrated from format ${from} to ${to}: the clean-up a crash cut short was finished (${blocks} blocks) in ${ms} ms`
        : `store migrated from format ${from} to ${to}: ${blocks} blocks in ${ms} ms`,
    );
  }
  if (stored === undefined) {
    const id = newNodeId();
    await store.create(id, network, rules.genesis);
    return { id, chain: new Chain(rules), mempool: new Mempool(capacity), peers: new PeerSet(), store, pool };
  }
  if (stored.network.genesisHash !== network.genesisHash) {
    throw new ForeignStoreError(store.location, "its genesis block differs");
  }
  if (stored.network.difficulty !== network.difficulty) {
    throw new ForeignStoreError(
      store.location,
      `its difficulty is ${stored.network.difficulty}, not ${network.difficulty}; start with --difficulty ${stored.network.difficulty}`,
    );
  }
  const checkBlocks = options.checkBlocks ?? DEFAULT_CHECK_BLOCKS;
  const started = performance.now();
  const view = await store.view();
  let loaded: Awaited<ReturnType<typeof loadStoredChain>>;
  try {
    loaded = await loadStoredChain(view, store.location, rules, network.genesisHash, checkBlocks, (blocks, before) =>
      pool.checkSegment(blocks, before, rules),
    );
  } catch (error) {
    if (error instanceof InvalidChainError) throw new DamagedStoreError(store.location, error.message);
    throw error;
  } finally {
    await view.close();
  }
  options.log.info(
    {
      length: view.length,
      checkBlocks,
      checked: loaded.checked,
      ms: Number((performance.now() - started).toFixed(1)),
    },
    `store checked: the index of ${view.length} blocks, and every rule on the last ${loaded.checked}`,
  );
  if (stored.discardedStaged > 0) {
    options.log.info(
      { discarded: stored.discardedStaged },
      `deleted ${stored.discardedStaged} blocks staged by a resolve that did not finish`,
    );
  }
  const { kept, evicted } = fitCapacity(stored.pending, capacity);
  if (evicted.length > 0) {
    await store.evictPending(evicted.map((entry) => entry.seq));
    options.log.warn(
      { capacity, kept: kept.length, evicted: evicted.map((entry) => entry.tx) },
      `the store held ${stored.pending.length} pending transactions, more than --max-pending ${capacity}: the newest ${evicted.length} were evicted`,
    );
  }
  return {
    id: stored.nodeId,
    chain: new Chain(rules, loaded.state),
    mempool: new Mempool(capacity, kept),
    peers: new PeerSet(stored.peers),
    store,
    pool,
  };
}

/**
 * The node's state and the operations the API offers on it: the chain, the
 * mempool, the peers, and the miner that extends the chain. Every operation
 * that changes state resolves once the change is durable.
 */
export class ToyNode {
  readonly id: string;
  readonly chain: Chain;
  readonly mempool: Mempool;
  readonly peers: PeerSet;
  readonly pool: MinerPool;
  readonly miner: Miner;
  /** With --mine: the loop that forges block after block; GET /mine then waits for its next block. */
  readonly continuous: ContinuousMiner | undefined;
  readonly metrics: NodeMetrics;
  readonly gossip: Gossip;
  /** What the node does, as it happens: blocks, chains, transactions, mining, peers' verdicts. */
  readonly events = new EventBus();
  readonly #store: Store;
  #failure: StoreFailedError | undefined;
  readonly #failed: Promise<StoreFailedError>;
  #reportFailure: (error: StoreFailedError) => void = () => undefined;
  readonly #log: Logger;
  readonly #network: SyncNetwork;
  readonly #pages: PagePool;
  readonly #resolveDeadlineMs: number;
  /** Aborted by close(): abandons the downloads of a resolve in flight. */
  readonly #stopping = new AbortController();
  #resolving: Promise<Resolution> | undefined;
  /** Resolves and syncs from announcers, one at a time: each waits for the one before. */
  #lane: Promise<unknown> = Promise.resolve();
  /** The durable chain's tip: what a view of the store shows, and its block when the node holds it. */
  #durableTip: TipBody & { block: Block | undefined };

  private constructor(parts: NodeParts, options: NodeOptions) {
    ({ id: this.id, chain: this.chain, mempool: this.mempool, peers: this.peers, pool: this.pool } = parts);
    this.#store = parts.store;
    // The chain was just read from the store, or is a new store's genesis.
    this.#durableTip = { length: this.chain.length, hash: this.chain.tipHash, block: this.chain.tip };
    this.#failed = new Promise((resolve) => {
      this.#reportFailure = resolve;
    });
    this.#log = options.log;
    const timeoutMs = options.peerTimeoutMs ?? DEFAULT_PEER_TIMEOUT_MS;
    this.#network = options.network ?? new PeerNetwork({ timeoutMs });
    this.#resolveDeadlineMs = options.resolveDeadlineMs ?? DEFAULT_RESOLVE_DEADLINE_MS;
    // A gossiping node syncs at every block another node mines: its page worker stays up.
    this.#pages = new PagePool({ keep: options.gossip ?? false });
    this.gossip = new Gossip(
      {
        id: this.id,
        chain: this.chain,
        register: (peer) => this.#registerAnnouncer(peer),
        syncFrom: (peer, tip) => this.syncFrom(peer, tip),
        durableTip: () => this.durableTip,
      },
      {
        enabled: options.gossip ?? false,
        network: options.gossipNetwork ?? new PeerGossipNetwork({ timeoutMs, apiToken: options.apiToken }),
        peers: this.peers,
        signal: this.#stopping.signal,
        log: this.#log.child({ component: "gossip" }),
      },
    );
    this.metrics = new NodeMetrics({
      chainHeight: () => this.chain.length,
      mempoolSize: () => this.mempool.size,
      peers: () => this.peers.ids.length,
      peersBackingOff: () => this.peers.health(Date.now()).filter(({ health }) => health.retryAt !== undefined).length,
      gossip: () => this.gossip.counts,
    });
    this.miner = new Miner({
      chain: this.chain,
      mempool: this.mempool,
      pool: this.pool,
      nodeId: this.id,
      maxTransactionsPerBlock: options.maxTransactionsPerBlock ?? DEFAULT_MAX_BLOCK_TRANSACTIONS,
      persist: async ({ block, confirmed }) => {
        const hash = this.chain.hashAt(block.index) as string;
        await this.#durable(() =>
          this.#store.appendBlock(
            block,
            confirmed.map((entry) => entry.seq),
          ),
        );
        this.#tipIsDurable(block.index, hash, block);
        this.gossip.tipChanged();
        this.events.emit("block", blockEvent(block, hash, "mined"));
      },
      observe: (search, forged, index) => {
        this.metrics.jobFinished(search, forged);
        const { hashes, seconds } = search;
        this.events.emit("job", { index, forged, hashes, seconds, hashes_per_second: perSecond(hashes, seconds) });
      },
      progress: ({ index, hashes, seconds }) =>
        this.events.emit("mining", {
          index,
          hashes,
          elapsed_seconds: seconds,
          hashes_per_second: perSecond(hashes, seconds),
        }),
      log: this.#log.child({ component: "miner" }),
    });
    this.continuous = options.mine
      ? new ContinuousMiner({
          miner: this.miner,
          forge: () => (this.#failure ? Promise.reject(this.#failure) : this.miner.mine()),
          nextIndex: () => this.chain.tip.index + 1,
          signal: this.#stopping.signal,
          log: this.#log.child({ component: "miner" }),
        })
      : undefined;
  }

  /** Opens the node on its store: the state it kept, checked, or a new genesis. */
  static async open(options: NodeOptions): Promise<ToyNode> {
    const rules: NetworkRules = { genesis: GENESIS, difficulty: options.difficulty };
    const store = options.store ?? new MemoryStore();
    const pool = new MinerPool(options.threads, options.kernels);
    // The workers start and calibrate while the store is read and checked: both take a few hundred ms.
    const warming = pool.warmUp().then(({ calibration, priority }) => {
      const rates = Object.fromEntries(
        calibration.rates.map((rate) => [rate.name, Number((rate.hashesPerSecond / 1e6).toFixed(2))]),
      );
      const mhps = rates[calibration.kernel];
      const lowered = "lowered" in priority ? priority.lowered : undefined;
      options.log.info(
        { kernel: calibration.kernel, mhps, rates, priority: lowered },
        `mining with the ${calibration.kernel} kernel`,
      );
      if ("failed" in priority)
        options.log.warn({ reason: priority.failed }, "the mining threads could not be set to the lowest priority");
    });
    try {
      const [parts] = await Promise.all([openState(store, rules, pool, options), warming]);
      const node = new ToyNode(parts, options);
      // A gossiping node syncs at the first block another node mines: its page worker is up, and the
      // announcement's schema compiled, before it listens.
      if (options.gossip) {
        checkAnnounce.prepare();
        await node.#pages.warmUp();
      }
      return node;
    } catch (error) {
      await warming.catch(() => undefined);
      await pool.close();
      await store.close();
      throw error;
    }
  }

  /** Resolves with the error once a durable write has failed: the node must then restart. */
  get storeFailed(): Promise<StoreFailedError> {
    return this.#failed;
  }

  /** Runs a write on the store; a failure stops every further change (see StoreFailedError). */
  async #durable(write: () => Promise<void>): Promise<void> {
    if (this.#failure) throw this.#failure;
    try {
      await write();
    } catch (error) {
      this.#failure ??= new StoreFailedError(this.#store.location, error);
      this.#log.fatal({ err: error }, "a durable write failed; refusing every change until restart");
      this.#reportFailure(this.#failure);
      throw this.#failure;
    }
  }

  /** Queues a transaction durably; returns the index of the block meant to hold it. */
  async addTransaction(tx: Transaction): Promise<number> {
    if (this.#failure) throw this.#failure;
    const entry = this.mempool.add(tx);
    const index = this.miner.indexFor(this.mempool.size - 1);
    await this.#durable(() => this.#store.addTransaction(entry));
    this.#log.debug({ tx, index, pending: this.mempool.size }, "transaction added");
    this.events.emit("transaction", { transaction: tx, index, pending: this.mempool.size });
    return index;
  }

  /** Forges the next block; with --mine, waits for the next one the loop forges instead (see ContinuousMiner.next). */
  mine(): Promise<MinedBlock> {
    if (this.#failure) return Promise.reject(this.#failure);
    return this.continuous?.next() ?? this.miner.mine();
  }

  /** Registers peers durably; returns how many were new. */
  async registerNodes(addresses: readonly string[]): Promise<number> {
    if (this.#failure) throw this.#failure;
    const added = this.peers.register(addresses);
    await this.#durable(() => this.#store.addPeers(added));
    this.#log.info({ added: added.map((peer) => peer.id), peers: this.peers.ids }, "nodes registered");
    return added.length;
  }

  /** Registers an announcer we did not know, durably, as /nodes/register would. */
  async #registerAnnouncer(peer: Peer): Promise<void> {
    if (this.#failure) throw this.#failure;
    const added = this.peers.register([peer.url]);
    await this.#durable(() => this.#store.addPeers(added));
    if (added.length > 0) this.#log.info({ added: peer.id, peers: this.peers.ids.length }, "announcer registered");
  }

  /**
   * Consensus: adopt the longest valid chain of the peers when it is longer
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
   * Gossip: syncs from a peer that announced `tip`, when it is still longer
   * than our chain by its turn (resolves and syncs run one at a time), and
   * adopts its chain. A failure counts against the peer as a resolve's does.
   */
  syncFrom(peer: Peer, tip: TipBody): Promise<SyncResult> {
    return this.#exclusive(() => this.#syncFrom(peer, tip));
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const turn = this.#lane.then(task);
    this.#lane = turn.catch(() => undefined);
    return turn;
  }

  async #syncFrom(peer: Peer, tip: TipBody): Promise<SyncResult> {
    if (this.#failure) throw this.#failure;
    if (this.#stopping.signal.aborted) return "stopped";
    const ours = this.chain.length;
    if (tip.length <= ours) return "overtaken";
    if (this.peers.backingOff(peer.id, Date.now())) return "backing off";
    this.#log.info(
      { peer: peer.id, tip: tip.length, length: ours },
      "syncing from a peer that announced a longer chain",
    );
    const deadlineMs = this.#resolveDeadlineMs;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new ResolveDeadlineError(deadlineMs)), deadlineMs);
    const signal = AbortSignal.any([this.#stopping.signal, deadline.signal]);
    void this.#pages.warmUp();
    let staged: StagedChain;
    try {
      // An announced chain most likely extends ours, by the block just mined.
      staged = await syncRange(peer, tip, this.#syncBase(), this.#syncDeps(), signal, { fromTip: true });
    } catch (error) {
      if (this.#stopping.signal.aborted) return "stopped";
      if (this.#failure) throw this.#failure;
      const reason = error instanceof Error ? error.message : String(error);
      const health = this.peers.failed(peer.id, reason, Date.now());
      const retryAt = health.retryAt === undefined ? undefined : new Date(health.retryAt).toISOString();
      this.#log.warn(
        { peer: peer.id, tip: tip.length, reason, failures: health.failures, retryAt },
        "announced chain not usable",
      );
      this.events.emit("peer", {
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
      clearTimeout(timer);
    }
    this.peers.succeeded(peer.id);
    if (await this.#adopt(staged)) {
      this.events.emit("peer", { source: "sync", node: peer.id, verdict: "adopted", length: staged.length });
      return "adopted";
    }
    await discardStaged(this.#store, staged.fork, staged.hashes.length);
    return "not adopted";
  }

  async #resolve(): Promise<Resolution> {
    if (this.#failure) throw this.#failure;
    // Its turn may come after the node began stopping (see #exclusive).
    if (this.#stopping.signal.aborted) throw new ResolveStoppedError();
    const peers = this.peers.list();
    const started = Date.now();
    const skipped = new Map(peers.flatMap((peer) => this.#skipReport(peer, started)).map((r) => [r.node, r]));
    const asked = peers.filter((peer) => !skipped.has(peer.id));
    const deadlineMs = this.#resolveDeadlineMs;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new ResolveDeadlineError(deadlineMs)), deadlineMs);
    const signal = AbortSignal.any([this.#stopping.signal, deadline.signal]);
    const choice = new ChainChoice(asked);
    let adopted: Peer | undefined;
    try {
      await forEachPeer(asked, async (peer) => {
        try {
          choice.tip(peer, await this.#network.tip(peer, signal));
        } catch (error) {
          choice.failed(peer, error);
        }
      });
      const longer = choice.longerThan(this.chain.length);
      if (longer.length > 0) void this.#pages.warmUp();
      for (const { peer, tip } of longer) {
        if (signal.aborted || tip.length <= this.chain.length) break;
        let staged: StagedChain;
        try {
          staged = await syncRange(peer, tip, this.#syncBase(), this.#syncDeps(), signal);
        } catch (error) {
          choice.failed(peer, error);
          continue;
        }
        choice.synced(peer, staged.length);
        if (await this.#adopt(staged)) adopted = peer;
        else await discardStaged(this.#store, staged.fork, staged.hashes.length);
        break;
      }
    } finally {
      clearTimeout(timer);
    }
    if (this.#failure) throw this.#failure;
    if (this.#stopping.signal.aborted && adopted === undefined) throw new ResolveStoppedError();
    const outcomes = choice.finish(this.chain, adopted);
    const finished = Date.now();
    const reports = new Map<string, PeerReport>();
    for (const peer of asked) {
      const outcome = outcomes.get(peer.id) as PeerOutcome;
      this.#recordHealth(outcome, finished);
      reports.set(peer.id, outcome.report);
    }
    const report = peers.map((peer) => skipped.get(peer.id) ?? (reports.get(peer.id) as PeerReport));
    this.metrics.peersResolved(report);
    for (const peer of report) {
      if (peer.verdict === "invalid" || peer.verdict === "unreachable") this.#log.warn(peer, "peer chain not usable");
      if (peer.verdict === "skipped") this.#log.info(peer, "peer skipped");
      this.events.emit("peer", { source: "resolve", ...peer });
    }
    return { replaced: adopted !== undefined, peers: report };
  }

  /** Our chain as range sync reads it: the hashes in memory, older timestamps from the store. */
  #syncBase(): SyncBase {
    const { chain } = this;
    return {
      length: chain.length,
      hashAt: (height) => chain.hashAt(height),
      timestampsUpTo: async (height) => {
        if (height === chain.length) return chain.recentTimestamps;
        const timestamps: number[] = [];
        // One block at a time: a block may be tens of MiB, of which only the timestamp is wanted.
        for (let h = Math.max(1, height - MEDIAN_SPAN + 1); h <= height; h++) {
          const [block] = await this.#store.blocks([{ height: h, hash: chain.hashAt(h) as string }]);
          timestamps.push((block as Block).timestamp);
        }
        return timestamps;
      },
    };
  }

  #syncDeps(): RangeSyncDeps {
    return {
      network: this.#network,
      checkPage: (task) => this.#pages.check(task),
      staging: this.#store,
      rules: this.chain.rules,
      log: this.#log.child({ component: "sync" }),
    };
  }

  /**
   * Switches to a staged chain when it is still longer than ours, with the
   * mempool that matches it: our dropped blocks' transactions, then ours,
   * less those the new blocks hold. The switch is one atomic write. If a
   * block of ours is mined while the dropped and staged blocks are read, it
   * starts over against the chain as it is then. False when ours is as long
   * by now, or the node is stopping.
   */
  async #adopt(staged: StagedChain): Promise<boolean> {
    for (;;) {
      const { tipHash, length } = this.chain;
      if (staged.length <= length || this.#stopping.signal.aborted) return false;
      const pending = this.mempool.list();
      const { orphaned, beyond } = await this.#orphanedAfter(staged.fork.height, length);
      const wanted = new Set([...orphaned, ...pending].map(transactionKey));
      const confirmed = new Map<string, number>();
      if (wanted.size > 0) {
        for await (const batch of this.#store.staged(staged.fork.height + 1, staged.length)) {
          countConfirmed(batch, wanted, confirmed);
        }
      }
      if (this.chain.tipHash !== tipHash) continue;
      if (this.#stopping.signal.aborted) return false;
      // Nothing leaves the mempool but by a block of ours, which moves the tip: what came since is at its end.
      const arrived = this.mempool.list().slice(pending.length);
      const kept = [...pendingAfterReorg(orphaned, pending, confirmed), ...arrived];
      const { removed, added, evicted } = this.mempool.replaceAll(kept);
      this.chain.adopt({ fork: staged.fork.height, hashes: staged.hashes, tip: staged.tip, recent: staged.recent });
      // Read before the write: a block mined on the new tip meanwhile has its own event.
      const adoptedHash = this.chain.tipHash;
      this.miner.restart();
      await this.#durable(() => this.#store.adoptStaged(staged.fork, staged.hashes, removed, added));
      this.#tipIsDurable(staged.length, adoptedHash, staged.tip);
      this.gossip.tipChanged(staged.peer.id);
      this.events.emit("chain", {
        length: staged.length,
        hash: adoptedHash,
        fork: staged.fork.height,
        dropped: length - staged.fork.height,
        from: staged.peer.id,
      });
      this.events.emit("block", blockEvent(staged.tip, adoptedHash, "adopted"));
      this.#log.info(
        {
          from: staged.peer.id,
          length: this.chain.length,
          fork: staged.fork.height,
          dropped: length - staged.fork.height,
        },
        "chain replaced",
      );
      const lost = evicted.length + beyond;
      if (lost > 0) {
        this.metrics.pendingEvicted(lost);
        this.#log.warn(
          { capacity: this.mempool.capacity, evicted, beyond },
          `the replaced chain brought back more pending transactions than --max-pending holds: the newest ${lost} were evicted`,
        );
      }
      return true;
    }
  }

  /**
   * The transactions of our blocks after `fork` up to `length` (rewards
   * excluded), oldest first, at most a mempool's worth; `beyond` counts the
   * rest, which the mempool could not hold anyway.
   */
  async #orphanedAfter(fork: number, length: number): Promise<{ orphaned: Transaction[]; beyond: number }> {
    const orphaned: Transaction[] = [];
    let beyond = 0;
    if (fork >= length) return { orphaned, beyond };
    const view = await this.#store.view();
    try {
      for await (const batch of view.blocks(fork + 1, Math.min(length, view.length))) {
        for (const tx of batch.flatMap((block) => block.transactions)) {
          if (isReward(tx)) continue;
          if (orphaned.length < this.mempool.capacity) orphaned.push(tx);
          else beyond++;
        }
      }
    } finally {
      await view.close();
    }
    return { orphaned, beyond };
  }

  /**
   * The durable chain's tip, known without reading the store: what a view
   * taken now shows, or (for an instant after a write is on disk, before its
   * caller resumes) the tip before it.
   */
  get durableTip(): TipBody {
    return { length: this.#durableTip.length, hash: this.#durableTip.hash };
  }

  /** The durable tip's block, or undefined for the instant described at durableTip (a view saw it first). */
  get durableTipBlock(): Block | undefined {
    return this.#durableTip.block;
  }

  /**
   * Moves the durable tip forward to `length`, `hash`, once a write or a
   * view has shown it. Every tip change makes the chain longer, so the
   * longest tip seen is the newest: writes that resolve out of turn cannot
   * take it back.
   */
  #tipIsDurable(length: number, hash: string, block?: Block): void {
    if (length > this.#durableTip.length) this.#durableTip = { length, hash, block };
  }

  /** The first block of a peer's locator that our durable chain holds: the fork point it syncs from. */
  async locate(locator: readonly BlockRef[]): Promise<BlockRef> {
    const view = await this.#store.view();
    try {
      for (const { height, hash } of locator) {
        if ((await view.hashAt(height)) === hash) return { height, hash };
      }
    } finally {
      await view.close();
    }
    throw new NoCommonBlockError(locator.length);
  }

  /** A consistent view of the durable chain, for reading blocks (GET /chain); close it when done. */
  async view(): Promise<ChainView> {
    const view = await this.#store.view();
    // A write is readable once on disk, maybe before its caller has resumed: the view knows first.
    const { chain } = this;
    this.#tipIsDurable(view.length, view.tipHash, chain.tipHash === view.tipHash ? chain.tip : undefined);
    return view;
  }

  /** The report of a peer not asked this time, because it is backing off after repeated failures. */
  #skipReport(peer: Peer, now: number): PeerReport[] {
    const health = this.peers.backingOff(peer.id, now);
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
    if (news === "unknown") return;
    if (news === "good") {
      this.peers.succeeded(report.node);
      return;
    }
    const health = this.peers.failed(report.node, report.reason ?? report.verdict, now);
    report.failures = health.failures;
    if (health.retryAt !== undefined) report.retry_at = new Date(health.retryAt).toISOString();
  }

  /**
   * Abandons the work that only the node's shutdown can end: the mining job
   * and a resolve's downloads, whose requests then fail with MinerStoppedError
   * and ResolveStoppedError. Writes in flight go on; the store stays open.
   */
  stop(): void {
    this.#stopping.abort();
    this.miner.stop();
    this.events.close();
  }

  async close(): Promise<void> {
    this.stop();
    // A sync from an announcer runs in no request that the server waits for: its end is awaited here.
    await this.#lane;
    await this.continuous?.stopped();
    await Promise.all([this.pool.close(), this.#pages.close()]);
    await this.#store.close();
  }
}
