/**
 * The "intl" tokenizer: sacreBLEU's `TokenizerV14International`, the international tokenization of
 * mteval-v14.pl. Where 13a only knows ASCII punctuation, this one splits on every Unicode punctuation
 * (category P) and symbol (category S) character, so «virgolette», “quotes”, "—", "…" and "€" become
 * tokens of their own. Replicated rule by rule, with the same Unicode property classes
 * (`\p{P}`, `\p{S}`, `\P{N}`) that sacreBLEU's `regex` module uses.
 *
 * Two quirks are kept on purpose, as sacreBLEU keeps them for consistency with mteval-v14:
 * - no padding: a number followed by a final period keeps it ("nel 2020." → "nel 2020."), because
 *   nothing non-numeric follows the period;
 * - no entity unescaping: "&amp;" is "&", "amp" and ";".
 * Results agree with sacreBLEU where V8's Unicode tables and the `regex` module's agree, i.e. for every
 * character assigned in both of their Unicode versions.
 */
import { pySplit } from "./whitespace.ts";

// A punctuation character splits off after anything but a number, a space included: "a," → "a ,",
// " -5" → " - 5", "l'uomo" → "l ' uomo" (unlike 13a, the apostrophe is punctuation here).
const PUNCT_AFTER_NON_NUMBER = /(\P{N})(\p{P})/gu;
// ... and before anything but a number: "«ciao" → "« ciao". So only punctuation between two numbers
// stays: "3.14", "1,000.50", "1990-2000".
const PUNCT_BEFORE_NON_NUMBER = /(\p{P})(\P{N})/gu;
// Symbols (math, currency, modifiers, other: "+", "€", "^", "©", emoji) always split.
const SYMBOL = /(\p{S})/gu;

/**
 * Tokenizes one line as sacreBLEU's `TokenizerV14International()(line)` does, returning the tokens
 * joined by single spaces. (BLEU lowercases if asked and right-strips each line before this.)
 */
export function tokenizeIntl(line: string): string {
  line = line.replace(PUNCT_AFTER_NON_NUMBER, "$1 $2 ");
  line = line.replace(PUNCT_BEFORE_NON_NUMBER, " $1 $2");
  line = line.replace(SYMBOL, " $1 ");
  return pySplit(line).join(" ");
}
