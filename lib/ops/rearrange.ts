/**
 * Rearranging ops (issue 17): flatten/unflatten, split/chunk/unbind, flip/roll, repeat/tile,
 * repeatInterleave, pad, movedim, narrow, diag/diagonal, broadcastTo, meshgrid. In every op here a
 * negative dim counts from the end and an out-of-range dim throws a `ShapeError`; a number that is
 * not a valid integer throws a `RangeError` naming the argument.
 *
 * @module
 */
import { fail, sym } from "../../ffi/lib.ts";
import { DTypeError, ShapeError } from "../errors.ts";
import { dimsArg, int32Arg, int64Arg, sizesArg } from "../scratch.ts";
import {
  type Axis,
  type Check,
  type Dim,
  type DropAt,
  type DropDim,
  type FormatShape,
  formatShape,
  type InsertAt,
  type SameDim,
  type SetDim,
  type Shape,
  type Tuple,
} from "../shape.ts";
import { handleList, handleOf, type Tensor, wrap, wrapAll } from "../tensor.ts";
import { axis, product, sameDevice } from "./check.ts";

// ---- type-level helpers ----

/** The first `N` dimensions of `S`. */
export type TakeDims<S extends Shape, N, Acc extends Dim[] = []> = Acc["length"] extends N ? Acc
  : S extends readonly [infer H extends Dim, ...infer R extends Shape] ? TakeDims<R, N, [...Acc, H]>
  : Acc;
/** `S` without its first `N` dimensions. */
export type SkipDims<S extends Shape, N, Count extends unknown[] = []> = Count["length"] extends N ? [...S]
  : S extends readonly [Dim, ...infer R extends Shape] ? SkipDims<R, N, [...Count, unknown]>
  : [];
/** `N + 1` for a small non-negative literal (an index one past `N`). */
export type NextIndex<N extends number> = [...Tuple<N>, unknown]["length"];
/** One decimal digit, as text. */
export type SizeDigit = "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9";
/** A size literal of at most two digits: small enough to multiply or add with tuples at the type level. */
export type SmallSize<N> = N extends number ? (`${N}` extends SizeDigit | `${SizeDigit}${SizeDigit}` ? true : false)
  : false;
/** `T` repeated `B` times, end to end (the worker behind `MulDims`). */
export type RepeatTuple<T extends unknown[], B extends number, Acc extends unknown[] = [], I extends unknown[] = []> =
  I["length"] extends B ? Acc : RepeatTuple<T, B, [...Acc, ...T], [...I, unknown]>;
/** `A × B` for small size literals, else `number` (a name or a large size has no product at the type level). */
export type MulDims<A, B> = A extends 1 ? B : B extends 1 ? A
: [SmallSize<A>, SmallSize<B>] extends [true, true]
  ? RepeatTuple<Tuple<A & number>, B & number> extends infer T extends unknown[] ? T["length"] : number
: number;
/** The product of a shape's dimensions, as far as `MulDims` can tell. */
export type ProductDims<S extends Shape, Acc = 1> = S extends readonly [infer H, ...infer R extends Shape]
  ? ProductDims<R, MulDims<Acc, H>>
  : Acc extends Dim ? Acc
  : number;
/** `D + L + R` for small literals (a padded size), else `number`. */
export type PaddedDim<D, L, R> = [SmallSize<D>, SmallSize<L>, SmallSize<R>] extends [true, true, true]
  ? [...Tuple<D & number>, ...Tuple<L & number>, ...Tuple<R & number>]["length"]
  : number;
/** `S` in reverse order. */
export type ReverseShape<S extends Shape> = S extends readonly [infer H extends Dim, ...infer R extends Shape]
  ? [...ReverseShape<R>, H]
  : [];
/** `number` for each dimension: the rank is known, the sizes are not. */
export type SameRank<S extends Shape> = number extends S["length"] ? Shape : { -readonly [K in keyof S]: number };
/** `true` when the index `D` is plain `number` (not known to the type checker). */
export type UnknownIndex<D extends number> = number extends D ? true : false;

// ---- flatten / unflatten ----

/** `S` with dimensions `Start`..`End` merged into one (their product where small literals), a 0-dim `S` as [1]. */
export type Flatten<S extends Shape, Start extends number, End extends number> = number extends S["length"] ? Shape
  : S extends readonly [] ? [1]
  : UnknownIndex<Start | End> extends true ? Shape
  : [
    ...TakeDims<S, Axis<S, Start>>,
    ProductDims<SkipDims<TakeDims<S, NextIndex<Axis<S, End>>>, Axis<S, Start>>>,
    ...SkipDims<S, NextIndex<Axis<S, End>>>,
  ];

/**
 * Merges dimensions `startDim`..`endDim` (inclusive; all of them by default) into one, as
 * `torch.flatten`; a 0-dim tensor becomes [1]. A view when the layout allows, else a copy.
 *
 * @example
 * ```ts
 * const y = flatten(zeros([2, 3, 4]), 1); // Tensor<[2, 12]>
 * ```
 */
export function flatten<S extends Shape, const Start extends number = 0, const End extends number = -1>(
  x: Tensor<S>,
  startDim: Start = 0 as Start,
  endDim: End = -1 as End,
): Tensor<Flatten<S, Start, End>> {
  const op = "flatten";
  const rank = Math.max(x.rank, 1); // a 0-dim tensor flattens as if it had one dimension of size 1
  const a = axis(rank, startDim, op, x.shape), b = axis(rank, endDim, op, x.shape);
  if (a > b) throw new ShapeError(op, `startDim ${startDim} comes after endDim ${endDim} for ${formatShape(x.shape)}`);
  return wrap(sym.dt_flatten(handleOf(x, op), x.rank === 0 ? 0 : a, x.rank === 0 ? -1 : b), op);
}

/** `S` with dimension `D` replaced by the dimensions `To` (-1 read as unknown). */
export type Unflatten<S extends Shape, D extends number, To extends readonly number[]> = number extends S["length"]
  ? Shape
  : UnknownIndex<D> extends true ? Shape
  : [
    ...TakeDims<S, Axis<S, D>>,
    ...{ -readonly [K in keyof To]: To[K] extends -1 ? number : To[K] },
    ...SkipDims<S, NextIndex<Axis<S, D>>>,
  ];

/**
 * Splits dimension `dim` into `sizes` (one may be -1, inferred), as `torch.unflatten`; their product
 * must be the dimension's size.
 *
 * @example
 * ```ts
 * const y = unflatten(zeros([2, 12]), 1, [3, 4]); // Tensor<[2, 3, 4]>
 * ```
 */
export function unflatten<S extends Shape, const D extends number, const To extends readonly number[]>(
  x: Tensor<S>,
  dim: D,
  sizes: To,
): Tensor<Unflatten<S, D, To>> {
  const op = "unflatten";
  const a = axis(x.rank, dim, op, x.shape);
  if (sizes.length === 0) throw new ShapeError(op, "sizes must list at least one size");
  sizes.forEach((s, i) => {
    if (int64Arg(s, `sizes[${i}]`, op) < -1) throw new RangeError(`${op}: sizes[${i}] must be -1 or a size, got ${s}`);
  });
  const unknown = sizes.filter((s) => s === -1).length;
  const known = product(sizes.filter((s) => s !== -1));
  const n = x.shape[a];
  const fits = unknown === 0 ? known === n : unknown === 1 && known > 0 && n % known === 0;
  if (!fits) {
    throw new ShapeError(op, `sizes ${formatShape(sizes)} do not multiply to dimension ${dim}'s size ${n}`);
  }
  return wrap(sym.dt_unflatten(handleOf(x, op), a, dimsArg(sizes, op), sizes.length), op);
}

// ---- split / chunk / unbind ----

/** What `split` returns: one tensor per listed size (typed each), or `number`-sized pieces. */
export type SplitResult<S extends Shape, Sz, D extends number> = Sz extends readonly number[]
  ? { -readonly [K in keyof Sz]: Tensor<SetDim<S, D, Sz[K] & number>> }
  : Tensor<SetDim<S, D, number>>[];

/** Slots for a native op's `n` outputs, and the tensors it wrote there (or its error). */
function many<S extends Shape = Shape>(n: number, op: string, call: (slots: BigUint64Array) => number): Tensor<S>[] {
  const slots = new BigUint64Array(n);
  if (call(slots) !== 0) fail(op);
  return wrapAll(slots, op) as Tensor<S>[];
}

/**
 * Splits `x` along `dim` into pieces of `splitSize` (the last one smaller when it does not divide),
 * or into pieces of the listed sizes, which must add up to the dimension's size, as `torch.split`.
 * The pieces are views of `x`.
 *
 * @example
 * ```ts
 * const [a, b] = split(zeros([5, 2]), [2, 3]); // Tensor<[2, 2]>, Tensor<[3, 2]>
 * ```
 */
export function split<S extends Shape, const Sz extends number | readonly number[], const D extends number = 0>(
  x: Tensor<S>,
  splitSize: Sz,
  dim: D = 0 as D,
): SplitResult<S, Sz, D> {
  const op = "split";
  const a = axis(x.rank, dim, op, x.shape);
  const n = x.shape[a];
  const h = handleOf(x, op);
  if (typeof splitSize === "number") {
    const s = int64Arg(splitSize, "splitSize", op);
    if (s < 0 || (s === 0 && n !== 0)) {
      throw new RangeError(`${op}: splitSize must be positive (0 only for an empty dimension), got ${s}`);
    }
    const count = n === 0 ? 1 : Math.ceil(n / s);
    return many(count, op, (slots) => sym.dt_split(h, s, a, count, slots)) as SplitResult<S, Sz, D>;
  }
  const sizes = splitSize as readonly number[];
  if (sizes.length === 0) throw new ShapeError(op, "the list of sizes is empty");
  sizes.forEach((s, i) => int64Arg(s, `splitSize[${i}]`, op));
  if (sizes.some((s) => s < 0) || sizes.reduce((p, q) => p + q, 0) !== n) {
    throw new ShapeError(op, `sizes ${formatShape(sizes)} must be non-negative and add up to ${n} (dimension ${dim})`);
  }
  const buf = sizesArg(sizes, op);
  return many(sizes.length, op, (slots) => sym.dt_split_sizes(h, buf, sizes.length, a, slots)) as SplitResult<S, Sz, D>;
}

/**
 * Splits `x` along `dim` into `chunks` pieces of equal size (the last smaller), as `torch.chunk`:
 * fewer pieces when the size does not allow that many.
 *
 * @example
 * ```ts
 * const [q, k, v] = chunk(zeros([2, 12]), 3, -1); // three Tensor<[2, number]>
 * ```
 */
export function chunk<S extends Shape, const D extends number = 0>(
  x: Tensor<S>,
  chunks: number,
  dim: D = 0 as D,
): Tensor<SetDim<S, D, number>>[] {
  const op = "chunk";
  const a = axis(x.rank, dim, op, x.shape);
  if (int32Arg(chunks, "chunks", op) < 1) throw new RangeError(`${op}: chunks must be at least 1, got ${chunks}`);
  const n = x.shape[a];
  const count = n === 0 ? chunks : Math.ceil(n / Math.ceil(n / chunks));
  const h = handleOf(x, op);
  return many(count, op, (slots) => sym.dt_chunk(h, chunks, a, count, slots));
}

/**
 * The slices of `x` along `dim`, that dimension removed, as `torch.unbind` (views of `x`).
 *
 * @example
 * ```ts
 * const rows = unbind(zeros([3, 4])); // three Tensor<[4]>
 * ```
 */
export function unbind<S extends Shape, const D extends number = 0>(
  x: Tensor<S>,
  dim: D = 0 as D,
): Tensor<DropDim<S, D>>[] {
  const op = "unbind";
  const a = axis(x.rank, dim, op, x.shape);
  const h = handleOf(x, op);
  return many(x.shape[a], op, (slots) => sym.dt_unbind(h, a, x.shape[a], slots));
}

// ---- flip / roll ----

/** Distinct normalized dims from a list (or one dim), for the ops that take several. */
function dimList(x: Tensor, dims: number | readonly number[], op: string, name = "dims"): number[] {
  const list = typeof dims === "number" ? [dims] : dims;
  if (!Array.isArray(list)) throw new TypeError(`${op}: ${name} must be a dim or a list of dims`);
  const out = list.map((d) => axis(x.rank, d, op, x.shape));
  if (new Set(out).size !== out.length) throw new ShapeError(op, `${name} ${formatShape(list)} repeats a dimension`);
  return out;
}

/** A second argument buffer: scratch.ts has one, and roll and movedim pass two lists at once. */
const second = new Float64Array(64);
function secondArg(values: readonly number[], name: string, op: string): Float64Array {
  values.forEach((v, i) => (second[i] = int64Arg(v, `${name}[${i}]`, op)));
  return second;
}

/**
 * Reverses the order of the elements along each of `dims`, as `torch.flip` (a copy).
 *
 * @example
 * ```ts
 * const y = flip(arange(6), [0]); // [5, 4, 3, 2, 1, 0]
 * ```
 */
export function flip<S extends Shape>(x: Tensor<S>, dims: number | readonly number[]): Tensor<S> {
  const op = "flip";
  const list = dimList(x, dims, op);
  return wrap(sym.dt_flip(handleOf(x, op), dimsArg(list, op, "dims"), list.length), op);
}

/**
 * Rolls the elements along `dims` by `shifts` (one shift per dim; elements that fall off the end come
 * back at the start), as `torch.roll`. Without `dims`, `x` is rolled as if flattened.
 *
 * @example
 * ```ts
 * const y = roll(arange(5), 2); // [3, 4, 0, 1, 2]
 * ```
 */
export function roll<S extends Shape>(
  x: Tensor<S>,
  shifts: number | readonly number[],
  dims?: number | readonly number[],
): Tensor<S> {
  const op = "roll";
  const s = typeof shifts === "number" ? [shifts] : [...shifts];
  const d = dims === undefined
    ? []
    : (typeof dims === "number" ? [dims] : [...dims]).map((v) => axis(x.rank, v, op, x.shape));
  if (s.length === 0) throw new ShapeError(op, "shifts must not be empty");
  if (dims === undefined ? s.length !== 1 : s.length !== d.length) {
    const want = dims === undefined ? "one shift when no dims are given" : `one shift per dim (${d.length})`;
    throw new ShapeError(op, `needs ${want}, got ${s.length} shifts`);
  }
  const shiftBuf = dimsArg(s, op, "shifts");
  return wrap(sym.dt_roll(handleOf(x, op), shiftBuf, secondArg(d, "dims", op), s.length, d.length), op);
}

// ---- repeat / tile / repeatInterleave ----

/** Each dimension of `S` times the matching count of `R` (the worker behind `Repeat`). */
export type RepeatDims<S extends Shape, R extends readonly number[]> = S extends
  readonly [infer H, ...infer T extends Shape]
  ? R extends readonly [infer r, ...infer RT extends readonly number[]] ? [MulDims<H, r>, ...RepeatDims<T, RT>] : []
  : [];
/** `S` repeated `R` times per dimension (`R` may add leading dimensions), or an error message. */
export type RepeatOrError<S extends Shape, R extends readonly number[]> = number extends S["length"] | R["length"]
  ? Shape
  : Tuple<R["length"]> extends [...Tuple<S["length"]>, ...infer Extra]
    ? [...TakeDims<R, Extra["length"]>, ...RepeatDims<S, SkipDims<R, Extra["length"]>>]
  : `repeat: ${R["length"]} repeats for the ${S["length"]} dimensions of ${FormatShape<
    S
  >}; needs at least one per dimension`;
/** The shape `repeat(x, repeats)` returns (`Shape` when the repeats are too few). */
export type Repeat<S extends Shape, R extends readonly number[]> = RepeatOrError<S, R> extends infer Out extends Shape
  ? Out
  : Shape;
/** `R` padded in front with 1s to the rank of `S` (tile's rule for short repetition lists). */
export type TileReps<S extends Shape, R extends readonly number[]> = number extends S["length"] | R["length"]
  ? readonly number[]
  : Tuple<S["length"]> extends [...Tuple<R["length"]>, ...infer Missing] ? [...{ [K in keyof Missing]: 1 }, ...R]
  : R;

function repetitions(reps: readonly number[], op: string, name: string): void {
  if (!Array.isArray(reps)) throw new TypeError(`${op}: ${name} must be a list of numbers`);
  reps.forEach((r, i) => {
    if (int64Arg(r, `${name}[${i}]`, op) < 0) throw new RangeError(`${op}: ${name}[${i}] must be >= 0, got ${r}`);
  });
}

/**
 * Tiles `x` `repeats[i]` times along each dimension, as `torch.Tensor.repeat`: `repeats` lists one
 * count per dimension, and more counts than dimensions add leading ones.
 *
 * @example
 * ```ts
 * const y = repeat(zeros([2, 3]), [2, 1]); // Tensor<[4, 3]>
 * ```
 */
export function repeat<S extends Shape, const R extends readonly number[]>(
  x: Tensor<S>,
  repeats: R & Check<RepeatOrError<S, R>>,
): Tensor<Repeat<S, R>> {
  const op = "repeat";
  const reps = repeats as readonly number[];
  repetitions(reps, op, "repeats");
  if (reps.length < x.rank) {
    throw new ShapeError(op, `${reps.length} repeats for the ${x.rank} dimensions of ${formatShape(x.shape)}`);
  }
  return wrap(sym.dt_repeat(handleOf(x, op), dimsArg(reps, op, "repeats"), reps.length), op);
}

/**
 * Like `repeat`, but fewer counts than dimensions repeat the last dimensions (the others once), as
 * `torch.tile`.
 *
 * @example
 * ```ts
 * const y = tile(zeros([2, 3]), [2]); // Tensor<[2, 6]>
 * ```
 */
export function tile<S extends Shape, const R extends readonly number[]>(
  x: Tensor<S>,
  reps: R,
): Tensor<Repeat<S, TileReps<S, R>>> {
  const op = "tile";
  repetitions(reps, op, "reps");
  return wrap(sym.dt_tile(handleOf(x, op), dimsArg(reps, op, "reps"), reps.length), op);
}

/**
 * Repeats each element `repeats` times (a number, or an i64 tensor of one count per element along
 * `dim`), as `torch.repeat_interleave`; without `dim`, `x` is flattened first.
 *
 * @example
 * ```ts
 * const y = repeatInterleave(arange(3), 2); // [0, 0, 1, 1, 2, 2]
 * ```
 */
export function repeatInterleave<S extends Shape, const D extends number | undefined = undefined>(
  x: Tensor<S>,
  repeats: number | Tensor,
  dim?: D,
): Tensor<D extends number ? SetDim<S, D, number> : [number]> {
  const op = "repeatInterleave";
  const a = dim === undefined ? 0 : axis(x.rank, dim, op, x.shape);
  const along = dim === undefined ? x.size : x.shape[a];
  const hasDim = dim === undefined ? 0 : 1;
  if (typeof repeats === "number") {
    if (int64Arg(repeats, "repeats", op) < 0) throw new RangeError(`${op}: repeats must be >= 0, got ${repeats}`);
    return wrap(sym.dt_repeat_interleave(handleOf(x, op), repeats, hasDim, a), op);
  }
  if (repeats.dtype !== "i64") throw new DTypeError(op, `repeats must be an i64 tensor, got ${repeats.dtype}`);
  if (repeats.rank > 1 || (repeats.size !== along && repeats.size !== 1)) {
    throw new ShapeError(
      op,
      `repeats ${formatShape(repeats.shape)} must hold one count, or one per element (${along}) along the dim`,
    );
  }
  sameDevice(x, repeats, op);
  return wrap(sym.dt_repeat_interleave_tensor(handleOf(x, op), handleOf(repeats, op), hasDim, a), op);
}

// ---- pad ----

/** How many [before, after] pairs `P` lists, or `"odd"` when it does not pair up. */
export type PadPairCount<P, Acc extends unknown[] = []> = P extends readonly [unknown, unknown, ...infer Rest]
  ? PadPairCount<Rest, [...Acc, unknown]>
  : P extends readonly [] ? Acc["length"]
  : "odd";
/** The reversed shape `RS` with each pair of `P` added to the next dimension (the worker behind `Pad`). */
export type PadTrailing<RS extends Shape, P> = P extends readonly [infer L, infer R, ...infer Rest]
  ? RS extends readonly [infer H extends Dim, ...infer T extends Shape] ? [PaddedDim<H, L, R>, ...PadTrailing<T, Rest>]
  : []
  : [...RS];
/** The shape `pad(x, padding)` gives, or an error message (an odd count, or more pairs than dimensions). */
export type PadOrError<S extends Shape, P extends readonly number[]> = number extends S["length"] | P["length"] ? Shape
  : PadPairCount<P> extends infer C
    ? C extends "odd" ? `pad: padding needs an even number of entries (before, after per dimension), got ${P["length"]}`
    : Tuple<S["length"]> extends [...Tuple<C & number>, ...unknown[]]
      ? PadTrailing<ReverseShape<S>, P> extends infer R extends Shape ? ReverseShape<R> : Shape
    : `pad: ${P["length"]} padding entries for the ${S["length"]} dimensions of ${FormatShape<S>}`
  : Shape;
/** The shape `pad(x, padding)` returns. */
export type Pad<S extends Shape, P extends readonly number[]> = PadOrError<S, P> extends infer R extends Shape ? R
  : Shape;

/** How `pad` fills: a constant, the mirror image without the edge, the edge repeated, or wrapping around. */
export type PadMode = "constant" | "reflect" | "replicate" | "circular";
const PAD_MODES: readonly PadMode[] = ["constant", "reflect", "replicate", "circular"];

/**
 * Pads the last dimensions, as `torch.nn.functional.pad`: `padding` is [before, after] for the last
 * dimension, then for the one before it, and so on. `"constant"` fills with `value` (and a negative
 * amount crops); `"reflect"`, `"replicate"` and `"circular"` pad 1 to 3 dimensions of a tensor with
 * one or two more (a batch and a channel; circular needs both), by at most the size (less one for
 * reflect; any amount for replicate) of each.
 *
 * @example
 * ```ts
 * const y = pad(zeros([2, 3]), [1, 1]); // Tensor<[2, 5]>, zeros around each row
 * ```
 */
export function pad<S extends Shape, const P extends readonly number[]>(
  x: Tensor<S>,
  padding: P & Check<PadOrError<S, P>>,
  mode: PadMode = "constant",
  value = 0,
): Tensor<Pad<S, P>> {
  const op = "pad";
  const p = padding as readonly number[];
  if (!Array.isArray(p)) throw new TypeError(`${op}: padding must be a list of numbers`);
  p.forEach((v, i) => int64Arg(v, `padding[${i}]`, op));
  if (p.length % 2 !== 0 || p.length / 2 > x.rank) {
    throw new ShapeError(
      op,
      `padding ${formatShape(p)} needs a [before, after] pair for each of at most ${x.rank} dims`,
    );
  }
  const code = PAD_MODES.indexOf(mode);
  if (code < 0) throw new RangeError(`${op}: mode must be one of ${PAD_MODES.join(", ")}, got ${mode}`);
  if (typeof value !== "number") throw new TypeError(`${op}: value must be a number`);
  const k = p.length / 2;
  for (let i = 0; i < k; i++) {
    const size = x.shape[x.rank - 1 - i], before = p[2 * i], after = p[2 * i + 1];
    if (size + before + after < 0 || (code === 0 && (before < -size || after < -size))) {
      throw new ShapeError(
        op,
        `padding ${formatShape(p)} crops dimension ${x.rank - 1 - i} of ${formatShape(x.shape)} below 0`,
      );
    }
    if (code !== 0) {
      // reflect mirrors without the edge and circular wraps once, so neither reaches past the size;
      // replicate repeats the edge any number of times, but needs an edge.
      const limit = code === 1 ? size - 1 : code === 3 ? size : size === 0 ? 0 : Infinity;
      if (before < 0 || after < 0 || before > limit || after > limit) {
        const range = limit === Infinity ? "non-negative" : `within [0, ${limit}]`;
        throw new ShapeError(
          op,
          `${mode} padding ${formatShape(p)} must be ${range} for dimension ${x.rank - 1 - i} of ${
            formatShape(x.shape)
          }`,
        );
      }
    }
  }
  // torch 1.13 pads 1-3 dims this way, of a tensor with a batch dim (or also a channel dim, but circular
  // needs both).
  const ranks = code === 3 ? [k + 2] : [k + 1, k + 2];
  if (code !== 0 && (k === 0 || k > 3 || !ranks.includes(x.rank))) {
    throw new ShapeError(
      op,
      `${mode} padding of ${k} dims needs a tensor of rank ${ranks.join(" or ")}, got ${formatShape(x.shape)}`,
    );
  }
  return wrap(sym.dt_pad(handleOf(x, op), dimsArg(p, op, "padding"), p.length, code, value), op);
}

// ---- movedim / narrow ----

/** `S` with dimension `Src` moved to position `Dst` (both may be negative), the others in order. */
export type MoveDim<S extends Shape, Src extends number, Dst extends number> = number extends S["length"] ? Shape
  : UnknownIndex<Src | Dst> extends true ? SameRank<S>
  : InsertAt<DropAt<S, Axis<S, Src>>, Axis<S, Dst>, S[Axis<S, Src> & keyof S]>;

/**
 * Moves dimension `source` to position `destination` (or each of a list to the matching position;
 * the other dimensions keep their order), as `torch.movedim`; a view.
 *
 * @example
 * ```ts
 * const nhwc = movedim(zeros([2, 3, 4, 5]), 1, -1); // Tensor<[2, 4, 5, 3]>
 * ```
 */
export function movedim<
  S extends Shape,
  const Src extends number | readonly number[],
  const Dst extends number | readonly number[],
>(
  x: Tensor<S>,
  source: Src,
  destination: Dst,
): Tensor<Src extends number ? Dst extends number ? MoveDim<S, Src, Dst> : SameRank<S> : SameRank<S>> {
  const op = "movedim";
  const src = dimList(x, source, op, "source"), dst = dimList(x, destination, op, "destination");
  if (src.length !== dst.length) {
    throw new ShapeError(op, `source and destination must list as many dims, got ${src.length} and ${dst.length}`);
  }
  return wrap(
    sym.dt_movedim(handleOf(x, op), dimsArg(src, op, "source"), secondArg(dst, "destination", op), src.length),
    op,
  );
}

/**
 * `length` elements of `x` from `start` along `dim` (a negative start counts from the end), as
 * `torch.narrow`: a view.
 *
 * @example
 * ```ts
 * const y = narrow(zeros([4, 6]), 1, 2, 3); // Tensor<[4, 3]>
 * ```
 */
export function narrow<S extends Shape, const D extends number, const L extends number>(
  x: Tensor<S>,
  dim: D,
  start: number,
  length: L,
): Tensor<SetDim<S, D, L>> {
  const op = "narrow";
  const a = axis(x.rank, dim, op, x.shape);
  const n = x.shape[a];
  int64Arg(start, "start", op);
  int64Arg(length, "length", op);
  const from = start < 0 ? start + n : start;
  if (from < 0 || from > n || length < 0 || from + length > n) {
    throw new RangeError(`${op}: start ${start} and length ${length} do not fit dimension ${dim} of size ${n}`);
  }
  return wrap(sym.dt_narrow(handleOf(x, op), a, from, length), op);
}

// ---- diag / diagonal ----

/** The shape `diag(x, k)` gives: a square matrix from a vector, a vector from a matrix, or an error message. */
export type DiagOrError<S extends Shape, K extends number> = number extends S["length"] ? Shape
  : S extends readonly [infer N extends Dim] ? (K extends 0 ? [N, N] : [number, number])
  : S extends readonly [Dim, Dim] ? [number]
  : `diag: x must be 1-D or 2-D, got ${FormatShape<S>}`;
/** The shape `diag(x, k)` returns. */
export type Diag<S extends Shape, K extends number> = DiagOrError<S, K> extends infer R extends Shape ? R : Shape;

/**
 * From a vector, the square matrix with it on diagonal `k` (above the main one when k > 0); from a
 * matrix, its diagonal `k` as a vector, as `torch.diag`.
 *
 * @example
 * ```ts
 * const m = diag(ones([3])); // Tensor<[3, 3]>, the identity
 * ```
 */
export function diag<S extends Shape, const K extends number = 0>(
  x: Tensor<S> & Check<DiagOrError<S, K>>,
  k: K = 0 as K,
): Tensor<Diag<S, K>> {
  const op = "diag";
  const t = x as Tensor;
  if (t.rank !== 1 && t.rank !== 2) throw new ShapeError(op, `x must be 1-D or 2-D, got ${formatShape(t.shape)}`);
  int32Arg(k, "k", op);
  if (t.rank === 2 && (k < -t.shape[0] || k > t.shape[1])) {
    throw new RangeError(`${op}: diagonal ${k} is outside the matrix ${formatShape(t.shape)}`);
  }
  return wrap(sym.dt_diag(handleOf(t, op), k), op);
}

/** `S` without its dimensions at the non-negative indices `A` and `B`. */
export type DropDimPair<S extends Shape, A, B, I extends unknown[] = [], Acc extends Dim[] = []> = S extends
  readonly [infer H extends Dim, ...infer R extends Shape]
  ? I["length"] extends A | B ? DropDimPair<R, A, B, [...I, unknown], Acc>
  : DropDimPair<R, A, B, [...I, unknown], [...Acc, H]>
  : Acc;
/** The shape `diagonal(x, offset, d1, d2)` returns: `S` without `D1` and `D2`, the diagonal's length last. */
export type Diagonal<S extends Shape, D1 extends number, D2 extends number> = number extends S["length"] ? Shape
  : UnknownIndex<D1 | D2> extends true ? Shape
  : [...DropDimPair<S, Axis<S, D1>, Axis<S, D2>>, number];

/**
 * The diagonal `offset` of the matrices that dimensions `dim1` and `dim2` span, as a last dimension,
 * as `torch.diagonal`: a view.
 *
 * @example
 * ```ts
 * const d = diagonal(zeros([2, 3, 3]), 0, 1, 2); // Tensor<[2, number]>
 * ```
 */
export function diagonal<S extends Shape, const D1 extends number = 0, const D2 extends number = 1>(
  x: Tensor<S>,
  offset = 0,
  dim1: D1 = 0 as D1,
  dim2: D2 = 1 as D2,
): Tensor<Diagonal<S, D1, D2>> {
  const op = "diagonal";
  if (x.rank < 2) throw new ShapeError(op, `x needs at least 2 dimensions, got ${formatShape(x.shape)}`);
  const a = axis(x.rank, dim1, op, x.shape), b = axis(x.rank, dim2, op, x.shape);
  if (a === b) throw new ShapeError(op, `dim1 and dim2 must differ, both are dimension ${a}`);
  return wrap(sym.dt_diagonal(handleOf(x, op), int32Arg(offset, "offset", op), a, b), op);
}

// ---- broadcastTo / meshgrid ----

/** Whether `S` broadcasts to `To`, compared from the last dimension. */
export type BroadcastsTo<S extends Shape, To extends Shape> = S extends readonly [...infer SR extends Shape, infer s]
  ? To extends readonly [...infer TR extends Shape, infer t]
    ? (s extends 1 ? true : t extends -1 ? true : SameDim<s, t>) extends true ? BroadcastsTo<SR, TR> : false
  : false
  : true;
/** `To` with -1 read as unknown when `S` broadcasts to it, else an error message. */
export type BroadcastToOrError<S extends Shape, To extends Shape> = number extends S["length"] | To["length"]
  ? { -readonly [K in keyof To]: To[K] extends -1 ? number : To[K] }
  : BroadcastsTo<S, To> extends true ? { -readonly [K in keyof To]: To[K] extends -1 ? number : To[K] }
  : `broadcastTo: cannot broadcast ${FormatShape<S>} to ${FormatShape<To>}`;
/** The shape `broadcastTo(x, shape)` returns. */
export type BroadcastTo<S extends Shape, To extends Shape> = BroadcastToOrError<S, To> extends infer R extends Shape ? R
  : Shape;

/**
 * `x` broadcast to `shape` without copying, as `torch.broadcast_to`: size-1 dimensions stretch, new
 * ones are added in front, and -1 keeps a dimension's size.
 *
 * @example
 * ```ts
 * const y = broadcastTo(zeros([3, 1]), [2, 3, 4]); // Tensor<[2, 3, 4]>
 * ```
 */
export function broadcastTo<S extends Shape, const To extends readonly number[]>(
  x: Tensor<S>,
  shape: To & Check<BroadcastToOrError<S, To>>,
): Tensor<BroadcastTo<S, To>> {
  const op = "broadcastTo";
  const to = shape as readonly number[];
  if (!Array.isArray(to)) throw new TypeError(`${op}: shape must be a list of sizes`);
  to.forEach((d, i) => {
    if (int64Arg(d, `shape[${i}]`, op) < -1) throw new ShapeError(op, `shape ${formatShape(to)} has a negative size`);
  });
  const offset = to.length - x.rank;
  const fits = offset >= 0 && to.every((d, i) => {
    const from = x.shape[i - offset];
    if (i < offset) return d !== -1;
    return d === -1 || d === from || from === 1;
  });
  if (!fits) throw new ShapeError(op, `cannot broadcast ${formatShape(x.shape)} to ${formatShape(to)}`);
  return wrap(sym.dt_broadcast_to(handleOf(x, op), dimsArg(to, op, "shape"), to.length), op);
}

/** The size of each 1-D (or 0-dim, size 1) tensor of `Xs`. */
export type GridDims<Xs extends readonly Tensor[]> = {
  -readonly [K in keyof Xs]: Xs[K] extends Tensor<infer S> ? S extends readonly [infer N] ? N : 1 : number;
};
/** `G` with its first two dimensions swapped ("xy" indexing). */
export type SwapFirstTwo<G extends Shape> = G extends readonly [infer A, infer B, ...infer R] ? [B, A, ...R] : G;
/** What `meshgrid` returns: one grid per input, each of the inputs' sizes (the first two swapped for "xy"). */
export type Meshgrid<Xs extends readonly Tensor[], I> = number extends Xs["length"] ? Tensor[]
  : { -readonly [K in keyof Xs]: Tensor<MeshgridShape<Xs, I>> };
/** The shape of every grid `meshgrid(xs, indexing)` returns. */
export type MeshgridShape<Xs extends readonly Tensor[], I> =
  (I extends "xy" ? SwapFirstTwo<GridDims<Xs>> : GridDims<Xs>) extends infer G extends Shape ? G
    : Shape;

/**
 * Coordinate grids from 1-D tensors (0-dim ones count as size 1), as `torch.meshgrid`: grid i holds
 * the values of input i along its own dimension. `"ij"` (the default) orders the dimensions as the
 * inputs; `"xy"` swaps the first two, as NumPy does.
 *
 * @example
 * ```ts
 * const [ys, xs] = meshgrid([arange(3), arange(4)]); // two Tensor<[number, number]> of shape [3, 4]
 * ```
 */
export function meshgrid<const Xs extends readonly Tensor[], const I extends "ij" | "xy" = "ij">(
  xs: Xs,
  indexing: I = "ij" as I,
): Meshgrid<Xs, I> {
  const op = "meshgrid";
  if (!Array.isArray(xs) || xs.length === 0) throw new ShapeError(op, "needs at least one tensor");
  if (indexing !== "ij" && indexing !== "xy") {
    throw new RangeError(`${op}: indexing must be "ij" or "xy", got ${indexing}`);
  }
  for (const t of xs) {
    if (t.rank > 1) {
      throw new ShapeError(
        op,
        `tensors must be 0-D or 1-D, got ${xs.map((v) => formatShape(v.shape)).join(", ")}`,
      );
    }
    if (t.dtype !== xs[0].dtype) {
      throw new DTypeError(
        op,
        `tensors must share a dtype, got ${xs.map((v) => v.dtype).join(", ")}`,
      );
    }
    sameDevice(xs[0], t, op);
  }
  const list = handleList(xs, op);
  return many(xs.length, op, (slots) => sym.dt_meshgrid(list, xs.length, indexing === "xy" ? 1 : 0, slots)) as Meshgrid<
    Xs,
    I
  >;
}
