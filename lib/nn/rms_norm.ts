/**
 * Root-mean-square layer normalization (Zhang & Sennrich 2019), as torch.nn.RMSNorm (torch 2.4):
 * x · rsqrt(mean(x², −1) + eps) · weight over the last dimension, with no mean subtracted and no bias.
 *
 * @module
 */
import { ones } from "../create.ts";
import type { Device } from "../device.ts";
import type { FloatDType } from "../dtype.ts";
import { DTypeError, FreedTensorError, ShapeError } from "../errors.ts";
import { isFloat } from "../dtype.ts";
import { add, mul, rsqrt } from "../ops/elementwise.ts";
import { mean } from "../ops/reduce.ts";
import { scope } from "../scope.ts";
import { type Dim, formatShape, type Shape } from "../shape.ts";
import type { Tensor } from "../tensor.ts";

/** The scale of an RMS norm, [Features] (torch.nn.RMSNorm's `weight`). */
export interface RmsNorm<Features extends Dim = Dim> {
  /** Multiplies the normalized features; starts at ones. */
  weight: Tensor<[Features]>;
}

/**
 * A new RMS norm over `features` dimensions: weight ones, as torch.nn.RMSNorm starts. It draws
 * nothing, so it takes no key.
 *
 * @example
 * ```ts
 * import { nn } from "@deno-torch/torch";
 * const norm = nn.rmsNorm.init(16); // weight [16] of ones
 * ```
 */
export function init(features: number, options: { device?: Device; dtype?: FloatDType } = {}): RmsNorm<number> {
  if (!Number.isSafeInteger(features) || features < 0) {
    throw new RangeError(`rmsNorm: features must be a non-negative integer, got ${features}`);
  }
  return { weight: ones([features], options) };
}

/** torch.finfo(dtype).eps, torch.nn.RMSNorm's eps when none is given. */
const MACHINE_EPS: Record<FloatDType, number> = { f32: 2 ** -23, f64: 2 ** -52, f16: 2 ** -10, bf16: 2 ** -7 };

/**
 * `x` normalized by the root mean square of its last dimension (which must be the layer's features)
 * and scaled by the weight. `eps` defaults to the machine epsilon of `x`'s dtype, as torch.nn.RMSNorm's.
 *
 * @throws {ShapeError} If `x` is 0-dim or its last dimension is not the weight's size.
 * @throws {DTypeError} If `x` is not floating-point.
 * @throws {RangeError} If `eps` is negative or not finite.
 *
 * @example
 * ```ts
 * import { nn, randn, rng, scope } from "@deno-torch/torch";
 * scope(() => {
 *   const y = nn.rmsNorm.apply(nn.rmsNorm.init(16), randn([2, 5, 16], rng(0))); // [2, 5, 16], each row's RMS ≈ 1
 * });
 * ```
 */
export function apply<S extends Shape>(layer: RmsNorm, x: Tensor<S>, eps?: number): Tensor<S> {
  const { weight } = layer;
  if (x.freed || weight.freed) throw new FreedTensorError("rmsNorm");
  if (x.rank === 0 || weight.rank !== 1 || weight.shape[0] !== x.shape[x.rank - 1]) {
    throw new ShapeError(
      "rmsNorm",
      `weight ${formatShape(weight.shape)} must be the last dimension of x ${formatShape(x.shape)}`,
    );
  }
  if (!isFloat(x.dtype)) throw new DTypeError("rmsNorm", `x must be floating-point, got ${x.dtype}`);
  const e = eps ?? MACHINE_EPS[x.dtype];
  if (!(e >= 0 && e < Infinity)) throw new RangeError(`rmsNorm: eps must be ≥ 0 and finite, got ${eps}`);
  return scope(() => {
    const meanSquare = mean(mul(x as Tensor, x as Tensor), -1, true);
    return mul(mul(x as Tensor, rsqrt(add(meanSquare, e))), weight as Tensor);
  }) as Tensor as Tensor<S>;
}
