import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { PEER_VERDICTS, type PeerReport } from "../consensus/index.js";
import { DROP_REASONS, type GossipCounts, SYNC_OUTCOMES } from "../gossip/index.js";
import type { SearchResult } from "../mining/index.js";
import { registerSignatureMetrics, type SignatureCounts } from "../signatures/index.js";
import type { StratumCounts } from "../stratum/index.js";

/** What the metrics read from the node at each scrape. */
export interface NodeGauges {
  chainHeight(): number;
  mempoolSize(): number;
  peers(): number;
  /** Peers skipped for now after failing repeatedly. */
  peersBackingOff(): number;
  /** Gossip's counters, which /stats shows too. */
  gossip(): GossipCounts;
  /** The Stratum endpoint's counters, without one undefined. */
  stratum(): StratumCounts | undefined;
  /** The signature pool's counters. */
  signatures(): SignatureCounts;
}

/** The node's Prometheus metrics (GET /metrics), with Node's process metrics. */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly #hashes: Counter;
  readonly #blocks: Counter;
  readonly #hashrate: Gauge;
  readonly #resolves: Counter<"verdict">;
  readonly #evicted: Counter;
  readonly #http: Histogram<"method" | "route" | "status">;

  constructor(gauges: NodeGauges) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "toychain_" });
    this.#hashes = new Counter({ name: "toychain_hashes_total", help: "Nonces tried by mining jobs", registers });
    this.#blocks = new Counter({ name: "toychain_blocks_mined_total", help: "Blocks forged by this node", registers });
    this.#hashrate = new Gauge({
      name: "toychain_hashrate_hashes_per_second",
      help: "Hash rate of the last finished mining job",
      registers,
    });
    new Gauge({
      name: "toychain_chain_height",
      help: "Blocks in the chain, genesis included",
      registers,
      collect() {
        this.set(gauges.chainHeight());
      },
    });
    new Gauge({
      name: "toychain_mempool_size",
      help: "Pending transactions",
      registers,
      collect() {
        this.set(gauges.mempoolSize());
      },
    });
    new Gauge({
      name: "toychain_peers",
      help: "Registered peers",
      registers,
      collect() {
        this.set(gauges.peers());
      },
    });
    new Gauge({
      name: "toychain_peers_backing_off",
      help: "Registered peers skipped by resolves for now, after failing repeatedly",
      registers,
      collect() {
        this.set(gauges.peersBackingOff());
      },
    });
    // One series per verdict, whatever the number of peers: /stats has each peer's health.
    this.#resolves = new Counter({
      name: "toychain_resolve_peer_outcomes_total",
      help: `Peers' outcomes in resolves, by verdict: ${PEER_VERDICTS.join(", ")}`,
      labelNames: ["verdict"],
      registers,
    });
    for (const verdict of PEER_VERDICTS) this.#resolves.inc({ verdict }, 0);
    this.#evicted = new Counter({
      name: "toychain_mempool_evicted_total",
      help: "Pending transactions evicted because a replaced chain brought back more than --max-pending",
      registers,
    });
    this.#gossipCounters(gauges);
    this.#stratumMetrics(gauges);
    registerSignatureMetrics(this.registry, () => gauges.signatures());
    this.#http = new Histogram({
      name: "toychain_http_request_duration_seconds",
      help: "HTTP request latency by route",
      labelNames: ["method", "route", "status"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
      registers,
    });
  }

  /** The Stratum endpoint's, read at each scrape as /stats reads them; one series per outcome, however many miners. */
  #stratumMetrics(gauges: NodeGauges): void {
    const registers = [this.registry];
    new Gauge({
      name: "toychain_stratum_sessions",
      help: "Stratum connections open, authorized or not",
      registers,
      collect() {
        this.set(gauges.stratum()?.sessions ?? 0);
      },
    });
    new Gauge({
      name: "toychain_stratum_hashrate_hashes_per_second",
      help: "The Stratum miners' rates from their shares, summed",
      registers,
      collect() {
        this.set(gauges.stratum()?.hashesPerSecond ?? 0);
      },
    });
    new Counter({
      name: "toychain_stratum_shares_total",
      help: "Stratum shares by outcome: accepted, stale (for a job no longer live), refused",
      labelNames: ["outcome"],
      registers,
      collect() {
        const counts = gauges.stratum();
        this.reset();
        if (counts === undefined) return;
        for (const [outcome, n] of Object.entries(counts.shares)) this.inc({ outcome }, n);
      },
    });
    new Counter({
      name: "toychain_stratum_turned_away_total",
      help: "Stratum connections closed at once: the address banned, or every session taken",
      registers,
      collect() {
        this.reset();
        this.inc(gauges.stratum()?.turnedAway ?? 0);
      },
    });
  }

  /** Counters read from gossip's own at each scrape, so that /metrics and /stats agree. */
  #gossipCounters(gauges: NodeGauges): void {
    const registers = [this.registry];
    const counter = (name: string, help: string, read: (counts: GossipCounts) => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read(gauges.gossip()));
        },
      });
    counter("toychain_gossip_announcements_sent_total", "Announcements of our tip that a peer took", (c) => c.sent);
    counter(
      "toychain_gossip_announcements_failed_total",
      "Announcements of our tip that failed: the peer unreachable, too slow, or answering another status",
      (c) => c.failed,
    );
    counter(
      "toychain_gossip_announcements_skipped_total",
      "Announcements of our tip not sent: the peer backing off after failing repeatedly",
      (c) => c.skipped,
    );
    counter(
      "toychain_gossip_announcements_received_total",
      "Announcements received from peers (answered 202)",
      (c) => c.received,
    );
    new Counter({
      name: "toychain_gossip_announcements_dropped_total",
      help: `Announcements received that led to no sync, by reason: ${DROP_REASONS.join(", ")}`,
      labelNames: ["reason"],
      registers,
      collect() {
        const { dropped } = gauges.gossip();
        this.reset();
        for (const reason of DROP_REASONS) this.inc({ reason }, dropped[reason]);
      },
    });
    new Counter({
      name: "toychain_gossip_syncs_total",
      help: `Syncs from peers that announced a chain with more work, by outcome: ${SYNC_OUTCOMES.join(", ")}`,
      labelNames: ["outcome"],
      registers,
      collect() {
        const { syncs } = gauges.gossip();
        this.reset();
        for (const outcome of SYNC_OUTCOMES) this.inc({ outcome }, syncs[outcome]);
      },
    });
  }

  jobFinished(search: SearchResult, forged: boolean): void {
    this.#hashes.inc(search.hashes);
    if (search.seconds > 0) this.#hashrate.set(search.hashes / search.seconds);
    if (forged) this.#blocks.inc();
  }

  peersResolved(reports: readonly PeerReport[]): void {
    for (const { verdict } of reports) this.#resolves.inc({ verdict });
  }

  pendingEvicted(count: number): void {
    this.#evicted.inc(count);
  }

  request(method: string, route: string, status: number, seconds: number): void {
    this.#http.observe({ method, route, status: String(status) }, seconds);
  }
}
