import { StringDecoder } from "node:string_decoder";
import { LineTooLongError } from "./errors.js";

/** The longest line a peer may send, its "\r\n" or "\n" not counted. */
export const MAX_LINE_BYTES = 16 * 1024;

/**
 * Stratum's framing: one JSON message a line, "\n" ending each (a "\r"
 * before it is dropped). Bytes are fed as TCP gives them: a message may come
 * split across packets, several in one. What waits for its newline is held,
 * at most `limit` bytes of it (and a "\r"); past that the framing is lost for
 * good and feed throws LineTooLongError. UTF-8 split across packets is
 * decoded whole.
 */
export class LineReader {
  readonly #decoder = new StringDecoder("utf8");
  readonly #limit: number;
  #partial = "";
  #bytes = 0;

  constructor(limit = MAX_LINE_BYTES) {
    this.#limit = limit;
  }

  /** The complete lines `chunk` ends, in order; empty lines are skipped. */
  feed(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let newline = chunk.indexOf(10, start); newline !== -1; newline = chunk.indexOf(10, start)) {
      this.#hold(chunk.subarray(start, newline));
      let line = this.#partial + this.#decoder.end();
      let bytes = this.#bytes;
      this.#partial = "";
      this.#bytes = 0;
      if (line.endsWith("\r")) {
        line = line.slice(0, -1);
        bytes--;
      }
      if (bytes > this.#limit) throw new LineTooLongError(this.#limit);
      if (line.length > 0) lines.push(line);
      start = newline + 1;
    }
    this.#hold(chunk.subarray(start));
    return lines;
  }

  #hold(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#bytes += bytes.length;
    if (this.#bytes > this.#limit + 1) throw new LineTooLongError(this.#limit);
    this.#partial += this.#decoder.write(bytes);
  }
}
