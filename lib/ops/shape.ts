/** Reshaping, reordering, slicing, joining and indexing. */
import { DTypeError, ShapeError } from "../errors.ts";
import { sym } from "../../ffi/lib.ts";
import { dimsArg, int32Arg, int64Arg, sizesArg } from "../scratch.ts";
import {
  type Dim,
  type DropDim,
  formatShape,
  type InsertDim,
  type Permute,
  type SetDim,
  type Shape,
  type Sizes,
  type Transpose,
} from "../shape.ts";
import { handleList, handleOf, type Tensor, wrap } from "../tensor.ts";
import { axis, product, sameDevice } from "./check.ts";

/** A requested shape where -1 (inferred) reads as an unknown size. */
export type Reshaped<To extends Shape> = { -readonly [K in keyof To]: To[K] extends -1 ? number : To[K] };

function resolveSizes(from: readonly number[], to: readonly Dim[], op: string): number[] {
  const sizes = to.map((d) => {
    if (typeof d !== "number") throw new ShapeError(op, `sizes must be numbers at run time, got ${JSON.stringify(d)}`);
    return d;
  });
  const unknown = sizes.filter((d) => d === -1).length;
  if (unknown > 1) throw new ShapeError(op, `only one size may be -1, got ${formatShape(sizes)}`);
  const known = product(sizes.filter((d) => d !== -1));
  const total = product(from);
  if (unknown === 1) {
    if (known === 0 || total % known !== 0) {
      throw new ShapeError(op, `cannot reshape ${formatShape(from)} (${total} elements) into ${formatShape(sizes)}`);
    }
    return sizes.map((d) => d === -1 ? total / known : d);
  }
  if (known !== total) {
    throw new ShapeError(
      op,
      `cannot reshape ${formatShape(from)} (${total} elements) into ${formatShape(sizes)} (${known})`,
    );
  }
  return sizes;
}

/**
 * The same elements in a new shape; one size may be -1. Give the target shape as the type argument
 * to keep names: `reshape<["batch", "seq", 8, 64]>(x, [b, s, 8, 64])`.
 */
export function reshape<const To extends Shape>(x: Tensor, shape: Sizes<To>): Tensor<Reshaped<To>> {
  const sizes = resolveSizes(x.shape, shape as readonly Dim[], "reshape");
  return wrap(sym.dt_reshape(handleOf(x, "reshape"), sizesArg(sizes, "reshape"), sizes.length), "reshape");
}

/** Like `reshape` but never copies: fails when the memory layout does not allow a view. */
export function view<const To extends Shape>(x: Tensor, shape: Sizes<To>): Tensor<Reshaped<To>> {
  const sizes = resolveSizes(x.shape, shape as readonly Dim[], "view");
  return wrap(sym.dt_view(handleOf(x, "view"), sizesArg(sizes, "view"), sizes.length), "view");
}

/** Broadcasts size-1 dimensions to `shape` without copying (-1 keeps a size). */
export function expand<const To extends Shape>(x: Tensor, shape: Sizes<To>): Tensor<Reshaped<To>> {
  const sizes = shape as readonly number[];
  if (sizes.length < x.rank) {
    throw new ShapeError("expand", `cannot expand ${formatShape(x.shape)} to fewer dimensions ${formatShape(sizes)}`);
  }
  const offset = sizes.length - x.rank;
  x.shape.forEach((d, i) => {
    const to = sizes[offset + i];
    if (d !== 1 && to !== -1 && to !== d) {
      throw new ShapeError("expand", `cannot expand ${formatShape(x.shape)} to ${formatShape(sizes)}`);
    }
  });
  return wrap(sym.dt_expand(handleOf(x, "expand"), dimsArg(sizes, "expand"), sizes.length), "expand");
}

/**
 * Swaps dimensions `i` and `j` (negative indices count from the end), as a view that shares the
 * input's storage. An out-of-range dimension throws a `ShapeError`.
 *
 * @example
 * ```ts
 * const x = randn([2, 3, 4], rng(0));
 * const y = transpose(x, 1, 2); // Tensor<[2, 4, 3]>
 * const kT = transpose(k, -2, -1); // swap the last two dimensions
 * ```
 */
export function transpose<S extends Shape, const I extends number, const J extends number>(
  x: Tensor<S>,
  i: I,
  j: J,
): Tensor<Transpose<S, I, J>> {
  const a = axis(x.rank, i, "transpose", x.shape);
  const b = axis(x.rank, j, "transpose", x.shape);
  return wrap(sym.dt_transpose(handleOf(x, "transpose"), a, b), "transpose");
}

/** Reorders dimensions: `permute(x, [0, 2, 1, 3])`. */
export function permute<S extends Shape, const P extends readonly number[]>(
  x: Tensor<S>,
  order: P,
): Tensor<Permute<S, P>> {
  const op = "permute";
  if (order.length !== x.rank) {
    throw new ShapeError(
      op,
      `order ${formatShape(order)} must list each of the ${x.rank} dimensions of ${formatShape(x.shape)}`,
    );
  }
  const dims = order.map((d) => axis(x.rank, d, op, x.shape));
  if (new Set(dims).size !== dims.length) throw new ShapeError(op, `order ${formatShape(order)} repeats a dimension`);
  return wrap(sym.dt_permute(handleOf(x, op), dimsArg(dims, op), dims.length), op);
}

/** The same values laid out contiguously (no copy if they already are). */
export function contiguous<S extends Shape>(x: Tensor<S>): Tensor<S> {
  return wrap(sym.dt_contiguous(handleOf(x, "contiguous")), "contiguous");
}

/** Removes dimension `dim`, which must have size 1. */
export function squeeze<S extends Shape, const D extends number>(x: Tensor<S>, dim: D): Tensor<DropDim<S, D>> {
  const a = axis(x.rank, dim, "squeeze", x.shape);
  if (x.shape[a] !== 1) {
    throw new ShapeError("squeeze", `dimension ${dim} of ${formatShape(x.shape)} has size ${x.shape[a]}, not 1`);
  }
  return wrap(sym.dt_squeeze(handleOf(x, "squeeze"), a), "squeeze");
}

/** Inserts a dimension of size 1 at `dim` (negative counts from the end of the result). */
export function unsqueeze<S extends Shape, const D extends number>(x: Tensor<S>, dim: D): Tensor<InsertDim<S, D>> {
  const a = axis(x.rank + 1, dim, "unsqueeze", x.shape);
  return wrap(sym.dt_unsqueeze(handleOf(x, "unsqueeze"), a), "unsqueeze");
}

/** Elements start, start+step, ... < end along `dim` (negative start/end count from the end). */
export function slice<S extends Shape, const D extends number>(
  x: Tensor<S>,
  dim: D,
  start: number,
  end: number = Number.MAX_SAFE_INTEGER,
  step = 1,
): Tensor<SetDim<S, D, number>> {
  const a = axis(x.rank, dim, "slice", x.shape);
  if (int64Arg(step, "step", "slice") < 1) throw new RangeError(`slice: step must be a positive integer, got ${step}`);
  const from = int64Arg(start, "start", "slice"), to = int64Arg(end, "end", "slice");
  return wrap(sym.dt_slice(handleOf(x, "slice"), a, from, to, step), "slice");
}

function checkJoin(xs: readonly Tensor[], op: string, skip: number | null): void {
  if (xs.length === 0) throw new ShapeError(op, "needs at least one tensor");
  const first = xs[0];
  for (const t of xs) {
    sameDevice(first, t, op);
    const same = t.rank === first.rank && t.shape.every((d, i) => i === skip || d === first.shape[i]);
    if (!same) {
      const what = skip === null ? "the same shape" : `the same sizes except in dimension ${skip}`;
      throw new ShapeError(op, `tensors must have ${what}: got ${xs.map((x) => formatShape(x.shape)).join(", ")}`);
    }
  }
}

/** Joins tensors along an existing dimension. */
export function cat<S extends Shape, const D extends number>(
  xs: readonly Tensor<S>[],
  dim: D,
): Tensor<SetDim<S, D, number>> {
  if (xs.length === 0) throw new ShapeError("cat", "needs at least one tensor");
  const a = axis(xs[0].rank, dim, "cat", xs[0].shape);
  checkJoin(xs, "cat", a);
  return wrap(sym.dt_cat(handleList(xs, "cat"), xs.length, a), "cat");
}

/** Joins same-shaped tensors along a new dimension. */
export function stack<S extends Shape, const D extends number>(
  xs: readonly Tensor<S>[],
  dim: D,
): Tensor<InsertDim<S, D, number>> {
  if (xs.length === 0) throw new ShapeError("stack", "needs at least one tensor");
  const a = axis(xs[0].rank + 1, dim, "stack", xs[0].shape);
  checkJoin(xs, "stack", null);
  return wrap(sym.dt_stack(handleList(xs, "stack"), xs.length, a), "stack");
}

function checkIndex(index: Tensor, op: string): void {
  if (index.dtype !== "i64" && index.dtype !== "i32") {
    throw new DTypeError(op, `indices must be i64 or i32, got ${index.dtype}`);
  }
}

/** out[i][j] = x[i][index[i][j]] (for dim 1); the result has the index's shape. */
export function gather<I extends Shape>(x: Tensor, dim: number, index: Tensor<I>): Tensor<I> {
  const a = axis(x.rank, dim, "gather", x.shape);
  checkIndex(index, "gather");
  if (index.dtype !== "i64") throw new DTypeError("gather", `indices must be i64, got ${index.dtype}`);
  if (index.rank !== x.rank) {
    throw new ShapeError("gather", `index ${formatShape(index.shape)} must have the rank of x ${formatShape(x.shape)}`);
  }
  return wrap(sym.dt_gather(handleOf(x, "gather"), a, handleOf(index, "gather")), "gather");
}

/** The entries of `x` at `index` (1-D) along `dim`. */
export function indexSelect<S extends Shape, const D extends number, N extends Dim>(
  x: Tensor<S>,
  dim: D,
  index: Tensor<[N]>,
): Tensor<SetDim<S, D, N>> {
  const a = axis(x.rank, dim, "indexSelect", x.shape);
  checkIndex(index, "indexSelect");
  if (index.rank !== 1) throw new ShapeError("indexSelect", `index must be 1-D, got ${formatShape(index.shape)}`);
  return wrap(sym.dt_index_select(handleOf(x, "indexSelect"), a, handleOf(index, "indexSelect")), "indexSelect");
}

/** The lower triangle of the last two dimensions (diagonal `k` and below); the rest zero. */
export function tril<S extends Shape>(x: Tensor<S>, k = 0): Tensor<S> {
  if (x.rank < 2) throw new ShapeError("tril", `needs at least 2 dimensions, got ${formatShape(x.shape)}`);
  return wrap(sym.dt_tril(handleOf(x, "tril"), int32Arg(k, "k", "tril")), "tril");
}

/** The upper triangle of the last two dimensions (diagonal `k` and above); the rest zero. */
export function triu<S extends Shape>(x: Tensor<S>, k = 0): Tensor<S> {
  if (x.rank < 2) throw new ShapeError("triu", `needs at least 2 dimensions, got ${formatShape(x.shape)}`);
  return wrap(sym.dt_triu(handleOf(x, "triu"), int32Arg(k, "k", "triu")), "triu");
}
