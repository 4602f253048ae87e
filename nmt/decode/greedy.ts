/**
 * Greedy decoding with the key/value cache: encode once, then one `decodeStep` per output position,
 * always taking the most likely next token. Matches the seed's greedy loop (start from [SOS], stop at
 * [EOS] or when a sequence holds `maxLen` ids) for a whole batch at once.
 */
import { full } from "../../lib/create.ts";
import { noGrad } from "../../lib/autograd.ts";
import { argmax } from "../../lib/ops/reduce.ts";
import { free, scope } from "../../lib/scope.ts";
import { assume, type Tensor } from "../../lib/tensor.ts";
import { values } from "../../lib/transfer.ts";
import { decoderContext, decodeStep, emptyCache, encode, evalMode, type Transformer } from "../model/transformer.ts";

/** Settings for {@link greedyDecode}: the length limit and the ids that start and end a sequence. */
export interface GreedyOptions {
  /** Most ids per output sequence, [SOS] and [EOS] included (the seed's max_len). */
  maxLen: number;
  /** The [SOS] id every output starts with (the target tokenizer's `special.sos`). */
  sos: number;
  /** The [EOS] id that ends a sequence (the target tokenizer's `special.eos`). */
  eos: number;
}

/**
 * Decodes a padded source batch greedily and returns one output id sequence per row, each starting
 * with [SOS] and ending with [EOS] unless `maxLen` cut it short. Throws a RangeError when `maxLen` is
 * not a positive integer.
 *
 * @example
 * ```ts
 * import { greedyDecode, loadModelFolder, padBatch, transformer } from "@deno-torch/torch/nmt";
 * const { model, srcTokenizer, tgtTokenizer } = loadModelFolder("runs/en-it");
 * const { pad, sos: srcSos, eos: srcEos } = srcTokenizer.special;
 * const src = padBatch<"src">([[srcSos, ...await srcTokenizer.encode("Hello."), srcEos]], pad);
 * const { sos, eos } = tgtTokenizer.special;
 * const [ids] = greedyDecode(model, src, transformer.paddingMask(src, pad), { maxLen: 50, sos, eos });
 * console.log(await tgtTokenizer.decode(ids));
 * ```
 */
export function greedyDecode(
  model: Transformer,
  src: Tensor<["batch", "src"]>,
  srcMask: Tensor,
  { maxLen, sos, eos }: GreedyOptions,
): number[][] {
  if (!Number.isInteger(maxLen) || maxLen < 1) {
    throw new RangeError(`greedyDecode: maxLen must be a positive integer, got ${maxLen}`);
  }
  const limit = Math.min(maxLen, model.config.tgtSeqLen + 1);
  const batch = src.shape[0];
  return noGrad(() =>
    scope(() => {
      const ctx = decoderContext(model, encode(model, src, srcMask, evalMode), srcMask);
      const out = Array.from({ length: batch }, () => [sos]);
      const done = new Array<boolean>(batch).fill(false);
      let cache = emptyCache(model);
      let tokens: Tensor<["batch", 1]> = assume(full([batch, 1], sos, { dtype: "i64", device: src.device }));
      for (let position = 0; position + 1 < limit && done.includes(false); position++) {
        const step = scope(() => {
          const { logits, cache: next } = decodeStep(model, ctx, cache, tokens, position);
          return { cache: next, tokens: assume<["batch", 1]>(argmax(logits, -1, true)) };
        });
        free([cache, tokens]);
        cache = step.cache;
        tokens = step.tokens;
        values(tokens).forEach((id, b) => {
          if (done[b]) return;
          out[b].push(id);
          if (id === eos) done[b] = true;
        });
      }
      return out;
    })
  );
}
