import type { IncomingHttpHeaders } from "node:http";
import { got, RequestError, TimeoutError } from "got";
import type { Peer } from "./address.js";
import { PeerDataError, PeerStatusError, PeerUnreachableError } from "./errors.js";

export interface PeerClientOptions {
  /** Each request, connecting included: a peer that trickles an answer is cut off here. */
  timeoutMs: number;
}

/** One request to a peer: what is asked, and the most bytes its answer may have. */
export interface PeerRequest {
  /** The path and query, such as /chain/tip. */
  path: string;
  /** A JSON body to POST; a GET without it. */
  json?: unknown;
  maxBytes: number;
  /** The status of a good answer (default 200); any other is a PeerStatusError. */
  status?: number;
  /** Headers sent besides Accept and Accept-Encoding, such as Authorization. */
  headers?: Record<string, string>;
}

export const DEFAULT_PEER_TIMEOUT_MS = 5000;
const CONNECT_TIMEOUT_MS = 3000;

function size(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(0)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`;
}

/** Why an answer's status line and headers rule it out, before its body is read. */
function refusal(
  what: string,
  statusCode: number,
  headers: IncomingHttpHeaders,
  { maxBytes, status = 200 }: PeerRequest,
): Error | undefined {
  if (statusCode >= 300 && statusCode < 400) {
    return new PeerUnreachableError(
      `it answered HTTP ${statusCode} to ${headers.location ?? "nowhere"} for ${what}; redirects are not followed`,
    );
  }
  if (statusCode !== status) return new PeerStatusError(`it answered HTTP ${statusCode} to ${what}`, statusCode);
  const encoding = headers["content-encoding"];
  if (encoding !== undefined && encoding !== "identity") {
    return new PeerDataError(`it sent a ${encoding} body to ${what}, which was not asked for`);
  }
  const type = headers["content-type"];
  if (type !== undefined && !/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
    return new PeerDataError(`it answered ${what} with ${type.split(";")[0]}, not JSON`);
  }
  if (Number(headers["content-length"] ?? 0) > maxBytes) {
    return new PeerDataError(`its answer to ${what} is larger than ${size(maxBytes)}`);
  }
  return undefined;
}

/**
 * Asks a peer once: no redirects, no compression, a connect and a total
 * timeout, the status and headers judged as they arrive, and the size capped
 * while reading. The body comes back in a buffer of its own, which can be
 * moved to another thread. `signal` abandons the request; its reason is thrown.
 */
export async function requestPeer(
  peer: Peer,
  request: PeerRequest,
  { timeoutMs }: PeerClientOptions,
  signal: AbortSignal,
): Promise<Uint8Array> {
  const { path, json, maxBytes } = request;
  const what = `${json === undefined ? "GET" : "POST"} ${path.split("?")[0]}`;
  const connectMs = Math.min(CONNECT_TIMEOUT_MS, timeoutMs);
  const stream = got.stream(`${peer.url}${path}`, {
    method: json === undefined ? "GET" : "POST",
    ...(json === undefined ? {} : { json }),
    followRedirect: false,
    throwHttpErrors: false,
    retry: { limit: 0 },
    decompress: false,
    timeout: { connect: connectMs, request: timeoutMs },
    headers: { ...request.headers, accept: "application/json", "accept-encoding": "identity" },
    signal,
  });
  let refused: Error | undefined;
  stream.once("response", ({ statusCode, headers }: { statusCode: number; headers: IncomingHttpHeaders }) => {
    refused = refusal(what, statusCode, headers, request);
    if (refused) stream.destroy();
  });
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > maxBytes) throw new PeerDataError(`its answer to ${what} is larger than ${size(maxBytes)}`);
      chunks.push(chunk);
    }
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (refused) throw refused;
    if (error instanceof PeerDataError) throw error;
    if (error instanceof TimeoutError) {
      throw new PeerUnreachableError(
        error.event === "connect"
          ? `it did not accept a connection within ${connectMs} ms`
          : `it did not answer ${what} in full within ${timeoutMs} ms`,
      );
    }
    if (error instanceof RequestError) throw new PeerUnreachableError(`${error.code}: ${error.message}`);
    throw error;
  } finally {
    stream.destroy();
  }
  if (refused) throw refused;
  const body = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return body;
}
