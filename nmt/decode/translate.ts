/**
 * Sentences in, translations out: tokenize, batch sentences of similar length, decode (greedy, or
 * beam search), detokenize, and return everything in input order.
 */
import type { ModelFolder } from "../io/folder.ts";
import { padBatch } from "../data/pad.ts";
import { paddingMask } from "../model/transformer.ts";
import { releaseCachedMemory, scope } from "../../lib/scope.ts";
import { beamSearch, type LengthPenalty } from "./beam.ts";
import { shortlistFor } from "./shortlist.ts";
import { detokenize } from "../tokenize/detokenize.ts";
import { type AttentionMaps, crossAttention } from "./attention.ts";
import type { Device } from "../../lib/device.ts";

/** Most output ids: a fixed number, or `scale × source tokens + offset`. */
export type MaxLen = number | { scale: number; offset: number };

/** One translated sentence, as {@link translate} returns it: the text, its tokens and ids, and scores. */
export interface Translation {
  /** The input sentence, unchanged. */
  source: string;
  /** Target tokens joined by single spaces, specials removed (the seed's form). */
  translation: string;
  /** Running text: words rebuilt by the tokenizer's decoder, punctuation and apostrophes attached. */
  text: string;
  /** Target token strings of the best hypothesis, specials removed. */
  tokens: string[];
  /** Output ids as decoded: [SOS], the tokens, and [EOS] when the model produced it. */
  ids: number[];
  /** Sum of token log-probabilities, and the score after the length penalty. */
  logProb: number;
  /** The ranking score: `logProb` after the length penalty (equal to it without one). */
  score: number;
  /** Further hypotheses (beam search with nbest > 1), best first, as {text, tokens, score}. */
  alternatives?: { text: string; tokens: string[]; score: number }[];
  /** Cross-attention maps, when asked for. */
  attention?: AttentionMaps;
  /** Source token strings the model saw, specials removed (after any truncation). */
  sourceTokens: string[];
  /** Source tokens dropped because the sentence was longer than the model's src_seq_len. */
  truncated: number;
}

/** Settings for {@link translate}; every field is optional. */
export interface TranslateOptions {
  /** Most output ids per sentence, [SOS] and [EOS] included. Default: the model's tgt_seq_len. */
  maxLen?: MaxLen;
  /** Most sentences decoded together. Default 96, the fastest on the 2-core CPU of bench/NOTES.md. */
  batchSize?: number;
  /**
   * Most source tokens in a batch, padding included (sentences × the longest): long sentences are
   * decoded in smaller batches, which bounds the memory a batch's activations take. Default 768
   * (96 sentences of up to 8 tokens): on the 2-core CPU of bench/NOTES.md it kept peak RSS below
   * PyTorch's for about 5% more time than 1536.
   */
  maxTokens?: number;
  /** Beam width; 1 (the default) is greedy decoding. */
  beam?: number;
  /** How hypotheses of different lengths are ranked. Default: no penalty (parseLengthPenalty gives the CLI's defaults). */
  lengthPenalty?: LengthPenalty;
  /** Hypotheses kept per sentence, 1 (default) to `beam`, else a RangeError; those after the best go to `alternatives`. */
  nbest?: number;
  /** Also compute the cross-attention maps of the best hypothesis (one more decoder pass). Default false. */
  attention?: boolean;
  /** The device the source batches are created on; it must hold the model too. Default: the model's. */
  device?: Device;
}

/**
 * Source ids as the seed builds them: [SOS] tokens [EOS], cut to fit the model's src_seq_len.
 * `truncated` counts the tokens dropped to make it fit.
 *
 * @example
 * ```ts
 * import { loadModelFolder, sourceIds } from "@deno-torch/torch/nmt";
 * const { ids, truncated } = await sourceIds(loadModelFolder("runs/en-it"), "Hello.");
 * ```
 */
export async function sourceIds(folder: ModelFolder, sentence: string): Promise<{ ids: number[]; truncated: number }> {
  const { sos, eos } = folder.srcTokenizer.special;
  const tokens = await folder.srcTokenizer.encode(sentence);
  const room = folder.model.config.srcSeqLen - 2;
  const kept = tokens.slice(0, Math.max(0, room));
  return { ids: [sos, ...kept, eos], truncated: tokens.length - kept.length };
}

/**
 * The concrete output limit for a source of `sourceTokens` tokens: a fixed `maxLen` as is, a relative
 * one as `ceil(scale × sourceTokens + offset)`, never below 2 (room for [SOS] and [EOS]).
 *
 * @example
 * ```ts
 * import { resolveMaxLen } from "./translate.ts";
 * resolveMaxLen(50, 12); // 50
 * resolveMaxLen({ scale: 1.5, offset: 10 }, 12); // 28
 * ```
 */
export function resolveMaxLen(maxLen: MaxLen, sourceTokens: number): number {
  return typeof maxLen === "number" ? maxLen : Math.max(2, Math.ceil(maxLen.scale * sourceTokens + maxLen.offset));
}

/**
 * `order` (ascending lengths) cut into batches of at most `size` items and `maxTokens` padded tokens
 * (items × the longest); an item longer than `maxTokens` goes alone.
 */
function batches(order: number[], length: (i: number) => number, size: number, maxTokens: number): number[][] {
  const out: number[][] = [];
  let current: number[] = [];
  for (const i of order) {
    if (current.length === size || (current.length > 0 && (current.length + 1) * length(i) > maxTokens)) {
      out.push(current);
      current = [];
    }
    current.push(i);
  }
  if (current.length > 0) out.push(current);
  return out;
}

async function text(folder: ModelFolder, ids: readonly number[]): Promise<string> {
  return detokenize((await folder.tgtTokenizer.decode(ids)).split(" ").filter((w) => w !== ""));
}

/**
 * Translates sentences with a loaded model folder: tokenizes them, decodes batches of similar length
 * (greedy, or beam search with `opts.beam` > 1), detokenizes, and returns one {@link Translation} per
 * sentence in input order. Sources longer than the model's src_seq_len are truncated (see `truncated`).
 *
 * @example
 * ```ts
 * import { loadModelFolder, translate } from "@deno-torch/torch/nmt";
 * const folder = loadModelFolder("runs/en-it");
 * const [t] = await translate(folder, ["Hello."], { beam: 4 });
 * console.log(t.text, t.score);
 * ```
 */
export async function translate(
  folder: ModelFolder,
  sentences: string[],
  opts: TranslateOptions = {},
): Promise<Translation[]> {
  const { model, tgtTokenizer, srcTokenizer } = folder;
  const maxLen = opts.maxLen ?? model.config.tgtSeqLen;
  const batchSize = opts.batchSize ?? 96;
  const maxTokens = opts.maxTokens ?? 768;
  for (const [name, v] of [["batchSize", batchSize], ["maxTokens", maxTokens]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`translate: ${name} must be a positive integer, got ${v}`);
  }
  const device = opts.device ?? model.params.src_embed.embedding.weight.device;
  const beam = opts.beam ?? 1;
  const { pad } = srcTokenizer.special;
  const { sos, eos } = tgtTokenizer.special;
  const sources = await Promise.all(sentences.map((s) => sourceIds(folder, s)));
  // Similar lengths share a batch (less padding); results go back to input order.
  const order = sentences.map((_, i) => i).sort((a, b) => sources[a].ids.length - sources[b].ids.length);
  const out = new Array<Translation>(sentences.length);
  for (const [b, chunk] of batches(order, (i) => sources[i].ids.length, batchSize, maxTokens).entries()) {
    // Between batches the allocator's cached buffers go back to the OS: batches of other shapes
    // fragment them, and a run of many batches held the sum of their high-water marks.
    if (b > 0) releaseCachedMemory();
    const longest = Math.max(...chunk.map((i) => sources[i].ids.length - 2));
    const hypotheses = scope(() => {
      const src = padBatch<"src">(chunk.map((i) => sources[i].ids), pad, undefined, { device });
      return beamSearch(model, src, paddingMask(src, pad), {
        beam,
        maxLen: resolveMaxLen(maxLen, longest),
        sos,
        eos,
        lengthPenalty: opts.lengthPenalty,
        nbest: opts.nbest,
        vocabulary: folder.shortlist &&
          shortlistFor(folder.shortlist, chunk.map((i) => sources[i].ids), Object.values(tgtTokenizer.special)),
      });
    });
    for (const [j, i] of chunk.entries()) {
      // The batch decoded to the limit of its longest source; a relative limit is per sentence,
      // and greedy output is prefix-consistent, so cutting gives what decoding with it would.
      const own = resolveMaxLen(maxLen, sources[i].ids.length - 2);
      const [best, ...rest] = hypotheses[j].map((h) => h.ids.length > own ? { ...h, ids: h.ids.slice(0, own) } : h);
      const tokens = tgtTokenizer.tokens(best.ids);
      out[i] = {
        source: sentences[i],
        translation: tokens.join(" "),
        text: await text(folder, best.ids),
        tokens,
        ids: best.ids,
        logProb: best.logProb,
        score: best.score,
        sourceTokens: srcTokenizer.tokens(sources[i].ids),
        truncated: sources[i].truncated,
      };
      if (rest.length > 0) {
        out[i].alternatives = await Promise.all(
          rest.map(async (h) => ({
            text: await text(folder, h.ids),
            tokens: tgtTokenizer.tokens(h.ids),
            score: h.score,
          })),
        );
      }
      if (opts.attention) out[i].attention = crossAttention(model, sources[i].ids, best.ids, pad);
    }
  }
  return out;
}
