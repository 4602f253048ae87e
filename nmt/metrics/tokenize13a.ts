/**
 * The "13a" tokenizer: sacreBLEU's `Tokenizer13a`, itself the tokenization of WMT's mteval-v13a.pl,
 * and BLEU's default. Replicated step by step, because every difference (which characters splitKey,
 * when a period stays inside a number) changes n-gram counts and so the score.
 */
import { pySplit } from "./whitespace.ts";

// The ASCII punctuation and symbols split off as tokens: U+0020–U+0026, U+0028–U+002B, "/",
// U+003A–U+0040, U+005B–U+0060 and U+007B–U+007E. Not the apostrophe, so "l'uomo" and "dell'acqua"
// stay one token; not "-", so "e-mail" does too; "." and "," are handled by the number-aware rules below.
const SYMBOL = /([\x20-\x26\x28-\x2B\x2F\x3A-\x40\x5B-\x60\x7B-\x7E])/gu;
// A period or comma splits off unless it sits between digits ("3.14", "1,000" stay whole).
const AFTER_NON_DIGIT = /([^0-9])([.,])/gu;
const BEFORE_NON_DIGIT = /([.,])([^0-9])/gu;
// A dash splits off after a digit ("1990-2000" → "1990 - 2000"), but not before one ("-5").
const DASH_AFTER_DIGIT = /([0-9])(-)/gu;

/**
 * Tokenizes one line as sacreBLEU's `Tokenizer13a()(line)` does, returning the tokens joined by
 * single spaces. (BLEU right-strips each line before this; see corpusBleu.)
 */
export function tokenize13a(line: string): string {
  line = line.replaceAll("<skipped>", "").replaceAll("-\n", "").replaceAll("\n", " ");
  if (line.includes("&")) {
    // Sequential, as in sacreBLEU: "&amp;lt;" becomes "&lt;" and then "<".
    line = line.replaceAll("&quot;", '"').replaceAll("&amp;", "&").replaceAll("&lt;", "<").replaceAll("&gt;", ">");
  }
  // The padding matters: it lets a final period find the non-digit after it ("2020." → "2020 .").
  line = ` ${line} `;
  line = line.replace(SYMBOL, " $1 ");
  line = line.replace(AFTER_NON_DIGIT, "$1 $2 ");
  line = line.replace(BEFORE_NON_DIGIT, " $1 $2");
  line = line.replace(DASH_AFTER_DIGIT, "$1 $2 ");
  return pySplit(line).join(" ");
}
