import { createServer, type Server, type Socket } from "node:net";
import type { MiningJob } from "../mining/index.js";
import type { JobSource, MinerView, ProofSink, ShareOutcome, StratumOptions } from "./interface.js";
import { RangeAllocator } from "./ranges.js";
import { Session, type SessionContext } from "./session.js";

/** Addresses banned at once, at most: past it the oldest ban is lifted early. */
const MAX_BANS = 10_000;

/** The endpoint's counters, as /stats and /metrics read them. */
export interface StratumCounts {
  sessions: number;
  authorized: number;
  shares: Record<ShareOutcome, number>;
  /** Connections closed at once: the address banned, or every session taken. */
  turnedAway: number;
  bans: number;
  /** The miners' rates summed. */
  hashesPerSecond: number;
}

/**
 * A Stratum endpoint (line-delimited JSON-RPC over TCP): remote miners
 * subscribe, each getting its own range of nonces, authorize, then get the
 * node's jobs (mining.notify), each with a share target its vardiff keeps
 * near one share every few seconds, and send shares (mining.submit). The
 * jobs are the node's Miner's: it announces each (onJob), keeps those still
 * live (JobSource), and takes back a share that meets a block's target
 * (ProofSink), which it forges. Memory follows the sessions open (at most
 * maxSessions), not the shares or the connections that ever were. Nothing a miner sends can
 * throw out of here: a session's error closes that session only.
 */
export class StratumServer {
  readonly #options: StratumOptions;
  readonly #server: Server;
  readonly #sessions = new Set<Session>();
  readonly #ranges = new RangeAllocator();
  readonly #bans = new Map<string, number>();
  readonly #shares: Record<ShareOutcome, number> = { accepted: 0, stale: 0, refused: 0 };
  #turnedAway = 0;
  #ticker: NodeJS.Timeout | undefined;
  readonly #context: SessionContext;

  constructor(options: StratumOptions, miner: JobSource & ProofSink) {
    this.#options = options;
    this.#server = createServer({ noDelay: true }, (socket) => this.#connection(socket));
    this.#context = {
      options,
      jobs: miner,
      proofs: miner,
      counted: (outcome) => {
        this.#shares[outcome]++;
      },
      ban: (session, why) => this.#ban(session, why),
    };
  }

  /** The port listened on (the one asked for, or the system's pick for 0). */
  get port(): number {
    const address = this.#server.address();
    return typeof address === "object" && address !== null ? address.port : this.#options.port;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(this.#options.port, this.#options.host, () => {
        this.#server.off("error", reject);
        // Quiet miners' share targets ease as their windows run out.
        const every = this.#options.vardiff.shareSeconds * 1000;
        this.#ticker = setInterval(() => {
          const now = Date.now();
          for (const session of this.#sessions) session.retarget(now);
        }, every);
        this.#ticker.unref();
        resolve();
      });
    });
  }

  /** A new job from the Miner: every authorized miner gets it (a clean one voids the earlier). */
  onJob(job: MiningJob): void {
    for (const session of this.#sessions) session.notify(job);
  }

  miners(): MinerView[] {
    return [...this.#sessions].filter((session) => session.authorized).map((session) => session.view());
  }

  counts(): StratumCounts {
    let authorized = 0;
    let hashesPerSecond = 0;
    for (const session of this.#sessions) {
      if (!session.authorized) continue;
      authorized++;
      hashesPerSecond += session.hashesPerSecond;
    }
    return {
      sessions: this.#sessions.size,
      authorized,
      shares: { ...this.#shares },
      turnedAway: this.#turnedAway,
      bans: this.#bans.size,
      hashesPerSecond,
    };
  }

  async close(): Promise<void> {
    clearInterval(this.#ticker);
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const session of this.#sessions) session.close("the node is stopping");
    await closed;
  }

  #connection(socket: Socket): void {
    const { log, maxSessions } = this.#options;
    const ip = socket.remoteAddress ?? "";
    const banned = this.#bannedUntil(ip);
    if (banned !== undefined || this.#sessions.size >= maxSessions) {
      this.#turnedAway++;
      log.warn(
        { address: `${ip}:${socket.remotePort}` },
        banned !== undefined
          ? `stratum connection refused: its address is banned until ${new Date(banned).toISOString()}`
          : `stratum connection refused: all ${maxSessions} sessions are taken`,
      );
      socket.destroy();
      return;
    }
    const claim = this.#ranges.take();
    if (claim === undefined) {
      this.#turnedAway++;
      socket.destroy();
      return;
    }
    const session = new Session(socket, claim, this.#context);
    this.#sessions.add(session);
    socket.on("error", (error) => log.debug({ session: session.id, err: error }, "stratum socket error"));
    socket.on("close", () => {
      session.close("the miner disconnected");
      if (this.#sessions.delete(session)) this.#ranges.release(session.slot);
    });
  }

  #ban(session: Session, why: string): void {
    const until = Date.now() + this.#options.ban.ms;
    this.#bans.delete(session.remoteIp);
    this.#bans.set(session.remoteIp, until);
    if (this.#bans.size > MAX_BANS) this.#bans.delete(this.#bans.keys().next().value as string);
    this.#options.log.warn(
      { session: session.id, address: session.address, until: new Date(until).toISOString() },
      `stratum miner banned: ${why}`,
    );
    session.close(`banned: ${why}`);
  }

  /** When the ban on `ip` ends, or undefined if there is none (an ended one is forgotten). */
  #bannedUntil(ip: string): number | undefined {
    const until = this.#bans.get(ip);
    if (until === undefined) return undefined;
    if (until > Date.now()) return until;
    this.#bans.delete(ip);
    return undefined;
  }
}
