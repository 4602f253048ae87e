/**
 * Translation metrics that give sacreBLEU 2.6's numbers: corpus and sentence BLEU (13a, intl, char,
 * none tokenizers; smoothing; lowercase), chrF and chrF++, TER, CER/WER, sacreBLEU-style signatures,
 * and `evaluate`, which scores a system against 1–3 references. Plain TypeScript: no tensors, no
 * native library, no npm package.
 *
 * ```ts
 * import { corpusBleu } from "@deno-torch/torch/metrics";
 * const bleu = corpusBleu(["Il gatto è nero."], [["Il gatto è nero."]]); // bleu.score: 100
 * ```
 *
 * @module
 */
export {
  BLEU_SMOOTH_DEFAULTS,
  BLEU_SMOOTH_METHODS,
  BLEU_TOKENIZERS,
  type BleuOptions,
  type BleuScore,
  type BleuSmoothMethod,
  type BleuTokenizer,
  corpusBleu,
  corpusBleuMulti,
  sentenceBleu,
} from "./bleu.ts";
export { type ChrfOptions, type ChrfOrderStats, type ChrfScore, corpusChrf, corpusChrfPlusPlus } from "./chrf.ts";
export { tokenize13a } from "./tokenize13a.ts";
export { tokenizeIntl } from "./tokenize_intl.ts";
export { corpusTer, sentenceTer, type TerOptions, type TerScore, terWords } from "./ter.ts";
export { terEdits } from "./tercom.ts";
export {
  cerUnits,
  corpusCer,
  corpusWer,
  type ErrorRateOptions,
  type ErrorRateScore,
  levenshtein,
  werUnits,
} from "./error_rate.ts";
export * from "./signature.ts";
export {
  evaluate,
  type EvaluateOptions,
  evaluateSentences,
  formatResult,
  METRIC_NAMES,
  type MetricName,
  type MetricResult,
  resultJson,
} from "./evaluate.ts";
