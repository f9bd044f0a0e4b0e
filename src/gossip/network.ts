import { type Peer, type PeerClientOptions, PeerDataError, requestPeer } from "../peers/index.js";
import type { AnnounceBody } from "../schemas/index.js";
import type { GossipNetwork } from "./interface.js";

/** The most bytes an answer to an announcement may take: a message. */
const ANSWER_BYTES = 4096;

export interface PeerGossipOptions extends PeerClientOptions {
  /** Our API token: a private network shares it, so announcements carry it. */
  apiToken?: string | undefined;
}

/** Announcements over HTTP: POST /nodes/announce, answered 202, with the peer client's timeouts and caps. */
export class PeerGossipNetwork implements GossipNetwork {
  readonly #headers: Record<string, string>;

  constructor(private readonly options: PeerGossipOptions) {
    this.#headers = options.apiToken === undefined ? {} : { authorization: `Bearer ${options.apiToken}` };
  }

  async announce(peer: Peer, announcement: AnnounceBody, signal: AbortSignal): Promise<void> {
    await requestPeer(
      peer,
      { path: "/nodes/announce", json: announcement, maxBytes: ANSWER_BYTES, status: 202, headers: this.#headers },
      this.options,
      signal,
    );
  }

  async greeting(peer: Peer, signal: AbortSignal): Promise<string> {
    const bytes = await requestPeer(peer, { path: "/", maxBytes: ANSWER_BYTES }, this.options, signal);
    let message: unknown;
    try {
      ({ message } = JSON.parse(Buffer.from(bytes).toString("utf8")) as { message?: unknown });
    } catch (error) {
      throw new PeerDataError(`its greeting is not JSON: ${(error as Error).message}`);
    }
    if (typeof message !== "string") throw new PeerDataError("its greeting has no message");
    return message;
  }
}
