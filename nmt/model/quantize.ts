/**
 * Fast inference on the CPU: the Transformer with the weights of its linear layers packed once for
 * the kernel that multiplies them. int8 quantizes and packs them, as PyTorch's
 * `quantize_dynamic(model, {nn.Linear}, dtype=qint8)` does: every attention projection, both
 * feed-forward layers and the output projection. f32 packing keeps the values and adds oneDNN's
 * layout of them. Embeddings, layer norms and biases stay as they are. Model folders stay f32 on
 * disk; a model is quantized or packed when it is loaded.
 */
import * as linear from "../../lib/nn/linear.ts";
import type { Device } from "../../lib/device.ts";
import { packLinear, quantizedEngines, type QuantizeOptions } from "../../lib/ops/quantized.ts";
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
  return mapLinears(model, (layer) => linear.quantize(layer, options), options);
}

/**
 * The model for fast f32 inference on the CPU: the same tree, each linear weight given a copy packed
 * for oneDNN's f32 kernel (`packLinear`), which `linear` uses when no gradient is needed. OpenBLAS,
 * behind ATen's linear, packs the weight again at every call, and for a decoding step's few rows
 * that packing is most of the time. Outputs agree with `model`'s to f32 rounding, not bit for bit.
 * `replace` and `projection` as in {@link quantizeModel}. Needs the dnnl engine ({@link canPack}).
 *
 * @example
 * ```ts
 * import { canPack, loadModelFolder, packModel, translate } from "@deno-torch/torch/nmt";
 * const folder = loadModelFolder("runs/en-it");
 * const model = canPack() ? packModel(folder.model) : folder.model;
 * const [t] = await translate({ ...folder, model }, ["Hello."]);
 * ```
 */
export function packModel(model: Transformer, options: { replace?: boolean; projection?: boolean } = {}): Transformer {
  return mapLinears(model, (layer) => ({ ...layer, weight: packLinear(layer.weight) }), options);
}

/** Whether {@link packModel} can pack weights on `device`: the CPU, with the native library's dnnl engine. */
export function canPack(device: Device = "cpu"): boolean {
  return device === "cpu" && quantizedEngines().includes("dnnl");
}

/**
 * The model with every linear layer replaced by `map(layer)` (the output projection too unless
 * `projection` is false); everything else is shared with `model`. With `replace`, the weights of
 * the layers replaced are freed.
 */
function mapLinears(
  model: Transformer,
  map: (layer: linear.Linear) => linear.Linear,
  options: { replace?: boolean; projection?: boolean },
): Transformer {
  const replaced: Tensor[] = [];
  const q = <L extends linear.Linear>(layer: L): L => {
    replaced.push(layer.weight);
    return map(layer) as L;
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
