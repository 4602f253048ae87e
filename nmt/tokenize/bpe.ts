/**
 * Subword tokenizers: byte-pair encoding learned on word counts, written as Hugging Face's `BPE` model
 * behind the `Whitespace` pre-tokenizer. One tokenizer is shared by both languages (train it on both
 * sides' texts). Word-final symbols carry the suffix `</w>` and a `BPEDecoder` turns it back into a space,
 * so decoding knows where words end: decode(encode(text)) is the text's words joined by single spaces.
 */
import { compareCodepoints } from "./codepoint.ts";
import { MaxHeap } from "./heap.ts";
import { countWords, type TextSource } from "./pretokenize.ts";
import { SPECIAL_TOKENS, TextTokenizer, TokenizerError } from "./tokenizer.ts";
import { checkMinFrequency, checkSpecials, tokenizerJson } from "./tokenizer_json.ts";

/** The suffix of word-final symbols ("low" is l, o, w</w>). */
export const END_OF_WORD = "</w>";

/** Pair keys pack two symbol ids into one number (a · 2²¹ + b), so vocabularies are capped at 2²¹. */
const SHIFT = 2 ** 21;

/** Training settings for BPE tokenizers: the vocabulary size is required, the rest have defaults. */
export type BpeOptions = {
  /** The most tokens the vocabulary may hold, specials and initial alphabet included (e.g. 8000). */
  vocabSize: number;
  /** Merges of pairs seen fewer times are not learned. Default 2: a pair seen once names no subword. */
  minFrequency?: number;
  /** Special tokens at ids 0, 1, …; default ["[UNK]", "[PAD]", "[SOS]", "[EOS]"]. */
  specials?: readonly string[];
};

/** A learned BPE: the vocabulary in id order and the merges in the order they were learned (their rank). */
export type BpeModel = { vocab: string[]; merges: [string, string][] };

/** Checks the options before any (long) counting; returns them with defaults filled in. */
function checkOptions(opts: BpeOptions): { vocabSize: number; minFrequency: number; specials: string[] } {
  const vocabSize = opts?.vocabSize;
  if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize > SHIFT) {
    throw new TokenizerError(`vocabSize must be an integer from 1 to ${SHIFT}, got ${vocabSize}`);
  }
  return { vocabSize, minFrequency: checkMinFrequency(opts.minFrequency ?? 2), specials: checkSpecials(opts.specials) };
}

type Candidate = { count: number; key: number };

/**
 * Learns BPE merges from word counts (what countWords returns).
 *
 * - Vocabulary: the specials; the initial alphabet, every character seen, in code point order, then the
 *   same characters with `</w>` (so any character seen encodes without [UNK] in any position, word-final
 *   or not); then each merge's new token, in merge order, until the vocabulary holds `vocabSize` tokens.
 * - Merges: the standard algorithm. Each step merges the adjacent pair of symbols with the highest count
 *   over all words (a word counts as often as it occurs); ties go to the lexicographically smallest pair
 *   (first symbol, then second, code point order), so training is deterministic (Hugging Face's
 *   BpeTrainer breaks ties by internal ids, which follow hash-map order). Learning stops at
 *   `vocabSize`, when no pair is left, or when the best pair occurs fewer than `minFrequency` times.
 *   A merge whose token already exists adds no new token (the library maps both merges to it).
 * - Speed: pair counts are kept incrementally, with an index pair → words that contain it, so a merge
 *   touches only those words; the best pair comes from a max-heap with lazy updates (an entry whose count
 *   is stale is dropped or pushed again with the current count when it reaches the top).
 */
export function learnBpe(counts: ReadonlyMap<string, number>, opts: BpeOptions): BpeModel {
  const { vocabSize, minFrequency, specials } = checkOptions(opts);
  const vocab: string[] = [];
  const ids = new Map<string, number>();
  const add = (token: string): number => {
    let id = ids.get(token);
    if (id === undefined) {
      id = vocab.length;
      vocab.push(token);
      ids.set(token, id);
    }
    return id;
  };
  specials.forEach(add);

  const chars = new Set<string>();
  for (const [word, count] of counts) {
    if (count > 0) { for (const ch of word) chars.add(ch); }
  }
  const alphabet = [...chars].sort(compareCodepoints);
  alphabet.forEach(add);
  alphabet.forEach((ch) => add(ch + END_OF_WORD));
  if (vocab.length > vocabSize) {
    throw new TokenizerError(
      `vocabSize ${vocabSize} is too small: the ${specials.length} specials and the initial alphabet ` +
        `(${alphabet.length} characters, each also word-final) already take ${vocab.length} tokens`,
    );
  }

  // Words as symbol id sequences, with how often each occurs.
  const words: number[][] = [];
  const wordCounts: number[] = [];
  for (const [word, count] of counts) {
    if (count <= 0 || word.length === 0) continue;
    const symbols = [...word];
    symbols[symbols.length - 1] += END_OF_WORD;
    words.push(symbols.map((s) => ids.get(s)!));
    wordCounts.push(count);
  }

  const pairCounts = new Map<number, number>();
  const where = new Map<number, Set<number>>(); // pair → words that contain it (possibly stale: a superset)
  for (let w = 0; w < words.length; w++) {
    const symbols = words[w];
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = symbols[i] * SHIFT + symbols[i + 1];
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + wordCounts[w]);
      let set = where.get(key);
      if (!set) where.set(key, set = new Set());
      set.add(w);
    }
  }

  const comparePairs = (x: number, y: number): number => {
    const xa = Math.floor(x / SHIFT), ya = Math.floor(y / SHIFT);
    return compareCodepoints(vocab[xa], vocab[ya]) || compareCodepoints(vocab[x - xa * SHIFT], vocab[y - ya * SHIFT]);
  };
  const heap = new MaxHeap<Candidate>((x, y) =>
    x.count > y.count || (x.count === y.count && x.key !== y.key && comparePairs(x.key, y.key) < 0)
  );
  for (const [key, count] of pairCounts) heap.push({ count, key });

  const merges: [string, string][] = [];
  while (vocab.length < vocabSize) {
    const top = heap.pop();
    if (!top) break;
    const current = pairCounts.get(top.key) ?? 0;
    if (current !== top.count) {
      // Stale. Counts that went up were pushed again when they did; ones that went down are pushed here.
      if (current > 0 && current < top.count) heap.push({ count: current, key: top.key });
      continue;
    }
    if (current < minFrequency) break;

    const a = Math.floor(top.key / SHIFT), b = top.key - a * SHIFT;
    merges.push([vocab[a], vocab[b]]);
    const merged = add(vocab[a] + vocab[b]);

    const delta = new Map<number, number>();
    const bump = (key: number, by: number) => delta.set(key, (delta.get(key) ?? 0) + by);
    for (const w of where.get(top.key) ?? []) {
      const before = words[w];
      const after = mergeSymbols(before, a, b, merged);
      if (after === null) continue; // a stale index entry: the pair left this word in an earlier merge
      const count = wordCounts[w];
      for (let i = 0; i + 1 < before.length; i++) bump(before[i] * SHIFT + before[i + 1], -count);
      for (let i = 0; i + 1 < after.length; i++) {
        const key = after[i] * SHIFT + after[i + 1];
        bump(key, count);
        if (after[i] === merged || after[i + 1] === merged) {
          let set = where.get(key);
          if (!set) where.set(key, set = new Set());
          set.add(w);
        }
      }
      words[w] = after;
    }
    where.delete(top.key);
    for (const [key, change] of delta) {
      if (change === 0) continue;
      const count = (pairCounts.get(key) ?? 0) + change;
      if (count > 0) pairCounts.set(key, count);
      else pairCounts.delete(key);
      if (change > 0) heap.push({ count, key });
    }
  }
  return { vocab, merges };
}

/** `symbols` with every non-overlapping occurrence of (a, b), left to right, replaced by `merged`; null if none. */
function mergeSymbols(symbols: readonly number[], a: number, b: number, merged: number): number[] | null {
  let out: number[] | null = null;
  for (let i = 0; i < symbols.length; i++) {
    if (symbols[i] === a && i + 1 < symbols.length && symbols[i + 1] === b) {
      out ??= symbols.slice(0, i);
      out.push(merged);
      i++;
    } else if (out) {
      out.push(symbols[i]);
    }
  }
  return out;
}

/**
 * The tokenizer.json text of a BPE model: Hugging Face's `BPE` with `end_of_word_suffix: "</w>"`, merges
 * as [left, right] pairs (what the library writes since 0.20; it reads "left right" strings too), and a
 * `BPEDecoder` with the same suffix.
 */
export function bpeJson(model: BpeModel, specials: readonly string[]): string {
  return tokenizerJson({
    specials,
    vocab: model.vocab,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: SPECIAL_TOKENS.unk,
      continuing_subword_prefix: null,
      end_of_word_suffix: END_OF_WORD,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
    },
    modelTail: { merges: model.merges },
    decoder: { type: "BPEDecoder", suffix: END_OF_WORD },
  });
}

/** Counts the words of `texts` (both languages, for a shared tokenizer) and learns a BPE tokenizer (see learnBpe). */
export async function trainBpe(texts: TextSource, opts: BpeOptions): Promise<TextTokenizer> {
  const checked = checkOptions(opts);
  const model = learnBpe(await countWords(texts), checked);
  return TextTokenizer.fromJSON(bpeJson(model, checked.specials), "<trained BPE tokenizer>");
}
