/** Reductions and normalizations along a dimension. */
import { fail, sym } from "../../ffi/lib.ts";
import { DTypeError } from "../../ffi/errors.ts";
import type { Reduce, SetDim, Shape } from "../shape.ts";
import { h, type Handle, type Tensor, wrap, wrapDescribed } from "../tensor.ts";
import { isFloat } from "../dtype.ts";
import { axis } from "./check.ts";
import { dimArg, dimsArg, pairOut } from "../scratch.ts";

type DimsNative = (x: Handle, dims: Float64Array, n: number, keep: number) => Handle | null;

function reduceAll(op: string, fn: (x: Handle) => Handle | null, x: Tensor): Tensor<[]> {
  return wrap(fn(h(x, op)), op);
}

function reduceDim(op: string, fn: DimsNative, x: Tensor, dim: number, keepDim: boolean): Tensor {
  const a = axis(x.rank, dim, op, x.shape);
  return wrap(fn(h(x, op), dimArg(a), 1, keepDim ? 1 : 0), op);
}

/** Sum of all elements, or along `dim` (kept as size 1 with `keepDim`). */
export function sum<S extends Shape>(x: Tensor<S>): Tensor<[]>;
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
export function mean<S extends Shape, const D extends number, const K extends boolean = false>(
  x: Tensor<S>,
  dim: D,
  keepDim?: K,
): Tensor<Reduce<S, D, K>>;
export function mean(x: Tensor, dim?: number, keepDim = false): Tensor {
  return dim === undefined ? reduceAll("mean", sym.dt_mean_all, x) : reduceDim("mean", sym.dt_mean, x, dim, keepDim);
}

export interface VarianceOptions<K extends boolean> {
  /** Divide by n - 1 (Bessel's correction, PyTorch's default) rather than n. */
  unbiased?: boolean;
  keepDim?: K;
}

function variance(op: string, fn: typeof sym.dt_std, x: Tensor, dim: number | undefined, o: VarianceOptions<boolean>) {
  const dims = dim === undefined ? x.shape.map((_, i) => i) : [axis(x.rank, dim, op, x.shape)];
  const unbiased = o.unbiased ?? true;
  return wrap(fn(h(x, op), dimsArg(dims, op), dims.length, unbiased ? 1 : 0, o.keepDim ? 1 : 0), op);
}

/** Standard deviation (unbiased unless `{ unbiased: false }`) of all elements or along `dim`. */
export function std<S extends Shape, const D extends number, const K extends boolean = false>(
  x: Tensor<S>,
  dim: D,
  options?: VarianceOptions<K>,
): Tensor<Reduce<S, D, K>>;
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
export function variance_<S extends Shape>(x: Tensor<S>, dim?: undefined, options?: VarianceOptions<false>): Tensor<[]>;
export function variance_(x: Tensor, dim?: number, options: VarianceOptions<boolean> = {}): Tensor {
  return variance("var", sym.dt_var, x, dim, options);
}
export { variance_ as var_ };

/** Largest element, or largest along `dim`. */
export function max<S extends Shape>(x: Tensor<S>): Tensor<[]>;
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
  return wrap(sym.dt_argmax(h(x, "argmax"), axis(x.rank, dim, "argmax", x.shape), keepDim ? 1 : 0), "argmax");
}

/** Index (i64) of the smallest element along `dim`. */
export function argmin<S extends Shape, const D extends number, const K extends boolean = false>(
  x: Tensor<S>,
  dim: D,
  keepDim?: K,
): Tensor<Reduce<S, D, K>> {
  return wrap(sym.dt_argmin(h(x, "argmin"), axis(x.rank, dim, "argmin", x.shape), keepDim ? 1 : 0), "argmin");
}

/** log(sum(exp(x))) along `dim`, computed stably. */
export function logsumexp<S extends Shape, const D extends number, const K extends boolean = false>(
  x: Tensor<S>,
  dim: D,
  keepDim?: K,
): Tensor<Reduce<S, D, K>> {
  return wrap(
    sym.dt_logsumexp(h(x, "logsumexp"), axis(x.rank, dim, "logsumexp", x.shape), keepDim ? 1 : 0),
    "logsumexp",
  );
}

function floatOnly(x: Tensor, op: string): void {
  if (!isFloat(x.dtype)) throw new DTypeError(op, `needs a floating-point tensor, got ${x.dtype}`);
}

export function softmax<S extends Shape>(x: Tensor<S>, dim: number): Tensor<S> {
  floatOnly(x, "softmax");
  return wrap(sym.dt_softmax(h(x, "softmax"), axis(x.rank, dim, "softmax", x.shape)), "softmax");
}

export function logSoftmax<S extends Shape>(x: Tensor<S>, dim: number): Tensor<S> {
  floatOnly(x, "logSoftmax");
  return wrap(sym.dt_log_softmax(h(x, "logSoftmax"), axis(x.rank, dim, "logSoftmax", x.shape)), "logSoftmax");
}

export interface TopK<S extends Shape> {
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
  const out = pairOut;
  const status = sym.dt_topk(h(x, op), k, a, options.largest === false ? 0 : 1, options.sorted === false ? 0 : 1, out);
  if (status !== 0) fail(op);
  const values = wrapDescribed<SetDim<S, D, K>>(Deno.UnsafePointer.create(out[0])!, op);
  const indices = wrapDescribed<SetDim<S, D, K>>(Deno.UnsafePointer.create(out[1])!, op);
  return { values, indices };
}
