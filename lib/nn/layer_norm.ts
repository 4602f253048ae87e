/**
 * Layer normalization over the last dimension with a learned scale and shift, as torch.nn.LayerNorm:
 * (x − mean) / √(var + eps) · weight + bias, the variance biased (divided by n).
 *
 * @module
 */
import { ones, zeros } from "../create.ts";
import type { Device } from "../device.ts";
import { layerNorm } from "../ops/nn.ts";
import type { Dim, Shape } from "../shape.ts";
import type { Tensor } from "../tensor.ts";

/** The scale (`weight`) and shift (`bias`), each [Features], of a layer norm; the names are torch.nn.LayerNorm's. */
export interface LayerNorm<Features extends Dim = Dim> {
  /** Multiplies the normalized features; starts at ones. */
  weight: Tensor<[Features]>;
  /** Added after scaling; starts at zeros. */
  bias: Tensor<[Features]>;
}

/**
 * A new layer norm over `features` dimensions: weight ones and bias zeros, as torch.nn.LayerNorm
 * starts. It draws nothing, so it takes no key.
 *
 * @example
 * ```ts
 * import { nn } from "@deno-torch/torch";
 * const norm = nn.layerNorm.init(16); // weight [16] of ones, bias [16] of zeros
 * ```
 */
export function init(features: number, options: { device?: Device } = {}): LayerNorm<number> {
  return { weight: ones([features], options), bias: zeros([features], options) };
}

/**
 * `x` normalized over its last dimension, which must be the layer's features; `eps` (default 1e-5,
 * torch's) keeps the division finite.
 *
 * @example
 * ```ts
 * import { nn, randn, rng, scope } from "@deno-torch/torch";
 * scope(() => {
 *   const y = nn.layerNorm.apply(nn.layerNorm.init(16), randn([2, 5, 16], rng(0))); // [2, 5, 16], each row mean 0
 * });
 * ```
 */
export function apply<S extends Shape>(layer: LayerNorm, x: Tensor<S>, eps = 1e-5): Tensor<S> {
  return layerNorm(x, layer.weight, layer.bias, eps);
}
