/** Reductions and normalizations along a dimension. */
import { fail, sym } from "../../ffi/lib.ts";
import { DTypeError } from "../errors.ts";
import type { Reduce, SetDim, Shape } from "../shape.ts";
import { type Handle, handleOf, type Tensor, wrap, wrapAll } from "../tensor.ts";
import { isFloat } from "../dtype.ts";
import { axis } from "./check.ts";
import { dimArg, dimsArg, pairOut } from "../scratch.ts";

type DimsNative = (x: Handle, dims: Float64Array, n: number, keep: number) => Handle | null;

function reduceAll(op: string, fn: (x: Handle) => Handle | null, x: Tensor): Tensor<[]> {
  return wrap(fn(handleOf(x, op)), op);
}

function reduceDim(op: string, fn: DimsNative, x: Tensor, dim: number, keepDim: boolean): Tensor {
  const a = axis(x.rank, dim, op, x.shape);
  return wrap(fn(handleOf(x, op), dimArg(a), 1, keepDim ? 1 : 0), op);
}

/** Sum of all elements, or along `dim` (kept as size 1 with `keepDim`). */
export function sum<S extends Shape>(x: Tensor<S>): Tensor<[]>;
/**
 * Sum along `dim`: the dimension is dropped, or kept with size 1 when `keepDim` is true.
 * A negative `dim` counts from the end; an out-of-range `dim` throws a `ShapeError`.
 *
 * @example
 * ```ts
 * const x = randn([2, 3], rng(0));
 * const total = sum(x); // Tensor<[]>
 * const rows = sum(x, 1); // Tensor<[2]>
 * const cols = sum(x, 0, true); // Tensor<[1, 3]>
 * ```
 */
export function sum<S extends Shape, const D extends number, const K extends boolean = false>(
  x: Tensor<S>,
  dim: D,
  keepDim?: K,
): Tensor<Reduce<S, D, K>>;
export function sum(x: Tensor, dim?: number, keepDim = false): Tensor {
  return dim === undefined ? reduceAll("sum", sym.dt_sum_all, x) : reduceDim("sum", sym.dt_sum, x, dim, keepDim);
}

/** Mean of all elements, or along `dim`. */
export function mean<S extends Shape>(x: Tensor<S>): Tensor<[]>;
/**
 * Mean along `dim`: the dimension is dropped, or kept with size 1 when `keepDim` is true.
 * A negative `dim` counts from the end; an out-of-range `dim` throws a `ShapeError`.
 *
 * @example
 * ```ts
 * const x = randn([2, 3], rng(0));
 * const mu = mean(x, -1, true); // Tensor<[2, 1]>, broadcasts back against x
 * ```
 */
export function mean<S extends Shape, const D extends number, const K extends boolean = false>(
  x: Tensor<S>,
  dim: D,
  keepDim?: K,
): Tensor<Reduce<S, D, K>>;
export function mean(x: Tensor, dim?: number, keepDim = false): Tensor {
  return dim === undefined ? reduceAll("mean", sym.dt_mean_all, x) : reduceDim("mean", sym.dt_mean, x, dim, keepDim);
}

/** Options for `std` and `var_`. */
export interface VarianceOptions<K extends boolean> {
  /** Divide by n - 1 (Bessel's correction, PyTorch's default) rather than n. */
  unbiased?: boolean;
  /** Keep the reduced dimension with size 1 instead of dropping it; default false. */
  keepDim?: K;
}

function variance(op: string, fn: typeof sym.dt_std, x: Tensor, dim: number | undefined, o: VarianceOptions<boolean>) {
  const dims = dim === undefined ? x.shape.map((_, i) => i) : [axis(x.rank, dim, op, x.shape)];
  const unbiased = o.unbiased ?? true;
  return wrap(fn(handleOf(x, op), dimsArg(dims, op), dims.length, unbiased ? 1 : 0, o.keepDim ? 1 : 0), op);
}

/** Standard deviation (unbiased unless `{ unbiased: false }`) of all elements or along `dim`. */
export function std<S extends Shape, const D extends number, const K extends boolean = false>(
  x: Tensor<S>,
  dim: D,
  options?: VarianceOptions<K>,
): Tensor<Reduce<S, D, K>>;
/**
 * Standard deviation of all elements, as a scalar tensor (unbiased unless `{ unbiased: false }`).
 *
 * @example
 * ```ts
 * const x = randn([2, 3], rng(0));
 * const s = std(x); // Tensor<[]>
 * const perRow = std(x, -1, { keepDim: true }); // Tensor<[2, 1]>
 * ```
 */
export function std<S extends Shape>(x: Tensor<S>, dim?: undefined, options?: VarianceOptions<false>): Tensor<[]>;
export function std(x: Tensor, dim?: number, options: VarianceOptions<boolean> = {}): Tensor {
  return variance("std", sym.dt_std, x, dim, options);
}

/** Variance (unbiased unless `{ unbiased: false }`) of all elements or along `dim`. */
export function variance_<S extends Shape, const D extends number, const K extends boolean = false>(
  x: Tensor<S>,
  dim: D,
  options?: VarianceOptions<K>,
): Tensor<Reduce<S, D, K>>;
/**
 * Variance of all elements, as a scalar tensor (unbiased unless `{ unbiased: false }`); exported as `var_`.
 *
 * @example
 * ```ts
 * const x = randn([2, 3], rng(0));
 * const v = var_(x); // Tensor<[]>
 * const popVar = var_(x, 0, { unbiased: false }); // Tensor<[3]>
 * ```
 */
export function variance_<S extends Shape>(x: Tensor<S>, dim?: undefined, options?: VarianceOptions<false>): Tensor<[]>;
export function variance_(x: Tensor, dim?: number, options: VarianceOptions<boolean> = {}): Tensor {
  return variance("var", sym.dt_var, x, dim, options);
}
export { variance_ as var_ };

/** Largest element, or largest along `dim`. */
export function max<S extends Shape>(x: Tensor<S>): Tensor<[]>;
/**
 * Largest values along `dim` (values only; use `argmax` for positions): the dimension is dropped,
 * or kept with size 1 when `keepDim` is true. A negative `dim` counts from the end; an out-of-range `dim` throws a `ShapeError`.
 *
 * @example
 * ```ts
 * const x = randn([2, 3], rng(0));
 * const top = max(x); // Tensor<[]>
 * const rowMax = max(x, 1); // Tensor<[2]>
 * ```
 */
export function max<S extends Shape, const D extends number, const K extends boolean = false>(
  x: Tensor<S>,
  dim: D,
  keepDim?: K,
): Tensor<Reduce<S, D, K>>;
export function max(x: Tensor, dim?: number, keepDim = false): Tensor {
  return dim === undefined ? reduceAll("max", sym.dt_max_all, x) : reduceDim("max", sym.dt_amax, x, dim, keepDim);
}

/** Smallest element, or smallest along `dim`. */
export function min<S extends Shape>(x: Tensor<S>): Tensor<[]>;
/**
 * Smallest values along `dim` (values only; use `argmin` for positions): the dimension is dropped,
 * or kept with size 1 when `keepDim` is true. A negative `dim` counts from the end; an out-of-range `dim` throws a `ShapeError`.
 *
 * @example
 * ```ts
 * const x = randn([2, 3], rng(0));
 * const low = min(x); // Tensor<[]>
 * const colMin = min(x, 0, true); // Tensor<[1, 3]>
 * ```
 */
export function min<S extends Shape, const D extends number, const K extends boolean = false>(
  x: Tensor<S>,
  dim: D,
  keepDim?: K,
): Tensor<Reduce<S, D, K>>;
export function min(x: Tensor, dim?: number, keepDim = false): Tensor {
  return dim === undefined ? reduceAll("min", sym.dt_min_all, x) : reduceDim("min", sym.dt_amin, x, dim, keepDim);
}

/** Index (i64) of the largest element along `dim`. */
export function argmax<S extends Shape, const D extends number, const K extends boolean = false>(
  x: Tensor<S>,
  dim: D,
  keepDim?: K,
): Tensor<Reduce<S, D, K>> {
  return wrap(sym.dt_argmax(handleOf(x, "argmax"), axis(x.rank, dim, "argmax", x.shape), keepDim ? 1 : 0), "argmax");
}

/** Index (i64) of the smallest element along `dim`. */
export function argmin<S extends Shape, const D extends number, const K extends boolean = false>(
  x: Tensor<S>,
  dim: D,
  keepDim?: K,
): Tensor<Reduce<S, D, K>> {
  return wrap(sym.dt_argmin(handleOf(x, "argmin"), axis(x.rank, dim, "argmin", x.shape), keepDim ? 1 : 0), "argmin");
}

/** log(sum(exp(x))) along `dim`, computed stably. */
export function logsumexp<S extends Shape, const D extends number, const K extends boolean = false>(
  x: Tensor<S>,
  dim: D,
  keepDim?: K,
): Tensor<Reduce<S, D, K>> {
  return wrap(
    sym.dt_logsumexp(handleOf(x, "logsumexp"), axis(x.rank, dim, "logsumexp", x.shape), keepDim ? 1 : 0),
    "logsumexp",
  );
}

function floatOnly(x: Tensor, op: string): void {
  if (!isFloat(x.dtype)) throw new DTypeError(op, `needs a floating-point tensor, got ${x.dtype}`);
}

/**
 * Softmax along `dim`: exponentiates and normalizes so that every slice along `dim` sums to 1; the
 * shape is unchanged. Needs a floating-point tensor (throws a `DTypeError` otherwise).
 * A negative `dim` counts from the end; an out-of-range `dim` throws a `ShapeError`.
 *
 * @example
 * ```ts
 * const probs = softmax(randn([2, 5], rng(0)), -1); // Tensor<[2, 5]>, each row sums to 1
 * ```
 */
export function softmax<S extends Shape>(x: Tensor<S>, dim: number): Tensor<S> {
  floatOnly(x, "softmax");
  return wrap(sym.dt_softmax(handleOf(x, "softmax"), axis(x.rank, dim, "softmax", x.shape)), "softmax");
}

/**
 * log(softmax(x)) along `dim`, computed without the overflow or underflow of taking the two steps
 * separately; the shape is unchanged. Needs a floating-point tensor (throws a `DTypeError` otherwise).
 * A negative `dim` counts from the end; an out-of-range `dim` throws a `ShapeError`.
 *
 * @example
 * ```ts
 * const logProbs = logSoftmax(logits, -1); // logits: Tensor<["batch", "vocab"]>
 * ```
 */
export function logSoftmax<S extends Shape>(x: Tensor<S>, dim: number): Tensor<S> {
  floatOnly(x, "logSoftmax");
  return wrap(sym.dt_log_softmax(handleOf(x, "logSoftmax"), axis(x.rank, dim, "logSoftmax", x.shape)), "logSoftmax");
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
