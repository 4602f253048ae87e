/** Tokenizer statistics for reports: how much of a (validation) text set falls outside the vocabulary. */
import type { TextSource } from "./pretokenize.ts";
import type { TextTokenizer } from "./tokenizer.ts";

/** How many tokens of a text set encode as [UNK], as {@link unknownRate} returns it. */
export type UnknownRate = {
  /** Tokens over all texts (no specials added). */
  tokens: number;
  /** How many of them are [UNK]. */
  unknown: number;
  /** unknown / tokens; 0 when there are no tokens. */
  rate: number;
};

/** Encodes `texts` (in batches, through the library) and counts the [UNK] ids among their tokens. */
export async function unknownRate(tokenizer: TextTokenizer, texts: TextSource): Promise<UnknownRate> {
  const unk = tokenizer.special.unk;
  let tokens = 0, unknown = 0;
  let batch: string[] = [];
  const flush = async () => {
    for (const ids of await tokenizer.encodeBatch(batch)) {
      tokens += ids.length;
      for (const id of ids) if (id === unk) unknown++;
    }
    batch = [];
  };
  for await (const text of texts) {
    batch.push(text);
    if (batch.length === 1024) await flush();
  }
  await flush();
  return { tokens, unknown, rate: tokens === 0 ? 0 : unknown / tokens };
}
