/**
 * The word side of chrF++ (sacreBLEU's `CHRF(word_order=2)`): its "primitive tokenization" (the
 * n-grams are counted in ngrams.ts). The tokenization is deliberately not 13a's; it is the one in Popović's chrF++.py
 * that sacreBLEU's `_remove_punctuation` replicates, quirks included, so word n-grams match its counts.
 */
import { pySplit } from "./whitespace.ts";

// Python's string.punctuation: ASCII only, so "«", "—" or "’" never split off.
const PUNCT = new Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");

/**
 * Splits on whitespace, then separates ONE punctuation character from each word: the last one if it
 * is punctuation, else the first one if that is. So "gatto." → "gatto" "." and "(sì" → "(" "sì", but
 * "(sì)" → "(sì" ")" (sacreBLEU issue #124) and "ciao!!" → "ciao!" "!". One-character words stay whole.
 */
export function chrfWords(line: string): string[] {
  const out: string[] = [];
  for (const word of pySplit(line)) {
    // Code points, as Python indexes them: "😀!" is two characters, so its "!" splits off.
    const chars = Array.from(word);
    if (chars.length === 1) out.push(word);
    else if (PUNCT.has(chars[chars.length - 1])) out.push(chars.slice(0, -1).join(""), chars[chars.length - 1]);
    else if (PUNCT.has(chars[0])) out.push(chars[0], chars.slice(1).join(""));
    else out.push(word);
  }
  return out;
}
