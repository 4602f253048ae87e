/**
 * Sentence pairs → token id sequences, with the length filter the model's position tables impose.
 * Examples hold ids without specials; batching adds [SOS]/[EOS]/[PAD] (src/data/batches.ts).
 */
import type { TextTokenizer } from "../tokenize/tokenizer.ts";

export interface Example {
  src: number[];
  tgt: number[];
}

export interface LengthLimits {
  /** Most encoder positions: the source plus [SOS] and [EOS] must fit. */
  srcSeqLen: number;
  /** Most decoder positions: the target plus [SOS] (input) or [EOS] (label) must fit. */
  tgtSeqLen: number;
}

export interface TokenizedCorpus {
  examples: Example[];
  /** For each example, the index of the pair it came from. */
  kept: number[];
  /** Pairs left out, by reason. */
  dropped: { tooLong: number; empty: number };
}

const CHUNK = 2048;

/** Tokenizes both sides (in chunks, through the tokenizers library) and drops what does not fit. */
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
