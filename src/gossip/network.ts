import { type Peer, type PeerClientOptions, requestPeer } from "../peers/index.js";
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
}
