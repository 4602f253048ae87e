/**
 * Cross-attention of a finished translation, for visualization: the decoder is run once more over
 * the output (teacher-forced, eval mode) and each layer's probabilities are read. Row t is the
 * attention while producing output token t+1; columns are source positions.
 */
import { tensor } from "../../lib/create.ts";
import { noGrad } from "../../lib/autograd.ts";
import { scope } from "../../lib/scope.ts";
import { assume, type Tensor } from "../../lib/tensor.ts";
import { values } from "../../lib/transfer.ts";
import { causalMask, decode, encode, evalMode, paddingMask, type Transformer } from "../model/transformer.ts";
import { unsqueeze } from "../../lib/ops/shape.ts";

/** [layer][head][output position][source position] probabilities. */
export type AttentionMaps = number[][][][];

export function crossAttention(
  model: Transformer,
  srcIds: readonly number[],
  outIds: readonly number[],
  pad: number,
): AttentionMaps {
  if (outIds.length < 2) return model.params.decoder.layers.map(() => []);
  return noGrad(() =>
    scope(() => {
      const src = assume<["batch", "src"]>(tensor([...srcIds], [1, srcIds.length], { dtype: "i64" }));
      const tgtIds = outIds.slice(0, -1);
      const tgt = assume<["batch", "tgt"]>(tensor(tgtIds, [1, tgtIds.length], { dtype: "i64" }));
      const mask = paddingMask(src, pad);
      const layers: Tensor[] = [];
      decode(
        model,
        encode(model, src, mask, evalMode),
        mask,
        tgt,
        unsqueeze(causalMask(tgtIds.length), 0),
        evalMode,
        (_, p) => layers.push(p),
      );
      return layers.map((p) => {
        const [, heads, rows, cols] = p.shape;
        const flat = values(p);
        return Array.from({ length: heads }, (_, h) =>
          Array.from({ length: rows }, (_, r) =>
            Array.from(flat.slice((h * rows + r) * cols, (h * rows + r + 1) * cols))));
      });
    })
  );
}
