import { execFileSync } from "node:child_process";

/** Where a process stands for another machine: a command prefix, and the address it reaches the host at. */
export interface Machine {
  /** The network namespace's name, or null when the process runs on the host. */
  namespace: string | null;
  /** What the command is run through: `ip netns exec NS`, or nothing. */
  prefix: string[];
  /** This machine's own address, as the node sees it. */
  address: string;
}

/** The machines, the node's address they all reach it at, and why they are not namespaces when they are not. */
export interface Machines {
  machines: Machine[];
  /** The address the node listens on for them: the first pair's host end, or 127.0.0.1. */
  nodeHost: string;
  /** Null with namespaces; else why the bench fell back to 127.0.0.1. */
  fallback: string | null;
  /** Removes the namespaces and their links (idempotent, synchronous: safe in an exit handler). */
  close(): void;
}

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });

/**
 * `count` other machines on this one: network namespaces, each with a veth
 * pair to the host (10.A.i.1 on the host, 10.A.i.2 inside, A from this
 * process's id, so that two benches at once do not collide) and a default
 * route through it, so that every one reaches the node at the first pair's
 * host end (Linux answers for any of its addresses on any link). Where
 * namespaces cannot be made (not root, no `ip`), every machine is the host
 * itself at 127.0.0.1, and `fallback` says why.
 */
export function openMachines(count: number): Machines {
  const tag = process.pid % 100_000;
  const octet = 100 + (process.pid % 150);
  const made: string[] = [];
  const close = () => {
    // Deleting a namespace deletes its end of the pair, and so the pair.
    for (const namespace of made.splice(0)) {
      try {
        ip("netns", "del", namespace);
      } catch {
        // Already gone.
      }
    }
  };
  try {
    if (process.getuid?.() !== 0) throw new Error("network namespaces need root (ip netns add)");
    const machines: Machine[] = [];
    for (let i = 0; i < count; i++) {
      const namespace = `toychain-pool-${tag}-${i}`;
      const hostEnd = `tp${tag}h${i}`;
      const inner = `tp${tag}n${i}`;
      const host = `10.${octet}.${i}.1`;
      const address = `10.${octet}.${i}.2`;
      ip("netns", "add", namespace);
      made.push(namespace);
      ip("link", "add", hostEnd, "type", "veth", "peer", "name", inner);
      ip("link", "set", inner, "netns", namespace);
      ip("addr", "add", `${host}/30`, "dev", hostEnd);
      ip("link", "set", hostEnd, "up");
      ip("netns", "exec", namespace, "ip", "addr", "add", `${address}/30`, "dev", inner);
      ip("netns", "exec", namespace, "ip", "link", "set", inner, "up");
      ip("netns", "exec", namespace, "ip", "link", "set", "lo", "up");
      ip("netns", "exec", namespace, "ip", "route", "add", "default", "via", host);
      machines.push({ namespace, prefix: ["ip", "netns", "exec", namespace], address });
    }
    return { machines, nodeHost: `10.${octet}.0.1`, fallback: null, close };
  } catch (error) {
    close();
    const why = (error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message;
    const machines = Array.from({ length: count }, () => ({ namespace: null, prefix: [], address: "127.0.0.1" }));
    return { machines, nodeHost: "127.0.0.1", fallback: why, close: () => undefined };
  }
}
