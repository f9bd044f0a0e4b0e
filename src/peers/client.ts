import { got, HTTPError, RequestError } from "got";
import { type ChainBody, checkChain, SchemaError } from "../schemas/index.js";
import type { Peer } from "./address.js";
import { PeerDataError, PeerUnreachableError } from "./errors.js";

export interface PeerClientOptions {
  /** Per attempt, for the whole request. */
  timeoutMs: number;
  /** The largest /chain body accepted from a peer. */
  maxBytes: number;
}

const DEFAULT_PEER_CLIENT: PeerClientOptions = { timeoutMs: 5000, maxBytes: 64 * 1024 * 1024 };

/**
 * Fetches a peer's /chain and checks its shape against the Chain schema.
 * No redirects, one retry on network errors, a timeout and a size cap.
 */
export async function fetchChain(peer: Peer, options: PeerClientOptions = DEFAULT_PEER_CLIENT): Promise<ChainBody> {
  const request = got(`${peer.url}/chain`, {
    followRedirect: false,
    retry: { limit: 1, methods: ["GET"] },
    timeout: { request: options.timeoutMs },
    headers: { accept: "application/json" },
    responseType: "text",
  });
  let oversized = false;
  request.on("downloadProgress", ({ transferred, total }) => {
    if (transferred > options.maxBytes || (total ?? 0) > options.maxBytes) {
      oversized = true;
      request.cancel();
    }
  });
  let text: string;
  try {
    const response = await request;
    if (response.statusCode !== 200) throw new PeerUnreachableError(`it answered HTTP ${response.statusCode}`);
    text = response.body;
  } catch (error) {
    if (oversized) throw new PeerDataError(`its chain is larger than ${options.maxBytes} bytes`);
    if (error instanceof PeerUnreachableError) throw error;
    if (error instanceof HTTPError) throw new PeerUnreachableError(`it answered HTTP ${error.response.statusCode}`);
    if (error instanceof RequestError) throw new PeerUnreachableError(`${error.code}: ${error.message}`);
    throw error;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new PeerDataError("its /chain is not JSON");
  }
  try {
    const chain = checkChain(body);
    if (chain.length !== chain.chain.length) {
      throw new PeerDataError(`its length ${chain.length} does not count its ${chain.chain.length} blocks`);
    }
    return chain;
  } catch (error) {
    if (error instanceof SchemaError) throw new PeerDataError(error.message);
    throw error;
  }
}
