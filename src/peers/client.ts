import type { IncomingHttpHeaders } from "node:http";
import { got, RequestError, TimeoutError } from "got";
import type { Peer } from "./address.js";
import { PeerDataError, PeerUnreachableError } from "./errors.js";

export interface PeerClientOptions {
  /** The whole request, connecting included: a peer that trickles its answer is cut off here. */
  timeoutMs: number;
  /** The largest /chain body read from a peer; reading stops as soon as it is passed. */
  maxBytes: number;
}

export const DEFAULT_PEER_TIMEOUT_MS = 5000;
export const MAX_CHAIN_BYTES = 64 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 3000;

const mebibytes = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/** Why an answer's status line and headers rule out a chain, before its body is read. */
function refusal(statusCode: number, headers: IncomingHttpHeaders, maxBytes: number): Error | undefined {
  if (statusCode >= 300 && statusCode < 400) {
    return new PeerUnreachableError(
      `it answered HTTP ${statusCode} to ${headers.location ?? "nowhere"}; redirects are not followed`,
    );
  }
  if (statusCode !== 200) return new PeerUnreachableError(`it answered HTTP ${statusCode}`);
  const encoding = headers["content-encoding"];
  if (encoding !== undefined && encoding !== "identity") {
    return new PeerDataError(`it sent a ${encoding} body, which was not asked for`);
  }
  const type = headers["content-type"];
  if (type !== undefined && !/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
    return new PeerDataError(`it answered ${type.split(";")[0]}, not JSON`);
  }
  if (Number(headers["content-length"] ?? 0) > maxBytes) {
    return new PeerDataError(`its chain is larger than ${mebibytes(maxBytes)}`);
  }
  return undefined;
}

/**
 * Reads a peer's /chain body: one attempt, no redirects, no compression, a
 * connect and a total timeout, the status and headers judged as they arrive,
 * and the size capped while reading. The body comes back in a buffer of its
 * own, which can be moved to another thread.
 */
export async function downloadChain(
  peer: Peer,
  { timeoutMs, maxBytes }: PeerClientOptions,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const url = `${peer.url}/chain`;
  const connectMs = Math.min(CONNECT_TIMEOUT_MS, timeoutMs);
  const stream = got.stream(url, {
    followRedirect: false,
    throwHttpErrors: false,
    retry: { limit: 0 },
    decompress: false,
    timeout: { connect: connectMs, request: timeoutMs },
    headers: { accept: "application/json", "accept-encoding": "identity" },
    signal,
  });
  let refused: Error | undefined;
  stream.once("response", ({ statusCode, headers }: { statusCode: number; headers: IncomingHttpHeaders }) => {
    refused = refusal(statusCode, headers, maxBytes);
    if (refused) stream.destroy();
  });
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw new PeerDataError(`its chain is larger than ${mebibytes(maxBytes)}`);
      chunks.push(chunk);
    }
  } catch (error) {
    if (refused) throw refused;
    if (error instanceof PeerDataError) throw error;
    if (error instanceof TimeoutError) {
      throw new PeerUnreachableError(
        error.event === "connect"
          ? `it did not accept a connection within ${connectMs} ms`
          : `it did not answer in full within ${timeoutMs} ms`,
      );
    }
    if (error instanceof RequestError) throw new PeerUnreachableError(`${error.code}: ${error.message}`);
    throw error;
  } finally {
    stream.destroy();
  }
  if (refused) throw refused;
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return body;
}
