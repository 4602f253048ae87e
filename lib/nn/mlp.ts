/**
 * A multilayer perceptron, after Equinox's `MLP`: linear layers with an activation between each two
 * (GELU by default) and none after the last. Its weights are `layers.0.weight`, `layers.0.bias`, ...
 *
 * @module
 */
import type { Device } from "../device.ts";
import { gelu } from "../ops/elementwise.ts";
import { fold, type Key } from "../rng.ts";
import { scope } from "../scope.ts";
import type { Dim, SetDim, Shape } from "../shape.ts";
import type { Tensor } from "../tensor.ts";
import * as linear from "./linear.ts";

/** The linear layers of an MLP from `In` to `Out` features, in order; the first reads `In`, the last writes `Out`. */
export interface Mlp<Out extends Dim = Dim, In extends Dim = Dim> {
  /** The layers in order: `layers.0` reads the input, the last writes the output. */
  layers: [linear.Linear<Out, In>] | [linear.Linear<Dim, In>, ...linear.Linear[], linear.Linear<Out, Dim>];
}

/** Options of `init`. */
export interface MlpOptions {
  /** Whether the layers have biases; default true. */
  bias?: boolean;
  /** Where the weights are created; default the CPU. */
  device?: Device;
}

/**
 * A new MLP through the feature sizes `sizes` ([in, hidden..., out]: `sizes.length − 1` layers),
 * each layer drawn as torch.nn.Linear draws it (uniform in ±1/√fan-in), layer i from `fold(key, i)`.
 *
 * @throws {RangeError} If there are fewer than two sizes or one is not a positive integer.
 *
 * @example
 * ```ts
 * import { nn, rng } from "@deno-torch/torch";
 * const mlp = nn.mlp.init(rng(0), [8, 32, 32, 4]); // layers.0.weight [32, 8], ..., layers.2.weight [4, 32]
 * ```
 */
export function init(key: Key, sizes: readonly number[], options: MlpOptions = {}): Mlp<number, number> {
  if (sizes.length < 2) throw new RangeError(`mlp: sizes must have at least two entries, got [${sizes}]`);
  const bad = sizes.find((n) => !Number.isSafeInteger(n) || n < 1);
  if (bad !== undefined) throw new RangeError(`mlp: sizes must be positive integers, got ${bad} in [${sizes}]`);
  const layers = sizes.slice(1).map((out, i) => linear.init(fold(key, i), sizes[i], out, options));
  return { layers: layers as Mlp<number, number>["layers"] };
}

/** Options of `apply`. */
export interface MlpApplyOptions {
  /** The function between two layers; default exact GELU. */
  activation?: (x: Tensor) => Tensor;
}

/**
 * The MLP applied to the last dimension of `x`: [..., in] → [..., out].
 *
 * @example
 * ```ts
 * import { nn, randn, relu, rng, scope } from "@deno-torch/torch";
 * scope(() => {
 *   const mlp = nn.mlp.init(rng(0), [3, 16, 2]);
 *   const y = nn.mlp.apply(mlp, randn([5, 3], rng(1))); // [5, 2]
 *   const z = nn.mlp.apply(mlp, randn([5, 3], rng(1)), { activation: relu }); // [5, 2]
 * });
 * ```
 */
export function apply<X extends Shape, Out extends Dim, In extends Dim>(
  mlp: Mlp<Out, In>,
  x: Tensor<X>,
  options: MlpApplyOptions = {},
): Tensor<SetDim<X, -1, Out>> {
  const { activation = gelu } = options;
  return scope(() =>
    (mlp.layers as linear.Linear[]).reduce(
      (h: Tensor, layer, i) => linear.apply(layer, i === 0 ? h : activation(h)),
      x as Tensor,
    )
  ) as Tensor as Tensor<SetDim<X, -1, Out>>;
}
