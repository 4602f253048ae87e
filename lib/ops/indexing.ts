/**
 * Indexing ops (issue 17): scatter/scatterAdd/scatterReduce, indexAdd/indexFill/indexPut, take,
 * takeAlongDim, nonzero, maskedSelect, oneHot. A negative `dim` counts from the end and an
 * out-of-range one throws a `ShapeError`. Index tensors are i64 (`indexAdd` takes i32 too, as torch);
 * an index value out of range is a `TorchError` naming the op, checked before any kernel runs on CUDA
 * (`take`, `indexFill` and `indexPut` read a negative index from the end, as torch does).
 *
 * @module
 */
import { sym } from "../../ffi/lib.ts";
import { DTypeError, ShapeError } from "../errors.ts";
import { int64Arg } from "../scratch.ts";
import { type Axis, type BroadcastDim, formatShape, type Shape } from "../shape.ts";
import { handleList, handleOf, type Tensor, wrap } from "../tensor.ts";
import { axis, broadcastShapes, sameDevice } from "./check.ts";

function i64Index(index: Tensor, op: string, name = "index"): void {
  if (index.dtype !== "i64") throw new DTypeError(op, `${name} must be an i64 tensor, got ${index.dtype}`);
}

function sameDType(x: Tensor, other: Tensor, op: string, name: string): void {
  if (other.dtype !== x.dtype) throw new DTypeError(op, `${name} must have x's dtype ${x.dtype}, got ${other.dtype}`);
}

/**
 * The rules scatter-like ops share: an i64 index of x's rank, no larger than x off `dim` and than
 * `src` everywhere; `src` of x's rank and dtype. Returns the normalized dim.
 */
function scatterArgs(x: Tensor, dim: number, index: Tensor, src: Tensor | null, op: string): number {
  const a = axis(x.rank, dim, op, x.shape);
  i64Index(index, op);
  sameDevice(x, index, op);
  const fits = (t: Tensor, skip: number) => index.shape.every((d, i) => i === skip || d <= t.shape[i]);
  if (index.rank !== x.rank || !fits(x, a)) {
    throw new ShapeError(
      op,
      `index ${formatShape(index.shape)} must have the rank of x ${
        formatShape(x.shape)
      } and no larger sizes off dim ${dim}`,
    );
  }
  if (src !== null) {
    sameDevice(x, src, op);
    sameDType(x, src, op, "src");
    if (src.rank !== x.rank || !fits(src, -1)) {
      throw new ShapeError(
        op,
        `src ${formatShape(src.shape)} must have the rank of x and be at least as large as index ${
          formatShape(index.shape)
        }`,
      );
    }
  }
  return a;
}

/**
 * A copy of `x` with `src`'s values (or the number `src`) written where `index` says along `dim`:
 * out[i][index[i][j]] = src[i][j] for dim 1, as `torch.scatter`. Where `index` repeats a position the
 * value written is any of those for it.
 *
 * @example
 * ```ts
 * const y = scatter(zeros([2, 3]), 1, tensor([[2], [0]], [2, 1], { dtype: "i64" }), 1); // [[0, 0, 1], [1, 0, 0]]
 * ```
 */
export function scatter<S extends Shape>(x: Tensor<S>, dim: number, index: Tensor, src: Tensor | number): Tensor<S> {
  const op = "scatter";
  if (typeof src === "number") {
    const a = scatterArgs(x, dim, index, null, op);
    return wrap(sym.dt_scatter_value(handleOf(x, op), a, handleOf(index, op), src), op);
  }
  const a = scatterArgs(x, dim, index, src, op);
  return wrap(sym.dt_scatter(handleOf(x, op), a, handleOf(index, op), handleOf(src, op)), op);
}

/**
 * A copy of `x` with `src`'s values added where `index` says along `dim` (repeated positions add up),
 * as `torch.scatter_add`.
 *
 * @example
 * ```ts
 * const counts = scatterAdd(zeros([3]), 0, tensor([0, 2, 2], [3], { dtype: "i64" }), ones([3])); // [1, 0, 2]
 * ```
 */
export function scatterAdd<S extends Shape>(x: Tensor<S>, dim: number, index: Tensor, src: Tensor): Tensor<S> {
  const op = "scatterAdd";
  const a = scatterArgs(x, dim, index, src, op);
  return wrap(sym.dt_scatter_add(handleOf(x, op), a, handleOf(index, op), handleOf(src, op)), op);
}

/** How `scatterReduce` combines the values that land on one position. */
export type ScatterReduction = "sum" | "prod" | "mean" | "amax" | "amin";
const REDUCTIONS: readonly ScatterReduction[] = ["sum", "prod", "mean", "amax", "amin"];

/**
 * A copy of `x` where each position that `index` names along `dim` holds the reduction of the `src`
 * values sent there, with x's own value among them unless `includeSelf` is false, as
 * `torch.scatter_reduce`. Positions nothing is sent to keep x's value.
 *
 * @example
 * ```ts
 * const m = scatterReduce(zeros([2]), 0, tensor([0, 0, 1], [3], { dtype: "i64" }), tensor([3, 5, 2], [3]), "amax"); // [5, 2]
 * ```
 */
export function scatterReduce<S extends Shape>(
  x: Tensor<S>,
  dim: number,
  index: Tensor,
  src: Tensor,
  reduce: ScatterReduction,
  options: { includeSelf?: boolean } = {},
): Tensor<S> {
  const op = "scatterReduce";
  const code = REDUCTIONS.indexOf(reduce);
  if (code < 0) throw new RangeError(`${op}: reduce must be one of ${REDUCTIONS.join(", ")}, got ${reduce}`);
  const a = scatterArgs(x, dim, index, src, op);
  const self = options.includeSelf === false ? 0 : 1;
  return wrap(sym.dt_scatter_reduce(handleOf(x, op), a, handleOf(index, op), handleOf(src, op), code, self), op);
}

/** A 1-D index along `dim` of `x` (i64, or i32 where `int32` allows): the shared check of the index_* ops. */
function vectorIndex(x: Tensor, dim: number, index: Tensor, op: string, int32: boolean): number {
  const a = axis(x.rank, dim, op, x.shape);
  if (index.dtype !== "i64" && !(int32 && index.dtype === "i32")) {
    throw new DTypeError(op, `index must be an i64${int32 ? " or i32" : ""} tensor, got ${index.dtype}`);
  }
  if (index.rank !== 1) throw new ShapeError(op, `index must be 1-D, got ${formatShape(index.shape)}`);
  sameDevice(x, index, op);
  return a;
}

/**
 * A copy of `x` with `alpha` × the slices of `source` added at the positions `index` (1-D, i64 or
 * i32) lists along `dim`, as `torch.index_add`; `source` is x's shape with `dim` of index's length.
 *
 * @example
 * ```ts
 * const y = indexAdd(zeros([3, 2]), 0, tensor([0, 2], [2], { dtype: "i64" }), ones([2, 2])); // rows 0 and 2 are 1
 * ```
 */
export function indexAdd<S extends Shape>(
  x: Tensor<S>,
  dim: number,
  index: Tensor,
  source: Tensor,
  alpha = 1,
): Tensor<S> {
  const op = "indexAdd";
  const a = vectorIndex(x, dim, index, op, true);
  sameDevice(x, source, op);
  sameDType(x, source, op, "source");
  const want = x.shape.map((d, i) => (i === a ? index.shape[0] : d));
  if (source.rank !== x.rank || source.shape.some((d, i) => d !== want[i])) {
    throw new ShapeError(
      op,
      `source must be ${formatShape(want)} (x with dim ${dim} of index's length), got ${formatShape(source.shape)}`,
    );
  }
  if (typeof alpha !== "number") throw new TypeError(`${op}: alpha must be a number`);
  return wrap(sym.dt_index_add(handleOf(x, op), a, handleOf(index, op), handleOf(source, op), alpha), op);
}

/**
 * A copy of `x` with the slices at the positions `index` (1-D i64; negative counts from the end)
 * lists along `dim` set to `value`, as `torch.index_fill`.
 *
 * @example
 * ```ts
 * const y = indexFill(zeros([2, 3]), 1, tensor([0, -1], [2], { dtype: "i64" }), 7); // [[7, 0, 7], [7, 0, 7]]
 * ```
 */
export function indexFill<S extends Shape>(x: Tensor<S>, dim: number, index: Tensor, value: number): Tensor<S> {
  const op = "indexFill";
  const a = vectorIndex(x, dim, index, op, false);
  if (typeof value !== "number") throw new TypeError(`${op}: value must be a number`);
  return wrap(sym.dt_index_fill(handleOf(x, op), a, handleOf(index, op), value), op);
}

/**
 * A copy of `x` with `values` written at x[indices[0], indices[1], ...] (as Python's
 * `x[i, j] = values`), as `torch.index_put`: the i64 index tensors broadcast together, one per leading
 * dimension (negative counts from the end), and `values` broadcasts to the positions they select.
 * `accumulate` adds instead of writing (and then repeated positions add up; without it, a repeated
 * position gets any of its values).
 *
 * @example
 * ```ts
 * const y = indexPut(zeros([2, 2]), [tensor([0, 1], [2], { dtype: "i64" }), tensor([1, 0], [2], { dtype: "i64" })], ones([2])); // [[0, 1], [1, 0]]
 * ```
 */
export function indexPut<S extends Shape>(
  x: Tensor<S>,
  indices: readonly Tensor[],
  values: Tensor,
  accumulate = false,
): Tensor<S> {
  const op = "indexPut";
  if (!Array.isArray(indices) || indices.length === 0 || indices.length > x.rank) {
    throw new ShapeError(op, `needs 1 to ${x.rank} index tensors for x ${formatShape(x.shape)}`);
  }
  indices.forEach((t, i) => {
    i64Index(t, op, `indices[${i}]`);
    sameDevice(x, t, op);
  });
  sameDevice(x, values, op);
  sameDType(x, values, op, "values");
  const picked = indices.reduce((s, t) => broadcastShapes(s, t.shape, op), [] as number[]);
  const target = [...picked, ...x.shape.slice(indices.length)];
  const reach = broadcastShapes(values.shape, target, op);
  if (reach.length !== target.length || reach.some((d, i) => d !== target[i])) {
    throw new ShapeError(op, `values ${formatShape(values.shape)} do not broadcast to ${formatShape(target)}`);
  }
  const list = handleList(indices, op);
  return wrap(sym.dt_index_put(handleOf(x, op), list, indices.length, handleOf(values, op), accumulate ? 1 : 0), op);
}

/**
 * The elements of `x` read as if flattened, at `index` (i64; negative counts from the end), as
 * `torch.take`: the result has the index's shape.
 *
 * @example
 * ```ts
 * const y = take(arange(6), tensor([[0, 5]], [1, 2], { dtype: "i64" })); // Tensor<[1, 2]> [[0, 5]]
 * ```
 */
export function take<I extends Shape>(x: Tensor, index: Tensor<I>): Tensor<I> {
  const op = "take";
  i64Index(index, op);
  sameDevice(x, index, op);
  return wrap(sym.dt_take(handleOf(x, op), handleOf(index, op)), op);
}

/** The shape `takeAlongDim(x, indices, dim)` returns: the broadcast of both, with `dim` from the indices. */
export type TakeAlongDim<S extends Shape, I extends Shape, D extends number> = number extends
  S["length"] | I["length"] | D ? Shape
  : { -readonly [K in keyof S]: K extends `${Axis<S, D>}` ? I[K & keyof I] : BroadcastDim<S[K], I[K & keyof I]> };

/**
 * The values of `x` at `indices` along `dim`, as `torch.take_along_dim` (what `argsort` or `topk`
 * indices pick out): `x` and `indices` have one rank and broadcast off `dim`. Without `dim`, both are
 * read flattened.
 *
 * @example
 * ```ts
 * const top = takeAlongDim(x, topk(x, 2, 1).indices, 1); // x: Tensor<[4, 5]> gives Tensor<[4, 2]>
 * ```
 */
export function takeAlongDim<S extends Shape, I extends Shape, const D extends number | undefined = undefined>(
  x: Tensor<S>,
  indices: Tensor<I>,
  dim?: D,
): Tensor<D extends number ? TakeAlongDim<S, I, D> : [number]> {
  const op = "takeAlongDim";
  i64Index(indices, op, "indices");
  sameDevice(x, indices, op);
  if (dim === undefined) return wrap(sym.dt_take_along_dim(handleOf(x, op), handleOf(indices, op), 0, 0), op);
  const a = axis(x.rank, dim, op, x.shape);
  const fits = indices.rank === x.rank &&
    x.shape.every((d, i) => i === a || d === indices.shape[i] || d === 1 || indices.shape[i] === 1);
  if (!fits) {
    throw new ShapeError(
      op,
      `indices ${formatShape(indices.shape)} must have the rank of x ${
        formatShape(x.shape)
      } and broadcast with it off dim ${dim}`,
    );
  }
  return wrap(sym.dt_take_along_dim(handleOf(x, op), handleOf(indices, op), 1, a), op);
}

/**
 * The positions of the non-zero (true) elements of `x`, one row of `rank` i64 coordinates each in
 * row-major order, as `torch.nonzero`: how many rows depends on the data.
 *
 * @example
 * ```ts
 * const at = nonzero(tensor([0, 3, 0, 4], [2, 2])); // Tensor<[number, 2]> [[0, 1], [1, 1]]
 * ```
 */
export function nonzero<S extends Shape>(
  x: Tensor<S>,
): Tensor<[number, number extends S["length"] ? number : S["length"]]> {
  return wrap(sym.dt_nonzero(handleOf(x, "nonzero")), "nonzero");
}

/**
 * The elements of `x` where the bool `mask` (broadcast with x) is true, in row-major order, as a 1-D
 * tensor whose length depends on the data, as `torch.masked_select`.
 *
 * @example
 * ```ts
 * const picked = maskedSelect(x, gt(x, 0)); // Tensor<[number]>, the positive elements
 * ```
 */
export function maskedSelect(x: Tensor, mask: Tensor): Tensor<[number]> {
  const op = "maskedSelect";
  if (mask.dtype !== "bool") throw new DTypeError(op, `mask must be a bool tensor, got ${mask.dtype}`);
  broadcastShapes(x.shape, mask.shape, op);
  sameDevice(x, mask, op);
  return wrap(sym.dt_masked_select(handleOf(x, op), handleOf(mask, op)), op);
}

/**
 * i64 one-hot rows for i64 class indices, as `torch.nn.functional.one_hot`: a last dimension of
 * `numClasses` (by default, -1, the largest class + 1) with 1 at each class. A class outside
 * [0, numClasses) is a `TorchError`.
 *
 * @example
 * ```ts
 * const y = oneHot(tensor([0, 2], [2], { dtype: "i64" }), 3); // Tensor<[2, 3]> [[1, 0, 0], [0, 0, 1]]
 * ```
 */
export function oneHot<S extends Shape, const C extends number = -1>(
  x: Tensor<S>,
  numClasses: C = -1 as C,
): Tensor<number extends S["length"] ? Shape : [...S, C extends -1 ? number : C]> {
  const op = "oneHot";
  if (x.dtype !== "i64") throw new DTypeError(op, `class indices must be an i64 tensor, got ${x.dtype}`);
  if (int64Arg(numClasses, "numClasses", op) < -1) {
    throw new RangeError(`${op}: numClasses must be -1 (inferred) or a count, got ${numClasses}`);
  }
  if (numClasses === -1 && x.size === 0) {
    throw new ShapeError(op, `cannot infer numClasses from an empty tensor ${formatShape(x.shape)}`);
  }
  return wrap(sym.dt_one_hot(handleOf(x, op), numClasses), op);
}
