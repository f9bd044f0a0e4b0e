import { Readable } from "node:stream";
import type { Block } from "../chain/index.js";
import type { TipBody } from "../schemas/index.js";
import { type ChainView, encodeBlock } from "../storage/index.js";

/** The part of an answer around its blocks: `head` + the blocks, comma-separated + `tail`. */
export interface Frame {
  head: string;
  tail: string;
}

/**
 * Which blocks an answer holds: from height `from`, at most `limit` of them
 * (else to the tip), and at most `maxBytes` of them, but one at least.
 */
export interface BlockQuery {
  from: number;
  limit?: number | undefined;
  maxBytes?: number | undefined;
}

/** What answers are read from: the durable chain, its tip (and mostly the tip's block) known without reading it. */
export interface ChainSource {
  readonly durableTip: TipBody;
  readonly durableTipBlock: Block | undefined;
  view(): Promise<ChainView>;
}

/**
 * An answer this small is sent as one buffer: a chain of a few hundred
 * blocks then costs one write, not a stream (Node's pipeline, its abort
 * signal, a write per batch), which is most of a short chain's GET /chain.
 */
export const WHOLE_ANSWER_BYTES = 256 * 1024;

const COMMA = Buffer.from(",");

/** The blocks from `from` to `to`, comma-separated, a read batch at a time, `maxBytes` of them at most; closes the view. */
async function* blockBytes(view: ChainView, from: number, to: number, maxBytes?: number): AsyncGenerator<Buffer> {
  try {
    let sent = 0;
    for await (const batch of view.encoded(from, to)) {
      const parts: Buffer[] = [];
      for (const block of batch) {
        if (maxBytes !== undefined && sent > 0 && sent + block.length > maxBytes) {
          yield Buffer.concat(parts);
          return;
        }
        if (sent > 0) parts.push(COMMA);
        parts.push(block);
        sent += block.length;
      }
      yield Buffer.concat(parts);
    }
  } finally {
    await view.close();
  }
}

const framed = (blocks: Buffer, { head, tail }: Frame): Buffer =>
  Buffer.concat([Buffer.from(head), blocks, Buffer.from(tail)]);

/** GET /chain's frame: `{"chain":[...],"length":N}`, the walkthrough's shape. */
export const chainFrame = (length: number): Frame => ({ head: '{"chain":[', tail: `],"length":${length}}` });

/** The blocks a view of `query` holds, framed: one Buffer up to WHOLE_ANSWER_BYTES, else a stream. Closes the view. */
async function rangeBody(view: ChainView, { from, limit, maxBytes }: BlockQuery, frame: Frame) {
  const to = limit === undefined ? view.length : Math.min(view.length, from + limit - 1);
  const parts = blockBytes(view, from, to, maxBytes);
  const read: Buffer[] = [];
  let bytes = 0;
  while (bytes <= WHOLE_ANSWER_BYTES) {
    const next = await parts.next();
    if (next.done) return framed(Buffer.concat(read), frame);
    read.push(next.value);
    bytes += next.value.length;
  }
  async function* all(): AsyncGenerator<Buffer> {
    yield Buffer.from(frame.head);
    yield* read;
    yield* parts;
    yield Buffer.from(frame.tail);
  }
  return Readable.from(all(), { objectMode: false, highWaterMark: 1 });
}

/** The chain's blocks, comma-separated, `length` of them up to the one whose hash is `hash`. */
interface WholeChain {
  length: number;
  hash: string;
  blocks: Buffer;
  /** When it was read (the read's start) or grown: a larger stamp is a newer chain. */
  stamp: number;
  /** GET /chain's answer holding them, framed once (by chainAnswer), then sent as it is. */
  chainAnswer?: Buffer;
}

/**
 * JSON answers holding the durable chain's blocks (GET /chain,
 * /nodes/resolve): the stored bytes themselves, so nothing is parsed or
 * serialized again.
 *
 * Blocks are read until the answer is complete or passes
 * WHOLE_ANSWER_BYTES; a complete one is one Buffer, a longer one is
 * streamed from the store batch by batch as the client takes them, so
 * memory stays bounded whatever the chain's length. What is read before the
 * answer starts makes damage found there an error answer; damage found
 * later cuts the answer short (its status is sent), and is logged.
 *
 * The whole chain, while it is that short, is kept: a block on its tip is
 * added to it in memory (the tip's block is the source's, its bytes checked
 * against the tip's hash), and it is read from the store only when that
 * cannot be (a chain replaced, the first answer). The clients that ask
 * while it is read wait for that read rather than each starting one (a new
 * tip makes every client miss at once). A client gets the durable chain of
 * the moment it asked or a later one: the chain kept is shown only while it
 * ends at the durable tip, and a read is taken as new enough only if it
 * began after the client asked. A replacement may be shorter (it has more
 * work), so the length tells nothing of which chain is newer: stamps do.
 */
export class ChainAnswers {
  readonly #source: ChainSource;
  /** The whole chain as last read, or grown since by the blocks on its tip. */
  #kept: WholeChain | undefined;
  /** The read of the whole chain in flight; it comes to undefined when the chain is too long to keep. */
  #reading: Promise<WholeChain | undefined> | undefined;
  /** The length at which the whole chain passed WHOLE_ANSWER_BYTES: from there on it is streamed. */
  #tooLongAt = Number.POSITIVE_INFINITY;
  /** The last stamp given, to a read as it began or to the chain kept as it grew. */
  #stamp = 0;

  constructor(source: ChainSource) {
    this.#source = source;
  }

  /** The blocks `query` names, framed by `frame` (given the chain's length). */
  async answer(query: BlockQuery, frame: (length: number) => Frame): Promise<Buffer | Readable> {
    const whole = query.from === 1 && query.limit === undefined && query.maxBytes === undefined;
    if (whole && this.#source.durableTip.length < this.#tooLongAt) {
      const chain = await this.#wholeChain();
      if (chain !== undefined) return framed(chain.blocks, frame(chain.length));
    }
    const view = await this.#source.view();
    return rangeBody(view, query, frame(view.length));
  }

  /** GET /chain's answer, when the chain kept is (or grows by a block into) the durable tip's: nothing is read. */
  chainAnswer(): Buffer | undefined {
    const kept = this.#current();
    if (kept !== undefined) kept.chainAnswer ??= framed(kept.blocks, chainFrame(kept.length));
    return kept?.chainAnswer;
  }

  /** The chain kept, if it is the durable tip's, once the tip's block is added to it when it is the next. */
  #current(): WholeChain | undefined {
    const kept = this.#kept;
    const tip = this.#source.durableTip;
    if (kept === undefined || kept.hash === tip.hash) return kept;
    const block = this.#source.durableTipBlock;
    if (tip.length !== kept.length + 1 || block?.previous_hash !== kept.hash) return undefined;
    const { hash, bytes } = encodeBlock(block);
    if (hash !== tip.hash) return undefined;
    const blocks = Buffer.concat([kept.blocks, COMMA, Buffer.from(bytes)]);
    if (blocks.length > WHOLE_ANSWER_BYTES) {
      this.#tooLongAt = tip.length;
      this.#kept = undefined;
      return undefined;
    }
    this.#kept = { length: tip.length, hash: tip.hash, blocks, stamp: ++this.#stamp };
    return this.#kept;
  }

  /** The whole chain, the durable tip's now or a later one; undefined when it is too long to keep. */
  async #wholeChain(): Promise<WholeChain | undefined> {
    const asked = this.#stamp;
    for (;;) {
      const current = this.#current();
      if (current !== undefined) return current;
      this.#reading ??= this.#readWhole().finally(() => {
        this.#reading = undefined;
      });
      const read = await this.#reading;
      // A read that began before we asked may be older than the tip we must show: read again.
      if (read === undefined || read.stamp > asked) return read;
    }
  }

  async #readWhole(): Promise<WholeChain | undefined> {
    const stamp = ++this.#stamp;
    const view = await this.#source.view();
    const { length, tipHash: hash } = view;
    const read: Buffer[] = [];
    let bytes = 0;
    for await (const part of blockBytes(view, 1, length)) {
      read.push(part);
      bytes += part.length;
      if (bytes > WHOLE_ANSWER_BYTES) {
        this.#tooLongAt = Math.min(this.#tooLongAt, length);
        return undefined;
      }
    }
    const chain = { length, hash, blocks: Buffer.concat(read), stamp };
    if (stamp > (this.#kept?.stamp ?? 0)) this.#kept = chain;
    return chain;
  }
}
