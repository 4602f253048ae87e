/**
 * A plain reference for applying learned BPE merges, independent of the tokenizers library: the tests
 * check that the library, loading our tokenizer.json, splits words exactly like this.
 */
import { END_OF_WORD } from "./bpe.ts";
import { splitWords } from "./pretokenize.ts";
import { SPECIAL_TOKENS } from "./tokenizer.ts";

/**
 * Applies a learned BPE (vocabulary plus ranked merges) to words and texts in plain TypeScript, without
 * the tokenizers library: a readable reference for how a BPE tokenizer splits text.
 *
 * @example
 * ```ts
 * import { BpeMerges } from "@deno-torch/torch/nmt";
 * const bpe = new BpeMerges(["l", "o", "w</w>", "lo", "low</w>"], [["l", "o"], ["lo", "w</w>"]]);
 * bpe.word("low"); // ["low</w>"]
 * bpe.tokens("low low"); // ["low</w>", "low</w>"]
 * ```
 */
export class BpeMerges {
  /** left → right → rank (the merge's position in the list: lower merges first). */
  readonly #ranks = new Map<string, Map<string, number>>();
  readonly #vocab: ReadonlySet<string>;

  /**
   * Takes the vocabulary (symbols outside it become [UNK]) and the merges in learned order, so a
   * merge's index is its rank; only the first occurrence of a repeated merge counts.
   */
  constructor(vocab: readonly string[], merges: readonly (readonly [string, string])[]) {
    this.#vocab = new Set(vocab);
    merges.forEach(([left, right], rank) => {
      let inner = this.#ranks.get(left);
      if (!inner) this.#ranks.set(left, inner = new Map());
      if (!inner.has(right)) inner.set(right, rank);
    });
  }

  /**
   * The tokens of one word: its characters (the last with `</w>`), then, while any adjacent pair has a
   * merge, the pair with the lowest rank merged everywhere it occurs, left to right without overlaps.
   * Symbols outside the vocabulary become [UNK], one per character (the model's fuse_unk is false).
   */
  word(word: string): string[] {
    let symbols = [...word];
    if (symbols.length === 0) return [];
    symbols[symbols.length - 1] += END_OF_WORD;
    for (;;) {
      let best = Infinity;
      let left = "", right = "";
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = this.#ranks.get(symbols[i])?.get(symbols[i + 1]);
        if (rank !== undefined && rank < best) [best, left, right] = [rank, symbols[i], symbols[i + 1]];
      }
      if (best === Infinity) break;
      const next: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (symbols[i] === left && symbols[i + 1] === right && i + 1 < symbols.length) {
          next.push(left + right);
          i++;
        } else {
          next.push(symbols[i]);
        }
      }
      symbols = next;
    }
    return symbols.map((s) => this.#vocab.has(s) ? s : SPECIAL_TOKENS.unk);
  }

  /** The tokens of a text: its words (the Whitespace pre-tokenizer's split), each through `word`. */
  tokens(text: string): string[] {
    return splitWords(text).flatMap((w) => this.word(w));
  }
}
