import { type Peer, type PeerClientOptions, PeerDataError, PeerStatusError, requestPeer } from "../peers/index.js";
import type { BlockRef, TipBody } from "../schemas/index.js";
import { checkBlockRef, checkTip, MAX_BLOCK_BYTES, SchemaError } from "../schemas/index.js";
import { PAGE_BYTES, PAGE_FRAME_BYTES, type SyncNetwork } from "./range/index.js";

/** The most bytes a tip or a fork point may take: a few dozen are enough. */
const SMALL_ANSWER_BYTES = 4096;

/** A small JSON answer, checked against its schema; any flaw is the peer's. */
function parseSmall<T>(bytes: Uint8Array, what: string, check: (value: unknown) => T): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (error) {
    throw new PeerDataError(`its ${what} is not JSON: ${(error as Error).message}`);
  }
  try {
    return check(value);
  } catch (error) {
    if (error instanceof SchemaError) throw new PeerDataError(`its ${what}: ${error.message}`);
    throw error;
  }
}

/** Range sync over HTTP: the endpoints GET /chain/tip, POST /chain/locate and GET /chain?from&limit&max_bytes. */
export class PeerNetwork implements SyncNetwork {
  constructor(private readonly options: PeerClientOptions) {}

  async tip(peer: Peer, signal: AbortSignal): Promise<TipBody> {
    const bytes = await requestPeer(peer, { path: "/chain/tip", maxBytes: SMALL_ANSWER_BYTES }, this.options, signal);
    return parseSmall(bytes, "tip", checkTip);
  }

  async locate(peer: Peer, locator: readonly BlockRef[], signal: AbortSignal): Promise<BlockRef> {
    let bytes: Uint8Array;
    try {
      bytes = await requestPeer(
        peer,
        { path: "/chain/locate", json: { locator }, maxBytes: SMALL_ANSWER_BYTES },
        this.options,
        signal,
      );
    } catch (error) {
      if (error instanceof PeerStatusError && error.status === 404) {
        throw new PeerDataError("its chain shares no block with ours: it starts from another genesis block");
      }
      throw error;
    }
    return parseSmall(bytes, "fork point", checkBlockRef);
  }

  page(peer: Peer, from: number, limit: number, signal: AbortSignal): Promise<Uint8Array> {
    const path = `/chain?from=${from}&limit=${limit}&max_bytes=${PAGE_BYTES}`;
    return requestPeer(peer, { path, maxBytes: MAX_BLOCK_BYTES + PAGE_FRAME_BYTES }, this.options, signal);
  }
}
