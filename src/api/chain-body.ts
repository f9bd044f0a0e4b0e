import { Readable } from "node:stream";
import type { ChainView } from "../storage/index.js";

/** The part of an answer around its blocks: `head` + the blocks, comma-separated + `tail`. */
export interface Frame {
  head: string;
  tail: string;
}

async function* chunks(view: ChainView, from: number, to: number, { head, tail }: Frame): AsyncGenerator<string> {
  try {
    let text = head;
    let first = true;
    for await (const batch of view.blocks(from, to)) {
      for (const block of batch) {
        text += first ? JSON.stringify(block) : `,${JSON.stringify(block)}`;
        first = false;
      }
      yield text;
      text = "";
    }
    yield text + tail;
  } finally {
    await view.close();
  }
}

/**
 * A JSON answer holding the view's blocks from `from` to `to` (heights), read
 * from the store batch by batch as the client takes them: memory stays
 * bounded whatever the chain's length, and the bytes are those JSON.stringify
 * gives of the whole answer. The first batch is read before the answer
 * starts, so damage found there is an error answer; damage found later cuts
 * the answer short (its status is sent), and is logged. Closes the view.
 */
export async function chainBody(view: ChainView, from: number, to: number, frame: Frame): Promise<Readable> {
  const parts = chunks(view, from, to, frame);
  const first = await parts.next();
  async function* all(): AsyncGenerator<string> {
    if (first.done) return;
    yield first.value;
    yield* parts;
  }
  return Readable.from(all(), { objectMode: true, highWaterMark: 1 });
}
