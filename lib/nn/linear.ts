/**
 * A linear (fully connected) layer, y = x Wᵀ + b, laid out and initialized as torch.nn.Linear.
 *
 * @module
 */
import { rand } from "../create.ts";
import type { Device } from "../device.ts";
import { add, mul } from "../ops/elementwise.ts";
import { linear } from "../ops/linalg.ts";
import { quantizeLinear, type QuantizeOptions } from "../ops/quantized.ts";
import { type Key, namedKeys } from "../rng.ts";
import { scope } from "../scope.ts";
import type { Dim, SetDim, Shape } from "../shape.ts";
import { assume, type Tensor } from "../tensor.ts";

/** The weights of a linear layer from `In` to `Out` features: `weight` [Out, In] and an optional `bias` [Out]. */
export interface Linear<Out extends Dim = Dim, In extends Dim = Dim> {
  /** The matrix, [out, in] as in torch.nn.Linear. */
  weight: Tensor<[Out, In]>;
  /** Added to every output row; absent in a bias-free layer. */
  bias?: Tensor<[Out]>;
}

/** Options of `init`. */
export interface LinearOptions {
  /** Whether the layer has a bias; default true. */
  bias?: boolean;
  /** Where the weights are created; default the CPU. */
  device?: Device;
}

/**
 * A new linear layer from `inFeatures` to `outFeatures`, drawn as torch.nn.Linear draws it: weight and
 * bias uniform in ±1/√inFeatures, each from its own key.
 *
 * @example
 * ```ts
 * import { nn, rng } from "@deno-torch/torch";
 * const layer = nn.linear.init(rng(0), 3, 4); // weight [4, 3], bias [4]
 * const bare = nn.linear.init(rng(1), 3, 4, { bias: false }); // weight only
 * ```
 */
export function init(
  key: Key,
  inFeatures: number,
  outFeatures: number,
  options: LinearOptions = {},
): Linear<number, number> {
  const { bias = true, device } = options;
  const keys = namedKeys(key, ["weight", "bias"]);
  const bound = 1 / Math.sqrt(inFeatures);
  const uniform = <const S extends Shape>(shape: number[], k: Key): Tensor<S> =>
    scope(() => assume<S>(add(mul(rand(shape, k, { device }), 2 * bound), -bound)));
  const weight = uniform<[number, number]>([outFeatures, inFeatures], keys.weight);
  return bias ? { weight, bias: uniform<[number]>([outFeatures], keys.bias) } : { weight };
}

/**
 * The layer for int8 inference: its weight quantized (one scale per output row by default) and packed
 * for libtorch's quantized engine, its bias shared with `layer`. `apply` then runs it as dynamic int8,
 * as PyTorch's `quantize_dynamic` does.
 *
 * @example
 * ```ts
 * import { nn, randn, rng, scope } from "@deno-torch/torch";
 * scope(() => {
 *   const layer = nn.linear.quantize(nn.linear.init(rng(0), 3, 4));
 *   const y = nn.linear.apply(layer, randn([2, 3], rng(1))); // [2, 4], f32
 * });
 * ```
 */
export function quantize<Out extends Dim, In extends Dim>(
  layer: Linear<Out, In>,
  options?: QuantizeOptions,
): Linear<Out, In> {
  const weight = quantizeLinear(layer.weight, options);
  return layer.bias ? { weight, bias: layer.bias } : { weight };
}

/**
 * The layer applied to the last dimension of `x`: [..., in] → [..., out]; as int8 when its weight is
 * packed (`quantize`).
 *
 * @example
 * ```ts
 * import { nn, randn, rng, scope } from "@deno-torch/torch";
 * scope(() => {
 *   const layer = nn.linear.init(rng(0), 3, 4);
 *   const y = nn.linear.apply(layer, randn([2, 3], rng(1))); // [2, 4]
 * });
 * ```
 */
export function apply<X extends Shape, Out extends Dim, In extends Dim>(
  layer: Linear<Out, In>,
  x: Tensor<X>,
): Tensor<SetDim<X, -1, Out>> {
  return linear(x as Tensor, layer.weight as Tensor, layer.bias) as Tensor as Tensor<SetDim<X, -1, Out>>;
}
