/**
 * More reductions (issue 17): `prod`, `norm`, `all`, `any`, `median`, `mode`; scans along a
 * dimension (`cumsum`, `cumprod`, `logcumsumexp`); sorting and counting (`sort`, `argsort`,
 * `unique`). As in reduce.ts, a negative `dim` counts from the end, an out-of-range `dim` throws a
 * `ShapeError`, and a 0-dim tensor has no dimension to name. Results and their dtypes are torch's.
 *
 * @module
 */
import { fail, sym } from "../../ffi/lib.ts";
import { DTypeError, ShapeError } from "../errors.ts";
import type { Dim, Reduce, Shape, Tuple } from "../shape.ts";
import { formatShape } from "../shape.ts";
import { type Handle, handleOf, type Tensor, wrap, wrapAll } from "../tensor.ts";
import { isFloat } from "../dtype.ts";
import { axis } from "./check.ts";
import { dimsArg, pairOut } from "../scratch.ts";
import type { Reduction } from "./reduce.ts";

type Native1 = (x: Handle) => Handle | null;
type NativeAlong = (x: Handle, dim: number, keep: number) => Handle | null;

function reduction(op: string, all: Native1, along: NativeAlong): Reduction {
  return ((x: Tensor, dim?: number, keepDim = false) =>
    dim === undefined
      ? wrap(all(handleOf(x, op)), op)
      : wrap(along(handleOf(x, op), axis(x.rank, dim, op, x.shape), keepDim ? 1 : 0), op)) as Reduction;
}

function floatOnly(x: Tensor, op: string): void {
  if (!isFloat(x.dtype)) throw new DTypeError(op, `needs a floating-point tensor, got ${x.dtype}`);
}

// ---- reductions ----

/**
 * Product of all elements, or along `dim` (a {@linkcode Reduction}); integers and bool give i64.
 *
 * @example
 * ```ts
 * const p = prod(tensor([[1, 2], [3, 4]], [2, 2]), 1); // [2, 12]
 * ```
 */
export const prod: Reduction = reduction("prod", sym.dt_prod_all, sym.dt_prod);

/**
 * True when every element is non-zero, over all elements or along `dim` (a {@linkcode Reduction});
 * the result is bool.
 *
 * @example
 * ```ts
 * const rowsAllPositive = all(gt(x, 0), 1); // x: Tensor<[2, 3]> → bool Tensor<[2]>
 * ```
 */
export const all: Reduction = reduction("all", sym.dt_all_all, sym.dt_all);

/**
 * True when some element is non-zero, over all elements or along `dim` (a {@linkcode Reduction});
 * the result is bool.
 *
 * @example
 * ```ts
 * const anyNaN = any(isNaN(x)); // bool Tensor<[]>
 * ```
 */
export const any: Reduction = reduction("any", sym.dt_any_all, sym.dt_any);

/** The shape after reducing the dimensions `Ds` (negative ones count from the end): kept as size 1, or dropped. */
export type ReduceDims<S extends Shape, Ds extends readonly number[], Keep extends boolean> = number extends S["length"]
  ? Shape
  : number extends Ds["length"] ? Shape
  : ReduceAt<S, AxisOf<S["length"], Ds[number]>, Keep>;
/** The non-negative index of each dimension in the union `D`, for a shape of rank `N`. */
export type AxisOf<N extends number, D> = D extends number
  ? `${D}` extends `-${infer M extends number}` ? Tuple<N> extends [...Tuple<M>, ...infer R] ? R["length"] : never
  : D
  : never;
/** `S` with the dimensions whose indices are in the union `A` kept as 1 (`Keep`) or dropped (the worker behind `ReduceDims`). */
export type ReduceAt<S extends Shape, A, Keep extends boolean, I extends unknown[] = [], Acc extends Dim[] = []> =
  S extends readonly [infer H extends Dim, ...infer R extends Shape] ? ReduceAt<
      R,
      A,
      Keep,
      [...I, unknown],
      I["length"] extends A ? (Keep extends true ? [...Acc, 1] : Acc) : [...Acc, H]
    >
    : Acc;
/** `S` with every dimension 1: a reduction over all elements that keeps the dimensions. */
export type KeepAll<S extends Shape> = number extends S["length"] ? Shape : { -readonly [K in keyof S]: 1 };

/** The order of `norm`: a p-norm for a number p (±Infinity: the largest or smallest |x|), or Frobenius. */
export type NormOrder = number | "fro";

/** `norm`: over all elements, along one dimension, or along several. */
export interface Norm {
  /** The norm of all elements (`keepDim`: with every dimension kept as size 1). */
  <S extends Shape, const K extends boolean = false>(
    x: Tensor<S>,
    p?: NormOrder,
    dim?: undefined,
    keepDim?: K,
  ): Tensor<K extends true ? KeepAll<S> : []>;
  /** The norm of each slice along `dim`. */
  <S extends Shape, const D extends number, const K extends boolean = false>(
    x: Tensor<S>,
    p: NormOrder,
    dim: D,
    keepDim?: K,
  ): Tensor<Reduce<S, D, K>>;
  /** The norm over the dimensions `dim` (at most 2 for "fro", as torch). */
  <S extends Shape, const D extends readonly number[], const K extends boolean = false>(
    x: Tensor<S>,
    p: NormOrder,
    dim: D,
    keepDim?: K,
  ): Tensor<ReduceDims<S, D, K>>;
}

/**
 * The vector p-norm (sum |x|ᵖ)^(1/p), or the Frobenius norm ("fro", the default: the 2-norm of the
 * elements), of all elements or over `dim` (one or several dimensions), as torch.norm. Needs a
 * floating-point tensor.
 *
 * @example
 * ```ts
 * const rowNorms = norm(x, 2, -1, true); // x: Tensor<[4, 3]> → Tensor<[4, 1]>
 * ```
 */
export const norm: Norm = ((x: Tensor, p: NormOrder = "fro", dim?: number | readonly number[], keepDim = false) => {
  const op = "norm";
  floatOnly(x, op);
  if (p !== "fro" && typeof p !== "number") throw new RangeError(`norm: p must be a number or "fro", got ${p}`);
  const listed = dim === undefined ? null : typeof dim === "number" ? [dim] : [...dim];
  const dims = (listed ?? x.shape.map((_, i) => i)).map((d) => axis(x.rank, d, op, x.shape));
  if (new Set(dims).size !== dims.length) {
    throw new ShapeError(op, `dimensions ${formatShape(listed ?? [])} name one dimension twice`);
  }
  const keep = keepDim ? 1 : 0;
  if (p === "fro") {
    if (listed !== null && dims.length > 2) {
      throw new ShapeError(op, `p "fro" reduces at most 2 dimensions, got ${formatShape(listed ?? [])}`);
    }
    // torch.norm of all elements is frobenius_norm over no dims (all of them), of the same shape.
    const over = listed === null ? [] : dims;
    return wrap(sym.dt_frobenius_norm(handleOf(x, op), dimsArg(over, op, "dim"), over.length, keep), op);
  }
  return wrap(sym.dt_norm(handleOf(x, op), p, dimsArg(dims, op, "dim"), dims.length, keep), op);
}) as Norm;

// ---- scans ----

/** The signature shared by `cumsum`, `cumprod` and `logcumsumexp`: a running reduction along `dim`, same shape. */
export type Scan = <S extends Shape>(x: Tensor<S>, dim: number) => Tensor<S>;

function scan(op: string, fn: (x: Handle, dim: number) => Handle | null, float = false): Scan {
  return (<S extends Shape>(x: Tensor<S>, dim: number) => {
    if (float) floatOnly(x, op);
    return wrap<S>(fn(handleOf(x, op), axis(x.rank, dim, op, x.shape)), op);
  }) as Scan;
}

/**
 * Running sum along `dim` (a {@linkcode Scan}); integers and bool give i64.
 *
 * @example
 * ```ts
 * const c = cumsum(tensor([1, 2, 3]), 0); // [1, 3, 6]
 * ```
 */
export const cumsum: Scan = scan("cumsum", sym.dt_cumsum);
/**
 * Running product along `dim` (a {@linkcode Scan}); integers and bool give i64.
 *
 * @example
 * ```ts
 * const c = cumprod(tensor([1, 2, 3]), 0); // [1, 2, 6]
 * ```
 */
export const cumprod: Scan = scan("cumprod", sym.dt_cumprod);
/**
 * Running log(sum(exp(x))) along `dim`, computed stably (a {@linkcode Scan}); needs a float tensor.
 *
 * @example
 * ```ts
 * const c = logcumsumexp(tensor([0, 0]), 0); // [0, log 2]
 * ```
 */
export const logcumsumexp: Scan = scan("logcumsumexp", sym.dt_logcumsumexp, true);

// ---- sorting ----

/** Options of `sort` and `argsort`. */
export interface SortOptions {
  /** Largest first. Default false. */
  descending?: boolean;
  /** Equal elements keep their order. Default false (torch's; ties may then come in any order). */
  stable?: boolean;
}

/** Values along a dimension with their positions (i64), both of one shape. */
export interface ValuesIndices<S extends Shape> {
  /** The values. */
  values: Tensor<S>;
  /** Where each value sits along the dimension, as i64. */
  indices: Tensor<S>;
}

function pair<S extends Shape>(status: number, op: string): ValuesIndices<S> {
  if (status !== 0) fail(op);
  const [values, indices] = wrapAll(pairOut, op) as Tensor<S>[];
  return { values, indices };
}

/**
 * The elements sorted along `dim` (default the last), smallest first unless `descending`, with the
 * positions they came from (NaN sorts as the largest). With ties, `stable: true` keeps them in order.
 *
 * @example
 * ```ts
 * const { values, indices } = sort(tensor([3, 1, 2]), 0); // [1, 2, 3], [1, 2, 0]
 * ```
 */
export function sort<S extends Shape>(x: Tensor<S>, dim = -1, options: SortOptions = {}): ValuesIndices<S> {
  const op = "sort";
  const a = axis(x.rank, dim, op, x.shape);
  const { descending = false, stable = false } = options;
  return pair(sym.dt_sort(handleOf(x, op), a, descending ? 1 : 0, stable ? 1 : 0, pairOut), op);
}

/**
 * The positions (i64) that sort `x` along `dim` (default the last): `sort(...).indices`.
 *
 * @example
 * ```ts
 * const order = argsort(tensor([3, 1, 2]), 0, { descending: true }); // [0, 2, 1]
 * ```
 */
export function argsort<S extends Shape>(x: Tensor<S>, dim = -1, options: SortOptions = {}): Tensor<S> {
  const op = "argsort";
  const a = axis(x.rank, dim, op, x.shape);
  const { descending = false, stable = false } = options;
  return wrap(sym.dt_argsort(handleOf(x, op), a, descending ? 1 : 0, stable ? 1 : 0), op);
}

/** `median`: of all elements, or along a dimension with the positions of the medians. */
export interface Median {
  /** The lower median of all elements (NaN for an empty tensor). */
  <S extends Shape>(x: Tensor<S>): Tensor<[]>;
  /** The lower median of each slice along `dim` and where it sits (an i64 position along `dim`). */
  <S extends Shape, const D extends number, const K extends boolean = false>(
    x: Tensor<S>,
    dim: D,
    keepDim?: K,
  ): ValuesIndices<Reduce<S, D, K>>;
}

function nonEmptyAlong(x: Tensor, a: number, op: string): void {
  if (x.shape[a] === 0) {
    throw new ShapeError(op, `dimension ${a} of ${formatShape(x.shape)} is empty: it has no ${op}`);
  }
}

/**
 * The lower median (of an even count, the smaller of the two middle values) of all elements as a
 * 0-dim tensor, or of each slice along `dim` with its position, as torch.median.
 *
 * @example
 * ```ts
 * const m = median(tensor([4, 1, 3, 2])); // 2
 * const { values, indices } = median(x, 1); // x: Tensor<[2, 5]> → Tensor<[2]> twice
 * ```
 */
export const median: Median = ((x: Tensor, dim?: number, keepDim = false) => {
  const op = "median";
  if (dim === undefined) return wrap(sym.dt_median_all(handleOf(x, op)), op);
  const a = axis(x.rank, dim, op, x.shape);
  nonEmptyAlong(x, a, op);
  return pair(sym.dt_median(handleOf(x, op), a, keepDim ? 1 : 0, pairOut), op);
}) as Median;

/**
 * The most frequent value of each slice along `dim` (default the last; of several, the smallest)
 * and a position where it occurs, as torch.mode.
 *
 * @example
 * ```ts
 * const { values } = mode(tensor([1, 2, 2, 3]), 0); // 2
 * ```
 */
export function mode<S extends Shape, const D extends number = -1, const K extends boolean = false>(
  x: Tensor<S>,
  dim: D = -1 as D,
  keepDim: K = false as K,
): ValuesIndices<Reduce<S, D, K>> {
  const op = "mode";
  const a = axis(x.rank, dim, op, x.shape);
  nonEmptyAlong(x, a, op);
  return pair(sym.dt_mode(handleOf(x, op), a, keepDim ? 1 : 0, pairOut), op);
}

// ---- unique ----

/** The result of `unique`: the distinct values and how often each occurs, and with `inverse`, where each element went. */
export type Unique<S extends Shape, I extends boolean> =
  & {
    /** The distinct values, sorted (a 1-D tensor whose length depends on the data). */
    values: Tensor<[number]>;
    /** How often each value occurs (i64), in the order of `values`. */
    counts: Tensor<[number]>;
  }
  & (I extends true ? {
      /** For each element of x, the position of its value in `values` (i64, x's shape). */
      inverse: Tensor<S>;
    }
    : unknown);

const tripleOut = new BigUint64Array(3);

/**
 * The sorted distinct values of `x` (all its elements), with their counts and, with
 * `{ inverse: true }`, each element's position among them: torch.unique(x, return_counts=True,
 * return_inverse=...).
 *
 * @example
 * ```ts
 * const { values, counts, inverse } = unique(tensor([3, 1, 3]), { inverse: true }); // [1, 3], [1, 2], [1, 0, 1]
 * ```
 */
export function unique<S extends Shape, const I extends boolean = false>(
  x: Tensor<S>,
  options: { inverse?: I } = {},
): Unique<S, I> {
  const op = "unique";
  const inverse = options.inverse === true;
  const slots = inverse ? tripleOut : pairOut;
  if (sym.dt_unique(handleOf(x, op), inverse ? 1 : 0, slots) !== 0) fail(op);
  const [values, counts, positions] = wrapAll(slots, op);
  return (inverse ? { values, counts, inverse: positions } : { values, counts }) as Unique<S, I>;
}
