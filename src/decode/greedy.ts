/**
 * Greedy decoding with the key/value cache: encode once, then one `decodeStep` per output position,
 * always taking the most likely next token. Matches the seed's greedy loop (start from [SOS], stop at
 * [EOS] or when a sequence holds `maxLen` ids) for a whole batch at once.
 */
import { full } from "../create.ts";
import { noGrad } from "../autograd.ts";
import { argmax } from "../ops/reduce.ts";
import { free, scope } from "../scope.ts";
import { assume, type Tensor } from "../tensor.ts";
import { values } from "../transfer.ts";
import { decoderContext, decodeStep, emptyCache, encode, evalMode, type Transformer } from "../nn/transformer.ts";

export interface GreedyOptions {
  /** Most ids per output sequence, [SOS] and [EOS] included (the seed's max_len). */
  maxLen: number;
  sos: number;
  eos: number;
}

/** Output id sequences, each starting with [SOS] and ending with [EOS] unless `maxLen` cut it short. */
export function greedyDecode(
  model: Transformer,
  src: Tensor<["batch", "src"]>,
  srcMask: Tensor,
  { maxLen, sos, eos }: GreedyOptions,
): number[][] {
  if (!Number.isInteger(maxLen) || maxLen < 1) {
    throw new RangeError(`greedyDecode: maxLen must be a positive integer, got ${maxLen}`);
  }
  const limit = Math.min(maxLen, model.config.tgt_seq_len + 1);
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
