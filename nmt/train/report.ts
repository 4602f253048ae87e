/**
 * report.html: a self-contained page (inline SVG, no scripts or network) with the loss curves and
 * validation scores of a run, regenerated from metrics.jsonl after each validation.
 */
import type { MetricsEvent } from "./metrics.ts";

interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

const escape = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

function chart(title: string, series: Series[], yLabel: string): string {
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  if (all.length === 0) return `<h2>${escape(title)}</h2><p>No data yet.</p>`;
  const [w, h, left, bottom, top, right] = [720, 300, 60, 40, 10, 20];
  const xs = all.map(([x]) => x), ys = all.map(([, y]) => y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys, Math.min(...ys) + 1e-9)];
  const px = (x: number) => left + (x - x0) / (x1 - x0) * (w - left - right);
  const py = (y: number) => top + (1 - (y - y0) / (y1 - y0)) * (h - top - bottom);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = y0 + f * (y1 - y0);
    return `<text x="${left - 6}" y="${py(y) + 4}" text-anchor="end">${y.toPrecision(3)}</text>` +
      `<line x1="${left}" x2="${w - right}" y1="${py(y)}" y2="${py(y)}" stroke="#eee"/>`;
  }).join("");
  const lines = series.map((s) => {
    const pts = s.points.filter(([, y]) => Number.isFinite(y)).map(([x, y]) =>
      `${px(x).toFixed(1)},${py(y).toFixed(1)}`
    );
    const dots = s.points.length < 60
      ? pts.map((p) => `<circle cx="${p.split(",")[0]}" cy="${p.split(",")[1]}" r="2.5" fill="${s.color}"/>`).join("")
      : "";
    return `<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${pts.join(" ")}"/>${dots}`;
  }).join("");
  const legend = series.map((s, i) =>
    `<text x="${left + 10 + i * 160}" y="${h - 8}" fill="${s.color}">■ ${escape(s.name)}</text>`
  ).join("");
  return `<h2>${escape(title)}</h2><svg width="${w}" height="${h}" font-family="sans-serif" font-size="11">` +
    `${ticks}<line x1="${left}" x2="${left}" y1="${top}" y2="${h - bottom}" stroke="#999"/>` +
    `<text x="${w - right}" y="${h - bottom + 14}" text-anchor="end">step ${x1}</text>` +
    `<text x="${left}" y="${h - bottom + 14}">step ${x0}</text>` +
    `<text x="12" y="${top + 10}">${escape(yLabel)}</text>${lines}${legend}</svg>`;
}

export function renderReport(title: string, events: MetricsEvent[], summary: Record<string, string | number>): string {
  const train = events.filter((e) => e.kind === "train");
  const valid = events.filter((e) => e.kind === "valid");
  const scores: Series[] = [];
  const pick = (name: string, color: string, f: (e: MetricsEvent & { kind: "valid" }) => number | undefined) => {
    const points = valid.map((e) => [e.step, f(e as MetricsEvent & { kind: "valid" })] as [number, number | undefined])
      .filter((p): p is [number, number] => p[1] !== undefined);
    if (points.length > 0) scores.push({ name, color, points });
  };
  pick("BLEU", "#1f77b4", (e) => e.bleu);
  pick("chrF", "#2ca02c", (e) => e.chrf);
  pick("exact match %", "#9467bd", (e) => e.exactMatch === undefined ? undefined : 100 * e.exactMatch);
  const rows = Object.entries(summary).map(([k, v]) => `<tr><th>${escape(k)}</th><td>${escape(String(v))}</td></tr>`)
    .join("");
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:780px}th{text-align:left;padding-right:1em}</style></head><body>
<h1>${escape(title)}</h1><table>${rows}</table>
${
    chart("Loss", [
      { name: "train", color: "#ff7f0e", points: train.map((e) => [e.step, e.loss]) },
      { name: "validation", color: "#1f77b4", points: valid.map((e) => [e.step, e.loss]) },
    ], "loss")
  }
${scores.length > 0 ? chart("Validation scores", scores, "score") : ""}
</body></html>
`;
}
