import type { Kernel } from "./interface.js";
import { compress, hasLeadingZeros, INITIAL_STATE, loadBlock } from "./sha256.js";

const ZERO = 48;
const NINE = 57;
/** Up to 16 digits and the 0x80 pad byte: the words of the tail that change. */
const DIGIT_WORDS = 5;

/**
 * The portable kernel: SHA-256(H || decimal(nonce)) in JavaScript. H fills the
 * first block exactly, so its compression (the midstate) is done once; each
 * nonce costs one compression of the second block, whose decimal digits are
 * incremented in place rather than formatted.
 */
export function portableKernel(header: string, difficulty: number): Kernel {
  const w = new Int32Array(64);
  const midstate = new Int32Array(8);
  const digest = new Int32Array(8);
  const tail = Buffer.alloc(64);

  loadBlock(Buffer.from(header, "latin1"), w);
  compress(INITIAL_STATE, w, midstate);

  /** Writes the padded second block for `nonce` and returns its digit count. */
  function writeTail(nonce: number): number {
    const digits = String(nonce);
    tail.fill(0);
    tail.write(digits, "latin1");
    tail[digits.length] = 0x80;
    const bits = (64 + digits.length) * 8;
    tail[62] = bits >>> 8;
    tail[63] = bits & 0xff;
    loadBlock(tail, w);
    return digits.length;
  }

  return {
    name: "portable",
    batch: 1024,
    search(start, count) {
      let length = writeTail(start);
      for (let n = 0; n < count; n++) {
        loadBlock(tail, w, DIGIT_WORDS);
        compress(midstate, w, digest);
        if (hasLeadingZeros(digest, difficulty)) return start + n;
        let i = length - 1;
        while (i >= 0 && tail[i] === NINE) tail[i--] = ZERO;
        if (i < 0) length = writeTail(start + n + 1);
        else tail[i] = (tail[i] as number) + 1;
      }
      return -1;
    },
  };
}
