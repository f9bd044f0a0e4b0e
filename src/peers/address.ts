import { InvalidPeerAddressError } from "./errors.js";

/** A registered node: `id` as the walkthrough prints it, `url` where its API answers. */
export interface Peer {
  id: string;
  url: string;
}

/**
 * A port written after the host (an IPv6 host is bracketed). Only whether one
 * was written is read from the text, since URL drops a default port; the
 * number itself is the parsed URL's.
 */
const EXPLICIT_PORT = /^[a-z][a-z0-9+.-]*:\/\/(?:\[[^\]]*\]|[^/?#@:]*):\d+\/?$/i;
const DEFAULT_PORTS: Record<string, string> = { "http:": "80", "https:": "443" };

/**
 * Parses `http://host:port`, `https://host:port` or `host:port`: a scheme of
 * http or https, a host and a port, nothing else. A plain-http peer is named
 * by its host:port, as in the walkthrough; an https one keeps its scheme so
 * the two never collide.
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
  if (!EXPLICIT_PORT.test(withScheme)) throw fail("the port is missing: give host:port");
  // "06121" and "6121" are one port: the URL's own reading of it names the peer.
  const port = url.port || (DEFAULT_PORTS[url.protocol] as string);
  if (port === "0") throw fail("port 0 is not a port a node listens on");
  const id = url.protocol === "http:" ? `${url.hostname}:${port}` : `${url.protocol}//${url.hostname}:${port}`;
  return { id, url: `${url.protocol}//${url.hostname}:${port}` };
}
