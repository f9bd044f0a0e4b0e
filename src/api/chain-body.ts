import { Readable } from "node:stream";
import type { ChainView } from "../storage/index.js";

/** The part of an answer around its blocks: `head` + the blocks, comma-separated + `tail`. */
export interface Frame {
  head: string;
  tail: string;
}

/** Which blocks an answer holds: from `from` to `to` (heights), and at most `maxBytes` of them, but one at least. */
export interface BlockRange {
  from: number;
  to: number;
  maxBytes?: number | undefined;
}

const COMMA = Buffer.from(",");

async function* chunks(view: ChainView, { from, to, maxBytes }: BlockRange, frame: Frame): AsyncGenerator<Buffer> {
  try {
    const parts: Buffer[] = [Buffer.from(frame.head)];
    let sent = 0;
    read: for await (const batch of view.encoded(from, to)) {
      for (const block of batch) {
        if (maxBytes !== undefined && sent > 0 && sent + block.length > maxBytes) break read;
        if (sent > 0) parts.push(COMMA);
        parts.push(block);
        sent += block.length;
      }
      yield Buffer.concat(parts);
      parts.length = 0;
    }
    parts.push(Buffer.from(frame.tail));
    yield Buffer.concat(parts);
  } finally {
    await view.close();
  }
}

/**
 * An answer this small is sent as one buffer: a chain of a few hundred
 * blocks then costs one write, not a stream (Node's pipeline, its abort
 * signal, a write per batch), which is most of a short chain's GET /chain.
 */
export const WHOLE_ANSWER_BYTES = 256 * 1024;

/**
 * A JSON answer holding the view's blocks in `range`: the stored bytes
 * themselves, so nothing is parsed or serialized again. Batches are read
 * until the answer is complete or passes WHOLE_ANSWER_BYTES; a complete one
 * is one Buffer, a longer one is streamed from the store batch by batch as
 * the client takes them, so memory stays bounded whatever the chain's
 * length. What is read before the answer starts makes damage found there an
 * error answer; damage found later cuts the answer short (its status is
 * sent), and is logged. Closes the view.
 */
export async function chainBody(view: ChainView, range: BlockRange, frame: Frame): Promise<Buffer | Readable> {
  const parts = chunks(view, range, frame);
  const read: Buffer[] = [];
  let bytes = 0;
  while (bytes <= WHOLE_ANSWER_BYTES) {
    const next = await parts.next();
    if (next.done) return Buffer.concat(read);
    read.push(next.value);
    bytes += next.value.length;
  }
  async function* all(): AsyncGenerator<Buffer> {
    yield* read;
    yield* parts;
  }
  return Readable.from(all(), { objectMode: false, highWaterMark: 1 });
}
