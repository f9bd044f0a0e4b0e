import type { StepResponse } from "./settling.js";

/** One panel of the retarget chart: a step response and what it is held to. */
export interface RetargetPanel {
  title: string;
  response: StepResponse;
  /** The required settling, in half-lives of blocks, drawn as a red line; none for a steady run. */
  required?: number;
}

const WIDTH = 820;
const PANEL_HEIGHT = 230;
const MARGIN = { left: 64, right: 24, top: 34, bottom: 40 };
/** Block times from 0.5 s to 200 s, on a log scale: a ×10 jump and its recovery on one axis. */
const Y_MIN = 0.5;
const Y_MAX = 200;
const Y_TICKS = [0.5, 1, 2, 5, 10, 20, 50, 100, 200];
const POINTS = 720;

/**
 * Block time against height after the hash rate jumps, one panel per
 * response: each block's time averaged over the seeds (grey; over runs of
 * blocks where there are more blocks than points), its moving mean (blue), the spacing and the ±tolerance band (dashed), where it
 * settled (green) and where it had to (red).
 */
export function retargetChart(
  title: string,
  panels: readonly RetargetPanel[],
  spacing: number,
  blocksPerHalfLife: number,
  tolerance: number,
): string {
  const height = 48 + PANEL_HEIGHT * panels.length;
  const drawn = panels.map((panel, i) => {
    const top = 48 + i * PANEL_HEIGHT;
    const { raw, smoothed, settledBlocks } = panel.response;
    const n = raw.length;
    const x = (block: number) => MARGIN.left + (block / n) * (WIDTH - MARGIN.left - MARGIN.right);
    const y = (seconds: number) => {
      const clamped = Math.min(Y_MAX, Math.max(Y_MIN, seconds));
      const f = Math.log(clamped / Y_MIN) / Math.log(Y_MAX / Y_MIN);
      return top + PANEL_HEIGHT - MARGIN.bottom - f * (PANEL_HEIGHT - MARGIN.top - MARGIN.bottom);
    };
    // At most POINTS points a line: the mean of each run of `step` blocks, drawn at its last block.
    const step = Math.max(1, Math.ceil(n / POINTS));
    const path = (values: readonly number[]) => {
      const points: string[] = [];
      for (let end = step; end <= n; end += step) {
        const run = values.slice(end - step, end);
        const mean = run.reduce((a, b) => a + b, 0) / run.length;
        points.push(`${x(end).toFixed(1)},${y(mean).toFixed(1)}`);
      }
      return points.join(" ");
    };
    const bottom = y(Y_MIN);
    const horizontal = (seconds: number, color: string, label: string, anchor: "start" | "end") =>
      `<line x1="${x(0)}" y1="${y(seconds).toFixed(1)}" x2="${x(n)}" y2="${y(seconds).toFixed(1)}" stroke="${color}" stroke-dasharray="6 4"/>` +
      (label === ""
        ? ""
        : `<text x="${anchor === "end" ? x(n) - 4 : x(0) + 4}" y="${(y(seconds) - 6).toFixed(1)}" text-anchor="${anchor}" fill="${color}">${label}</text>`);
    const vertical = (block: number, color: string, label: string, anchor: "start" | "end") =>
      `<line x1="${x(block).toFixed(1)}" y1="${y(Y_MAX)}" x2="${x(block).toFixed(1)}" y2="${bottom}" stroke="${color}"/>` +
      `<text x="${(x(block) + (anchor === "start" ? 4 : -4)).toFixed(1)}" y="${y(Y_MAX) + 12}" text-anchor="${anchor}" fill="${color}">${label}</text>`;
    const halfLives = Math.floor(n / blocksPerHalfLife);
    const xTicks = Array.from({ length: halfLives + 1 }, (_, k) => {
      const at = x(k * blocksPerHalfLife).toFixed(1);
      return `<text x="${at}" y="${bottom + 16}" text-anchor="middle">${k}</text>`;
    }).join("");
    const yTicks = Y_TICKS.map(
      (v) => `<text x="${x(0) - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v}</text>`,
    ).join("");
    const marks = [
      panel.required === undefined
        ? ""
        : vertical(panel.required * blocksPerHalfLife, "#d62728", `required: ${panel.required}`, "start"),
      settledBlocks === undefined || panel.required === undefined
        ? ""
        : vertical(settledBlocks, "#2ca02c", `settled: ${(settledBlocks / blocksPerHalfLife).toFixed(2)}`, "end"),
    ].join("");
    return `<g>
<text x="${WIDTH / 2}" y="${top + 18}" text-anchor="middle" font-size="13">${panel.title}</text>
<line x1="${x(0)}" y1="${bottom}" x2="${x(n)}" y2="${bottom}" stroke="black"/><line x1="${x(0)}" y1="${y(Y_MAX)}" x2="${x(0)}" y2="${bottom}" stroke="black"/>
${xTicks}${yTicks}
<polyline points="${path(raw)}" fill="none" stroke="#bbb" stroke-width="1"/>
<polyline points="${path(smoothed)}" fill="none" stroke="#1f77b4" stroke-width="2"/>
${horizontal(spacing, "#333", `spacing ${spacing} s`, "start")}${horizontal(spacing * (1 + tolerance), "#999", `±${tolerance * 100}%`, "end")}${horizontal(spacing * (1 - tolerance), "#999", "", "end")}
${marks}
<text x="${WIDTH / 2}" y="${top + PANEL_HEIGHT - 6}" text-anchor="middle">half-lives of blocks after the jump (${blocksPerHalfLife} blocks each)</text>
<text x="16" y="${top + PANEL_HEIGHT / 2}" text-anchor="middle" transform="rotate(-90 16 ${top + PANEL_HEIGHT / 2})">block time (s, log)</text>
</g>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif" font-size="11" role="img">
<title>${title}</title>
<rect width="100%" height="100%" fill="white"/>
<text x="${WIDTH / 2}" y="28" text-anchor="middle" font-size="15">${title}</text>
${drawn.join("\n")}
</svg>
`;
}
