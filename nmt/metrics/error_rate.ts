/**
 * CER and WER, character and word error rates. sacreBLEU has neither, so this is our definition,
 * chosen to be the common (jiwer-style) one and stated exactly, because error rates from different
 * tools differ in exactly these choices:
 *
 * - edits: plain Levenshtein distance (insertions, deletions, substitutions, each costing 1; no
 *   shifts, unlike TER);
 * - WER units: the words between runs of whitespace (Python's whitespace, as everywhere here), with
 *   no tokenization: "gatto." and "gatto" are different words;
 * - CER units: the characters (code points, no Unicode normalization) of the line after stripping it
 *   and collapsing each whitespace run to ONE space; spaces count, so a split or joined word is an
 *   error, but the amount of whitespace is not;
 * - case-sensitive unless `lowercase` (Python's `str.lower()`);
 * - corpus rate = 100 · Σ edits / Σ reference lengths (not a mean of sentence rates), so it can
 *   exceed 100; with empty references only (Σ length 0), 100 if there is any edit and 0 otherwise,
 *   as sacreBLEU's TER does;
 * - several references: per sentence, the reference with the fewest edits (the first on a tie), and
 *   that reference's own length. (TER instead averages the lengths of all references.)
 */
import { pyLower } from "./lowercase.ts";
import { checkSentences } from "./references.ts";
import { pySplit } from "./whitespace.ts";

/** A CER or WER result: the rate and the totals it comes from. */
export interface ErrorRateScore {
  /** Error rate on the 0–100 scale (lower is better). */
  score: number;
  /** Levenshtein edits summed over the corpus. */
  edits: number;
  /** Units (characters or words) of the chosen references, summed over the corpus. */
  refLen: number;
}

/** Settings for {@link corpusCer} and {@link corpusWer}. */
export interface ErrorRateOptions {
  /** Compare lowercased text. Default false. */
  lowercase?: boolean;
}

/** Levenshtein distance between two sequences, in O(min-length) memory. */
export function levenshtein<T>(a: readonly T[], b: readonly T[]): number {
  if (a.length < b.length) [a, b] = [b, a];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[b.length];
}

/** The words WER compares. */
export function werUnits(line: string): string[] {
  return pySplit(line);
}

/** The characters CER compares: code points of the line with whitespace runs collapsed to one space. */
export function cerUnits(line: string): string[] {
  return Array.from(pySplit(line).join(" "));
}

function corpusErrorRate(
  metric: string,
  units: (line: string) => string[],
  hypotheses: readonly string[],
  refsPerSentence: readonly (readonly string[])[],
  options: ErrorRateOptions,
): ErrorRateScore {
  checkSentences(metric, hypotheses, refsPerSentence);
  const prepare = (line: string) => units(options.lowercase ? pyLower(line) : line);
  let edits = 0, refLen = 0;
  hypotheses.forEach((hyp, i) => {
    const h = prepare(hyp);
    let best = Infinity, bestLen = 0;
    for (const ref of refsPerSentence[i]) {
      const r = prepare(ref);
      const d = levenshtein(h, r);
      if (d < best) [best, bestLen] = [d, r.length];
    }
    edits += best;
    refLen += bestLen;
  });
  const rate = refLen > 0 ? edits / refLen : edits > 0 ? 1 : 0;
  return { score: 100 * rate, edits, refLen };
}

/** Corpus character error rate; `refsPerSentence[i]` holds all the references of sentence i (≥ 1). */
export function corpusCer(
  hypotheses: readonly string[],
  refsPerSentence: readonly (readonly string[])[],
  options: ErrorRateOptions = {},
): ErrorRateScore {
  return corpusErrorRate("corpusCer", cerUnits, hypotheses, refsPerSentence, options);
}

/** Corpus word error rate; `refsPerSentence[i]` holds all the references of sentence i (≥ 1). */
export function corpusWer(
  hypotheses: readonly string[],
  refsPerSentence: readonly (readonly string[])[],
  options: ErrorRateOptions = {},
): ErrorRateScore {
  return corpusErrorRate("corpusWer", werUnits, hypotheses, refsPerSentence, options);
}
