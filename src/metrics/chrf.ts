/**
 * Corpus chrF exactly as sacreBLEU 2.x computes it by default: `CHRF()`, i.e. character n-grams of
 * orders 1..6, no word n-grams, beta = 2, whitespace removed, case-sensitive, and the "effective
 * order" averaging rather than epsilon smoothing. The score matches `CHRF().corpus_score(...)`.
 *
 * Like corpus BLEU, it is not an average of sentence scores: per-order n-gram counts are summed over
 * the corpus, and one F-score comes from the sums. With several references, each sentence adds the
 * counts of the one reference that gives it the best sentence-level chrF (the first one on a tie).
 */
import { checkSentences } from "./references.ts";
import { pySplit } from "./whitespace.ts";

const CHAR_ORDER = 6;
const BETA = 2;

/** Summed counts for one n-gram order. */
export interface ChrfOrderStats {
  /** Hypothesis character n-grams (0 for a sentence whose chosen reference has none of this order). */
  hyp: number;
  /** Reference character n-grams. */
  ref: number;
  /** Matches: each hypothesis n-gram counted at most as often as it occurs in the reference. */
  match: number;
}

export interface ChrfScore {
  /** chrF2 on the 0–100 scale. */
  score: number;
  /** Character precision in percent, averaged over the orders where hypothesis and reference both have n-grams. */
  precision: number;
  /** Character recall in percent, averaged over the same orders. */
  recall: number;
  /** Per-order statistics for n = 1..6 (index n − 1), summed over the corpus. */
  orders: ChrfOrderStats[];
}

/** Counts of each character n-gram, one map per order; whitespace (Python's set) is removed first. */
function charNgrams(line: string): Map<string, number>[] {
  // Code points, not UTF-16 units: Python indexes strings by code point, so an emoji is one character.
  // No Unicode normalization, as in sacreBLEU: a decomposed "è" is two characters and matches no composed "è".
  const chars = Array.from(pySplit(line).join(""));
  const out: Map<string, number>[] = [];
  for (let n = 1; n <= CHAR_ORDER; n++) {
    const counts = new Map<string, number>();
    for (let i = 0; i + n <= chars.length; i++) {
      const key = chars.slice(i, i + n).join("");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    out.push(counts);
  }
  return out;
}

/** sacreBLEU's _get_match_statistics: [hyp, ref, match] for each order, flattened. */
function matchStats(hyp: readonly Map<string, number>[], ref: readonly Map<string, number>[]): number[] {
  const stats: number[] = [];
  for (let n = 0; n < CHAR_ORDER; n++) {
    let hypCount = 0, refCount = 0, match = 0;
    for (const [key, c] of hyp[n]) {
      hypCount += c;
      match += Math.min(c, ref[n].get(key) ?? 0);
    }
    for (const c of ref[n].values()) refCount += c;
    // sacreBLEU does not count hypothesis n-grams of an order the reference has none of, so a
    // reference shorter than n characters leaves that order out of the average instead of scoring 0.
    stats.push(ref[n].size > 0 ? hypCount : 0, refCount, match);
  }
  return stats;
}

/** sacreBLEU's _compute_f_score (eps_smoothing=False) on flattened statistics, in its operation order. */
function fScore(stats: readonly number[]): { score: number; precision: number; recall: number } {
  const factor = BETA ** 2;
  let precision = 0.0, recall = 0.0, effectiveOrder = 0;
  for (let n = 0; n < CHAR_ORDER; n++) {
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
export function corpusChrf(hypotheses: readonly string[], refsPerSentence: readonly (readonly string[])[]): ChrfScore {
  checkSentences("corpusChrf", hypotheses, refsPerSentence);
  const totals = new Array<number>(3 * CHAR_ORDER).fill(0);
  hypotheses.forEach((hyp, i) => {
    const hypNgrams = charNgrams(hyp);
    let best: number[] = [], bestScore = -1.0;
    for (const ref of refsPerSentence[i]) {
      const stats = matchStats(hypNgrams, charNgrams(ref));
      const { score } = fScore(stats);
      // Strictly greater: on a tie the earlier reference stays, as in sacreBLEU.
      if (score > bestScore) [best, bestScore] = [stats, score];
    }
    best.forEach((v, k) => totals[k] += v);
  });
  const orders = Array.from({ length: CHAR_ORDER }, (_, n) => ({
    hyp: totals[3 * n],
    ref: totals[3 * n + 1],
    match: totals[3 * n + 2],
  }));
  return { ...fScore(totals), orders };
}
