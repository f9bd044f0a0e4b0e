/** A small SVG line chart: measured MH/s against threads, with the ideal linear line. */
export interface ChartPoint {
  threads: number;
  mhps: number;
}

export function scalingChart(points: readonly ChartPoint[], title: string): string {
  const width = 640;
  const height = 400;
  const margin = { left: 64, right: 24, top: 48, bottom: 56 };
  const first = points[0];
  if (first === undefined) throw new Error("no points to chart");
  const perThread = first.mhps / first.threads;
  const maxThreads = Math.max(...points.map((p) => p.threads));
  const maxRate = Math.max(perThread * maxThreads, ...points.map((p) => p.mhps)) * 1.1;
  const x = (threads: number) => margin.left + (threads / maxThreads) * (width - margin.left - margin.right);
  const y = (mhps: number) => height - margin.bottom - (mhps / maxRate) * (height - margin.top - margin.bottom);
  const measured = points.map((p) => `${x(p.threads).toFixed(1)},${y(p.mhps).toFixed(1)}`).join(" ");
  const ideal = `${x(0)},${y(0)} ${x(maxThreads).toFixed(1)},${y(perThread * maxThreads).toFixed(1)}`;
  const xTicks = points
    .map(
      (p) =>
        `<text x="${x(p.threads).toFixed(1)}" y="${height - margin.bottom + 20}" text-anchor="middle">${p.threads}</text>`,
    )
    .join("");
  const yTicks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const v = maxRate * f;
      return `<text x="${margin.left - 8}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v.toFixed(0)}</text>`;
    })
    .join("");
  const dots = points
    .map((p) => `<circle cx="${x(p.threads).toFixed(1)}" cy="${y(p.mhps).toFixed(1)}" r="4" fill="#1f77b4"/>`)
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12" role="img">
<title>${title}</title>
<rect width="100%" height="100%" fill="white"/>
<text x="${width / 2}" y="24" text-anchor="middle" font-size="15">${title}</text>
<line x1="${margin.left}" y1="${height - margin.bottom}" x2="${width - margin.right}" y2="${height - margin.bottom}" stroke="black"/>
<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${height - margin.bottom}" stroke="black"/>
${xTicks}${yTicks}
<text x="${width / 2}" y="${height - 12}" text-anchor="middle">threads</text>
<text x="16" y="${height / 2}" text-anchor="middle" transform="rotate(-90 16 ${height / 2})">MH/s</text>
<polyline points="${ideal}" fill="none" stroke="#999" stroke-dasharray="6 4"/>
<polyline points="${measured}" fill="none" stroke="#1f77b4" stroke-width="2"/>
${dots}
<text x="${width - margin.right - 150}" y="${margin.top + 8}" fill="#999">- - ideal (linear)</text>
<text x="${width - margin.right - 150}" y="${margin.top + 24}" fill="#1f77b4">— measured</text>
</svg>
`;
}
