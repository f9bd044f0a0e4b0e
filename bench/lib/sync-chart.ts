import { type Panel, panelChart } from "./svg.js";

/** What bench:sync measures at one N (sizes in MiB unless named otherwise). */
export interface Result {
  transactions: number;
  chainBytes: number;
  blocks: number;
  /** How A was filled: by a node in the bench's process, or over HTTP (then the posting time and 429s). */
  fill: { how: "direct" | "http"; seconds: number; perSecond: number; postSeconds?: number; refused?: number };
  a: {
    rssAfterFillMiB: number;
    hwmAfterFillMiB: number;
    stopSeconds: number;
    restartSeconds: number;
    rssAfterRestartMiB: number;
    hwmAfterRestartMiB: number;
    /** RSS before GET /chain, its peak while serving it, and whether the peak is VmHWM's (exact) or sampled. */
    serving: { beforeMiB: number; peakMiB: number; growthMiB: number; peakFrom: "VmHWM" | "sampled"; afterMiB: number };
    chainDownload: { coldSeconds: number; coldMBps: number; warmSeconds: number; warmMBps: number };
  };
  b: {
    adopted: boolean;
    /** Why B did not adopt, from its resolve report. */
    reason?: string;
    resolveSeconds: number;
    resolveHeadersSeconds: number;
    idleMiB: number;
    peakMiB: number;
    chainLength: number;
  };
}

const MiB = 1024 * 1024;

/**
 * Each figure against the chain's MiB, with issue 12's bounds and goals (set
 * at 1.5 M transactions, about 77 MiB; the sync time may grow linearly). B's
 * figures are left out where B did not adopt A's chain.
 */
export function syncChart(results: readonly Result[], cpu: string): string {
  const xs = results.map((r) => r.chainBytes / MiB);
  const bound = (label: string, at: (x: number) => number) => ({ label, color: "#d62728", at });
  const goal = (label: string, at: (x: number) => number) => ({ label, color: "#2ca02c", at });
  const panels: Panel[] = [
    {
      title: "B's resolve from A (s)",
      values: results.map((r) => (r.b.adopted ? r.b.resolveSeconds : undefined)),
      missing: "did not adopt",
      lines: [bound("bound 15 s per 77 MiB", (x) => (15 * x) / 77), goal("goal 5 s per 77 MiB", (x) => (5 * x) / 77)],
    },
    {
      title: "B's peak RSS during the resolve (MiB)",
      values: results.map((r) => (r.b.adopted ? r.b.peakMiB : undefined)),
      missing: "did not adopt",
      lines: [bound("bound 300", () => 300), goal("goal 200", () => 200)],
    },
    {
      title: "A's restart to its first answer (s)",
      values: results.map((r) => r.a.restartSeconds),
      lines: [bound("bound 3 s", () => 3), goal("goal 1 s", () => 1)],
    },
    {
      title: "A's RSS after restart (MiB)",
      values: results.map((r) => r.a.rssAfterRestartMiB),
      lines: [bound("bound 300", () => 300)],
    },
    {
      title: "A's RSS growth serving GET /chain (MiB)",
      values: results.map((r) => r.a.serving.growthMiB),
      lines: [bound("bound 128", () => 128)],
    },
    { title: "GET /chain download, cold (MB/s)", values: results.map((r) => r.a.chainDownload.coldMBps) },
  ];
  return panelChart(`toychain sync figures by chain size (${cpu})`, "chain MiB", xs, panels);
}
