/**
 * Word splitting and counting for the trainers, with the tokenizers library's own `Whitespace`
 * pre-tokenizer (`\w+|[^\w\s]+`, Rust regex semantics), so the words the trainers count are exactly the
 * words the trained tokenizer.json sees when it encodes.
 */
// deno-lint-ignore no-import-prefix
import { whitespacePreTokenizer } from "npm:tokenizers@0.23.2";
import { TokenizerError } from "./tokenizer.ts";

const whitespace = whitespacePreTokenizer();

/** Texts for a trainer: any iterable, sync or async (a file read line by line, say). */
export type TextSource = Iterable<string> | AsyncIterable<string>;

/** The words of `text` as the `Whitespace` pre-tokenizer splits them ("Dov'è" → ["Dov", "'", "è"]). */
export function splitWords(text: string): string[] {
  return whitespace.preTokenizeString(text).map(([word]) => word);
}

/**
 * How often each word occurs in `texts`. Identical texts are split once and counted with their
 * multiplicity: the library's splitter costs ~0.6 µs a word (mostly building the JS result), and parallel
 * corpora repeat sentences (Tatoeba has many translations per English sentence).
 */
export async function countWords(texts: TextSource): Promise<Map<string, number>> {
  const textCounts = new Map<string, number>();
  let index = 0;
  const add = (text: unknown): void => {
    if (typeof text !== "string") {
      throw new TokenizerError(`training text #${index} is a ${text === null ? "null" : typeof text}, not a string`);
    }
    textCounts.set(text, (textCounts.get(text) ?? 0) + 1);
    index++;
  };
  // A plain loop for sync iterables: `for await` would add a microtask per text.
  if (Symbol.iterator in texts) { for (const text of texts) add(text); }
  else for await (const text of texts) add(text);

  const counts = new Map<string, number>();
  for (const [text, times] of textCounts) {
    for (const word of splitWords(text)) counts.set(word, (counts.get(word) ?? 0) + times);
  }
  return counts;
}
