/**
 * Corpus chrF exactly as sacreBLEU 2.x computes it by default: `CHRF()`, i.e. character n-grams of
 * orders 1..6, no word n-grams, beta = 2, whitespace removed, case-sensitive, and the "effective
 * order" averaging rather than epsilon smoothing. The score matches `CHRF().corpus_score(...)`.
 * Options: `wordOrder: 2` is chrF++ (`CHRF(word_order=2)`, see `corpusChrfPlusPlus`), `lowercase` is
 * `CHRF(lowercase=True)`, and `charOrder`, `beta`, `whitespace` are sacreBLEU's `char_order`, `beta`,
 * `whitespace`.
 *
 * Like corpus BLEU, it is not an average of sentence scores: per-order n-gram counts are summed over
 * the corpus, and one F-score comes from the sums. With several references, each sentence adds the
 * counts of the one reference that gives it the best sentence-level chrF (the first one on a tie).
 */
import { chrfWords } from "./chrf_words.ts";
import { pyLower } from "./lowercase.ts";
import { checkSentences } from "./references.ts";
import { pySplit } from "./whitespace.ts";
import { ngramCountsUpTo } from "./ngrams.ts";

const CHAR_ORDER = 6;
const BETA = 2;

/** Settings for {@link corpusChrf}: word n-grams (chrF++), lowercasing, and sacreBLEU's other `CHRF` options. */
export interface ChrfOptions {
  /**
   * Word n-gram orders added to the 6 character orders, each counting as much as one character
   * order in the average: 0 (default) is chrF, 2 is chrF++, sacreBLEU's `word_order`.
   */
  wordOrder?: number;
  /** Lowercase hypotheses and references first (Python's `str.lower()`). Default false. */
  lowercase?: boolean;
  /** Character n-gram orders 1..charOrder, default 6 (sacreBLEU's `char_order`). */
  charOrder?: number;
  /** Recall weighs beta times as much as precision, default 2; the score is named "chrF{beta}". */
  beta?: number;
  /** Keep whitespace inside character n-grams instead of removing it first. Default false. */
  whitespace?: boolean;
}

/** Summed counts for one n-gram order. */
export interface ChrfOrderStats {
  /** Hypothesis character n-grams (0 for a sentence whose chosen reference has none of this order). */
  hyp: number;
  /** Reference character n-grams. */
  ref: number;
  /** Matches: each hypothesis n-gram counted at most as often as it occurs in the reference. */
  match: number;
}

/** A chrF (or chrF++) result: the score, its precision and recall, and per-order counts. */
export interface ChrfScore {
  /** chrF2 (chrF2++ with wordOrder 2; chrF{beta} in general) on the 0–100 scale. */
  score: number;
  /** Precision in percent, averaged over the orders where hypothesis and reference both have n-grams. */
  precision: number;
  /** Recall in percent, averaged over the same orders. */
  recall: number;
  /**
   * Per-order statistics summed over the corpus: character n = 1..charOrder at index n − 1, then
   * word n = 1..wordOrder at index charOrder − 1 + n.
   */
  orders: ChrfOrderStats[];
}

/** The checked settings, defaults filled in. */
interface ChrfSettings {
  charOrder: number;
  wordOrder: number;
  beta: number;
  lowercase: boolean;
  whitespace: boolean;
}

function checkedOrder(name: string, value: number, min: 0 | 1): number {
  if (!Number.isInteger(value) || value < min) {
    const kind = min === 0 ? "a non-negative" : "a positive";
    throw new RangeError(`corpusChrf: ${name} must be ${kind} integer, got ${value}`);
  }
  return value;
}

function settingsOf(options: ChrfOptions): ChrfSettings {
  const beta = options.beta ?? BETA;
  // Not 0: chrF0 with zero recall would divide 0 by 0 (sacreBLEU raises ZeroDivisionError there).
  if (typeof beta !== "number" || !Number.isFinite(beta) || beta <= 0) {
    throw new RangeError(`corpusChrf: beta must be a finite number > 0, got ${beta}`);
  }
  return {
    charOrder: checkedOrder("charOrder", options.charOrder ?? CHAR_ORDER, 1),
    wordOrder: checkedOrder("wordOrder", options.wordOrder ?? 0, 0),
    beta,
    lowercase: options.lowercase ?? false,
    whitespace: options.whitespace ?? false,
  };
}

/** Counts of each character n-gram, one map per order; whitespace (Python's set) is removed first unless kept. */
function charNgrams(line: string, charOrder: number, whitespace: boolean): Map<string, number>[] {
  // Code points, not UTF-16 units: Python indexes strings by code point, so an emoji is one character.
  // No Unicode normalization, as in sacreBLEU: a decomposed "è" is two characters and matches no composed "è".
  return ngramCountsUpTo(Array.from(whitespace ? line : pySplit(line).join("")), charOrder, "");
}

/** Character n-grams of orders 1..charOrder, then word n-grams of orders 1..wordOrder (sacreBLEU's list order). */
function allNgrams(line: string, { charOrder, wordOrder, whitespace }: ChrfSettings): Map<string, number>[] {
  // Words never hold whitespace, so joining them with a space keys them as sacreBLEU does.
  const words = wordOrder > 0 ? ngramCountsUpTo(chrfWords(line), wordOrder, " ") : [];
  return [...charNgrams(line, charOrder, whitespace), ...words];
}

/** sacreBLEU's _get_match_statistics: [hyp, ref, match] for each order, flattened. */
function matchStats(hyp: readonly Map<string, number>[], ref: readonly Map<string, number>[]): number[] {
  const stats: number[] = [];
  for (let n = 0; n < hyp.length; n++) {
    let hypCount = 0, refCount = 0, match = 0;
    for (const [key, c] of hyp[n]) {
      hypCount += c;
      match += Math.min(c, ref[n].get(key) ?? 0);
    }
    for (const c of ref[n].values()) refCount += c;
    // sacreBLEU does not count hypothesis n-grams of an order the reference has none of, so a
    // reference shorter than n characters (or words) leaves that order out of the average instead of scoring 0.
    stats.push(ref[n].size > 0 ? hypCount : 0, refCount, match);
  }
  return stats;
}

/** sacreBLEU's _compute_f_score (eps_smoothing=False) on flattened statistics, in its operation order. */
function fScore(stats: readonly number[], beta: number): { score: number; precision: number; recall: number } {
  const factor = beta ** 2;
  let precision = 0.0, recall = 0.0, effectiveOrder = 0;
  for (let n = 0; n < stats.length / 3; n++) {
    const [nHyp, nRef, nMatch] = stats.slice(3 * n, 3 * n + 3);
    // Orders missing on either side are skipped rather than counted as 0 ("effective order").
    if (nHyp > 0 && nRef > 0) {
      precision += nMatch / nHyp;
      recall += nMatch / nRef;
      effectiveOrder += 1;
    }
  }
  if (effectiveOrder === 0) precision = recall = 0.0;
  else {
    precision /= effectiveOrder;
    recall /= effectiveOrder;
  }
  if (precision + recall === 0) return { score: 0, precision: 0, recall: 0 };
  let score = (1 + factor) * precision * recall;
  score /= factor * precision + recall;
  return { score: 100 * score, precision: 100 * precision, recall: 100 * recall };
}

/**
 * Corpus chrF; `refsPerSentence[i]` holds all the references of sentence i, any number ≥ 1. (With
 * sacreBLEU's streams, this is `corpus_score(hyps, streams)` with missing lines given as `None`.)
 */
export function corpusChrf(
  hypotheses: readonly string[],
  refsPerSentence: readonly (readonly string[])[],
  options: ChrfOptions = {},
): ChrfScore {
  checkSentences("corpusChrf", hypotheses, refsPerSentence);
  const settings = settingsOf(options);
  const prepare = (line: string) => allNgrams(settings.lowercase ? pyLower(line) : line, settings);
  const orderCount = settings.charOrder + settings.wordOrder;
  const totals = new Array<number>(3 * orderCount).fill(0);
  hypotheses.forEach((hyp, i) => {
    const hypNgrams = prepare(hyp);
    let best: number[] = [], bestScore = -1.0;
    for (const ref of refsPerSentence[i]) {
      const stats = matchStats(hypNgrams, prepare(ref));
      const { score } = fScore(stats, settings.beta);
      // Strictly greater: on a tie the earlier reference stays, as in sacreBLEU.
      if (score > bestScore) [best, bestScore] = [stats, score];
    }
    best.forEach((v, k) => totals[k] += v);
  });
  const orders = Array.from({ length: orderCount }, (_, n) => ({
    hyp: totals[3 * n],
    ref: totals[3 * n + 1],
    match: totals[3 * n + 2],
  }));
  return { ...fScore(totals, settings.beta), orders };
}

/**
 * Corpus chrF++: sacreBLEU's `CHRF(word_order=2)`, character n-grams 1..6 plus word unigrams and
 * bigrams (words split off their punctuation as chrF++.py does), beta = 2. Reported as "chrF2++".
 */
export function corpusChrfPlusPlus(
  hypotheses: readonly string[],
  refsPerSentence: readonly (readonly string[])[],
  options: Omit<ChrfOptions, "wordOrder"> = {},
): ChrfScore {
  return corpusChrf(hypotheses, refsPerSentence, { ...options, wordOrder: 2 });
}
