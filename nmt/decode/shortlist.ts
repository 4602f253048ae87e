/**
 * A lexical shortlist, as Marian uses one: for every source word, the target words seen most often in
 * the same training pairs, plus the most frequent target words overall. Decoding a batch with it
 * scores only the union of its sources' candidates (a few thousand words) instead of the whole target
 * vocabulary, which is most of a decoding step's arithmetic. The output then differs from full
 * decoding wherever the model's best word is not on the list, so a shortlist is written into a model
 * folder only after `deno task shortlist` has measured the BLEU it costs.
 */

/** Candidates per source word and the always-scored frequent words, as target ids. */
export interface Shortlist {
  /** Candidates kept per source word. */
  perWord: number;
  /** Source words (rows of `candidates`). */
  srcVocab: number;
  /** [srcVocab × perWord] target ids, most co-occurring first; -1 where a word has fewer. */
  candidates: Int32Array;
  /** The most frequent target words, scored in every batch. */
  frequent: Int32Array;
}

/** Settings of {@link buildShortlist}. */
export interface ShortlistOptions {
  /** Target candidates per source word (default 50). */
  perWord?: number;
  /** Most frequent target words always scored (default 500). */
  frequent?: number;
}

/** One training pair as token ids, specials left out. */
export interface IdPair {
  /** Source token ids. */
  src: readonly number[];
  /** Target token ids. */
  tgt: readonly number[];
}

/**
 * Counts, for each source word, the training pairs in which each target word appears with it (once
 * per pair), and keeps the `perWord` most frequent partners that are not among the `frequent` most
 * frequent target words, which every batch scores anyway. Ties go to the smaller id, so the result
 * depends on the data alone.
 *
 * @example
 * ```ts
 * import { buildShortlist } from "@deno-torch/torch/nmt";
 * const list = buildShortlist([{ src: [4, 5], tgt: [7, 8] }], 6, 9, { perWord: 2, frequent: 1 });
 * ```
 */
export function buildShortlist(
  pairs: readonly IdPair[],
  srcVocab: number,
  tgtVocab: number,
  options: ShortlistOptions = {},
): Shortlist {
  const { perWord = 50, frequent: frequentCount = 500 } = options;
  for (const [name, v] of [["perWord", perWord], ["frequent", frequentCount]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`buildShortlist: ${name} must be an integer ≥ 0, got ${v}`);
  }
  const unique = (ids: readonly number[], vocab: number, side: string) => {
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= vocab) {
        throw new RangeError(`buildShortlist: ${side} id ${id} is outside the vocabulary [0, ${vocab})`);
      }
    }
    return Int32Array.from(new Set(ids));
  };
  const sides = pairs.map((p) => ({ src: unique(p.src, srcVocab, "source"), tgt: unique(p.tgt, tgtVocab, "target") }));

  // The frequent words: in the most pairs.
  const tgtPairs = new Int32Array(tgtVocab);
  for (const { tgt } of sides) for (const t of tgt) tgtPairs[t]++;
  const frequent = Int32Array.from(topIds(tgtPairs, frequentCount));
  const isFrequent = new Uint8Array(tgtVocab);
  for (const t of frequent) isFrequent[t] = 1;

  // Pairs by source word (an inverted index), then one dense count of target partners per word.
  const srcPairs = new Int32Array(srcVocab + 1);
  for (const { src } of sides) for (const s of src) srcPairs[s + 1]++;
  for (let s = 0; s < srcVocab; s++) srcPairs[s + 1] += srcPairs[s];
  const index = new Int32Array(srcPairs[srcVocab]);
  const fill = srcPairs.slice(0, srcVocab);
  sides.forEach(({ src }, p) => src.forEach((s) => index[fill[s]++] = p));

  const candidates = new Int32Array(srcVocab * perWord).fill(-1);
  const counts = new Int32Array(tgtVocab);
  const touched: number[] = [];
  for (let s = 0; s < srcVocab; s++) {
    for (let k = srcPairs[s]; k < srcPairs[s + 1]; k++) {
      for (const t of sides[index[k]].tgt) {
        if (isFrequent[t]) continue;
        if (counts[t]++ === 0) touched.push(t);
      }
    }
    touched.sort((a, b) => counts[b] - counts[a] || a - b);
    touched.slice(0, perWord).forEach((t, i) => candidates[s * perWord + i] = t);
    for (const t of touched) counts[t] = 0;
    touched.length = 0;
  }
  return { perWord, srcVocab, candidates, frequent };
}

/** The ids of the `n` largest counts (ties to the smaller id), zero counts left out. */
function topIds(counts: Int32Array, n: number): number[] {
  const ids = [];
  for (let i = 0; i < counts.length; i++) if (counts[i] > 0) ids.push(i);
  return ids.sort((a, b) => counts[b] - counts[a] || a - b).slice(0, n);
}

/**
 * The target ids a batch scores, ascending: the frequent words, `always` (the target specials, which
 * the model must be able to emit) and the candidates of every source id in the batch. Source ids
 * outside the list's vocabulary are a RangeError.
 *
 * @example
 * ```ts
 * import { buildShortlist, shortlistFor } from "@deno-torch/torch/nmt";
 * const list = buildShortlist([{ src: [4, 5], tgt: [7, 8] }], 6, 9);
 * shortlistFor(list, [[1, 4, 2]], [0, 1, 2, 3]); // [0, 1, 2, 3, 7, 8]
 * ```
 */
export function shortlistFor(
  list: Shortlist,
  sources: readonly (readonly number[])[],
  always: readonly number[],
): number[] {
  const chosen = new Set<number>([...list.frequent, ...always]);
  for (const ids of sources) {
    for (const s of ids) {
      if (!Number.isInteger(s) || s < 0 || s >= list.srcVocab) {
        throw new RangeError(
          `shortlistFor: source id ${s} is outside the shortlist's vocabulary [0, ${list.srcVocab})`,
        );
      }
      for (let i = s * list.perWord; i < (s + 1) * list.perWord && list.candidates[i] >= 0; i++) {
        chosen.add(list.candidates[i]);
      }
    }
  }
  return [...chosen].sort((a, b) => a - b);
}
