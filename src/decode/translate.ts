/** Sentences in, translations out: tokenize, batch, greedy-decode, detokenize. */
import type { ModelFolder } from "../io/folder.ts";
import { padBatch } from "../data/pad.ts";
import { paddingMask } from "../nn/transformer.ts";
import { scope } from "../scope.ts";
import { greedyDecode } from "./greedy.ts";
import { detokenize } from "../tokenize/detokenize.ts";
import type { Device } from "../device.ts";

export interface Translation {
  source: string;
  /** Target tokens joined by single spaces, specials removed (the seed's form). */
  translation: string;
  /** Running text: words rebuilt by the tokenizer's decoder, punctuation and apostrophes attached. */
  text: string;
  tokens: string[];
  /** Output ids as decoded: [SOS], the tokens, and [EOS] when the model produced it. */
  ids: number[];
  /** Source tokens dropped because the sentence was longer than the model's src_seq_len. */
  truncated: number;
}

export interface TranslateOptions {
  /** Most output ids per sentence including [SOS]/[EOS]; default the model's tgt_seq_len. */
  maxLen?: number;
  /** Sentences decoded together. */
  batchSize?: number;
  device?: Device;
}

/** Source ids as the seed builds them: [SOS] tokens [EOS], cut to fit `limit` ids. */
export async function sourceIds(folder: ModelFolder, sentence: string): Promise<{ ids: number[]; truncated: number }> {
  const { sos, eos } = folder.srcTokenizer.special;
  const tokens = await folder.srcTokenizer.encode(sentence);
  const room = folder.model.config.src_seq_len - 2;
  const kept = tokens.slice(0, Math.max(0, room));
  return { ids: [sos, ...kept, eos], truncated: tokens.length - kept.length };
}

export async function translate(
  folder: ModelFolder,
  sentences: string[],
  opts: TranslateOptions = {},
): Promise<Translation[]> {
  const { model, tgtTokenizer } = folder;
  const maxLen = opts.maxLen ?? model.config.tgt_seq_len;
  const batchSize = opts.batchSize ?? 32;
  const { pad } = folder.srcTokenizer.special;
  const { sos, eos } = tgtTokenizer.special;
  const out: Translation[] = [];
  for (let start = 0; start < sentences.length; start += batchSize) {
    const chunk = sentences.slice(start, start + batchSize);
    const sources = await Promise.all(chunk.map((s) => sourceIds(folder, s)));
    const decoded = scope(() => {
      const src = padBatch<"src">(sources.map((s) => s.ids), pad, undefined, { device: opts.device });
      return greedyDecode(model, src, paddingMask(src, pad), { maxLen, sos, eos });
    });
    for (const [i, ids] of decoded.entries()) {
      const tokens = tgtTokenizer.tokens(ids);
      const words = (await tgtTokenizer.decode(ids)).split(" ").filter((w) => w !== "");
      out.push({
        source: chunk[i],
        translation: tokens.join(" "),
        text: detokenize(words),
        tokens,
        ids,
        truncated: sources[i].truncated,
      });
    }
  }
  return out;
}
