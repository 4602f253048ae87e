/**
 * Word-level tokenizers, trained like the seed's: Hugging Face's `WordLevel` model behind the
 * `Whitespace` pre-tokenizer, one per language (train each side separately).
 */
import { compareCodepoints } from "./codepoint.ts";
import { countWords, type TextSource } from "./pretokenize.ts";
import { SPECIAL_TOKENS, TextTokenizer } from "./tokenizer.ts";
import { checkMinFrequency, checkSpecials, tokenizerJson } from "./tokenizer_json.ts";

/** Training settings for word-level tokenizers ({@link trainWordLevel}, {@link wordLevelVocab}). */
export type WordLevelOptions = {
  /** Words seen fewer times are left out (they encode as [UNK]). Default 2, like the seed. */
  minFrequency?: number;
  /** Special tokens at ids 0, 1, …; default ["[UNK]", "[PAD]", "[SOS]", "[EOS]"]. */
  specials?: readonly string[];
};

/**
 * The vocabulary, id order: the specials, then every word seen at least `minFrequency` times, most
 * frequent first, ties in code point order of the word. That is Hugging Face's `WordLevelTrainer` order
 * (it sorts by (Reverse(count), word) on Rust strings), so the same counts give the same ids.
 */
export function wordLevelVocab(counts: ReadonlyMap<string, number>, opts: WordLevelOptions = {}): string[] {
  const specials = checkSpecials(opts.specials);
  const minFrequency = checkMinFrequency(opts.minFrequency ?? 2);
  const taken = new Set(specials);
  const words = [...counts].filter(([word, count]) => count >= minFrequency && !taken.has(word));
  words.sort((a, b) => b[1] - a[1] || compareCodepoints(a[0], b[0]));
  return [...specials, ...words.map(([word]) => word)];
}

/** The tokenizer.json text of a word-level tokenizer over `vocab` (specials first, as wordLevelVocab returns). */
export function wordLevelJson(vocab: readonly string[], specials: readonly string[]): string {
  return tokenizerJson({
    specials,
    vocab,
    model: { type: "WordLevel" },
    modelTail: { unk_token: SPECIAL_TOKENS.unk },
    decoder: null,
  });
}

/** Counts the words of `texts` and builds a word-level tokenizer from them (see wordLevelVocab for the order). */
export async function trainWordLevel(texts: TextSource, opts: WordLevelOptions = {}): Promise<TextTokenizer> {
  // Options are checked before the (long) count, not after.
  const specials = checkSpecials(opts.specials);
  const minFrequency = checkMinFrequency(opts.minFrequency ?? 2);
  const vocab = wordLevelVocab(await countWords(texts), { minFrequency, specials });
  return TextTokenizer.fromJSON(wordLevelJson(vocab, specials), "<trained word-level tokenizer>");
}
