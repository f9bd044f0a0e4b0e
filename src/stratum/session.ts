import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Socket } from "node:net";
import { blockWork, hashValue, proofHash } from "../chain/index.js";
import type { MiningJob } from "../mining/index.js";
import {
  checkAuthorizeParams,
  checkStratumRequest,
  checkSubmitParams,
  checkSubscribeParams,
  SchemaError,
  type StratumRequest,
} from "../schemas/index.js";
import { LineTooLongError, StratumCode, StratumError } from "./errors.js";
import { LineReader } from "./framing.js";
import type { JobSource, MinerView, ProofSink, ShareOutcome, StratumOptions } from "./interface.js";
import { inRange, type NonceRange, type RangeClaim } from "./ranges.js";
import { initialShareTarget, retarget, type VardiffWindow } from "./vardiff.js";

/** The software this node's Stratum answers as. */
export const MINER_AGENT = "toychain-miner";

/** A session's jobs, newest last: a share for one past these is stale. */
const SESSION_JOBS = 16;
/** Bytes a session may leave unread in its socket's buffer before it is closed: a client that does not read. */
const MAX_UNREAD_BYTES = 1024 * 1024;

/** A job as one session got it: with the share target of then. */
interface SessionJob {
  seq: number;
  shareTarget: bigint;
}

/** What a session needs of its endpoint. */
export interface SessionContext {
  options: StratumOptions;
  jobs: JobSource;
  proofs: ProofSink;
  /** Counts a share's fate for the metrics. */
  counted(outcome: ShareOutcome): void;
  /** The session misbehaved past the threshold: close it and ban its address. */
  ban(session: Session, why: string): void;
}

const hex64 = (value: bigint): string => value.toString(16).padStart(64, "0");

/**
 * One miner's connection: its framing, its handshake (subscribe, then
 * authorize), its jobs and share target, and its shares, each checked in
 * Stratum's order: session, live job, range, duplicate, then one SHA-256
 * against the share target. A share that also meets the block's target goes
 * to the Miner, which forges the block.
 */
export class Session {
  readonly id = randomBytes(8).toString("hex");
  readonly address: string;
  /** The slot its range of nonces is taken from. */
  readonly slot: number;
  readonly connectedAt = Date.now();
  readonly #socket: Socket;
  readonly #context: SessionContext;
  readonly #reader = new LineReader();
  readonly #range: NonceRange;
  readonly #jobs = new Map<string, SessionJob>();
  /**
   * The nonces this session's shares used, by the node's job: one job may
   * reach a session under several ids (its share target changed), and a
   * share counts once whichever it is sent under.
   */
  readonly #nonces = new Map<number, Set<number>>();
  #jobCounter = 0;
  #subscribed = false;
  #name: string | undefined;
  #authorizedAt = 0;
  #shareTarget: bigint | undefined;
  #window: VardiffWindow = { since: 0, shares: 0 };
  #work = 0n;
  #lastShare: number | undefined;
  #blocks = 0;
  readonly #shares: Record<ShareOutcome, number> = { accepted: 0, stale: 0, refused: 0 };
  readonly #handshake: NodeJS.Timeout;
  #closed = false;

  constructor(socket: Socket, { slot, range }: RangeClaim, context: SessionContext) {
    this.#socket = socket;
    this.slot = slot;
    this.#range = range;
    this.#context = context;
    this.address = `${socket.remoteAddress}:${socket.remotePort}`;
    const { handshakeMs, idleMs } = context.options;
    this.#handshake = setTimeout(() => this.close("no subscribe and authorize in time"), handshakeMs);
    socket.setNoDelay(true);
    socket.setTimeout(idleMs, () => this.close(`nothing received for ${idleMs / 1000} s`));
    socket.on("data", (chunk: Buffer) => this.#data(chunk));
  }

  get remoteIp(): string {
    return this.#socket.remoteAddress ?? "";
  }

  get authorized(): boolean {
    return this.#name !== undefined;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Its rate: the work of its accepted shares since it authorized, a second. */
  get hashesPerSecond(): number {
    if (this.#name === undefined) return 0;
    const seconds = (Date.now() - this.#authorizedAt) / 1000;
    return seconds > 0 ? Number(this.#work) / seconds : 0;
  }

  view(): MinerView {
    return {
      session: this.id,
      name: this.#name ?? null,
      address: this.address,
      work: String(this.#work),
      hashes_per_second: Math.round(this.hashesPerSecond),
      share_hashes: this.#shareTarget === undefined ? 0 : Number(blockWork(this.#shareTarget)),
      shares: { ...this.#shares },
      blocks: this.#blocks,
      last_share: this.#lastShare === undefined ? null : new Date(this.#lastShare).toISOString(),
      connected_at: new Date(this.connectedAt).toISOString(),
    };
  }

  /** Sends `job` to an authorized miner; a clean job voids its earlier ones. */
  notify(job: MiningJob): void {
    if (this.#name === undefined || this.#shareTarget === undefined) return;
    if (job.clean) {
      this.#jobs.clear();
      this.#nonces.clear();
    }
    const id = (++this.#jobCounter).toString(16);
    this.#jobs.set(id, { seq: job.seq, shareTarget: this.#shareTarget });
    if (this.#jobs.size > SESSION_JOBS) {
      const oldest = this.#jobs.keys().next().value as string;
      const { seq } = this.#jobs.get(oldest) as SessionJob;
      this.#jobs.delete(oldest);
      if (![...this.#jobs.values()].some((sent) => sent.seq === seq)) this.#nonces.delete(seq);
    }
    this.#send({
      id: null,
      method: "mining.notify",
      params: [id, job.header, job.index, hex64(job.target), job.clean],
    });
  }

  /** Moves the share target if the miner's spacing of shares asks for it (at each share, and now and then for a quiet miner). */
  retarget(now = Date.now()): void {
    const job = this.#context.jobs.current;
    if (this.#shareTarget === undefined || job === undefined) return;
    const next = retarget(this.#shareTarget, this.#window, now, job.target, this.#context.options.vardiff);
    if (next === "wait") return;
    if (next === "keep") {
      this.#window = { since: now, shares: 0 };
      return;
    }
    this.#setTarget(next, now);
    // The new target holds for the jobs sent from now on: the running one again, its earlier shares still judged by the old.
    this.notify({ ...job, clean: false });
  }

  close(why: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#handshake);
    this.#context.options.log.info(
      { session: this.id, address: this.address, name: this.#name, shares: this.#shares, work: String(this.#work) },
      `stratum session closed: ${why}`,
    );
    this.#socket.destroy();
  }

  #setTarget(target: bigint, now: number): void {
    this.#shareTarget = target;
    this.#window = { since: now, shares: 0 };
    this.#send({ id: null, method: "mining.set_target", params: [hex64(target)] });
  }

  #data(chunk: Buffer): void {
    let lines: string[];
    try {
      lines = this.#reader.feed(chunk);
    } catch (error) {
      if (!(error instanceof LineTooLongError)) throw error;
      this.#answer(null, new StratumError(StratumCode.OTHER, error.message));
      this.close(error.message);
      return;
    }
    for (const line of lines) {
      if (this.#closed) return;
      this.#line(line);
    }
  }

  #line(line: string): void {
    let request: StratumRequest;
    try {
      request = checkStratumRequest(JSON.parse(line));
    } catch (error) {
      const why = error instanceof SchemaError ? error.message : `not JSON: ${(error as Error).message}`;
      this.#refused(null, new StratumError(StratumCode.OTHER, why));
      return;
    }
    try {
      this.#answer(request.id, null, this.#request(request));
    } catch (error) {
      if (error instanceof SchemaError) {
        this.#refused(request.id, new StratumError(StratumCode.OTHER, `${request.method}: ${error.message}`));
      } else if (error instanceof StratumError && error.code === StratumCode.STALE) {
        // A share for a job replaced while it was on its way: the miner's luck, not its fault.
        this.#count("stale");
        this.#answer(request.id, error);
      } else if (error instanceof StratumError) {
        this.#refused(request.id, error);
      } else throw error;
    }
  }

  #request({ method, params }: StratumRequest): unknown {
    switch (method) {
      case "mining.subscribe":
        return this.#subscribe(params);
      case "mining.authorize":
        return this.#authorize(params);
      case "mining.submit":
        return this.#submit(params);
      default:
        throw new StratumError(StratumCode.OTHER, `unknown method ${JSON.stringify(method)}`);
    }
  }

  #subscribe(params: unknown[]): unknown {
    checkSubscribeParams(params);
    this.#subscribed = true;
    return { session: this.id, nonce_range: [this.#range.start, this.#range.end] };
  }

  #authorize(params: unknown[]): boolean {
    if (!this.#subscribed)
      throw new StratumError(StratumCode.NOT_SUBSCRIBED, "not subscribed: send mining.subscribe first");
    const [name, token = ""] = checkAuthorizeParams(params);
    const { apiToken } = this.#context.options;
    if (apiToken !== undefined && !sameToken(token, apiToken)) {
      throw new StratumError(StratumCode.UNAUTHORIZED, "unauthorized: this node needs its API token to mine for it");
    }
    if (this.#name !== undefined && this.#name !== name) {
      throw new StratumError(StratumCode.UNAUTHORIZED, `unauthorized: this session mines as ${this.#name} already`);
    }
    if (this.#name === undefined) {
      this.#name = name;
      this.#authorizedAt = Date.now();
      clearTimeout(this.#handshake);
      this.#context.options.log.info(
        { session: this.id, address: this.address, name, range: this.#range },
        "stratum miner authorized",
      );
      // After the answer: the share target, then the running job.
      queueMicrotask(() => this.#start());
    }
    return true;
  }

  #start(): void {
    const job = this.#context.jobs.current;
    if (this.#closed || job === undefined) return;
    this.#setTarget(initialShareTarget(job.target, this.#context.options.vardiff), Date.now());
    this.notify({ ...job, clean: true });
  }

  #submit(params: unknown[]): boolean {
    if (!this.#subscribed)
      throw new StratumError(StratumCode.NOT_SUBSCRIBED, "not subscribed: send mining.subscribe first");
    const [name, jobId, nonce] = checkSubmitParams(params);
    if (this.#name === undefined)
      throw new StratumError(StratumCode.UNAUTHORIZED, "unauthorized: send mining.authorize first");
    if (name !== this.#name)
      throw new StratumError(
        StratumCode.UNAUTHORIZED,
        `unauthorized: this session mines as ${this.#name}, not ${name}`,
      );
    const sent = this.#jobs.get(jobId);
    const job = sent && this.#context.jobs.live(sent.seq);
    if (sent === undefined || job === undefined) {
      throw new StratumError(StratumCode.STALE, `job ${jobId} is not a live job: stale, or never sent`);
    }
    if (!inRange(nonce, this.#range)) {
      throw new StratumError(
        StratumCode.OTHER,
        `nonce ${nonce} is outside this session's range ${this.#range.start} to ${this.#range.end}`,
      );
    }
    const used = this.#nonces.get(sent.seq);
    if (used?.has(nonce)) {
      throw new StratumError(StratumCode.DUPLICATE, `nonce ${nonce} was submitted for this job already`);
    }
    const hash = hashValue(proofHash(job.header, nonce));
    if (hash > sent.shareTarget)
      throw new StratumError(StratumCode.ABOVE_TARGET, "the share's hash is above its share target");
    if (used === undefined) this.#nonces.set(sent.seq, new Set([nonce]));
    else used.add(nonce);
    const now = Date.now();
    this.#work += blockWork(sent.shareTarget);
    this.#lastShare = now;
    this.#window.shares++;
    this.#count("accepted");
    if (hash <= job.target) {
      const outcome = this.#context.proofs.submitProof(job.seq, nonce, this.#name);
      if (outcome === true) this.#blocks++;
      this.#context.options.log.info(
        { session: this.id, name: this.#name, job: job.seq, index: job.index, nonce, outcome },
        outcome === true
          ? "a stratum miner's share is a block"
          : `a stratum miner's block-meeting share came ${outcome}`,
      );
    }
    queueMicrotask(() => this.retarget(now));
    return true;
  }

  #count(outcome: ShareOutcome): void {
    this.#shares[outcome]++;
    this.#context.counted(outcome);
  }

  /** Answers a refused request and counts it; past the threshold the session is closed and its address banned. */
  #refused(id: StratumRequest["id"], error: StratumError): void {
    this.#count("refused");
    this.#answer(id, error);
    const { refused: threshold } = this.#context.options.ban;
    const { accepted, refused } = this.#shares;
    if (refused >= threshold && refused >= accepted) {
      this.#context.ban(this, `${refused} refused requests against ${accepted} accepted shares`);
    }
  }

  #answer(id: StratumRequest["id"], error: StratumError | null, result: unknown = null): void {
    this.#send({
      id,
      result: error === null ? result : null,
      error: error === null ? null : [error.code, error.message, null],
    });
  }

  #send(message: object): void {
    if (this.#closed) return;
    if (this.#socket.writableLength > MAX_UNREAD_BYTES) {
      this.close(`more than ${MAX_UNREAD_BYTES} bytes left unread`);
      return;
    }
    this.#socket.write(`${JSON.stringify(message)}\n`);
  }
}

/** Compares a token given with the node's, in time that does not tell how much of it matched. */
function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
