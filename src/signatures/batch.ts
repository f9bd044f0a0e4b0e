import type { SignatureJob } from "./interface.js";

/** Jobs `start` to `end` (excluded) of a batch. */
type JobRange = readonly [batch: SignatureBatch, start: number, end: number];

/** A batch's buffer for `count` jobs of `size` bytes in all: the count written, a view of the offsets, where the bytes start. */
function layout(count: number, size: number): { buffer: ArrayBuffer; offsets: Uint32Array; header: number } {
  const header = 4 * (3 * count + 2);
  const buffer = new ArrayBuffer(header + size);
  new Uint32Array(buffer, 0, 1)[0] = count;
  return { buffer, offsets: new Uint32Array(buffer, 4, 3 * count + 1), header };
}

/**
 * Signature jobs packed in one ArrayBuffer, which crosses to a worker moved,
 * not copied: the job count (a uint32), then for each job the offsets of its
 * public key, its signature and its message (uint32s, from the buffer's
 * start), and the end of the last one; then the bytes, job after job. A
 * job's bytes are taken as they are, whatever their lengths: the pinned rule
 * (src/keys' verify) refuses a key or signature of the wrong length itself.
 *
 * Measured with 5,000 jobs of a transfer's size (1.9 MB packed) sent to one
 * worker and back, on the 2-core Xeon while other work loaded it: packed
 * and moved, 4.2 ms (nearly all of it the packing, on the calling thread);
 * packed and cloned, 6.3 ms; the jobs as objects, cloned, 28 ms (their
 * Buffers views on Node's 8 KiB pool, which a clone copies whole) to 40 ms
 * (each in a buffer of its own). Their verifies take 650 ms.
 */
export class SignatureBatch {
  readonly buffer: ArrayBuffer;
  readonly length: number;
  readonly #offsets: Uint32Array;
  readonly #bytes: Uint8Array;

  /** A batch over `buffer`, as pack or slice made it; a RangeError if its offsets do not fit it. */
  constructor(buffer: ArrayBuffer) {
    this.buffer = buffer;
    this.length = new Uint32Array(buffer, 0, 1)[0] as number;
    this.#offsets = new Uint32Array(buffer, 4, 3 * this.length + 1);
    this.#bytes = new Uint8Array(buffer);
    let previous = 4 * (3 * this.length + 2);
    for (const offset of this.#offsets) {
      if (offset < previous || offset > buffer.byteLength) {
        throw new RangeError(`a signature batch's offset ${offset} is out of order or past its end`);
      }
      previous = offset;
    }
  }

  /** The jobs, packed. */
  static pack(jobs: readonly SignatureJob[]): SignatureBatch {
    let size = 0;
    for (const { publicKey, signature, message } of jobs) size += publicKey.length + signature.length + message.length;
    const { buffer, offsets, header } = layout(jobs.length, size);
    const bytes = new Uint8Array(buffer);
    let at = header;
    jobs.forEach(({ publicKey, signature, message }, i) => {
      offsets[3 * i] = at;
      bytes.set(publicKey, at);
      at += publicKey.length;
      offsets[3 * i + 1] = at;
      bytes.set(signature, at);
      at += signature.length;
      offsets[3 * i + 2] = at;
      bytes.set(message, at);
      at += message.length;
    });
    offsets[3 * jobs.length] = at;
    return new SignatureBatch(buffer);
  }

  /** The jobs of `batches`, one after another, copied into one batch. */
  static concat(batches: readonly SignatureBatch[]): SignatureBatch {
    return SignatureBatch.#joined(batches.map((batch): JobRange => [batch, 0, batch.length]));
  }

  /** The jobs of each range, one range after another, copied into one batch: what slice and concat make. */
  static #joined(ranges: readonly JobRange[]): SignatureBatch {
    let count = 0;
    let size = 0;
    for (const [batch, start, end] of ranges) {
      count += end - start;
      size += (batch.#offsets[3 * end] as number) - (batch.#offsets[3 * start] as number);
    }
    const { buffer, offsets, header } = layout(count, size);
    const into = new Uint8Array(buffer);
    let job = 0;
    let at = header;
    for (const [batch, start, end] of ranges) {
      const from = batch.#offsets[3 * start] as number;
      const to = batch.#offsets[3 * end] as number;
      for (let i = 0; i < 3 * (end - start); i++) {
        offsets[3 * job + i] = (batch.#offsets[3 * start + i] as number) - from + at;
      }
      into.set(batch.#bytes.subarray(from, to), at);
      job += end - start;
      at += to - from;
    }
    offsets[3 * count] = at;
    return new SignatureBatch(buffer);
  }

  #field(job: number, field: 0 | 1 | 2): Uint8Array {
    if (!Number.isInteger(job) || job < 0 || job >= this.length) throw new RangeError(`no job ${job} in this batch`);
    const at = 3 * job + field;
    return this.#bytes.subarray(this.#offsets[at], this.#offsets[at + 1]);
  }

  /** Job `job`'s public key: a view on the batch's buffer, as are signature and message. */
  publicKey(job: number): Uint8Array {
    return this.#field(job, 0);
  }

  signature(job: number): Uint8Array {
    return this.#field(job, 1);
  }

  message(job: number): Uint8Array {
    return this.#field(job, 2);
  }

  /** Job `job` as a SignatureJob of views on the buffer. */
  job(job: number): SignatureJob {
    return { publicKey: this.publicKey(job), signature: this.signature(job), message: this.message(job) };
  }

  /** Jobs `start` to `end` (excluded), copied into a batch of their own. */
  slice(start: number, end: number): SignatureBatch {
    const count = end - start;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || count < 0 || end > this.length) {
      throw new RangeError(`jobs ${start} to ${end} are not a range of this batch of ${this.length}`);
    }
    return SignatureBatch.#joined([[this, start, end]]);
  }
}

/** Bytes a builder starts with: about 200 transfers' jobs; it doubles as it needs. */
const BUILDER_START = 64 * 1024;

/**
 * Packs jobs into a SignatureBatch as their parts come, each written in
 * place: the key's bytes, the signature from its hex digits, the message
 * from its text as UTF-8. A page's thousands of transfers then make no
 * Buffer of their own for a message or a signature, only to be copied into
 * the batch (what pack does with SignatureJobs), and leave that much less
 * for the collector. Reused after each build.
 */
export class SignatureBatchBuilder {
  #data = Buffer.allocUnsafeSlow(BUILDER_START);
  #at = 0;
  #offsets: number[] = [];

  /** The jobs added since the last build. */
  get length(): number {
    return this.#offsets.length / 3;
  }

  /** Adds a job; a RangeError, and nothing added, if `signatureHex` is not whole bytes of hex digits. */
  add(publicKey: Uint8Array, signatureHex: string, message: string): void {
    this.#room(publicKey.length + signatureHex.length / 2 + 3 * message.length);
    const data = this.#data;
    const keyAt = this.#at;
    data.set(publicKey, keyAt);
    const signatureAt = keyAt + publicKey.length;
    const written = data.write(signatureHex, signatureAt, "hex");
    if (2 * written !== signatureHex.length) throw new RangeError(`a signature of ${signatureHex.length} hex digits`);
    const messageAt = signatureAt + written;
    this.#at = messageAt + data.write(message, messageAt, "utf8");
    this.#offsets.push(keyAt, signatureAt, messageAt);
  }

  /** The jobs added since the last build, packed as SignatureBatch.pack would; the builder is then empty. */
  build(): SignatureBatch {
    const count = this.length;
    const { buffer, offsets, header } = layout(count, this.#at);
    for (const [i, offset] of this.#offsets.entries()) offsets[i] = offset + header;
    offsets[3 * count] = header + this.#at;
    new Uint8Array(buffer, header).set(this.#data.subarray(0, this.#at));
    this.#at = 0;
    this.#offsets = [];
    return new SignatureBatch(buffer);
  }

  /** At least `bytes` free after what is written. */
  #room(bytes: number): void {
    if (this.#at + bytes <= this.#data.length) return;
    let size = this.#data.length;
    while (this.#at + bytes > size) size *= 2;
    const grown = Buffer.allocUnsafeSlow(size);
    grown.set(this.#data.subarray(0, this.#at));
    this.#data = grown;
  }
}
