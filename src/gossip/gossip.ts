import type { Logger } from "../log.js";
import { InvalidPeerAddressError, type Peer, type PeerHealth, type PeerSet, parsePeerAddress } from "../peers/index.js";
import type { AnnounceBody, TipBody } from "../schemas/index.js";
import { Announcer } from "./announcer.js";
import { ForeignAnnouncerError, InvalidAnnouncerError } from "./errors.js";
import {
  type AnnounceAnswer,
  type AnnounceOutcome,
  DROP_REASONS,
  type DropReason,
  type GossipCounts,
  type GossipHost,
  type GossipNetwork,
  SYNC_OUTCOMES,
  type SyncResult,
} from "./interface.js";
import { judgeTip, SyncQueue } from "./receiver.js";

export interface GossipOptions {
  /** --gossip: off, announcements are answered "ignored" and nothing is announced. */
  enabled: boolean;
  network: GossipNetwork;
  peers: PeerSet;
  /** Aborted when the node stops. */
  signal: AbortSignal;
  log: Logger;
}

/** What /stats shows of gossip. */
export interface GossipStats {
  enabled: boolean;
  publicUrl: string | undefined;
  counts: GossipCounts;
  /** The peers whose announcements have been failing, with their records. */
  failing: { id: string; health: PeerHealth }[];
}

const zeros = <K extends string>(keys: readonly K[]): Record<K, number> =>
  Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;

/** The announcer's address, read with the rules of /nodes/register. */
function announcerOf(url: string): Peer {
  try {
    return parsePeerAddress(url);
  } catch (error) {
    if (error instanceof InvalidPeerAddressError) throw new InvalidAnnouncerError(url, error.reason);
    throw error;
  }
}

/**
 * Gossip (--gossip): our tip is announced to every peer when our chain grows,
 * and a peer announcing a chain with more work is synced from (through the host,
 * in turn with resolves), after which our new tip is announced in turn. An
 * announcer we did not know is registered, as /nodes/register would; one
 * whose chain is shorter than ours is told our tip.
 */
export class Gossip {
  readonly enabled: boolean;
  readonly #host: GossipHost;
  readonly #options: GossipOptions;
  readonly #queue: SyncQueue;
  readonly #counts: GossipCounts = {
    sent: 0,
    failed: 0,
    skipped: 0,
    received: 0,
    dropped: zeros(DROP_REASONS),
    syncs: zeros(SYNC_OUTCOMES),
  };
  #announcer: Announcer | undefined;
  #publicUrl: string | undefined;
  /**
   * The tip of ours each peer was last told because it announced a shorter
   * one. It is told each of our tips so at most once, however often it
   * announces: what we send it grows with our chain, not with its requests.
   */
  readonly #toldBack = new Map<string, string>();

  constructor(host: GossipHost, options: GossipOptions) {
    this.enabled = options.enabled;
    this.#host = host;
    this.#options = options;
    this.#queue = new SyncQueue((peer, tip) => this.#sync(peer, tip));
  }

  /**
   * Starts announcing as `publicUrl`, first our tip to every peer: a node back
   * from a stop learns what it missed from the peers it tells.
   */
  start(publicUrl: string): void {
    if (!this.enabled || this.#announcer !== undefined) return;
    const { network, peers, signal, log } = this.#options;
    this.#publicUrl = publicUrl;
    this.#announcer = new Announcer({
      network,
      url: publicUrl,
      records: peers.announcing,
      signal,
      log,
      counted: (result) => {
        this.#counts[result]++;
      },
    });
    this.#announceTip(peers.list());
    void this.#checkPublicUrl(publicUrl);
  }

  /**
   * Asks our public URL who it is, as a peer told to sync from it would: a
   * URL that does not reach this node is logged, since peers would fail. (It
   * also makes the node's first request through got, which is slow, before a
   * block waits for it.)
   */
  async #checkPublicUrl(publicUrl: string): Promise<void> {
    const { network, signal, log } = this.#options;
    try {
      const greeting = await network.greeting(announcerOf(publicUrl), signal);
      if (greeting.includes(this.#host.id)) log.info({ publicUrl }, "our public URL reaches this node");
      else {
        log.warn(
          { publicUrl, greeting },
          `our public URL ${publicUrl} reaches another node: peers would sync from it, not from this one; check --public-url`,
        );
      }
    } catch (error) {
      if (signal.aborted) return;
      log.warn(
        { publicUrl, reason: error instanceof Error ? error.message : String(error) },
        `our public URL ${publicUrl} does not reach this node, so peers will fail to sync from it; check --public-url`,
      );
    }
  }

  /** The URL announcements carry, once started. */
  get publicUrl(): string | undefined {
    return this.#publicUrl;
  }

  /** Our chain grew (a block mined, or a chain adopted from `from`): every other peer is told. */
  tipChanged(from?: string): void {
    this.#announceTip(this.#options.peers.list().filter((peer) => peer.id !== from));
  }

  /** Resolves once every announcement asked for so far has been sent or has failed. */
  async settled(): Promise<void> {
    await this.#announcer?.settled();
  }

  /**
   * An announcement from a peer: dropped when its tip is ours or not better
   * (no more work: on the walkthrough's chain, no longer), or its announcer
   * is backing off; else queued for a sync. The url is read as
   * /nodes/register reads an address (InvalidAnnouncerError), an announcer
   * on another chain is refused (ForeignAnnouncerError) and not registered,
   * and an unknown announcer is registered (TooManyPeersError at the cap).
   */
  async receive(body: AnnounceBody): Promise<AnnounceAnswer> {
    const announcer = announcerOf(body.url);
    if (!this.enabled) {
      return this.#dropped("gossip off", "ignored", "Announcement ignored: gossip is off on this node (see --gossip)");
    }
    const ourId = this.#host.chain.rules.id;
    if (body.chain !== ourId) throw new ForeignAnnouncerError(body.url, body.chain, ourId);
    const { peers, log } = this.#options;
    if (peers.get(announcer.id) === undefined) await this.#host.register(announcer);
    const peer = peers.get(announcer.id) ?? announcer;
    // It is up, whatever became of the announcements we sent it.
    peers.announcing.succeeded(peer.id);
    const tip: TipBody = { length: body.length, hash: body.hash, work: body.work, chain: body.chain };
    const { chain } = this.#host;
    const news = judgeTip(chain, tip);
    if (news !== "longer") {
      const ours = chain.length;
      if (chain.work > BigInt(tip.work) && this.#toldBack.get(peer.id) !== chain.tipHash) {
        this.#toldBack.set(peer.id, chain.tipHash);
        this.#announceTip([peer]);
      }
      log.debug({ peer: peer.id, length: tip.length, ours, news }, "announcement dropped");
      return news === "known"
        ? this.#dropped(
            "known",
            "known",
            `Announcement dropped: this node already holds block ${tip.length} ${tip.hash}`,
          )
        : this.#dropped(
            "not longer",
            "not longer",
            chain.rules.pow.kind === "fixed"
              ? `Announcement dropped: this node's chain of ${ours} blocks is at least as long`
              : `Announcement dropped: this node's chain of ${ours} blocks holds at least as much work (${chain.work})`,
          );
    }
    const backingOff = peers.backingOff(peer.id, Date.now());
    if (backingOff) {
      const until = new Date(backingOff.retryAt).toISOString();
      log.debug({ peer: peer.id, length: tip.length, retryAt: until }, "announcement dropped: backing off");
      return this.#dropped(
        "backing off",
        "backing off",
        `Announcement dropped: ${peer.id} is skipped until ${until} after failing ${backingOff.failures} times in a row (last: ${backingOff.lastError})`,
      );
    }
    const offer = this.#queue.offer(peer, tip);
    if (offer === "duplicate") {
      return this.#dropped(
        "duplicate",
        "duplicate",
        `Announcement dropped: a sync from ${peer.id} to that tip is on its way`,
      );
    }
    if (offer === "superseded") this.#counts.dropped.superseded++;
    this.#counts.received++;
    log.debug({ peer: peer.id, length: tip.length, ours: chain.length, offer }, "announcement queued");
    return {
      outcome: "queued",
      message:
        offer === "started"
          ? `Announcement queued: syncing from ${peer.id}, whose chain has ${tip.length} blocks`
          : `Announcement queued: it waits for the sync from ${peer.id} in flight`,
    };
  }

  stats(now: number): GossipStats {
    return {
      enabled: this.enabled,
      publicUrl: this.publicUrl,
      counts: this.counts,
      failing: this.#options.peers.announcing.failing(now),
    };
  }

  /** A copy of the counters. */
  get counts(): GossipCounts {
    const { dropped, syncs, ...sums } = this.#counts;
    return { ...sums, dropped: { ...dropped }, syncs: { ...syncs } };
  }

  #dropped(reason: DropReason, outcome: AnnounceOutcome, message: string): AnnounceAnswer {
    this.#counts.received++;
    this.#counts.dropped[reason]++;
    return { outcome, message };
  }

  /** Announces the durable tip to these peers. */
  #announceTip(peers: readonly Peer[]): void {
    if (peers.length > 0) this.#announcer?.announce(peers, this.#host.durableTip());
  }

  /** One queued sync, through the host; never rejects. */
  async #sync(peer: Peer, tip: TipBody): Promise<void> {
    let result: SyncResult;
    try {
      result = await this.#host.syncFrom(peer, tip);
    } catch (error) {
      this.#options.log.error({ err: error, peer: peer.id, length: tip.length }, "a sync from an announcer failed");
      result = "failed";
    }
    if (result === "overtaken" || result === "backing off") this.#counts.dropped[result]++;
    else if (result !== "stopped") this.#counts.syncs[result]++;
  }
}
