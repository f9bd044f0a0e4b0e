import { InvalidPeerAddressError } from "./errors.js";

/** A registered node: `id` as the walkthrough prints it, `url` where its API answers. */
export interface Peer {
  id: string;
  url: string;
}

/** The port written after the host (an IPv6 host is bracketed), which URL drops when it is the default. */
const EXPLICIT_PORT = /^[a-z][a-z0-9+.-]*:\/\/(?:\[[^\]]*\]|[^/?#@:]*):(\d{1,5})\/?$/i;

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
  const port = EXPLICIT_PORT.exec(withScheme)?.[1];
  if (port === undefined) throw fail("the port is missing: give host:port");
  if (Number(port) === 0) throw fail("port 0 is not a port a node listens on");
  const id = url.protocol === "http:" ? `${url.hostname}:${port}` : `${url.protocol}//${url.hostname}:${port}`;
  return { id, url: `${url.protocol}//${url.hostname}:${port}` };
}
