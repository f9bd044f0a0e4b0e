import type { MessagePort } from "node:worker_threads";
import {
  type Block,
  checkExtension,
  InvalidChainError,
  type SignaturePartsSink,
  type SignatureSink,
  signatureJobsOf,
} from "../../chain/index.js";
// Not ../../schemas/index.js: the page worker (workers/page.ts) would load the response schemas too, and through
// them consensus, peers and got.
import { checkChain, SchemaError } from "../../schemas/validate.js";
import { SignatureBatch, SignatureBatchBuilder } from "../../signatures/batch.js";
import type { SignatureJob } from "../../signatures/interface.js";
import type { AheadSignatures, PageOutcome, PageSignatures, PageTask } from "./interface.js";

/** Bytes of blocks a page is asked for, at most: a page of one larger block is allowed (see MAX_BLOCK_BYTES). */
export const PAGE_BYTES = 2 * 1024 * 1024;
/** What a page holds besides its blocks: the frame, the commas, the length. */
export const PAGE_FRAME_BYTES = 64 * 1024;

const decoder = new TextDecoder("utf-8", { fatal: true });

/** The signatures a page's check leaves to the signature pool, and how many each of its blocks holds. */
class PageSignatureSink {
  readonly #jobs: SignatureJob[] = [];
  readonly #perBlock: number[] = [];

  constructor(readonly from: number) {}

  readonly take: SignatureSink = (job, blockIndex) => {
    this.#jobs.push(job());
    const at = blockIndex - this.from;
    while (this.#perBlock.length <= at) this.#perBlock.push(0);
    this.#perBlock[at] = (this.#perBlock[at] as number) + 1;
  };

  /** The signatures packed, or undefined if there are none. */
  packed(): PageSignatures | undefined {
    if (this.#jobs.length === 0) return undefined;
    return { buffer: SignatureBatch.pack(this.#jobs).buffer, perBlock: this.#perBlock };
  }
}

/**
 * Signatures sent ahead in one piece: the signature pool starts verifying
 * the first while the page worker makes the rest. With a page's 10,000
 * made and packed at once, the pool got the first 75 to 80 ms after the
 * page reached the worker; in pieces, 30 to 35 ms (the idle Xeon, timed by
 * hand; `npm run bench:page-steps` times the steps that come before).
 */
export const AHEAD_PIECE = 1024;

/** Sends a page's signatures ahead on `port` as they come, `piece` at a time, and counts them by block. */
class AheadSender {
  sent = 0;
  readonly perBlock: number[] = [];
  readonly #batch = new SignatureBatchBuilder();

  constructor(
    readonly port: MessagePort,
    readonly piece: number,
  ) {}

  readonly take: SignaturePartsSink = (publicKey, signatureHex, message, at) => {
    this.#batch.add(publicKey, signatureHex, message);
    while (this.perBlock.length <= at) this.perBlock.push(0);
    this.perBlock[at] = (this.perBlock[at] as number) + 1;
    if (this.#batch.length >= this.piece) this.flush();
  };

  /** Sends what is left. */
  flush(): void {
    const count = this.#batch.length;
    if (count === 0) return;
    const piece: AheadSignatures = { buffer: this.#batch.build().buffer, first: this.sent };
    this.port.postMessage(piece, [piece.buffer]);
    this.sent += count;
  }
}

/** How many signatures a page's check reached, their jobs sent ahead (see checkPage's `early`). */
class SignatureCounter {
  count = 0;

  readonly take: SignatureSink = () => {
    this.count++;
  };
}

/**
 * Checks one page of a peer's chain, each step only if the one before passed:
 * UTF-8, JSON, the chain schema, no more blocks or bytes than were asked for,
 * its first block at the height asked, and every rule but the transfers'
 * signatures, each block extending the one before, the first extending
 * `after`. The signatures come back packed, to be verified on every core
 * (see verifyPageSignatures). With `early` (PagePool), they are sent ahead on
 * it instead, in pieces as they are made once the schema has passed, so
 * that the signature pool verifies them while the rest are made and the
 * other rules are checked; the outcome then tells how many were sent and
 * how many of them the check reached (`ahead`): a failure among the rest is
 * moot. Pure but for those messages: no I/O, no state.
 */
export function checkPage({ bytes, from, limit, after, rules, now, early }: PageTask): PageOutcome {
  let body: unknown;
  try {
    body = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    return { invalid: `its page from block ${from} is not JSON: ${(error as Error).message}` };
  }
  const chain = (body as { chain?: unknown } | null)?.chain;
  if (Array.isArray(chain) && chain.length === 0) {
    return { invalid: `its page from block ${from} is empty: its chain no longer holds the tip it announced` };
  }
  let blocks: Block[];
  try {
    blocks = checkChain(body).chain;
  } catch (error) {
    if (error instanceof SchemaError) return { invalid: `its page from block ${from}: ${error.message}` };
    throw error;
  }
  if (blocks.length > limit) {
    return { invalid: `its page from block ${from} holds ${blocks.length} blocks, more than the ${limit} asked for` };
  }
  if (blocks.length > 1 && bytes.length > PAGE_BYTES + PAGE_FRAME_BYTES) {
    return {
      invalid: `its page from block ${from} is ${bytes.length} bytes of ${blocks.length} blocks, more than the ${PAGE_BYTES} asked for`,
    };
  }
  if ((blocks[0] as Block).index !== from) {
    return { invalid: `its page from block ${from} starts at block ${(blocks[0] as Block).index}` };
  }
  if (early !== undefined && rules.ledger.kind === "accounts") {
    const ahead = new AheadSender(early.port, early.piece);
    signatureJobsOf(blocks, rules, ahead.take);
    ahead.flush();
    if (ahead.sent > 0) {
      const counter = new SignatureCounter();
      const outcome = checkBlocks(blocks, after, rules, now, counter.take);
      return { ...outcome, ahead: { sent: ahead.sent, perBlock: ahead.perBlock, reached: counter.count } };
    }
  }
  const signatures = new PageSignatureSink(from);
  const outcome = checkBlocks(blocks, after, rules, now, signatures.take);
  if ("valid" in outcome) return { valid: { ...outcome.valid, signatures: signatures.packed() } };
  const before = signatures.packed();
  return before === undefined ? outcome : { ...outcome, signatures: before };
}

/** checkPage's last step: every rule of `blocks` but the signatures, which go to `sink`. */
function checkBlocks(
  blocks: Block[],
  after: PageTask["after"],
  rules: PageTask["rules"],
  now: number,
  sink: SignatureSink,
): PageOutcome {
  try {
    const { encoded: blocksJson, tip } = checkExtension(blocks, after, rules, now, sink);
    const ends: number[] = [];
    let end = 0;
    for (const { head, transactions } of blocksJson) {
      end += Buffer.byteLength(head) + transactions.length + 1;
      ends.push(end);
    }
    const encoded = Buffer.allocUnsafeSlow(end);
    let at = 0;
    for (const { head, transactions } of blocksJson) {
      at += encoded.write(head, at);
      encoded.set(transactions, at);
      at += transactions.length;
      at += encoded.write("}", at);
    }
    const hashes = blocksJson.map((block) => block.hash);
    const bits = blocks.map((block) => block.bits);
    const last = blocks[blocks.length - 1] as Block;
    return { valid: { encoded, ends, hashes, bits, tip, last, signatures: undefined } };
  } catch (error) {
    if (!(error instanceof InvalidChainError)) throw error;
    if ((blocks[0] as Block).previous_hash !== after.hash) return { invalid: error.message, unlinked: true };
    return { invalid: error.message };
  }
}
