/**
 * int8 inference: the Transformer with the weights of its linear layers quantized and packed for
 * libtorch's quantized engine, as PyTorch's `quantize_dynamic(model, {nn.Linear}, dtype=qint8)` does:
 * every attention projection, both feed-forward layers and the output projection. Embeddings, layer
 * norms and biases stay f32. Model folders stay f32 on disk; a model is quantized when it is loaded.
 */
import * as linear from "../../lib/nn/linear.ts";
import type { QuantizeOptions } from "../../lib/ops/quantized.ts";
import { free } from "../../lib/scope.ts";
import type { Tensor } from "../../lib/tensor.ts";
import type { AttentionParams, FeedForwardParams, Transformer } from "./transformer.ts";

/**
 * The model for int8 inference: the same tree, each linear weight replaced by its packed int8 form
 * (`nn.linear.quantize`); everything else is shared with `model`. With `replace`, the f32 weights
 * that were quantized are freed, and `model` must not be used again. `projection: false` leaves the
 * output projection f32 (a shortlist selects its rows).
 *
 * @example
 * ```ts
 * import { loadModelFolder, quantizeModel, translate } from "@deno-torch/torch/nmt";
 * const folder = loadModelFolder("runs/en-it");
 * const [t] = await translate({ ...folder, model: quantizeModel(folder.model) }, ["Hello."]);
 * ```
 */
export function quantizeModel(
  model: Transformer,
  options: QuantizeOptions & { replace?: boolean; projection?: boolean } = {},
): Transformer {
  const replaced: Tensor[] = [];
  const q = <L extends linear.Linear>(layer: L): L => {
    replaced.push(layer.weight);
    return linear.quantize(layer, options) as L;
  };
  const attention = (a: AttentionParams): AttentionParams => ({
    w_q: q(a.w_q),
    w_k: q(a.w_k),
    w_v: q(a.w_v),
    w_o: q(a.w_o),
  });
  const feedForward = (f: FeedForwardParams): FeedForwardParams => ({
    linear_1: q(f.linear_1),
    linear_2: q(f.linear_2),
  });
  const { params } = model;
  const quantized: Transformer = {
    ...model,
    params: {
      ...params,
      encoder: {
        ...params.encoder,
        layers: params.encoder.layers.map((l) => ({
          ...l,
          self_attention_block: attention(l.self_attention_block),
          feed_forward_block: feedForward(l.feed_forward_block),
        })),
      },
      decoder: {
        ...params.decoder,
        layers: params.decoder.layers.map((l) => ({
          ...l,
          self_attention_block: attention(l.self_attention_block),
          cross_attention_block: attention(l.cross_attention_block),
          feed_forward_block: feedForward(l.feed_forward_block),
        })),
      },
      projection_layer: {
        proj: options.projection === false ? params.projection_layer.proj : q(params.projection_layer.proj),
      },
    },
  };
  if (options.replace) free(replaced);
  return quantized;
}

/** Whether the model's linear layers run int8 (made by {@link quantizeModel}). */
export function isQuantized(model: Transformer): boolean {
  return model.params.decoder.layers[0]?.feed_forward_block.linear_1.weight.dtype === "i8";
}
