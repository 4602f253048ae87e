/** Human-readable output: the results tables (micro and macro groups) and the verdict lines. */
import { spread, type Stat } from "./harness.ts";
import type { AnyResult, GroupResult, MacroResult, MacroRow, RowResult } from "./types.ts";

/** Samples whose interquartile range exceeds this fraction of the median are marked noisy. */
export const NOISY = 0.1;

/** ns with a unit picked for the magnitude, three significant digits. */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return "—";
  const abs = Math.abs(ns);
  const [value, unit] = abs < 1e3 ? [ns, "ns"] : abs < 1e6 ? [ns / 1e3, "µs"] : abs < 1e9 ? [ns / 1e6, "ms"] : [
    ns / 1e9,
    "s",
  ];
  const a = Math.abs(value);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${unit}`;
}

function cell(s: Stat | undefined): string {
  if (!s) return "—";
  return formatNs(s.median) + (spread(s) > NOISY ? " ~" : "");
}

/** A time difference with its sign, e.g. "+184 ns"; "—" when there is none. */
export function signed(ns: number | undefined): string {
  if (ns === undefined) return "—";
  return (ns >= 0 ? "+" : "−") + formatNs(Math.abs(ns));
}

const HEADER = ["workload", "deno-torch", "raw FFI/native", "DSL added", "PyTorch", "ratio (ours/PyTorch)"];

function rowCells(r: RowResult): string[] {
  return [
    r.label,
    cell(r.ours),
    cell(r.native),
    signed(r.added),
    cell(r.torch),
    r.ratio === undefined ? "—" : `${r.ratio.toFixed(3)}×`,
  ];
}

/** A Markdown-style table (renders as a table in Markdown, reads fine in a terminal). */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => [...r[c]].length)));
  const pad = (s: string, w: number, right: boolean) =>
    right ? " ".repeat(w - [...s].length) + s : s + " ".repeat(w - [...s].length);
  const line = (r: string[]) => "| " + r.map((s, c) => pad(s, widths[c], c > 0)).join(" | ") + " |";
  const rule = "|" + widths.map((w, c) => (c > 0 ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|") + "|";
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join("\n");
}

export function groupTable(g: GroupResult): string {
  return table([HEADER, ...g.rows.map(rowCells)]);
}

const MACRO_HEADER = ["measure", "median", "runs: fastest–slowest"];

function macroValue(value: number, unit: MacroRow["unit"]): string {
  switch (unit) {
    case "s":
      return formatNs(value * 1e9);
    case "%":
      return `${value.toFixed(2)}%`;
    case "count":
      if (Number.isInteger(value)) return value.toLocaleString("en-US");
      return Math.abs(value) < 10 ? value.toFixed(3) : value.toFixed(1); // ratios keep their digits
  }
}

/** The spread over runs: a timing's fastest–slowest; "—" for other figures that every run agreed on. */
function macroRuns(r: MacroRow): string {
  const lo = Math.min(...r.runs), hi = Math.max(...r.runs);
  if (r.unit !== "s" && lo === hi) return "—";
  if (r.runs.length === 1) return "1 run";
  return `${r.runs.length}: ${macroValue(lo, r.unit)}–${macroValue(hi, r.unit)}`;
}

export function macroTable(g: MacroResult): string {
  if (g.rows.length === 0) return "(no rows)";
  return table([MACRO_HEADER, ...g.rows.map((r) => [r.label, macroValue(r.value, r.unit), macroRuns(r)])]);
}

export function verdictLines(groups: AnyResult[]): string[] {
  const lines: string[] = [];
  for (const g of groups) {
    for (const v of g.verdicts) lines.push(`${v.status.padEnd(4)}  ${v.target}: ${v.detail}`);
    if (g.leaked !== 0) lines.push(`WARN  ${g.name}: ${g.leaked} native tensor(s) still alive after the group`);
  }
  return lines;
}

export const LEGEND = [
  "Times are per op, median of the rounds. 'DSL added' = deno-torch − raw FFI and 'ratio' = deno-torch / PyTorch,",
  "each the median over rounds in which the variants ran back to back. '~' marks an interquartile range above",
  `${NOISY * 100}% of the median (noisy: other processes competing for the cores).`,
].join("\n");

export const MACRO_LEGEND = [
  "Macro groups time whole workloads once per run; 'median' is over the runs (a sum row is summed per run,",
  "so the medians of its steps need not add up to it exactly); counts the runs agreed on show '—' as range.",
].join("\n");
