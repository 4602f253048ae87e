/**
 * Sentence pairs → token id sequences, with the length filter the model's position tables impose.
 * Examples hold ids without specials; batching adds [SOS]/[EOS]/[PAD] (nmt/data/batches.ts).
 */
import type { TextTokenizer } from "../tokenize/tokenizer.ts";

/** One tokenized sentence pair: token ids of each side, without specials. */
export interface Example {
  /** Source token ids (batching adds [SOS] and [EOS]). */
  src: number[];
  /** Target token ids (batching adds [SOS] to the decoder input and [EOS] to the label). */
  tgt: number[];
}

/** The model's sequence lengths, which decide which pairs {@link tokenizePairs} keeps. */
export interface LengthLimits {
  /** Most encoder positions: the source plus [SOS] and [EOS] must fit. */
  srcSeqLen: number;
  /** Most decoder positions: the target plus [SOS] (input) or [EOS] (label) must fit. */
  tgtSeqLen: number;
}

/** What {@link tokenizePairs} returns: the kept examples, where each came from, and what was dropped. */
export interface TokenizedCorpus {
  /** The pairs that fit, in corpus order. */
  examples: Example[];
  /** For each example, the index of the pair it came from. */
  kept: number[];
  /** Pairs left out, by reason. */
  dropped: { tooLong: number; empty: number };
}

const CHUNK = 2048;

/**
 * Tokenizes both sides (in chunks, through the tokenizers library) and drops what does not fit:
 * pairs with a side that encodes to no tokens, and pairs too long for `limits`.
 *
 * @example
 * ```ts
 * import { syntheticCorpus, tokenizePairs, trainWordLevel } from "@deno-torch/torch/nmt";
 * const pairs = syntheticCorpus(500);
 * const en = await trainWordLevel(pairs.map((p) => p.src));
 * const it = await trainWordLevel(pairs.map((p) => p.tgt));
 * const { examples, dropped } = await tokenizePairs(pairs, en, it, { srcSeqLen: 32, tgtSeqLen: 32 });
 * ```
 */
export async function tokenizePairs(
  pairs: readonly { src: string; tgt: string }[],
  srcTokenizer: TextTokenizer,
  tgtTokenizer: TextTokenizer,
  limits: LengthLimits,
): Promise<TokenizedCorpus> {
  const examples: Example[] = [];
  const kept: number[] = [];
  const dropped = { tooLong: 0, empty: 0 };
  for (let start = 0; start < pairs.length; start += CHUNK) {
    const chunk = pairs.slice(start, start + CHUNK);
    const [srcIds, tgtIds] = await Promise.all([
      srcTokenizer.encodeBatch(chunk.map((p) => p.src)),
      tgtTokenizer.encodeBatch(chunk.map((p) => p.tgt)),
    ]);
    for (let i = 0; i < chunk.length; i++) {
      const src = srcIds[i], tgt = tgtIds[i];
      if (src.length === 0 || tgt.length === 0) dropped.empty++;
      else if (src.length + 2 > limits.srcSeqLen || tgt.length + 1 > limits.tgtSeqLen) dropped.tooLong++;
      else {
        examples.push({ src, tgt });
        kept.push(start + i);
      }
    }
  }
  return { examples, kept, dropped };
}
