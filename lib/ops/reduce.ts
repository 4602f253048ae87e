/**
 * Reductions and normalizations along a dimension. In every op here a negative `dim` counts from the
 * end, and an out-of-range `dim` throws a `ShapeError`.
 *
 * @module
 */
import { fail, sym } from "../../ffi/lib.ts";
import { DTypeError, ShapeError } from "../errors.ts";
import { type Dim, formatShape, type Reduce, type SetDim, type Shape } from "../shape.ts";
import { type Handle, handleOf, type Tensor, wrap, wrapAll } from "../tensor.ts";
import { isFloat } from "../dtype.ts";
import { axis } from "./check.ts";
import { callIn, widens } from "../autocast.ts";
import { dimArg, dimsArg, pairOut } from "../scratch.ts";

type DimsNative = (x: Handle, dims: Float64Array, n: number, keep: number) => Handle | null;

function reduceAll(op: string, fn: (x: Handle) => Handle | null, x: Tensor): Tensor<[]> {
  return wrap(fn(handleOf(x, op)), op);
}

function reduceDim(op: string, fn: DimsNative, x: Tensor, dim: number, keepDim: boolean): Tensor {
  const a = axis(x.rank, dim, op, x.shape);
  return wrap(fn(handleOf(x, op), dimArg(a), 1, keepDim ? 1 : 0), op);
}

/**
 * The signature shared by `argmax`, `argmin` and `logsumexp`: one value per slice along `dim`, the
 * dimension dropped, or kept with size 1 when `keepDim` is true.
 */
export type ReduceAlong = <S extends Shape, const D extends number, const K extends boolean = false>(
  x: Tensor<S>,
  dim: D,
  keepDim?: K,
) => Tensor<Reduce<S, D, K>>;

/**
 * The signature shared by `sum`, `mean`, `max` and `min`: with `x` alone, one value for all its
 * elements (a 0-dim tensor); with `dim`, a {@linkcode ReduceAlong}.
 */
export interface Reduction extends ReduceAlong {
  /** The reduction of all elements. */
  <S extends Shape>(x: Tensor<S>): Tensor<[]>;
}

function reduction(op: string, all: (x: Handle) => Handle | null, alongDims: DimsNative): Reduction {
  return ((x: Tensor, dim?: number, keepDim = false) =>
    dim === undefined ? reduceAll(op, all, x) : reduceDim(op, alongDims, x, dim, keepDim)) as Reduction;
}

/**
 * Sum of all elements, or along `dim` (a {@linkcode Reduction}).
 *
 * @example
 * ```ts
 * const x = randn([2, 3], rng(0));
 * const total = sum(x); // Tensor<[]>
 * const rows = sum(x, 1); // Tensor<[2]>
 * const cols = sum(x, 0, true); // Tensor<[1, 3]>
 * ```
 */
export const sum: Reduction = reduction("sum", sym.dt_sum_all, sym.dt_sum);

/**
 * Mean of all elements, or along `dim` (a {@linkcode Reduction}).
 *
 * @example
 * ```ts
 * const x = randn([2, 3], rng(0));
 * const mu = mean(x, -1, true); // Tensor<[2, 1]>, broadcasts back against x
 * ```
 */
export const mean: Reduction = reduction("mean", sym.dt_mean_all, sym.dt_mean);

/** Options for `std` and `var_`. */
export interface VarianceOptions<K extends boolean> {
  /** Divide by n - 1 (Bessel's correction, PyTorch's default) rather than n. */
  unbiased?: boolean;
  /** Keep the reduced dimension with size 1 instead of dropping it; default false. */
  keepDim?: K;
}

/**
 * The signature shared by `std` and `var_`: the spread of all elements (a 0-dim tensor), or of each
 * slice along `dim`, unbiased unless `{ unbiased: false }`.
 */
export interface Spread {
  /** The spread along `dim`. */
  <S extends Shape, const D extends number, const K extends boolean = false>(
    x: Tensor<S>,
    dim: D,
    options?: VarianceOptions<K>,
  ): Tensor<Reduce<S, D, K>>;
  /** The spread of all elements. */
  <S extends Shape>(x: Tensor<S>, dim?: undefined, options?: VarianceOptions<false>): Tensor<[]>;
}

function spread(op: string, fn: typeof sym.dt_std): Spread {
  return ((x: Tensor, dim?: number, o: VarianceOptions<boolean> = {}) => {
    const dims = dim === undefined ? x.shape.map((_, i) => i) : [axis(x.rank, dim, op, x.shape)];
    const unbiased = o.unbiased ?? true;
    return wrap(fn(handleOf(x, op), dimsArg(dims, op), dims.length, unbiased ? 1 : 0, o.keepDim ? 1 : 0), op);
  }) as Spread;
}

/**
 * Standard deviation of all elements or along `dim` (a {@linkcode Spread}).
 *
 * @example
 * ```ts
 * const x = randn([2, 3], rng(0));
 * const s = std(x); // Tensor<[]>
 * const perRow = std(x, -1, { keepDim: true }); // Tensor<[2, 1]>
 * ```
 */
export const std: Spread = spread("std", sym.dt_std);

/**
 * Variance of all elements or along `dim` (a {@linkcode Spread}; `var` is a reserved word).
 *
 * @example
 * ```ts
 * const x = randn([2, 3], rng(0));
 * const v = var_(x); // Tensor<[]>
 * const popVar = var_(x, 0, { unbiased: false }); // Tensor<[3]>
 * ```
 */
export const var_: Spread = spread("var", sym.dt_var);
/** The same function as `var_`, under a name that reads as a word. */
export { var_ as variance_ };

/**
 * Largest element, or largest values along `dim` (a {@linkcode Reduction}; values only, `argmax`
 * gives positions).
 *
 * @example
 * ```ts
 * const x = randn([2, 3], rng(0));
 * const top = max(x); // Tensor<[]>
 * const rowMax = max(x, 1); // Tensor<[2]>
 * ```
 */
export const max: Reduction = reduction("max", sym.dt_max_all, sym.dt_amax);

/**
 * Smallest element, or smallest values along `dim` (a {@linkcode Reduction}; values only, `argmin`
 * gives positions).
 *
 * @example
 * ```ts
 * const x = randn([2, 3], rng(0));
 * const low = min(x); // Tensor<[]>
 * const colMin = min(x, 0, true); // Tensor<[1, 3]>
 * ```
 */
export const min: Reduction = reduction("min", sym.dt_min_all, sym.dt_amin);

function reduceAlong(op: string, fn: typeof sym.dt_argmax): ReduceAlong {
  return ((x: Tensor, dim: number, keepDim: boolean = false) =>
    wrap(fn(handleOf(x, op), axis(x.rank, dim, op, x.shape), keepDim ? 1 : 0), op)) as ReduceAlong;
}

/** Index (i64) of the largest element along `dim` (a {@linkcode ReduceAlong}). */
export const argmax: ReduceAlong = reduceAlong("argmax", sym.dt_argmax);

/** Index (i64) of the smallest element along `dim` (a {@linkcode ReduceAlong}). */
export const argmin: ReduceAlong = reduceAlong("argmin", sym.dt_argmin);

/** log(sum(exp(x))) along `dim`, computed stably (a {@linkcode ReduceAlong}). */
export const logsumexp: ReduceAlong = reduceAlong("logsumexp", sym.dt_logsumexp);

function floatOnly(x: Tensor, op: string): void {
  if (!isFloat(x.dtype)) throw new DTypeError(op, `needs a floating-point tensor, got ${x.dtype}`);
}

/**
 * Softmax along `dim`: exponentiates and normalizes so that every slice along `dim` sums to 1; the
 * shape is unchanged. Needs a floating-point tensor (throws a `DTypeError` otherwise).
 *
 * @example
 * ```ts
 * const probs = softmax(randn([2, 5], rng(0)), -1); // Tensor<[2, 5]>, each row sums to 1
 * ```
 */
export function softmax<S extends Shape>(x: Tensor<S>, dim: number): Tensor<S> {
  floatOnly(x, "softmax");
  const d = axis(x.rank, dim, "softmax", x.shape);
  if (widens([x])) return callIn("f32", [x], "softmax", ([h]) => sym.dt_softmax(h!, d));
  return wrap(sym.dt_softmax(handleOf(x, "softmax"), d), "softmax");
}

/**
 * log(softmax(x)) along `dim`, computed without the overflow or underflow of taking the two steps
 * separately; the shape is unchanged. Needs a floating-point tensor (throws a `DTypeError` otherwise).
 *
 * @example
 * ```ts
 * const logProbs = logSoftmax(logits, -1); // logits: Tensor<["batch", "vocab"]>
 * ```
 */
export function logSoftmax<S extends Shape>(x: Tensor<S>, dim: number): Tensor<S> {
  floatOnly(x, "logSoftmax");
  const d = axis(x.rank, dim, "logSoftmax", x.shape);
  if (widens([x])) return callIn("f32", [x], "logSoftmax", ([h]) => sym.dt_log_softmax(h!, d));
  return wrap(sym.dt_log_softmax(handleOf(x, "logSoftmax"), d), "logSoftmax");
}

/**
 * The result of `topk`: the selected values and their positions, both shaped like the input with
 * `dim` resized to k.
 */
export interface TopK<S extends Shape> {
  /** The selected entries, best first unless `sorted: false` was passed. */
  values: Tensor<S>;
  /** i64 positions of the values along `dim`. */
  indices: Tensor<S>;
}

/** The `k` largest (or smallest) entries along `dim`, sorted by default. */
export function topk<S extends Shape, const K extends number, const D extends number = -1>(
  x: Tensor<S>,
  k: K,
  dim: D = -1 as D,
  options: { largest?: boolean; sorted?: boolean } = {},
): TopK<SetDim<S, D, K>> {
  const op = "topk";
  const a = axis(x.rank, dim, op, x.shape);
  if (!Number.isInteger(k) || k < 0 || k > x.shape[a]) {
    throw new RangeError(
      `topk: k must be an integer in [0, ${x.shape[a]}] for dimension ${dim} of [${x.shape}], got ${k}`,
    );
  }
  const status = sym.dt_topk(
    handleOf(x, op),
    k,
    a,
    options.largest === false ? 0 : 1,
    options.sorted === false ? 0 : 1,
    pairOut,
  );
  if (status !== 0) fail(op);
  const [values, indices] = wrapAll(pairOut, op) as Tensor<SetDim<S, D, K>>[];
  return { values, indices };
}

/**
 * The largest entry of each row's log-softmax, and its position: x [rows, classes] → values and i64
 * indices, both [rows, 1]. What `topk(logSoftmax(x, -1), 1)` gives, with argmax's first index among
 * equal maxima; a greedy decoder's one candidate per row and its log-probability. It takes two passes
 * over each row instead of the log-softmax's temporary as large as `x` (f32 on the CPU; its values
 * agree with `gather(x, argmax) - logsumexp(x)` to float rounding). Rows with NaN or an infinity get
 * that composition's results. Needs floating point (a `DTypeError`) of rank 2 with classes (a `ShapeError`).
 *
 * @example
 * ```ts
 * const { values, indices } = maxLogSoftmax(logits); // logits: Tensor<["batch", "vocab"]> → [batch, 1] each
 * ```
 */
export function maxLogSoftmax<R extends Dim>(x: Tensor<[R, Dim]>): TopK<[R, 1]> {
  const op = "maxLogSoftmax";
  floatOnly(x, op);
  if (x.rank !== 2 || x.shape[1] === 0) {
    throw new ShapeError(op, `x must be [rows, classes] with classes > 0, got ${formatShape(x.shape)}`);
  }
  if (sym.dt_max_log_softmax(handleOf(x, op), pairOut) !== 0) fail(op);
  const [values, indices] = wrapAll(pairOut, op) as Tensor<[R, 1]>[];
  return { values, indices };
}
