/**
 * Runs a chosen set of metrics on one corpus and presents the results the way sacreBLEU's command
 * line does (`NAME|signature = score details`), or as plain objects for JSON. This is what
 * `deno task eval` prints; the metric functions themselves live in their own files.
 */
import { type BleuOptions, corpusBleuMulti, sentenceBleu } from "./bleu.ts";
import { corpusChrf } from "./chrf.ts";
import { corpusCer, corpusWer } from "./error_rate.ts";
import { bleuSignature, chrfName, chrfSignature, errorRateSignature, nrefsOf, terSignature } from "./signature.ts";
import { pyFixed } from "./pyformat.ts";
import { corpusTer } from "./ter.ts";

/** The metrics {@link evaluate} can compute, by their command-line names. */
export type MetricName = "bleu" | "chrf" | "chrf++" | "ter" | "cer" | "wer";
/**
 * Every {@link MetricName}, in the order {@link evaluate} reports them.
 *
 * @example
 * ```ts
 * import { METRIC_NAMES } from "@deno-torch/torch/metrics";
 * METRIC_NAMES.join(","); // "bleu,chrf,chrf++,ter,cer,wer"
 * ```
 */
export const METRIC_NAMES: readonly MetricName[] = ["bleu", "chrf", "chrf++", "ter", "cer", "wer"];

/** One metric's result: printed name, signature, score, and the metric's own statistics (JSON-ready, snake_case as sacreBLEU's). */
export interface MetricResult {
  /** Which metric this is. */
  metric: MetricName;
  /** The name sacreBLEU prints, e.g. "BLEU", "chrF2++", "TER". */
  name: string;
  /** The settings signature that makes the score reproducible, e.g. "nrefs:1|case:mixed|...". */
  signature: string;
  /** The score on the 0–100 scale. */
  score: number;
  /** The metric's own statistics (BLEU counts, chrF precision/recall, edit totals), keyed in snake_case. */
  details: Record<string, number | number[]>;
}

/**
 * Settings shared by the metrics. `tokenize`, `smoothMethod`, `smoothValue` and `maxNgramOrder` are
 * BLEU's only; `lowercase` applies to all but TER (always lowercase here). chrF's and TER's other
 * options are for {@link corpusChrf} and {@link corpusTer} directly.
 */
export interface EvaluateOptions extends BleuOptions {
  /** The metrics to compute; default all of METRIC_NAMES. Results come in METRIC_NAMES order regardless. */
  metrics?: readonly MetricName[];
}

function bleuResult(
  name: string,
  signature: string,
  b: ReturnType<typeof corpusBleuMulti>,
): MetricResult {
  return {
    metric: "bleu",
    name,
    signature,
    score: b.score,
    details: {
      counts: b.counts,
      totals: b.totals,
      precisions: b.precisions,
      bp: b.bp,
      sys_len: b.sysLen,
      ref_len: b.refLen,
    },
  };
}

/**
 * The chosen metrics (default: all, in METRIC_NAMES order) on hypotheses with per-sentence references;
 * `refsPerSentence[i]` holds every reference of sentence i.
 *
 * @example
 * ```ts
 * import { evaluate, formatResult } from "@deno-torch/torch/metrics";
 * const results = evaluate(["Il gatto dorme."], [["Il gatto dorme.", "Il gatto sta dormendo."]], {
 *   metrics: ["bleu", "chrf"],
 * });
 * for (const r of results) console.log(formatResult(r));
 * ```
 */
export function evaluate(
  hypotheses: readonly string[],
  refsPerSentence: readonly (readonly string[])[],
  options: EvaluateOptions = {},
): MetricResult[] {
  const nrefs = nrefsOf(refsPerSentence);
  const lowercase = options.lowercase ?? false;
  const chosen = new Set(options.metrics ?? METRIC_NAMES);
  const out: MetricResult[] = [];
  for (const metric of METRIC_NAMES.filter((m) => chosen.has(m))) {
    if (metric === "bleu") {
      const b = corpusBleuMulti(hypotheses, refsPerSentence, options);
      out.push(bleuResult("BLEU", bleuSignature(nrefs, options), b));
    } else if (metric === "chrf" || metric === "chrf++") {
      const wordOrder = metric === "chrf++" ? 2 : 0;
      const c = corpusChrf(hypotheses, refsPerSentence, { wordOrder, lowercase });
      out.push({
        metric,
        name: chrfName(wordOrder),
        signature: chrfSignature(nrefs, { wordOrder, lowercase }),
        score: c.score,
        details: { precision: c.precision, recall: c.recall },
      });
    } else if (metric === "ter") {
      const t = corpusTer(hypotheses, refsPerSentence);
      out.push({
        metric,
        name: "TER",
        signature: terSignature(nrefs),
        score: t.score,
        details: { num_edits: t.numEdits, ref_length: t.refLength },
      });
    } else {
      const e = (metric === "cer" ? corpusCer : corpusWer)(hypotheses, refsPerSentence, { lowercase });
      out.push({
        metric,
        name: metric.toUpperCase(),
        signature: errorRateSignature(metric === "cer" ? "chars" : "words", nrefs, { lowercase }),
        score: e.score,
        details: { edits: e.edits, ref_len: e.refLen },
      });
    }
  }
  return out;
}

/** sacreBLEU's `sentence_bleu` for every sentence, each with its own signature (its own nrefs). */
export function evaluateSentences(
  hypotheses: readonly string[],
  refsPerSentence: readonly (readonly string[])[],
  options: BleuOptions = {},
): MetricResult[] {
  return hypotheses.map((hyp, i) => {
    const signature = bleuSignature(refsPerSentence[i].length, { ...options, effectiveOrder: true });
    return bleuResult("BLEU", signature, sentenceBleu(hyp, refsPerSentence[i], options));
  });
}

/**
 * One result as sacreBLEU prints it in text mode with `--width 2`, Python's rounding included:
 * `BLEU|nrefs:1|... = 37.99 83.3/... (BP = ...)`. TER, CER and WER add their edit and length totals.
 */
export function formatResult(r: MetricResult): string {
  const d = r.details;
  let verbose = "";
  if (r.metric === "bleu") {
    const sys = d.sys_len as number, ref = d.ref_len as number;
    const ratio = ref ? sys / ref : 0;
    const precisions = (d.precisions as number[]).map((p) => pyFixed(p, 1)).join("/");
    verbose = ` ${precisions} (BP = ${pyFixed(d.bp as number, 3)} ratio = ${pyFixed(ratio, 3)} ` +
      `hyp_len = ${sys} ref_len = ${ref})`;
  } else if (r.metric === "ter") {
    verbose = ` (edits = ${d.num_edits} ref_len = ${pyFixed(d.ref_length as number, 1)})`;
  } else if (r.metric === "cer" || r.metric === "wer") {
    verbose = ` (edits = ${d.edits} ref_len = ${d.ref_len})`;
  }
  return `${r.name}|${r.signature} = ${pyFixed(r.score, 2)}${verbose}`;
}

/** A result as a JSON-ready object: name, signature, score, then the metric's statistics. */
export function resultJson(r: MetricResult): Record<string, unknown> {
  return { name: r.name, signature: r.signature, score: r.score, ...r.details };
}
