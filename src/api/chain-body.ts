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
 * A JSON answer holding the view's blocks in `range`, streamed from the store
 * batch by batch as the client takes them: the stored bytes themselves, so
 * memory stays bounded whatever the chain's length and nothing is parsed or
 * serialized again. The first batch is read before the answer starts, so
 * damage found there is an error answer; damage found later cuts the answer
 * short (its status is sent), and is logged. Closes the view.
 */
export async function chainBody(view: ChainView, range: BlockRange, frame: Frame): Promise<Readable> {
  const parts = chunks(view, range, frame);
  const first = await parts.next();
  async function* all(): AsyncGenerator<Buffer> {
    if (first.done) return;
    yield first.value;
    yield* parts;
  }
  return Readable.from(all(), { objectMode: false, highWaterMark: 1 });
}
