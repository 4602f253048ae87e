/**
 * Reproducibility signatures in sacreBLEU's format, e.g. for BLEU
 * `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:deno-torch-0.1.0`: the same keys, in the
 * same order, with the same values sacreBLEU 2.x prints for the same settings, so a score can be
 * told apart from one computed with other settings. Only `version` differs: it names this library
 * (from deno.json), not a sacreBLEU release, since the numbers come from this code. They follow
 * sacreBLEU 2.x's definitions and defaults (verified against sacreBLEU 2.6.0 in tests).
 */
import config from "../../deno.json" with { type: "json" };
import { BLEU_SMOOTH_DEFAULTS, type BleuOptions } from "./bleu.ts";
import type { ChrfOptions } from "./chrf.ts";
import type { TerOptions } from "./ter.ts";
import { pyFixed } from "./pyformat.ts";

/** The `version:` value of every signature. */
export const METRICS_VERSION = `deno-torch-${config.version}`;

/** References per sentence: a count, or "var" when sentences have different numbers (as sacreBLEU). */
export type NRefs = number | "var";

/** The `nrefs:` value for per-sentence reference lists. */
export function nrefsOf(refsPerSentence: readonly (readonly unknown[])[]): NRefs {
  const counts = new Set(refsPerSentence.map((refs) => refs.length));
  return counts.size === 1 ? [...counts][0] : "var";
}

function format(fields: [string, string | number][]): string {
  return [...fields, ["version", METRICS_VERSION]].map(([k, v]) => `${k}:${v}`).join("|");
}

const yesNo = (b: boolean) => b ? "yes" : "no";
const caseOf = (lowercase: boolean) => lowercase ? "lc" : "mixed";

/** sacreBLEU's `smooth:` value: the method, with its value to 2 digits for "floor" and "add-k" ("floor[0.10]"). */
function smoothOf(options: BleuOptions): string {
  const method = options.smoothMethod ?? "exp";
  const fallback = BLEU_SMOOTH_DEFAULTS[method];
  if (fallback === null) return method;
  return `${method}[${pyFixed(options.smoothValue ?? fallback, 2)}]`;
}

/**
 * BLEU's signature; `effectiveOrder` is true for sentence BLEU. Like sacreBLEU's, it does not name
 * `maxNgramOrder`.
 */
export function bleuSignature(nrefs: NRefs, options: BleuOptions & { effectiveOrder?: boolean } = {}): string {
  return format([
    ["nrefs", nrefs],
    ["case", caseOf(options.lowercase ?? false)],
    ["eff", yesNo(options.effectiveOrder ?? false)],
    ["tok", options.tokenize ?? "13a"],
    ["smooth", smoothOf(options)],
  ]);
}

/**
 * chrF's signature (chrF++ with wordOrder 2); "eff:yes" is the effective-order averaging, "space:no"
 * whitespace removal. Like sacreBLEU's, it does not name beta (the metric's name does: "chrF1").
 */
export function chrfSignature(nrefs: NRefs, options: ChrfOptions = {}): string {
  return format([
    ["nrefs", nrefs],
    ["case", caseOf(options.lowercase ?? false)],
    ["eff", "yes"],
    ["nc", options.charOrder ?? 6],
    ["nw", options.wordOrder ?? 0],
    ["space", yesNo(options.whitespace ?? false)],
  ]);
}

/** TER's signature; "asian:no" always, since Asian support is not implemented. */
export function terSignature(nrefs: NRefs, options: TerOptions = {}): string {
  return format([
    ["nrefs", nrefs],
    ["case", options.caseSensitive ? "mixed" : "lc"],
    ["tok", "tercom"],
    ["norm", yesNo(options.normalized ?? false)],
    ["punct", yesNo(!(options.noPunct ?? false))],
    ["asian", "no"],
  ]);
}

/**
 * Our own signature for CER and WER, in the same style (sacreBLEU has neither metric):
 * `tok:chars` (whitespace collapsed, spaces counted) or `tok:words` (whitespace split), see error_rate.ts.
 */
export function errorRateSignature(
  unit: "chars" | "words",
  nrefs: NRefs,
  options: { lowercase?: boolean } = {},
): string {
  return format([["nrefs", nrefs], ["case", caseOf(options.lowercase ?? false)], ["tok", unit]]);
}

/** The metric names sacreBLEU prints before the signature ("chrF2++" for chrF++ with beta 2). */
export function chrfName(wordOrder = 0, beta = 2): string {
  return `chrF${beta}` + "+".repeat(wordOrder);
}
