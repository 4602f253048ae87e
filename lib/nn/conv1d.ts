/**
 * A 1-D convolution layer over [batch, channels, length] (or [channels, length]), laid out and drawn as
 * torch.nn.Conv1d: its tree is `weight` [out, in/groups, kernel] and an optional `bias` [out], the
 * state-dict paths torch's. Stride, padding, dilation and groups are options of `apply` (the same
 * object `init` takes), not leaves of the tree: see `nn/conv.ts` for why.
 *
 * @module
 */
import type { Key } from "../rng.ts";
import { type Conv, conv1d, type ConvOptions, type ConvOrError, type PerDim } from "../ops/conv.ts";
import type { Check, Dim, Shape } from "../shape.ts";
import type { Tensor } from "../tensor.ts";
import { type ConvLayerOptions, convParams, initConv } from "./conv.ts";

export type { ConvLayerOptions } from "./conv.ts";

/** The tensors of a 1-D convolution from `In`·groups to `Out` channels (`In` is the input channels per group). */
export interface Conv1d<Out extends Dim = Dim, In extends Dim = Dim> {
  /** The kernels, [out, in/groups, kernel] as in torch.nn.Conv1d. */
  weight: Tensor<[Out, In, number]>;
  /** Added to each output channel; absent in a bias-free layer. */
  bias?: Tensor<[Out]>;
}

/**
 * A new 1-D convolution from `inChannels` to `outChannels` with a `kernelSize` window (a number,
 * or a list of one), drawn as torch.nn.Conv1d draws it: weight and bias uniform in
 * ±1/√(in/groups · kernel), each from its own key. `options` may be the very object later given to
 * `apply`: `groups` shapes the weight, the rest is checked here and used there.
 *
 * @throws {RangeError} If a size or option is not a positive integer (padding: ≥ 0, or "same"/"valid"), or groups does not divide both channel counts.
 *
 * @example
 * ```ts
 * import { nn, rng } from "@deno-torch/torch";
 * const conv = nn.conv1d.init(rng(0), 3, 16, 3); // weight [16, 3, 3], bias [16]
 * ```
 */
export function init(
  key: Key,
  inChannels: number,
  outChannels: number,
  kernelSize: PerDim,
  options: ConvLayerOptions = {},
): Conv1d<number, number> {
  return initConv("conv1d", 1, key, inChannels, outChannels, kernelSize, options) as Conv1d<number, number>;
}

/**
 * The layer applied to x [batch, in, length] (or [in, length]): torch.nn.functional.conv1d with the
 * layer's weight and bias and the given stride, padding, dilation and groups (default 1, 0, 1, 1).
 *
 * @throws {ShapeError} If x's channels are not the weight's input channels × groups, or x is too small.
 * @throws {RangeError} If an option is out of range.
 *
 * @example
 * ```ts
 * import { nn, randn, rng, scope } from "@deno-torch/torch";
 * scope(() => {
 *   const conv = nn.conv1d.init(rng(0), 3, 16, 3);
 *   const y = nn.conv1d.apply(conv, randn([2, 3, 10], rng(1)), { padding: 1 }); // [2, 16, 10]
 * });
 * ```
 */
export function apply<X extends Shape, Out extends Dim, In extends Dim, const G extends number = 1>(
  layer: Conv1d<Out, In>,
  x: Tensor<X> & Check<ConvOrError<"conv1d", 1, X, [Out, In, number], G>>,
  options: ConvOptions<G> = {},
): Tensor<Conv<"conv1d", 1, X, [Out, In, number], G>> {
  const { weight, bias } = convParams("conv1d", layer, options);
  return conv1d(x as Tensor, weight as Tensor, bias, options as ConvOptions) as Tensor as Tensor<
    Conv<"conv1d", 1, X, [Out, In, number], G>
  >;
}
