/**
 * More elementwise math (issue 17): activations (`silu`, `softplus`, `elu`, `leakyRelu`, `mish`,
 * `hardtanh`), unary functions (`erf`, `log1p`, `expm1`, `log2`, rounding, `sign`, `square`), the
 * broadcasting binary ops `fmod`, `remainder` and `atan2` (each a {@linkcode BinaryOp} that takes a
 * number too), `lerp`, and the closeness tests `isclose` and `allclose`. Every op computes what its
 * PyTorch namesake does, dtypes included.
 *
 * @module
 */
import { fail, sym } from "../../ffi/lib.ts";
import { DTypeError } from "../errors.ts";
import type { Broadcast, BroadcastCheck, Shape } from "../shape.ts";
import { type Handle, handleOf, type Tensor, wrap } from "../tensor.ts";
import { isFloat } from "../dtype.ts";
import { broadcastShapes, sameDevice } from "./check.ts";
import type { BinaryOp, UnaryOp } from "./elementwise.ts";

type Native1 = (x: Handle) => Handle | null;
type Native2 = (a: Handle, b: Handle) => Handle | null;
type NativeScalar = (a: Handle, s: number) => Handle | null;

function unary(op: string, fn: Native1): UnaryOp {
  return (<S extends Shape>(x: Tensor<S>) => wrap<S>(fn(handleOf(x, op)), op)) as UnaryOp;
}

function binary(op: string, withTensor: Native2, withScalar: NativeScalar): BinaryOp {
  return (<A extends Shape, B extends Shape>(a: Tensor<A>, b: number | Tensor<B>) => {
    if (typeof b === "number") return wrap(withScalar(handleOf(a, op), b), op);
    broadcastShapes(a.shape, b.shape, op);
    sameDevice(a, b, op);
    return wrap(withTensor(handleOf(a, op), handleOf(b, op)), op);
  }) as BinaryOp;
}

/** A number argument that goes to native code as an f64: any number (NaN too, as torch), but a number. */
function numberArg(value: unknown, name: string, op: string): number {
  if (typeof value !== "number") throw new RangeError(`${op}: ${name} must be a number, got ${typeof value}`);
  return value;
}

// ---- activations ----

/**
 * Elementwise SiLU (swish), x · sigmoid(x).
 *
 * @example
 * ```ts
 * const y = silu(tensor([0, 1])); // [0, 0.7311]
 * ```
 */
export const silu: UnaryOp = unary("silu", sym.dt_silu);

/**
 * Elementwise softplus, log(1 + e^(beta·x)) / beta, and x itself where beta·x > threshold (as
 * torch.nn.functional.softplus, whose defaults these are).
 *
 * @example
 * ```ts
 * const y = softplus(tensor([0, 30])); // [0.6931, 30]
 * ```
 */
export function softplus<S extends Shape>(x: Tensor<S>, beta = 1, threshold = 20): Tensor<S> {
  const op = "softplus";
  return wrap(sym.dt_softplus(handleOf(x, op), numberArg(beta, "beta", op), numberArg(threshold, "threshold", op)), op);
}

/**
 * Elementwise ELU: x for x > 0, alpha · (eˣ − 1) otherwise.
 *
 * @example
 * ```ts
 * const y = elu(tensor([-1, 2])); // [-0.6321, 2]
 * ```
 */
export function elu<S extends Shape>(x: Tensor<S>, alpha = 1): Tensor<S> {
  return wrap(sym.dt_elu(handleOf(x, "elu"), numberArg(alpha, "alpha", "elu")), "elu");
}

/**
 * Elementwise leaky ReLU: x for x > 0, negativeSlope · x otherwise.
 *
 * @example
 * ```ts
 * const y = leakyRelu(tensor([-2, 3]), 0.1); // [-0.2, 3]
 * ```
 */
export function leakyRelu<S extends Shape>(x: Tensor<S>, negativeSlope = 0.01): Tensor<S> {
  const op = "leakyRelu";
  return wrap(sym.dt_leaky_relu(handleOf(x, op), numberArg(negativeSlope, "negativeSlope", op)), op);
}

/**
 * Elementwise Mish, x · tanh(softplus(x)).
 *
 * @example
 * ```ts
 * const y = mish(tensor([0, 1])); // [0, 0.8651]
 * ```
 */
export const mish: UnaryOp = unary("mish", sym.dt_mish);

/**
 * Elementwise hardtanh: x clipped to [minVal, maxVal] (default [−1, 1]). As in torch, a minVal above
 * maxVal is not refused: every element is then maxVal.
 *
 * @example
 * ```ts
 * const y = hardtanh(tensor([-3, 0.5, 3])); // [-1, 0.5, 1]
 * ```
 */
export function hardtanh<S extends Shape>(x: Tensor<S>, minVal = -1, maxVal = 1): Tensor<S> {
  const op = "hardtanh";
  return wrap(sym.dt_hardtanh(handleOf(x, op), numberArg(minVal, "minVal", op), numberArg(maxVal, "maxVal", op)), op);
}

// ---- unary functions ----

/**
 * Elementwise error function, erf(x) = 2/√π ∫₀ˣ e^(−t²) dt.
 *
 * @example
 * ```ts
 * const y = erf(tensor([0, 1])); // [0, 0.8427]
 * ```
 */
export const erf: UnaryOp = unary("erf", sym.dt_erf);
/**
 * Elementwise log(1 + x), accurate for small x.
 *
 * @example
 * ```ts
 * const y = log1p(tensor([0, 1e-10])); // [0, 1e-10]
 * ```
 */
export const log1p: UnaryOp = unary("log1p", sym.dt_log1p);
/**
 * Elementwise eˣ − 1, accurate for small x.
 *
 * @example
 * ```ts
 * const y = expm1(tensor([0, 1e-10])); // [0, 1e-10]
 * ```
 */
export const expm1: UnaryOp = unary("expm1", sym.dt_expm1);
/**
 * Elementwise base-2 logarithm.
 *
 * @example
 * ```ts
 * const y = log2(tensor([1, 8])); // [0, 3]
 * ```
 */
export const log2: UnaryOp = unary("log2", sym.dt_log2);
/**
 * Elementwise floor: the largest integer ≤ x (integer tensors are returned as they are).
 *
 * @example
 * ```ts
 * const y = floor(tensor([-1.5, 1.5])); // [-2, 1]
 * ```
 */
export const floor: UnaryOp = unary("floor", sym.dt_floor);
/**
 * Elementwise ceiling: the smallest integer ≥ x.
 *
 * @example
 * ```ts
 * const y = ceil(tensor([-1.5, 1.5])); // [-1, 2]
 * ```
 */
export const ceil: UnaryOp = unary("ceil", sym.dt_ceil);
/**
 * Elementwise rounding to the nearest integer, halves to even (as torch.round).
 *
 * @example
 * ```ts
 * const y = round(tensor([0.5, 1.5, -2.5])); // [0, 2, -2]
 * ```
 */
export const round: UnaryOp = unary("round", sym.dt_round);
/**
 * Elementwise truncation toward zero.
 *
 * @example
 * ```ts
 * const y = trunc(tensor([-1.7, 1.7])); // [-1, 1]
 * ```
 */
export const trunc: UnaryOp = unary("trunc", sym.dt_trunc);
/**
 * Elementwise sign: −1, 0 or 1 (NaN gives 0, as in torch 1.13; bool stays bool).
 *
 * @example
 * ```ts
 * const y = sign(tensor([-3, 0, 2])); // [-1, 0, 1]
 * ```
 */
export const sign: UnaryOp = unary("sign", sym.dt_sign);
/**
 * Elementwise square, x · x (bool gives i64, as torch.square).
 *
 * @example
 * ```ts
 * const y = square(tensor([-3, 2])); // [9, 4]
 * ```
 */
export const square: UnaryOp = unary("square", sym.dt_square);

// ---- binary ----

/**
 * Elementwise remainder of a / b with the sign of a (C's fmod; a {@linkcode BinaryOp}). Integer
 * division by zero is a `TorchError`.
 *
 * @example
 * ```ts
 * const y = fmod(tensor([-3, 3]), 2); // [-1, 1]
 * ```
 */
export const fmod: BinaryOp = binary("fmod", sym.dt_fmod, sym.dt_fmod_scalar);
/**
 * Elementwise remainder of a / b with the sign of b (Python's %; a {@linkcode BinaryOp}). Integer
 * division by zero is a `TorchError`.
 *
 * @example
 * ```ts
 * const y = remainder(tensor([-3, 3]), 2); // [1, 1]
 * ```
 */
export const remainder: BinaryOp = binary("remainder", sym.dt_remainder, sym.dt_remainder_scalar);
/**
 * Elementwise angle of the point (b, a), atan2(a, b), in (−π, π] (a {@linkcode BinaryOp}; integers
 * give f32). A number b meets `a` in a's float dtype (f32 for integer a), as a Python float would.
 *
 * @example
 * ```ts
 * const angle = atan2(tensor([1, -1]), 1); // [π/4, −π/4]
 * ```
 */
export const atan2: BinaryOp = binary("atan2", sym.dt_atan2, sym.dt_atan2_scalar);

/** The shape `lerp(start, end, weight)` returns: all three broadcast together. */
export type Lerp<A extends Shape, B extends Shape, W extends Shape> = Broadcast<Broadcast<A, B>, W>;

/**
 * Linear interpolation start + weight · (end − start), elementwise with broadcasting over all three;
 * `weight` is a number or a tensor. `start`, `end` and a tensor `weight` must share one float dtype
 * (a `DTypeError` otherwise, as torch refuses them too).
 *
 * @example
 * ```ts
 * const mid = lerp(zeros([2, 3]), ones([3]), 0.5); // Tensor<[2, 3]> of 0.5
 * ```
 */
export function lerp<A extends Shape, B extends Shape, W extends Shape = []>(
  start: Tensor<A>,
  end: Tensor<B> & BroadcastCheck<A, B>,
  weight: number | (Tensor<W> & BroadcastCheck<Broadcast<A, B>, W>),
): Tensor<Lerp<A, B, W>> {
  const op = "lerp";
  const e = end as Tensor<B>;
  const shape = broadcastShapes(start.shape, e.shape, op);
  sameDevice(start, e, op);
  if (!isFloat(start.dtype)) throw new DTypeError(op, `start must be a floating-point tensor, got ${start.dtype}`);
  if (e.dtype !== start.dtype) throw new DTypeError(op, `end must have start's dtype ${start.dtype}, got ${e.dtype}`);
  if (typeof weight === "number") return wrap(sym.dt_lerp_scalar(handleOf(start, op), handleOf(e, op), weight), op);
  const w = weight as Tensor<W>;
  broadcastShapes(shape, w.shape, op);
  sameDevice(start, w, op);
  if (w.dtype !== start.dtype) {
    throw new DTypeError(op, `a tensor weight must have start's dtype ${start.dtype}, got ${w.dtype}`);
  }
  return wrap(sym.dt_lerp(handleOf(start, op), handleOf(e, op), handleOf(w, op)), op);
}

// ---- closeness ----

/** Tolerances of `isclose` and `allclose`; the defaults are torch's. */
export interface CloseOptions {
  /** Relative tolerance, times |b|; at least 0. Default 1e-5. */
  rtol?: number;
  /** Absolute tolerance; at least 0. Default 1e-8. */
  atol?: number;
  /** Whether NaN counts as close to NaN. Default false. */
  equalNan?: boolean;
}

function closeArgs(a: Tensor, b: Tensor, o: CloseOptions, op: string): [number, number, number] {
  const { rtol = 1e-5, atol = 1e-8, equalNan = false } = o;
  broadcastShapes(a.shape, b.shape, op);
  sameDevice(a, b, op);
  if (a.dtype !== b.dtype) throw new DTypeError(op, `a and b must have one dtype, got ${a.dtype} and ${b.dtype}`);
  // `!(x >= 0)` also refuses NaN, which torch's own check lets no further either.
  if (!(numberArg(rtol, "rtol", op) >= 0)) throw new RangeError(`${op}: rtol must be at least 0, got ${rtol}`);
  if (!(numberArg(atol, "atol", op) >= 0)) throw new RangeError(`${op}: atol must be at least 0, got ${atol}`);
  return [rtol, atol, equalNan ? 1 : 0];
}

/**
 * A bool tensor, true where |a − b| ≤ atol + rtol · |b| (infinities close only to themselves; NaN
 * only to NaN, and only with `equalNan`), with broadcasting. `a` and `b` must share a dtype.
 *
 * @example
 * ```ts
 * const ok = isclose(tensor([1, 2]), tensor([1 + 1e-7, 2.1])); // [true, false]
 * ```
 */
export function isclose<A extends Shape, B extends Shape>(
  a: Tensor<A>,
  b: Tensor<B> & BroadcastCheck<A, B>,
  options: CloseOptions = {},
): Tensor<Broadcast<A, B>> {
  const op = "isclose";
  const other = b as Tensor<B>;
  const [rtol, atol, equalNan] = closeArgs(a, other, options, op);
  return wrap(sym.dt_isclose(handleOf(a, op), handleOf(other, op), rtol, atol, equalNan), op);
}

/**
 * Whether every element of `a` is close to its counterpart in `b` (see {@linkcode isclose}), as a
 * JS boolean.
 *
 * @example
 * ```ts
 * if (!allclose(got, want, { atol: 1e-6 })) throw new Error("results differ");
 * ```
 */
export function allclose<A extends Shape, B extends Shape>(
  a: Tensor<A>,
  b: Tensor<B> & BroadcastCheck<A, B>,
  options: CloseOptions = {},
): boolean {
  const op = "allclose";
  const other = b as Tensor<B>;
  const [rtol, atol, equalNan] = closeArgs(a, other, options, op);
  const result = sym.dt_allclose(handleOf(a, op), handleOf(other, op), rtol, atol, equalNan);
  if (result < 0) fail(op);
  return result === 1;
}
