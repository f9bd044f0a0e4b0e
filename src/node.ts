import { randomUUID } from "node:crypto";
import type { KernelName } from "../workers/kernel/index.js";
import {
  type Block,
  Chain,
  feesOf,
  InvalidChainError,
  MAX_BLOCK_TRANSACTIONS,
  type NetworkRules,
  NoCommonBlockError,
  REWARD_SENDER,
  rewardFor,
  type Transaction,
  UnknownBlockError,
} from "./chain/index.js";
import { CheckThreads } from "./checks/index.js";
import { blockEvent, EventBus } from "./events/index.js";
import { Gossip, type GossipNetwork, PeerGossipNetwork, type SyncResult } from "./gossip/index.js";
import type { SignedTransaction } from "./keys/index.js";
import {
  AccountsMempool,
  connectFrom,
  DEFAULT_SWITCH_PIECE,
  Ledger,
  LedgerGate,
  LedgerQueries,
  type LedgerWrite,
  reindex,
  rewardAddress,
} from "./ledger/index.js";
import type { Logger } from "./log.js";
import { AccountsPool, type Dropped, fitCapacity, Mempool, type PendingEntry } from "./mempool/index.js";
import { NodeMetrics } from "./metrics/index.js";
import { ContinuousMiner, type MinedBlock, Miner, MinerPool, type MiningJob } from "./mining/index.js";
import { DEFAULT_PEER_TIMEOUT_MS, type Peer, PeerSet } from "./peers/index.js";
import { type BlockRef, checkAnnounce, type TipBody } from "./schemas/index.js";
import { SignaturePool, type SignatureVerifier, type VerifyBackend } from "./signatures/index.js";
import { BUILTIN_CHAINS } from "./specs/index.js";
import {
  type ChainView,
  type CheckBlocks,
  DamagedStoreError,
  DEFAULT_CHECK_BLOCKS,
  ForeignStoreError,
  loadStoredChain,
  MemoryStore,
  type NetworkId,
  type Store,
  StoreClosedError,
  StoreFailedError,
} from "./storage/index.js";
import {
  DEFAULT_BAN,
  DEFAULT_HANDSHAKE_MS,
  DEFAULT_IDLE_MS,
  DEFAULT_VARDIFF,
  nonceRange,
  type StratumConfig,
  StratumServer,
} from "./stratum/index.js";
import { PeerNetwork, type Resolution, Sync, type SyncNetwork } from "./sync/index.js";

export interface NodeOptions {
  /** The chain's rules: the walkthrough's at a difficulty, or a spec's. */
  chain: NetworkRules;
  threads: number;
  log: Logger;
  /** The proof-of-work kernels to choose from by calibration (one when forced); the best that load when absent. */
  kernels?: readonly KernelName[];
  /** What verifies signatures; auto's choice (src/signatures/backend.ts) when absent. */
  verifier?: VerifyBackend;
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
  /** --gossip: announce our tip to peers when the chain grows, and sync from those announcing a better one (more work). */
  gossip?: boolean;
  /** How announcements are sent; over HTTP with got when absent. */
  gossipNetwork?: GossipNetwork;
  /** The API token, which our announcements carry (a private network shares it). */
  apiToken?: string | undefined;
  /** --mine: forge block after block on the tip (see ContinuousMiner), from its start(). */
  mine?: boolean;
  /** On an accounts chain, where rewards go (--reward-address); else a key the node keeps in `dataDir`. */
  rewardAddress?: string | undefined;
  /** Where the node keeps its files beside the store (its reward key); none in memory. */
  dataDir?: string | undefined;
  /** --reindex: rebuild an accounts chain's ledger from its stored blocks before starting. */
  reindex?: boolean;
  /**
   * --switch-piece: on an accounts chain, the transactions a switch of
   * chains writes at most in one atomic batch, about (default 10,000); a
   * larger switch is written in pieces (see adopt).
   */
  switchPiece?: number;
  /** --stratum-port: a Stratum endpoint for remote miners, listening from listenStratum(); mining is then continuous. */
  stratum?: StratumConfig | undefined;
}

/** The pending transactions, as the chain's ledger has them. */
export type NodeMempool = Mempool | AccountsMempool;

/**
 * On an accounts chain: the ledger over the store (read through its gate,
 * which holds reads while a switch writes it in pieces), the pool of signed
 * transfers, where this node's rewards go, and what the API reads of them.
 */
export interface NodeAccounts {
  ledger: Ledger;
  gate: LedgerGate;
  mempool: AccountsMempool;
  rewardAddress: string;
  queries: LedgerQueries;
}

/** An accounts chain's ledger, pool and queries over the store (through `gate`) and our chain. */
function accountsOf(
  chain: Chain,
  store: Store,
  gate: LedgerGate,
  mempool: AccountsMempool,
  rewardAddress: string,
): NodeAccounts {
  const ledger = new Ledger(chain.rules, gate);
  const queries = new LedgerQueries({ ledger, mempool, chain, blocks: (at) => store.blocks(at) });
  return { ledger, gate, mempool, rewardAddress, queries };
}

const perSecond = (hashes: number, seconds: number): number => (seconds > 0 ? hashes / seconds : 0);

export const DEFAULT_MAX_PENDING = 100_000;
export const DEFAULT_RESOLVE_DEADLINE_MS = 120_000;
export const DEFAULT_MAX_BLOCK_TRANSACTIONS = MAX_BLOCK_TRANSACTIONS;

const newNodeId = (): string => randomUUID().replaceAll("-", "");

interface NodeParts {
  id: string;
  chain: Chain;
  mempool: NodeMempool;
  peers: PeerSet;
  store: Store;
  /** On an accounts chain, the store's ledger as its readers see it (see LedgerGate). */
  gate: LedgerGate;
  pool: MinerPool;
}

/**
 * Loads the store's state (refusing a damaged or foreign one), or starts a
 * new one; an accounts chain's pool has the signatures of the transfers it
 * admits checked by `signatures`.
 */
async function openState(
  store: Store,
  rules: NetworkRules,
  pool: MinerPool,
  signatures: SignatureVerifier,
  options: NodeOptions,
): Promise<NodeParts> {
  const network: NetworkId = {
    genesisHash: rules.id,
    difficulty: rules.pow.kind === "fixed" ? rules.pow.difficulty : 0,
    chain: rules.name,
  };
  const capacity = options.maxPending ?? DEFAULT_MAX_PENDING;
  const gate = new LedgerGate(store);
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
    const mempool =
      rules.ledger.kind === "accounts"
        ? new AccountsMempool(rules, gate, new AccountsPool(capacity), signatures)
        : new Mempool(capacity);
    return { id, chain: new Chain(rules), mempool, peers: new PeerSet(), store, gate, pool };
  }
  if (stored.network.genesisHash !== network.genesisHash) {
    const held = stored.network.chain ?? "walkthrough";
    const start = BUILTIN_CHAINS.includes(held) ? `--chain ${held}` : `--chain and the spec file of ${held}`;
    const chains = `(genesis ${stored.network.genesisHash}), not ${rules.name} (genesis ${rules.id})`;
    if (held !== rules.name) {
      throw new ForeignStoreError(
        store.location,
        `it holds the chain ${held} ${chains}; start with ${start}, or give another --data-dir`,
      );
    }
    if (rules.file === undefined) {
      throw new ForeignStoreError(store.location, `it holds the chain ${held} ${chains}; give another --data-dir`);
    }
    // A spec of the same name made again, with another genesis: devnet was, for its accounts ledger.
    throw new ForeignStoreError(
      store.location,
      `it holds another chain named ${held} (genesis ${stored.network.genesisHash}), not this ${held} (genesis ${rules.id}): the spec was made again; remove this data dir to start on this one, or give another --data-dir`,
    );
  }
  if (stored.network.difficulty !== network.difficulty) {
    throw new ForeignStoreError(
      store.location,
      `its difficulty is ${stored.network.difficulty}, not ${network.difficulty}; start with --difficulty ${stored.network.difficulty}, or give another --data-dir`,
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
  if (rules.ledger.kind === "accounts" && (options.reindex || stored.reindexing)) {
    options.log.info(
      options.reindex
        ? "rebuilding the ledger from the blocks (--reindex)"
        : "rebuilding the ledger: a rebuild was cut short",
    );
    const rebuilt = await store.view();
    try {
      const { blocks, ms } = await reindex(new Ledger(rules, store), store, rebuilt);
      options.log.info({ blocks, ms: Number(ms.toFixed(1)) }, `ledger rebuilt from ${blocks} blocks`);
    } catch (error) {
      if (error instanceof InvalidChainError) throw new DamagedStoreError(store.location, error.message);
      throw error;
    } finally {
      await rebuilt.close();
    }
  } else if (options.reindex) {
    options.log.info(
      `--reindex: the chain ${rules.name} keeps no ledger (its transactions are names): nothing to rebuild`,
    );
  } else if (rules.ledger.kind === "accounts" && stored.ledgerAt !== undefined) {
    const at = stored.ledgerAt;
    const started = performance.now();
    const behind = await store.view();
    try {
      options.log.info(
        { at, tip: behind.length },
        `a switch of chains was cut short: connecting the ledger from block ${at + 1} to the tip, ${behind.length}`,
      );
      const pieces = await connectFrom(
        new Ledger(rules, store),
        store,
        behind,
        at,
        options.switchPiece ?? DEFAULT_SWITCH_PIECE,
      );
      options.log.info(
        { pieces, blocks: behind.length - at, ms: Number((performance.now() - started).toFixed(1)) },
        `ledger connected up to the tip in ${pieces} pieces: the switch is done`,
      );
    } catch (error) {
      if (error instanceof InvalidChainError) throw new DamagedStoreError(store.location, error.message);
      throw error;
    } finally {
      await behind.close();
    }
  }
  if (stored.discardedStaged > 0) {
    options.log.info(
      { discarded: stored.discardedStaged },
      `deleted ${stored.discardedStaged} blocks staged by a resolve that did not finish`,
    );
  }
  return {
    id: stored.nodeId,
    chain: new Chain(rules, loaded.state),
    mempool: await restoreMempool(store, gate, rules, capacity, stored.pending, signatures, options.log),
    peers: new PeerSet(stored.peers),
    store,
    gate,
    pool,
  };
}

/** The pending transactions the store held, checked again: the walkthrough's up to the capacity, an accounts chain's by its pool's rules. */
async function restoreMempool(
  store: Store,
  reader: LedgerGate,
  rules: NetworkRules,
  capacity: number,
  pending: readonly PendingEntry[],
  signatures: SignatureVerifier,
  log: Logger,
): Promise<NodeMempool> {
  if (rules.ledger.kind === "accounts") {
    const { mempool, dropped } = await AccountsMempool.restore(rules, reader, capacity, pending, signatures);
    if (dropped.length > 0) {
      await store.evictPending(dropped.map(({ entry }) => entry.seq));
      log.warn(
        { dropped: dropped.map(({ entry, reason }) => ({ id: entry.id, reason: reason.message })) },
        `${dropped.length} of the ${pending.length} pending transfers the store held are no longer valid at the tip, or do not fit --max-pending ${capacity}: dropped`,
      );
    }
    return mempool;
  }
  const { kept, evicted } = fitCapacity(pending, capacity);
  if (evicted.length > 0) {
    await store.evictPending(evicted.map((entry) => entry.seq));
    log.warn(
      { capacity, kept: kept.length, evicted: evicted.map((entry) => entry.tx) },
      `the store held ${pending.length} pending transactions, more than --max-pending ${capacity}: the newest ${evicted.length} were evicted`,
    );
  }
  return new Mempool(capacity, kept);
}

/** Logs what left an accounts pool without a block holding it. */
function logDropped(log: Logger, dropped: readonly Dropped[], why: string): void {
  if (dropped.length === 0) return;
  log.info({ dropped: dropped.map(({ entry, reason }) => ({ id: entry.id, reason: reason.message })) }, why);
}

/**
 * The node's state and the operations the API offers on it: the chain, the
 * mempool, the peers, and the miner that extends the chain. Every operation
 * that changes state resolves once the change is durable.
 */
export class ToyNode {
  readonly id: string;
  readonly chain: Chain;
  readonly mempool: NodeMempool;
  /** On an accounts chain, its ledger and pool of transfers; undefined on the walkthrough's. */
  readonly accounts: NodeAccounts | undefined;
  readonly peers: PeerSet;
  readonly pool: MinerPool;
  readonly miner: Miner;
  /** With --mine: the loop that forges block after block; GET /mine then waits for its next block. */
  readonly continuous: ContinuousMiner | undefined;
  /** The Stratum endpoint for remote miners, with --stratum-port. */
  readonly stratum: StratumServer | undefined;
  readonly metrics: NodeMetrics;
  readonly gossip: Gossip;
  /**
   * Verifies batches of signatures on every core (a peer's pages', and the
   * transfers admitted together), with up to --threads workers, started by
   * the first batch: none on the walkthrough's chain, which has no signatures.
   */
  readonly signatures: SignaturePool;
  /** What the node does, as it happens: blocks, chains, transactions, mining, peers' verdicts. */
  readonly events = new EventBus();
  readonly #store: Store;
  #failure: StoreFailedError | undefined;
  readonly #failed: Promise<StoreFailedError>;
  #reportFailure: (error: StoreFailedError) => void = () => undefined;
  readonly #log: Logger;
  /** Aborted by stop(): abandons the downloads of a resolve or sync in flight, and gossip's requests. */
  readonly #stopping = new AbortController();
  /** Resolves, and syncs from announcers. */
  readonly #sync: Sync;
  /** The threads that verify signatures and check peers' pages (the signature pool's and the sync's). */
  readonly #checks: CheckThreads;
  /** The durable chain's tip: what a view of the store shows, and its block when the node holds it. */
  #durableTip: { length: number; hash: string; work: bigint; block: Block | undefined };

  private constructor(
    parts: NodeParts,
    options: NodeOptions,
    reward: string | undefined,
    { checks, signatures }: { checks: CheckThreads; signatures: SignaturePool },
  ) {
    ({ id: this.id, chain: this.chain, mempool: this.mempool, peers: this.peers, pool: this.pool } = parts);
    this.#checks = checks;
    this.signatures = signatures;
    this.#store = parts.store;
    this.accounts =
      this.mempool instanceof AccountsMempool
        ? accountsOf(this.chain, parts.store, parts.gate, this.mempool, reward as string)
        : undefined;
    // The chain was just read from the store, or is a new store's genesis.
    this.#durableTip = {
      length: this.chain.length,
      hash: this.chain.tipHash,
      work: this.chain.work,
      block: this.chain.tip,
    };
    this.#failed = new Promise((resolve) => {
      this.#reportFailure = resolve;
    });
    this.#log = options.log;
    const timeoutMs = options.peerTimeoutMs ?? DEFAULT_PEER_TIMEOUT_MS;
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
      stratum: () => this.stratum?.counts(),
      signatures: () => this.signatures.counts,
    });
    this.#sync = new Sync(
      {
        chain: this.chain,
        mempool: this.mempool,
        accounts: this.accounts && {
          ledger: new Ledger(this.chain.rules, parts.store),
          gate: this.accounts.gate,
          mempool: this.accounts.mempool,
          switchPiece: options.switchPiece ?? DEFAULT_SWITCH_PIECE,
        },
        peers: this.peers,
        store: this.#store,
        events: this.events,
        metrics: this.metrics,
        failure: () => this.#failure,
        durable: (write) => this.#durable(write),
        switched: () => this.miner.restart(),
        adopted: ({ length, hash, work, block }, from) => {
          this.#tipIsDurable(length, hash, work, block);
          this.gossip.tipChanged(from.id);
        },
      },
      {
        network: options.network ?? new PeerNetwork({ timeoutMs }),
        deadlineMs: options.resolveDeadlineMs ?? DEFAULT_RESOLVE_DEADLINE_MS,
        stopping: this.#stopping.signal,
        checks,
        signatures: this.signatures,
        log: this.#log,
      },
    );
    const { stratum } = options;
    this.miner = new Miner({
      chain: this.chain,
      // The node's own threads keep to the first range of nonces; each remote miner gets another.
      ...(stratum === undefined
        ? {}
        : { nonces: nonceRange(0), announceJob: (job: MiningJob) => this.stratum?.onJob(job) }),
      mempool: this.mempool,
      pool: this.pool,
      maxTransactionsPerBlock: options.maxTransactionsPerBlock ?? DEFAULT_MAX_BLOCK_TRANSACTIONS,
      reward: (transactions) => this.#reward(transactions),
      ...(this.accounts === undefined
        ? {}
        : { prepare: (template: Block) => (this.accounts as NodeAccounts).ledger.write([], [[template]]) }),
      confirm: (block, included, ledger) => this.#confirm(block, included, ledger),
      persist: async ({ block, removed, ledger }) => {
        const hash = this.chain.hashAt(block.index) as string;
        const work = this.chain.workAt(block.index) as bigint;
        await this.#durable(() => this.#store.appendBlock(block, removed, ledger));
        this.#tipIsDurable(block.index, hash, work, block);
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
    this.stratum =
      stratum === undefined
        ? undefined
        : new StratumServer(
            {
              host: stratum.host,
              port: stratum.port,
              maxSessions: stratum.maxSessions,
              apiToken: options.apiToken,
              vardiff: { ...DEFAULT_VARDIFF, shareSeconds: stratum.shareSeconds },
              handshakeMs: DEFAULT_HANDSHAKE_MS,
              idleMs: DEFAULT_IDLE_MS,
              ban: DEFAULT_BAN,
              log: this.#log.child({ component: "stratum" }),
            },
            this.miner,
          );
    this.continuous =
      options.mine || stratum !== undefined
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
    const rules = options.chain;
    const store = options.store ?? new MemoryStore();
    const pool = new MinerPool(options.threads, options.kernels);
    // As many as the mining threads, and one for a node whose Stratum miners do all its mining (--threads 0). A
    // gossiping node syncs at every block another node mines: one of them stays up.
    const checks = new CheckThreads({ threads: Math.max(1, options.threads), keep: options.gossip ?? false });
    const signatures = new SignaturePool({
      checks,
      ...(options.verifier === undefined ? {} : { backend: options.verifier }),
    });
    // The workers start and calibrate while the store is read and checked: both take a few hundred ms.
    const warming = pool.warmUp().then(({ calibration, priority }) => {
      const rates = Object.fromEntries(
        calibration.rates.map((rate) => [rate.name, Number((rate.hashesPerSecond / 1e6).toFixed(2))]),
      );
      const mhps = rates[calibration.kernel];
      const lowered = "lowered" in priority ? priority.lowered.how : undefined;
      options.log.info(
        { kernel: calibration.kernel, mhps, rates, priority: lowered },
        `mining with the ${calibration.kernel} kernel`,
      );
      if ("failed" in priority)
        options.log.warn({ reason: priority.failed }, "the mining threads could not be set to the lowest priority");
    });
    try {
      const [parts] = await Promise.all([openState(store, rules, pool, signatures, options), warming]);
      const reward =
        rules.ledger.kind === "accounts"
          ? await rewardAddress(rules.ledger.prefix, {
              given: options.rewardAddress,
              dataDir: options.dataDir,
              log: options.log,
            })
          : undefined;
      const node = new ToyNode(parts, options, reward, { checks, signatures });
      // A gossiping node syncs at the first block another node mines: a check thread is up with the page's modules, and the
      // announcement's schema compiled, before it listens.
      if (options.gossip) {
        checkAnnounce.prepare();
        await node.#sync.warmUp();
      }
      return node;
    } catch (error) {
      await warming.catch(() => undefined);
      await Promise.all([pool.close(), signatures.close(), checks.close()]);
      await store.close();
      throw error;
    }
  }

  /** A block's reward, last in it: the walkthrough's to this node's id; an accounts chain's, the subsidy and the fees, to the reward address. */
  #reward(transactions: readonly Transaction[]): Transaction {
    if (this.accounts === undefined) return rewardFor(this.id);
    const amount = this.chain.rules.reward + Number(feesOf(transactions));
    return { sender: REWARD_SENDER, recipient: this.accounts.rewardAddress, amount };
  }

  /** A block of ours is on the chain in memory: what it included leaves the pool (on an accounts chain, with what it made invalid). */
  #confirm(block: Block, included: readonly PendingEntry[], ledger: LedgerWrite | undefined): number[] {
    if (this.mempool instanceof Mempool) return this.mempool.confirm(included);
    const { confirmed, dropped } = this.mempool.connected(block, ledger as LedgerWrite);
    logDropped(this.#log, dropped, `block ${block.index} made pending transfers invalid: dropped`);
    return [...confirmed, ...dropped.map(({ entry }) => entry)].map((entry) => entry.seq);
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
      // The node is closing its store: the write was refused, not lost, and the disk is sound.
      if (error instanceof StoreClosedError) throw error;
      this.#failure ??= new StoreFailedError(this.#store.location, error);
      this.#log.fatal({ err: error }, "a durable write failed; refusing every change until restart");
      this.#reportFailure(this.#failure);
      throw this.#failure;
    }
  }

  /**
   * Queues a transaction durably; returns the index of the block meant to
   * hold it and, on an accounts chain, the transfer's id. A transfer is
   * admitted by the pool's rules (AccountsMempool.admit), taking the place
   * of a pending one it replaces, or of the lowest fee rate when the pool is full.
   */
  async addTransaction(tx: Transaction): Promise<{ index: number; id?: string }> {
    if (this.#failure) throw this.#failure;
    if (this.mempool instanceof AccountsMempool) return this.#addTransfer(this.mempool, tx as SignedTransaction);
    const entry = this.mempool.add(tx);
    const index = this.miner.indexFor(this.mempool.size - 1);
    await this.#durable(() => this.#store.addTransaction(entry));
    this.#log.debug({ tx, index, pending: this.mempool.size }, "transaction added");
    this.events.emit("transaction", { transaction: tx, index, pending: this.mempool.size });
    return { index };
  }

  async #addTransfer(mempool: AccountsMempool, tx: SignedTransaction): Promise<{ index: number; id: string }> {
    const { entry, replaced, evicted } = await mempool.admit(tx);
    const gone = [...(replaced ? [replaced] : []), ...(evicted ? [evicted.entry] : [])];
    await this.#durable(async () => {
      await this.#store.addTransaction({ seq: entry.seq, tx: entry.tx });
      if (gone.length > 0) await this.#store.evictPending(gone.map((each) => each.seq));
    });
    if (replaced)
      this.#log.info(
        { id: entry.id, replaced: replaced.id },
        "a pending transfer was replaced by one paying a higher fee",
      );
    if (evicted) logDropped(this.#log, [evicted], "the pool is full: the lowest fee rate transfer was evicted");
    const index = this.chain.tip.index + 1;
    this.#log.debug({ id: entry.id, index, pending: mempool.size }, "transfer added");
    this.events.emit("transaction", { transaction: entry.tx, index, pending: mempool.size });
    return { index, id: entry.id };
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
    if (this.gossip.enabled) for (const peer of added) void this.#catchUp(peer);
    return added.length;
  }

  /** Gossip: syncs from a peer just registered when its chain is better (see Sync.catchUp); never rejects. */
  async #catchUp(peer: Peer): Promise<void> {
    try {
      const result = await this.#sync.catchUp(peer);
      this.#log.debug({ peer: peer.id, result }, "caught up with a registered peer");
    } catch (error) {
      this.#log.error({ err: error, peer: peer.id }, "catching up with a registered peer failed");
    }
  }

  /** Registers an announcer we did not know, durably, as /nodes/register would. */
  async #registerAnnouncer(peer: Peer): Promise<void> {
    if (this.#failure) throw this.#failure;
    const added = this.peers.register([peer.url]);
    await this.#durable(() => this.#store.addPeers(added));
    if (added.length > 0) this.#log.info({ added: peer.id, peers: this.peers.ids.length }, "announcer registered");
  }

  /** Consensus: adopt the best valid chain of the peers when it is better than ours (see Sync.resolve). */
  resolve(): Promise<Resolution> {
    return this.#sync.resolve();
  }

  /** Gossip: syncs from a peer that announced `tip`, in turn with resolves (see Sync.syncFrom). */
  syncFrom(peer: Peer, tip: TipBody): Promise<SyncResult> {
    return this.#sync.syncFrom(peer, tip);
  }

  /**
   * The durable chain's tip, known without reading the store: what a view
   * taken now shows, or (for an instant after a write is on disk, before its
   * caller resumes) the tip before it.
   */
  get durableTip(): TipBody {
    const { length, hash, work } = this.#durableTip;
    return { length, hash, work: String(work), chain: this.chain.rules.id };
  }

  /** The durable tip's block, or undefined for the instant described at durableTip (a view saw it first). */
  get durableTipBlock(): Block | undefined {
    return this.#durableTip.block;
  }

  /**
   * Moves the durable tip forward to `length`, `hash`, `work`, once a write
   * or a view has shown it. Every tip change gives the chain more work (a
   * block, or a chain with more), so the tip with the most work seen is the
   * newest: writes that resolve out of turn cannot take it back.
   */
  #tipIsDurable(length: number, hash: string, work: bigint, block?: Block): void {
    if (work > this.#durableTip.work) this.#durableTip = { length, hash, work, block };
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

  /** The block of our durable chain with this hash, and its confirmations (1 at the tip); else UnknownBlockError. */
  async blockByHash(hash: string): Promise<{ block: Block; confirmations: number }> {
    const view = await this.view();
    try {
      const block = await view.blockByHash(hash);
      if (block === undefined) throw new UnknownBlockError(hash);
      return { block, confirmations: view.length - block.index + 1 };
    } finally {
      await view.close();
    }
  }

  /** A consistent view of the durable chain, for reading blocks (GET /chain); close it when done. */
  async view(): Promise<ChainView> {
    const view = await this.#store.view();
    // A write is readable once on disk, maybe before its caller has resumed: the view knows first.
    const { chain } = this;
    // Its work is known when our chain in memory holds its tip (it runs ahead of the store); else it is older.
    if (chain.hashAt(view.length) === view.tipHash) {
      const block = chain.tipHash === view.tipHash ? chain.tip : undefined;
      this.#tipIsDurable(view.length, view.tipHash, chain.workAt(view.length) as bigint, block);
    }
    return view;
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

  /** Aborted by stop(): what resolves, syncs and gossip's requests listen to, so as to end with the node. */
  get stopping(): AbortSignal {
    return this.#stopping.signal;
  }

  async close(): Promise<void> {
    this.stop();
    // A sync from an announcer runs in no request that the server waits for: its end is awaited here.
    await this.#sync.idle();
    await this.continuous?.stopped();
    // The mining threads hold nothing to keep: the store closes without waiting for them to exit.
    const mining = this.pool.close();
    // Awaited last, where it throws if it failed: not an unhandled rejection meanwhile.
    mining.catch(() => undefined);
    await Promise.all([this.#sync.close(), this.signatures.close(), this.#checks.close(), this.stratum?.close()]);
    await this.#store.close();
    const { restored, refused } = await mining;
    if (refused !== undefined) {
      this.#log.debug(
        { restored, refused },
        "the mining threads exited at their idle priority: the system refused to restore it",
      );
    }
  }
}
