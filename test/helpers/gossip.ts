import type { Block, ChainBody, Tx } from "./chain-check.js";
import { type NodeProcess, request } from "./node-process.js";

/** Helpers for networks of gossiping node processes. */

export { random } from "../../bench/lib/random.js";

export interface Tip {
  length: number;
  hash: string;
}

/** POST /nodes/announce's answer. */
export interface Announced {
  outcome: string;
  message: string;
}

/** /stats' gossip object. */
export interface GossipStats {
  enabled: boolean;
  public_url: string | null;
  announcements_sent: number;
  announcements_failed: number;
  announcements_skipped: number;
  announcements_received: number;
  announcements_dropped: number;
  syncs: number;
  syncs_adopted: number;
  syncs_failed: number;
  failing_peers: { node: string; failures: number }[];
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const peerName = (node: NodeProcess): string => `127.0.0.1:${node.port}`;

export async function tipOf(node: NodeProcess): Promise<Tip> {
  return (await request<Tip>(`${node.url}/chain/tip`)).body;
}

export async function chainOf(node: NodeProcess): Promise<Block[]> {
  return (await request<ChainBody>(`${node.url}/chain`)).body.chain;
}

export async function pendingOf(node: NodeProcess): Promise<Tx[]> {
  return (await request<{ transactions: Tx[] }>(`${node.url}/transactions/pending`)).body.transactions;
}

export async function gossipOf(node: NodeProcess): Promise<GossipStats> {
  return (await request<{ gossip: GossipStats }>(`${node.url}/stats`)).body.gossip;
}

export async function peersOf(node: NodeProcess): Promise<string[]> {
  return (await request<{ peers: string[] }>(`${node.url}/stats`)).body.peers;
}

/** Registers each node's next one, and only it: a one-way ring. */
export async function registerRing(nodes: readonly NodeProcess[]): Promise<void> {
  await Promise.all(
    nodes.map(async (node, i) => {
      const next = nodes[(i + 1) % nodes.length] as NodeProcess;
      const res = await request(`${node.url}/nodes/register`, { body: { nodes: [next.url] } });
      if (res.status !== 200) throw new Error(`registering ${next.url} on ${node.url}: ${res.status}`);
    }),
  );
}

/**
 * Polls GET /chain/tip of the nodes, every `everyMs`, until `done` holds of
 * their tips (in the nodes' order) or `boundMs` has passed since `since`
 * (performance.now()); resolves with the tips and when `done` first held,
 * in ms after `since`, or with `ms` undefined past the bound. A node whose
 * tip `settled` accepts is not asked again: the polling itself loads the
 * machine that the nodes share.
 */
export async function pollTips(
  nodes: readonly NodeProcess[],
  done: (tips: Tip[]) => boolean,
  {
    since = performance.now(),
    boundMs,
    everyMs = 20,
    settled = () => false,
  }: { since?: number; boundMs: number; everyMs?: number; settled?: (tip: Tip) => boolean },
): Promise<{ tips: Tip[]; ms: number | undefined }> {
  const tips: (Tip | undefined)[] = nodes.map(() => undefined);
  for (;;) {
    await Promise.all(
      nodes.map(async (node, i) => {
        const known = tips[i];
        if (known === undefined || !settled(known)) tips[i] = await tipOf(node);
      }),
    );
    const ms = performance.now() - since;
    if (done(tips as Tip[])) return { tips: tips as Tip[], ms };
    if (ms > boundMs) return { tips: tips as Tip[], ms: undefined };
    await sleep(everyMs);
  }
}

/** Every node at `tip`. */
export const reach = (tip: Tip) => ({
  done: (tips: Tip[]) => tips.every((each) => at(tip, each)),
  settled: (each: Tip) => at(tip, each),
});

const at = (tip: Tip, each: Tip): boolean => each.length === tip.length && each.hash === tip.hash;

export const allSame = (tips: Tip[]): boolean => tips.every((each) => each.hash === tips[0]?.hash);

/** The key a transaction is matched by. */
export const txKey = (tx: Tx): string => `${tx.sender}|${tx.recipient}|${tx.amount}`;
