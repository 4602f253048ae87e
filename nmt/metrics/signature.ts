/**
 * Reproducibility signatures in sacreBLEU's format, e.g. for BLEU
 * `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:deno-torch-0.1.0`: the same keys, in the
 * same order, with the same values sacreBLEU 2.x prints for the same settings, so a score can be
 * told apart from one computed with other settings. Only `version` differs: it names this library
 * (from deno.json), not a sacreBLEU release, since the numbers come from this code. They follow
 * sacreBLEU 2.x's definitions and defaults (verified against sacreBLEU 2.6.0 in tests).
 */
import config from "../../deno.json" with { type: "json" };
import type { BleuTokenizer } from "./bleu.ts";

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

/** BLEU's signature; `effectiveOrder` is true for sentence BLEU. Smoothing is always "exp" here. */
export function bleuSignature(
  nrefs: NRefs,
  options: { tokenize?: BleuTokenizer; lowercase?: boolean; effectiveOrder?: boolean } = {},
): string {
  return format([
    ["nrefs", nrefs],
    ["case", caseOf(options.lowercase ?? false)],
    ["eff", yesNo(options.effectiveOrder ?? false)],
    ["tok", options.tokenize ?? "13a"],
    ["smooth", "exp"],
  ]);
}

/** chrF's signature (chrF++ with wordOrder 2); "eff:yes" is the effective-order averaging, "space:no" whitespace removal. */
export function chrfSignature(nrefs: NRefs, options: { wordOrder?: number; lowercase?: boolean } = {}): string {
  return format([
    ["nrefs", nrefs],
    ["case", caseOf(options.lowercase ?? false)],
    ["eff", "yes"],
    ["nc", 6],
    ["nw", options.wordOrder ?? 0],
    ["space", "no"],
  ]);
}

/** TER's signature with sacreBLEU's defaults (the only settings implemented). */
export function terSignature(nrefs: NRefs): string {
  return format([
    ["nrefs", nrefs],
    ["case", "lc"],
    ["tok", "tercom"],
    ["norm", "no"],
    ["punct", "yes"],
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
export function chrfName(wordOrder = 0): string {
  return "chrF2" + "+".repeat(wordOrder);
}
