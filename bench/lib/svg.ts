/** Small SVG line charts: MH/s against threads, and panels of figures against one x. */
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

/** One figure of a panel chart: a value per x (undefined where it was not measured), and reference lines. */
export interface Panel {
  title: string;
  values: readonly (number | undefined)[];
  /** Dashed lines, such as a bound or a goal, as functions of x. */
  lines?: readonly { label: string; color: string; at: (x: number) => number }[];
  /** Shown beside a point with no value. */
  missing?: string;
}

/** A grid of small line charts, two a row, each figure against the same xs. */
export function panelChart(title: string, xLabel: string, xs: readonly number[], panels: readonly Panel[]): string {
  const panelWidth = 400;
  const panelHeight = 240;
  const margin = { left: 56, right: 16, top: 32, bottom: 40 };
  const columns = 2;
  const width = panelWidth * columns;
  const height = 48 + panelHeight * Math.ceil(panels.length / columns);
  const maxX = Math.max(...xs) * 1.05;
  const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  const drawn = panels.map((panel, i) => {
    const left = (i % columns) * panelWidth;
    const top = 48 + Math.floor(i / columns) * panelHeight;
    const lines = panel.lines ?? [];
    const measured = panel.values.filter((v): v is number => v !== undefined);
    const maxY = Math.max(1e-9, ...measured, ...lines.map((line) => line.at(maxX))) * 1.1;
    const x = (v: number) => left + margin.left + (v / maxX) * (panelWidth - margin.left - margin.right);
    const y = (v: number) =>
      top + panelHeight - margin.bottom - (Math.min(v, maxY) / maxY) * (panelHeight - margin.top - margin.bottom);
    const bottom = y(0);
    const axes = `<line x1="${x(0)}" y1="${bottom}" x2="${x(maxX)}" y2="${bottom}" stroke="black"/><line x1="${x(0)}" y1="${y(maxY)}" x2="${x(0)}" y2="${bottom}" stroke="black"/>`;
    const yTicks = [0, 0.5, 1]
      .map((f) => `<text x="${x(0) - 6}" y="${(y(maxY * f) + 4).toFixed(1)}" text-anchor="end">${fmt(maxY * f)}</text>`)
      .join("");
    const xTicks = xs
      .map((v) => `<text x="${x(v).toFixed(1)}" y="${bottom + 16}" text-anchor="middle">${v.toFixed(0)}</text>`)
      .join("");
    const references = lines
      .map((line, k) => {
        const path = `${x(0)},${y(line.at(0)).toFixed(1)} ${x(maxX).toFixed(1)},${y(line.at(maxX)).toFixed(1)}`;
        return `<polyline points="${path}" fill="none" stroke="${line.color}" stroke-dasharray="6 4"/><text x="${x(maxX) - 4}" y="${y(maxY) + 12 + k * 14}" text-anchor="end" fill="${line.color}">${line.label}</text>`;
      })
      .join("");
    const points = xs.flatMap((v, k) => {
      const value = panel.values[k];
      return value === undefined ? [] : [{ x: x(v), y: y(value) }];
    });
    const polyline = points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
    const dots = points.map((p) => `<circle cx="${p.x.toFixed(1)}" cy="${p.y.toFixed(1)}" r="4" fill="#1f77b4"/>`);
    const gaps = xs.flatMap((v, k) =>
      panel.values[k] === undefined
        ? [
            `<text x="${(x(v) + 12).toFixed(1)}" y="${bottom - 8}" text-anchor="end" fill="#d62728">${panel.missing ?? "not measured"}</text>`,
          ]
        : [],
    );
    return `<g>
<text x="${left + panelWidth / 2}" y="${top + 18}" text-anchor="middle" font-size="13">${panel.title}</text>
${axes}${yTicks}${xTicks}${references}
<polyline points="${polyline}" fill="none" stroke="#1f77b4" stroke-width="2"/>${dots.join("")}${gaps.join("")}
<text x="${left + panelWidth / 2}" y="${top + panelHeight - 8}" text-anchor="middle">${xLabel}</text>
</g>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11" role="img">
<title>${title}</title>
<rect width="100%" height="100%" fill="white"/>
<text x="${width / 2}" y="28" text-anchor="middle" font-size="15">${title}</text>
${drawn.join("\n")}
</svg>
`;
}
