/**
 * Corpus BLEU exactly as sacreBLEU 2.x computes it by default: `BLEU()`, i.e. 13a tokenization,
 * case-sensitive, n-grams up to 4, "exp" smoothing, no effective order. The numbers match
 * `BLEU().corpus_score(hyps, refs)` (score on the 0–100 scale, counts, totals, precisions, BP,
 * lengths), so scores here can be compared with published sacreBLEU scores. The options cover
 * sacreBLEU's `tokenize="13a" | "intl" | "none"`, `lowercase=True`, `smooth_method` with
 * `smooth_value`, and `max_ngram_order`; `sentenceBleu` is sacreBLEU's `sentence_bleu` (the same,
 * with effective order).
 *
 * Corpus BLEU is not an average of sentence scores: matched and total n-grams, hypothesis and
 * reference lengths are summed over the corpus first, and precisions and the brevity penalty come
 * from those sums.
 */
import { checkSentences, sentencesFromStreams } from "./references.ts";
import { tokenize13a } from "./tokenize13a.ts";
import { tokenizeIntl } from "./tokenize_intl.ts";
import { pyLower } from "./lowercase.ts";
import { pyRstrip, pySplit } from "./whitespace.ts";
import { ngramCountsUpTo } from "./ngrams.ts";

const DEFAULT_MAX_ORDER = 4;
// sacreBLEU's my_log(0): a floor rather than -Infinity, so a zero precision gives a score of exactly 0.
const LOG_ZERO = -9999999999;

/** A BLEU result with the statistics sacreBLEU reports alongside the score. */
export interface BleuScore {
  /** BLEU on the 0–100 scale (a perfect match gives 100 up to rounding: 100.00000000000004). */
  score: number;
  /**
   * Clipped n-gram matches for n = 1..maxNgramOrder, summed over the corpus. With "add-k" smoothing
   * they include the k added to every order above 1, as sacreBLEU reports them.
   */
  counts: number[];
  /** Hypothesis n-grams for n = 1..maxNgramOrder, summed over the corpus (plus k for "add-k", as counts). */
  totals: number[];
  /**
   * Precisions for n = 1..maxNgramOrder in percent, as sacreBLEU reports them: smoothed for an order
   * with no match ("exp", "floor"), 0 from the first order with no hypothesis n-gram on, all 0 when
   * nothing matched at all.
   */
  precisions: number[];
  /** Brevity penalty: exp(1 − refLen/sysLen) when the hypotheses are shorter than the references, else 1. */
  bp: number;
  /** Hypothesis tokens in the corpus. */
  sysLen: number;
  /** Sum over sentences of the reference length closest to the hypothesis's (ties to the shorter). */
  refLen: number;
}

/** sacreBLEU's BLEU tokenizers: "13a" (the default), "intl" (Unicode punctuation and symbols), "none". */
export type BleuTokenizer = "13a" | "intl" | "none";
/**
 * Every {@link BleuTokenizer} name, for validating a command-line option.
 *
 * @example
 * ```ts
 * import { BLEU_TOKENIZERS } from "@deno-torch/torch/metrics";
 * BLEU_TOKENIZERS.includes("intl"); // true
 * ```
 */
export const BLEU_TOKENIZERS: readonly BleuTokenizer[] = ["13a", "intl", "none"];

/**
 * sacreBLEU's smoothing methods (Chen and Cherry, 2014): "exp" (NIST's, the default), "floor"
 * (a zero match count becomes `smoothValue`), "add-k" (k added to matches and totals above order 1),
 * "none".
 */
export type BleuSmoothMethod = "exp" | "floor" | "add-k" | "none";
/**
 * Every {@link BleuSmoothMethod} name, for validating an option.
 *
 * @example
 * ```ts
 * import { BLEU_SMOOTH_METHODS } from "@deno-torch/torch/metrics";
 * BLEU_SMOOTH_METHODS.includes("floor"); // true
 * ```
 */
export const BLEU_SMOOTH_METHODS: readonly BleuSmoothMethod[] = ["none", "floor", "add-k", "exp"];
/** sacreBLEU's defaults for `smooth_value`: only "floor" and "add-k" take one. */
export const BLEU_SMOOTH_DEFAULTS: Readonly<Record<BleuSmoothMethod, number | null>> = {
  none: null,
  floor: 0.1,
  "add-k": 1,
  exp: null,
};

/** sacreBLEU's `BLEU(tokenize=..., lowercase=..., smooth_method=..., smooth_value=..., max_ngram_order=...)`. */
export interface BleuOptions {
  /** Default "13a". "none" splits on whitespace only: the text must come tokenized already. */
  tokenize?: BleuTokenizer;
  /** Lowercase hypotheses and references first (Python's `str.lower()`). Default false. */
  lowercase?: boolean;
  /** Default "exp". */
  smoothMethod?: BleuSmoothMethod;
  /** The value of "floor" (default 0.1) and "add-k" (default 1); ignored by the others. */
  smoothValue?: number;
  /** Highest n-gram order, default 4. */
  maxNgramOrder?: number;
}

/** The options after checking, with defaults filled in. */
interface BleuSettings {
  tokenize: (line: string) => string;
  lowercase: boolean;
  smoothMethod: BleuSmoothMethod;
  smoothValue: number;
  maxOrder: number;
}

const TOKENIZE: Record<BleuTokenizer, (line: string) => string> = {
  "13a": tokenize13a,
  intl: tokenizeIntl,
  none: (line) => line,
};

/** Checks options from untyped callers (the CLI, JS), so a typo is not silently the default. */
function tokenizerOf(options: BleuOptions): (line: string) => string {
  const name = options.tokenize ?? "13a";
  if (!BLEU_TOKENIZERS.includes(name)) {
    throw new RangeError(`BLEU: unknown tokenizer ${JSON.stringify(name)} (choose from ${BLEU_TOKENIZERS.join(", ")})`);
  }
  return TOKENIZE[name];
}

/** Checks every option from untyped callers and fills in sacreBLEU's defaults. */
function settingsOf(metric: string, options: BleuOptions): BleuSettings {
  const smoothMethod = options.smoothMethod ?? "exp";
  if (!BLEU_SMOOTH_METHODS.includes(smoothMethod)) {
    throw new RangeError(
      `${metric}: unknown smoothMethod ${JSON.stringify(smoothMethod)} (choose from ${BLEU_SMOOTH_METHODS.join(", ")})`,
    );
  }
  const smoothValue = options.smoothValue ?? BLEU_SMOOTH_DEFAULTS[smoothMethod] ?? 0;
  if (typeof smoothValue !== "number" || !Number.isFinite(smoothValue) || smoothValue < 0) {
    throw new RangeError(`${metric}: smoothValue must be a finite number >= 0, got ${smoothValue}`);
  }
  const maxOrder = options.maxNgramOrder ?? DEFAULT_MAX_ORDER;
  if (!Number.isInteger(maxOrder) || maxOrder < 1) {
    throw new RangeError(`${metric}: maxNgramOrder must be a positive integer, got ${maxOrder}`);
  }
  return { tokenize: tokenizerOf(options), lowercase: options.lowercase ?? false, smoothMethod, smoothValue, maxOrder };
}

/** BLEU's preprocessing of a line (hypothesis or reference): lowercase, right-strip, tokenize, split. */
function tokens(line: string, tokenize: (line: string) => string, lowercase: boolean): string[] {
  // sacreBLEU's order: lower() first, then rstrip, so a trailing "-\n" is not joined: "well-\n" keeps its dash.
  return pySplit(tokenize(pyRstrip(lowercase ? pyLower(line) : line)));
}

/** Counts of each n-gram, one map per order n = 1..maxOrder (index n − 1); tokens never hold a space. */
function ngrams(toks: readonly string[], maxOrder: number): Map<string, number>[] {
  return ngramCountsUpTo(toks, maxOrder, " ");
}

/** sacreBLEU's _get_closest_ref_len: the first strictly closer length wins, equal distance goes to the shorter. */
function closestRefLen(hypLen: number, refLens: readonly number[]): number {
  let bestDiff = -1, best = -1;
  for (const len of refLens) {
    const diff = Math.abs(hypLen - len);
    if (bestDiff === -1 || diff < bestDiff) [bestDiff, best] = [diff, len];
    else if (diff === bestDiff && len < best) best = len;
  }
  return best;
}

interface Stats {
  sysLen: number;
  refLen: number;
  counts: number[];
  totals: number[];
}

function emptyStats(maxOrder: number): Stats {
  return { sysLen: 0, refLen: 0, counts: new Array(maxOrder).fill(0), totals: new Array(maxOrder).fill(0) };
}

/** Adds one sentence's statistics: each n-gram is clipped by its MAX count in any one reference (not the sum). */
function addSentence(
  stats: Stats,
  hyp: string,
  refs: readonly string[],
  { tokenize, lowercase, maxOrder }: BleuSettings,
): void {
  const maxRef: Map<string, number>[] = Array.from({ length: maxOrder }, () => new Map());
  const refLens: number[] = [];
  for (const ref of refs) {
    const toks = tokens(ref, tokenize, lowercase);
    refLens.push(toks.length);
    ngrams(toks, maxOrder).forEach((counts, n) => {
      for (const [key, c] of counts) maxRef[n].set(key, Math.max(maxRef[n].get(key) ?? 0, c));
    });
  }
  const hypToks = tokens(hyp, tokenize, lowercase);
  stats.sysLen += hypToks.length;
  stats.refLen += closestRefLen(hypToks.length, refLens);
  ngrams(hypToks, maxOrder).forEach((counts, n) => {
    for (const [key, c] of counts) {
      stats.totals[n] += c;
      stats.counts[n] += Math.min(c, maxRef[n].get(key) ?? 0);
    }
  });
}

/**
 * sacreBLEU's compute_bleu, in its operation order. With `effectiveOrder` (sentence BLEU), the
 * geometric mean runs only over the orders the hypothesis has n-grams of, so a 3-word sentence is
 * not 0 for lack of 4-grams.
 */
function fromStats(
  { sysLen, refLen, counts, totals }: Stats,
  { smoothMethod, smoothValue, maxOrder }: BleuSettings,
  effectiveOrder: boolean,
): BleuScore {
  let bp = 1.0;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0.0;
  const precisions = new Array<number>(maxOrder).fill(0);
  const result = { counts, totals, precisions, bp, sysLen, refLen };
  // Checked before add-k smoothing, as in sacreBLEU: nothing matched is 0 whatever the smoothing.
  if (counts.every((c) => c === 0)) return { score: 0, ...result };
  let smooth = 1, order = maxOrder;
  for (let n = 0; n < maxOrder; n++) {
    // sacreBLEU adds k to the statistics themselves, so the returned counts and totals include it.
    if (smoothMethod === "add-k" && n > 0) {
      counts[n] += smoothValue;
      totals[n] += smoothValue;
    }
    // No n-gram of this order in the whole corpus: this and higher precisions stay 0, so BLEU is 0
    // (without effective order).
    if (totals[n] === 0) break;
    if (effectiveOrder) order = n + 1;
    if (counts[n] === 0) {
      // "exp" (NIST's, mteval-v13a's): the k-th order without a match counts as 1/2^k matches.
      // sacreBLEU applies it at corpus level too, so a corpus with no 4-gram match still scores above 0.
      if (smoothMethod === "exp") {
        smooth *= 2;
        precisions[n] = 100 / (smooth * totals[n]);
      } else if (smoothMethod === "floor") {
        precisions[n] = 100 * smoothValue / totals[n];
      }
    } else {
      precisions[n] = 100 * counts[n] / totals[n];
    }
  }
  let logSum = 0;
  for (const p of precisions.slice(0, order)) logSum += p === 0 ? LOG_ZERO : Math.log(p);
  return { score: bp * Math.exp(logSum / order), ...result };
}

/**
 * Corpus BLEU from sentence-aligned references; `refsPerSentence[i]` holds all the references of
 * sentence i, any number ≥ 1 (Tatoeba gives several Italian translations of one English sentence).
 *
 * Exact with varying counts: sacreBLEU regroups its streams per sentence and drops `None` entries
 * before scoring, and each sentence clips against its own references and takes its own closest
 * length. So this equals `corpus_score(hyps, streams)` with short sentences padded by `None`
 * (corpusBleu's `null`). Padding with "" instead would NOT be the same: "" is a real, empty
 * reference of length 0, which can win the closest-length choice.
 */
export function corpusBleuMulti(
  hypotheses: readonly string[],
  refsPerSentence: readonly (readonly string[])[],
  options: BleuOptions = {},
): BleuScore {
  checkSentences("corpusBleu", hypotheses, refsPerSentence);
  const settings = settingsOf("corpusBleu", options);
  const stats = emptyStats(settings.maxOrder);
  hypotheses.forEach((hyp, i) => addSentence(stats, hyp, refsPerSentence[i], settings));
  return fromStats(stats, settings, false);
}

/**
 * Corpus BLEU in sacreBLEU's layout: `references[k][i]` is the k-th reference stream's line for
 * sentence i, every stream as long as `hypotheses`. A `null` line means "no k-th reference for this
 * sentence", like sacreBLEU's `None`; each sentence needs at least one.
 *
 * @example
 * ```ts
 * import { corpusBleu } from "@deno-torch/torch/metrics";
 * const hyps = ["Il gatto dorme.", "Ho due cani."];
 * const refs = [["Il gatto dorme.", "Ho due cani."], ["Il gatto sta dormendo.", null]];
 * corpusBleu(hyps, refs).score; // 0–100
 * ```
 */
export function corpusBleu(
  hypotheses: readonly string[],
  references: readonly (readonly (string | null)[])[],
  options: BleuOptions = {},
): BleuScore {
  return corpusBleuMulti(hypotheses, sentencesFromStreams("corpusBleu", hypotheses, references), options);
}

/**
 * BLEU of one sentence against its references, as sacreBLEU's `sentence_bleu(hyp, refs)`: exp
 * smoothing unless `smoothMethod` says otherwise, and effective order (`eff:yes` in the signature).
 * BLEU is a corpus metric, and the mean of sentence scores is not corpus BLEU; this is for
 * inspecting single translations.
 */
export function sentenceBleu(hypothesis: string, references: readonly string[], options: BleuOptions = {}): BleuScore {
  checkSentences("sentenceBleu", [hypothesis], [references]);
  const settings = settingsOf("sentenceBleu", options);
  const stats = emptyStats(settings.maxOrder);
  addSentence(stats, hypothesis, references, settings);
  return fromStats(stats, settings, true);
}
