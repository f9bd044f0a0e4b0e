import { hash } from "node:crypto";

/**
 * The plain way to search in Node: one crypto.hash call per nonce on the main
 * thread, no midstate, checking 16 leading zero bits. Returns nonces per second.
 */
export function cryptoHashLoopRate(header: string, seconds: number): { rate: number; found: number } {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let nonce = 0;
  let found = 0;
  while (performance.now() < deadline) {
    for (let i = 0; i < 10_000; i++, nonce++) {
      const digest = hash("sha256", header + nonce, "buffer");
      if (digest[0] === 0 && digest[1] === 0) found++;
    }
  }
  const rate = nonce / ((performance.now() - started) / 1000);
  return { rate, found };
}
