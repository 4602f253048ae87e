/**
 * Corpus TER (translation edit rate) exactly as sacreBLEU 2.x computes it by default: `TER()`, i.e.
 * Tercom-compatible shifts, case-insensitive, no normalization (normalized=False: words are what
 * whitespace separates, punctuation included), punctuation kept (no_punct=False), no Asian support.
 * The numbers match `TER().corpus_score(hyps, refs)`.
 *
 * Lower is better; it is a rate on the 0–100 scale that can exceed 100 (a long wrong hypothesis).
 * Corpus TER is total edits over total (average) reference length, not a mean of sentence rates.
 */
import { pyLower } from "./lowercase.ts";
import { checkSentences } from "./references.ts";
import { terEdits } from "./tercom.ts";
import { pyRstrip, pySplit } from "./whitespace.ts";

/** A TER (translation edit rate) result: the score and the totals it comes from. */
export interface TerScore {
  /** TER on the 0–100 scale (100 · edits / reference length). */
  score: number;
  /** Edits summed over the corpus: per sentence, those against the reference needing the fewest. */
  numEdits: number;
  /** Summed over the corpus: per sentence, the MEAN length of all its references (so possibly fractional). */
  refLength: number;
}

/** sacreBLEU's TercomTokenizer with its defaults, after TER's rstrip: lowercase and split on whitespace. */
export function terWords(line: string): string[] {
  return pySplit(pyLower(pyRstrip(line)));
}

/** [fewest edits over the references, mean reference length] for one sentence, as sacreBLEU's segment statistics. */
function sentenceStats(hyp: string, refs: readonly string[]): [number, number] {
  const words = terWords(hyp);
  let best = Infinity, refLengths = 0;
  for (const ref of refs) {
    const { edits, refLen } = terEdits(words, terWords(ref));
    refLengths += refLen;
    // Strictly fewer: the first reference wins a tie (only the count matters, not which one).
    if (edits < best) best = edits;
  }
  // The mean over ALL references, not the length of the best one: Tercom's definition.
  return [best, refLengths / refs.length];
}

/** sacreBLEU's _compute_score_from_stats, including its conventions for empty references. */
function fromTotals(numEdits: number, refLength: number): TerScore {
  let rate: number;
  if (refLength > 0) rate = numEdits / refLength;
  else rate = numEdits > 0 ? 1.0 : 0.0; // empty references: anything at all is 100% wrong
  return { score: 100 * rate, numEdits, refLength };
}

/**
 * Corpus TER; `refsPerSentence[i]` holds all the references of sentence i, any number ≥ 1. (With
 * sacreBLEU's streams, this is `corpus_score(hyps, streams)` with missing lines given as `None`.)
 */
export function corpusTer(hypotheses: readonly string[], refsPerSentence: readonly (readonly string[])[]): TerScore {
  checkSentences("corpusTer", hypotheses, refsPerSentence);
  let numEdits = 0, refLength = 0;
  // Summed in sentence order, as sacreBLEU's sum_of_lists, so the float total is the same.
  hypotheses.forEach((hyp, i) => {
    const [edits, len] = sentenceStats(hyp, refsPerSentence[i]);
    numEdits += edits;
    refLength += len;
  });
  return fromTotals(numEdits, refLength);
}

/** TER of one sentence against its references, as sacreBLEU's `sentence_ter(hyp, refs)`. */
export function sentenceTer(hypothesis: string, references: readonly string[]): TerScore {
  checkSentences("sentenceTer", [hypothesis], [references]);
  return fromTotals(...sentenceStats(hypothesis, references));
}
