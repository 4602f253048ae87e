/**
 * Corpus TER (translation edit rate) exactly as sacreBLEU 2.x computes it by default: `TER()`, i.e.
 * Tercom-compatible shifts, case-insensitive, no normalization (normalized=False: words are what
 * whitespace separates, punctuation included), punctuation kept (no_punct=False), no Asian support.
 * The numbers match `TER().corpus_score(hyps, refs)`. The options are sacreBLEU's `normalized`,
 * `no_punct` and `case_sensitive` (not `asian_support`).
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

/** sacreBLEU's `TER(normalized=..., no_punct=..., case_sensitive=...)`; all default to false. */
export interface TerOptions {
  /** Tercom's normalization: entities unescaped, punctuation split off as 13a-style tokens, "'s" split. */
  normalized?: boolean;
  /** Remove the punctuation . , ? : ; ! " ( ) before comparing. */
  noPunct?: boolean;
  /** Compare case-sensitively (TER lowercases by default). */
  caseSensitive?: boolean;
}

// Tercom's Western normalization (sacreBLEU's _normalize_general_and_western), rule by rule. The
// punctuation class is 13a's: U+0020–U+0026, U+0028–U+002B, "/", U+003A–U+0040, U+005B–U+0060, U+007B–U+007E.
const TERCOM_SYMBOL = /([\x20-\x26\x28-\x2B\x2F\x3A-\x40\x5B-\x60\x7B-\x7E])/gu;
const AFTER_NON_DIGIT = /([^0-9])([.,])/gu;
const BEFORE_NON_DIGIT = /([.,])([^0-9])/gu;
const DASH_AFTER_DIGIT = /([0-9])(-)/gu;
// no_punct's set: only these ten, not all of the normalization's punctuation.
const TERCOM_PUNCT = /[.,?:;!"()]/gu;

function normalizeWestern(sent: string): string {
  // "\n-" (not 13a's "-\n"), as Tercom's Normalizer.java writes it.
  sent = sent.replaceAll("\n-", "").replaceAll("\n", " ");
  sent = sent.replaceAll("&quot;", '"').replaceAll("&amp;", "&").replaceAll("&lt;", "<").replaceAll("&gt;", ">");
  sent = ` ${sent} `.replace(TERCOM_SYMBOL, " $1 ");
  // Possessives; the line is padded with spaces, so the end-anchored form never fires, but it is kept as written.
  sent = sent.replaceAll("'s ", " 's ").replace(/'s$/u, " 's");
  sent = sent.replace(AFTER_NON_DIGIT, "$1 $2 ").replace(BEFORE_NON_DIGIT, " $1 $2");
  return sent.replace(DASH_AFTER_DIGIT, "$1 $2 ");
}

/** sacreBLEU's TercomTokenizer (without Asian support), after TER's rstrip, split into words. */
export function terWords(line: string, options: TerOptions = {}): string[] {
  let sent = pyRstrip(line);
  if (!options.caseSensitive) sent = pyLower(sent);
  if (options.normalized) sent = normalizeWestern(sent);
  if (options.noPunct) sent = sent.replace(TERCOM_PUNCT, "");
  return pySplit(sent);
}

/** [fewest edits over the references, mean reference length] for one sentence, as sacreBLEU's segment statistics. */
function sentenceStats(hyp: string, refs: readonly string[], options: TerOptions): [number, number] {
  const words = terWords(hyp, options);
  let best = Infinity, refLengths = 0;
  for (const ref of refs) {
    const { edits, refLen } = terEdits(words, terWords(ref, options));
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
export function corpusTer(
  hypotheses: readonly string[],
  refsPerSentence: readonly (readonly string[])[],
  options: TerOptions = {},
): TerScore {
  checkSentences("corpusTer", hypotheses, refsPerSentence);
  let numEdits = 0, refLength = 0;
  // Summed in sentence order, as sacreBLEU's sum_of_lists, so the float total is the same.
  hypotheses.forEach((hyp, i) => {
    const [edits, len] = sentenceStats(hyp, refsPerSentence[i], options);
    numEdits += edits;
    refLength += len;
  });
  return fromTotals(numEdits, refLength);
}

/** TER of one sentence against its references, as sacreBLEU's `sentence_ter(hyp, refs)`. */
export function sentenceTer(hypothesis: string, references: readonly string[], options: TerOptions = {}): TerScore {
  checkSentences("sentenceTer", [hypothesis], [references]);
  return fromTotals(...sentenceStats(hypothesis, references, options));
}
