import { randomUUID } from "node:crypto";
import type { KernelName } from "../workers/kernel/index.js";
import { type Block, Chain, GENESIS, type NetworkRules, type Transaction } from "./chain/index.js";
import { chooseChain, type FetchChain, gatherCandidates, type PeerReport } from "./consensus/index.js";
import type { Logger } from "./log.js";
import { Mempool, pendingAfterReorg } from "./mempool/index.js";
import { type MinedBlock, Miner, MinerPool } from "./mining/index.js";
import { fetchChain, PeerSet } from "./peers/index.js";

export interface NodeOptions {
  difficulty: number;
  threads: number;
  /** The proof-of-work kernel; the best that loads when absent. */
  kernel?: KernelName;
  log: Logger;
  /** 32 lowercase hex digits; a fresh one when absent. */
  nodeId?: string;
  maxTransactionsPerBlock?: number;
  fetchChain?: FetchChain;
}

export interface Resolution {
  replaced: boolean;
  chain: readonly Block[];
  peers: PeerReport[];
}

export const newNodeId = (): string => randomUUID().replaceAll("-", "");

/**
 * The node's state and the operations the API offers on it: the chain, the
 * mempool, the peers, and the miner that extends the chain.
 */
export class ToyNode {
  readonly id: string;
  readonly chain: Chain;
  readonly mempool = new Mempool();
  readonly peers = new PeerSet();
  readonly pool: MinerPool;
  readonly #miner: Miner;
  readonly #log: Logger;
  readonly #fetchChain: FetchChain;

  constructor(options: NodeOptions) {
    const rules: NetworkRules = { genesis: GENESIS, difficulty: options.difficulty };
    this.id = options.nodeId ?? newNodeId();
    this.#log = options.log;
    this.#fetchChain = options.fetchChain ?? ((peer) => fetchChain(peer));
    this.chain = new Chain(rules);
    this.pool = new MinerPool(options.threads, options.kernel);
    this.#miner = new Miner(
      this.chain,
      this.mempool,
      this.pool,
      this.id,
      options.maxTransactionsPerBlock ?? 10_000,
      this.#log.child({ component: "miner" }),
    );
  }

  /** Queues a transaction; returns the index of the block it is meant for. */
  addTransaction(tx: Transaction): number {
    this.mempool.add(tx);
    const index = this.chain.length + 1;
    this.#log.info({ tx, index, pending: this.mempool.size }, "transaction added");
    return index;
  }

  mine(): Promise<MinedBlock> {
    return this.#miner.mine();
  }

  registerNodes(addresses: readonly string[]): number {
    const added = this.peers.register(addresses);
    this.#log.info({ added, peers: this.peers.ids }, "nodes registered");
    return added;
  }

  /** Consensus: adopt the longest valid chain of the peers when it is longer than ours. */
  async resolve(): Promise<Resolution> {
    const peers = this.peers.list();
    const { candidates, reports } = await gatherCandidates(peers, this.chain.rules, this.#fetchChain);
    const chosen = chooseChain(candidates, this.chain.length);
    for (const candidate of candidates) {
      const report = reports.get(candidate.peer.id) as PeerReport;
      if (candidate === chosen) report.verdict = "adopted";
      else if (candidate.blocks.length > this.chain.length) report.verdict = "outrun";
    }
    if (chosen) {
      const reorg = this.chain.replace(chosen.blocks, chosen.hashes);
      this.mempool.replaceAll(pendingAfterReorg(reorg.dropped, reorg.added, this.mempool.list()));
      this.#miner.restart();
      this.#log.info(
        { from: chosen.peer.id, length: this.chain.length, fork: reorg.fork + 1, dropped: reorg.dropped.length },
        "chain replaced",
      );
    }
    const report = peers.map((peer) => reports.get(peer.id) as PeerReport);
    for (const peer of report) {
      if (peer.verdict === "invalid" || peer.verdict === "unreachable") this.#log.warn(peer, "peer chain not usable");
    }
    return { replaced: chosen !== undefined, chain: this.chain.blocks, peers: report };
  }

  async close(): Promise<void> {
    this.#miner.restart();
    await this.pool.close();
  }
}
