import { InvalidPeerAddressError } from "./errors.js";

/** A registered node: `id` as the walkthrough prints it, `url` where its API answers. */
export interface Peer {
  id: string;
  url: string;
}

/**
 * Parses `http://host:port`, `https://host:port` or `host:port`. A plain-http
 * peer is named by its host:port, as in the walkthrough; an https one keeps
 * its scheme so the two never collide.
 */
export function parsePeerAddress(address: string, position = 0): Peer {
  const fail = (reason: string) => new InvalidPeerAddressError(address, position, reason);
  const trimmed = address.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  if (!URL.canParse(withScheme)) throw fail("not a URL or host:port");
  const url = new URL(withScheme);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw fail("only http and https are supported");
  if (url.hostname === "") throw fail("the host is missing");
  if (url.username !== "" || url.password !== "") throw fail("credentials are not allowed");
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "") {
    throw fail("give only the scheme, host and port, without a path");
  }
  const id = url.protocol === "http:" ? url.host : url.origin;
  return { id, url: url.origin };
}
