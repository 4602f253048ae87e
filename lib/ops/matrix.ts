/**
 * Linear algebra beyond `matmul`: products (`outer`, `addmm`, `baddbmm`, `tensordot`, `kron`),
 * inverses and determinants (`inverse`, `det`, `slogdet`, `solve`) and decompositions (`cholesky`,
 * `qr`, `svd`, `eigh`), over ATen's `at::linalg_*` (LAPACK on the CPU). Every op takes batches: the
 * matrices are the last two dimensions. A singular or non-positive-definite input is a `TorchError`
 * with LAPACK's reason (never a crash); the decompositions need f32 or f64 (`DTypeError` otherwise).
 * Signs of the factors that are only defined up to sign (qr, svd, eigh) are LAPACK's, as in torch.
 *
 * @module
 */
import { fail, sym } from "../../ffi/lib.ts";
import { DTypeError, ShapeError } from "../errors.ts";
import { dimsArg } from "../scratch.ts";
import type { Axis, BroadcastOrError, Check, Dim, Fmt, FormatShape, Known, SameDim, Shape } from "../shape.ts";
import { formatShape } from "../shape.ts";
import { handleOf, type Tensor, wrap, wrapAll } from "../tensor.ts";
import type { RankAtLeast, SplitShapeBack, SplitShapeFront } from "./einsum.ts";
import { axis, broadcastShapes, sameDevice } from "./check.ts";

// ---- shape algebra ----

/** `S` without its last two dimensions: the batch of a stack of matrices (`Shape` when unknown). */
export type BatchOf<S extends Shape> = number extends S["length"] ? Shape
  : S extends readonly [...infer B extends Shape, Dim, Dim] ? B
  : Shape;
/** `S` itself when it is a stack of square matrices [..., n, n], else an error message naming `Op`. */
export type SquareOrError<Op extends string, S extends Shape> = number extends S["length"] ? S
  : S extends readonly [...Shape, infer N, infer M] ? SameDim<N, M> extends true ? S
    : `${Op}: the matrices must be square, got shape ${FormatShape<S>}`
  : `${Op}: needs matrices [..., n, n], got shape ${FormatShape<S>}`;
/** Intersected into an op's matrix argument, rejects at compile time a shape that is not [..., n, n]. */
export type SquareCheck<Op extends string, S extends Shape> = Check<SquareOrError<Op, S>>;
/** An error message when `S` is not a stack of matrices [..., m, n] (rank ≥ 2). */
export type MatrixCheck<Op extends string, S extends Shape> = number extends S["length"] ? unknown
  : S extends readonly [...Shape, Dim, Dim] ? unknown
  : Check<`${Op}: needs matrices [..., m, n], got shape ${FormatShape<S>}`>;
/** min(M, N) where the type checker can tell (the same size, or a 1), else `number`. */
export type MinDim<M, N> = Known<M> extends false ? number : Known<N> extends false ? number
: [M] extends [N] ? M
: M extends 1 ? 1
: N extends 1 ? 1
: number;

/** The number of rows of the matrices in `S`: its second-to-last dimension. */
export type MatrixRows<S extends Shape> = S extends readonly [...Shape, infer M, Dim] ? M : number;
/** The number of columns of the matrices in `S`: its last dimension. */
export type MatrixCols<S extends Shape> = S extends readonly [...Shape, Dim, infer N] ? N : number;

// ---- runtime checks ----

const F64_OR_F32 = new Set(["f32", "f64"]);

/**
 * Decompositions run LAPACK, which takes f32 and f64 only (torch too, for real tensors). An empty
 * stack never reaches LAPACK, and torch answers it in any dtype, so the dtype is checked only when
 * there is something to decompose.
 */
function floatMatrices(x: Tensor, op: string, name = "the input"): void {
  handleOf(x, op);
  if (x.size > 0 && !F64_OR_F32.has(x.dtype)) throw new DTypeError(op, `${name} must be f32 or f64, got ${x.dtype}`);
  if (x.rank < 2) throw new ShapeError(op, `${name} must be matrices [..., m, n], got shape ${formatShape(x.shape)}`);
}

function squareMatrices(x: Tensor, op: string, name = "the input"): number {
  floatMatrices(x, op, name);
  const [m, n] = x.shape.slice(-2);
  if (m !== n) throw new ShapeError(op, `the matrices must be square, got shape ${formatShape(x.shape)}`);
  return n;
}

const pair = new BigUint64Array(2);
const triple = new BigUint64Array(3);

function outputs(status: number, slots: BigUint64Array, op: string): Tensor[] {
  if (status !== 0) fail(op);
  return wrapAll(slots, op);
}

// ---- products ----

/**
 * The outer product of two vectors: `out[i][j] = a[i] * b[j]`.
 *
 * @example
 * ```ts
 * const table = outer(tensor([1, 2]), tensor([1, 10, 100])); // Tensor<[2, 3]>
 * ```
 */
export function outer<A extends Shape, B extends Shape>(
  a: Tensor<A>,
  b: Tensor<B> & Check<OuterOrError<A, B>>,
): Tensor<[VectorDim<A>, VectorDim<B>]> {
  const op = "outer";
  handleOf(a, op), handleOf(b, op);
  if (a.rank !== 1 || b.rank !== 1) {
    throw new ShapeError(op, `needs two vectors, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  sameDevice(a, b, op);
  return wrap(sym.dt_outer(handleOf(a, op), handleOf(b, op)), op);
}

/** The size of a vector's one dimension (`number` when the rank is unknown). */
export type VectorDim<S extends Shape> = S extends readonly [infer X extends Dim] ? X : number;
/** An error message when a shape of known rank is not a vector, else the result shape of `outer`. */
export type OuterOrError<A extends Shape, B extends Shape> = number extends A["length"] ? Shape
  : A extends readonly [Dim] ? number extends B["length"] ? Shape
    : B extends readonly [Dim] ? [VectorDim<A>, VectorDim<B>]
    : `outer: needs two vectors, got ${FormatShape<A>} and ${FormatShape<B>}`
  : `outer: needs two vectors, got ${FormatShape<A>} and ${FormatShape<B>}`;

/** The scaling of `addmm` and `baddbmm`: beta · input + alpha · (a @ b), both 1 by default. */
export interface AddmmOptions {
  /** The factor of `input`; default 1. With 0, `input` is ignored (NaN in it does not spread). */
  beta?: number;
  /** The factor of the product; default 1. */
  alpha?: number;
}

/** `addmm(input, a, b)`: a [n, k], b [k, m] and an input that broadcasts to [n, m] give [n, m], or an error message. */
export type AddmmOrError<I extends Shape, A extends Shape, B extends Shape> = A extends
  readonly [infer N extends Dim, infer K]
  ? B extends readonly [infer K2, infer M extends Dim]
    ? SameDim<K, K2> extends true
      ? BroadcastOrError<I, [N, M]> extends string
        ? `addmm: input ${FormatShape<I>} does not broadcast to [${Fmt<N>}, ${Fmt<M>}]`
      : [N, M]
    : `addmm: inner dimensions ${Fmt<K>} and ${Fmt<K2>} differ (${FormatShape<A>} @ ${FormatShape<B>})`
  : number extends B["length"] ? [N, number]
  : `addmm: b must be a matrix [k, m], got ${FormatShape<B>}`
  : number extends A["length"] ? Shape
  : `addmm: a must be a matrix [n, k], got ${FormatShape<A>}`;
/** The shape `addmm` returns (`Shape` when it does not fit). */
export type Addmm<I extends Shape, A extends Shape, B extends Shape> = AddmmOrError<I, A, B> extends
  infer R extends Shape ? R : Shape;

function scaling(o: AddmmOptions, op: string): [number, number] {
  const { beta = 1, alpha = 1 } = o;
  if (typeof beta !== "number" || typeof alpha !== "number") {
    throw new TypeError(`${op}: beta and alpha must be numbers, got ${typeof beta} and ${typeof alpha}`);
  }
  return [beta, alpha];
}

/** `input` must broadcast to exactly `to` (torch expands it), else a ShapeError. */
function expandsTo(input: Tensor, to: number[], op: string): void {
  let ok = input.rank <= to.length;
  if (ok) {
    try {
      ok = broadcastShapes(input.shape, to, op).every((d, i) => d === to[i]);
    } catch {
      ok = false;
    }
  }
  if (!ok) throw new ShapeError(op, `input ${formatShape(input.shape)} does not broadcast to ${formatShape(to)}`);
}

/**
 * `beta · input + alpha · (a @ b)` for matrices a [n, k] and b [k, m], with `input` broadcast to
 * [n, m], as `torch.addmm`.
 *
 * @example
 * ```ts
 * const y = addmm(zeros([4]), randn([2, 3], rng(0)), randn([3, 4], rng(1)), { beta: 0.5, alpha: 2 }); // Tensor<[2, 4]>
 * ```
 */
export function addmm<I extends Shape, A extends Shape, B extends Shape>(
  input: Tensor<I>,
  a: Tensor<A>,
  b: Tensor<B> & Check<AddmmOrError<I, A, B>>,
  options: AddmmOptions = {},
): Tensor<Addmm<I, A, B>> {
  const op = "addmm";
  const [beta, alpha] = scaling(options, op);
  handleOf(input, op), handleOf(a, op), handleOf(b, op);
  if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[0]) {
    throw new ShapeError(op, `needs a [n, k] @ b [k, m], got ${formatShape(a.shape)} @ ${formatShape(b.shape)}`);
  }
  expandsTo(input, [a.shape[0], b.shape[1]], op);
  sameDevice(input, a, op), sameDevice(a, b, op);
  return wrap(sym.dt_addmm(handleOf(input, op), handleOf(a, op), handleOf(b, op), beta, alpha), op);
}

/** `baddbmm(input, a, b)`: [bt, n, k] @ [bt, k, m] with an input that broadcasts to [bt, n, m], or an error message. */
export type BaddbmmOrError<I extends Shape, A extends Shape, B extends Shape> = A extends
  readonly [infer Bt extends Dim, infer N extends Dim, infer K]
  ? B extends readonly [infer Bt2, infer K2, infer M extends Dim]
    ? SameDim<Bt, Bt2> extends false ? `baddbmm: batch sizes ${Fmt<Bt>} and ${Fmt<Bt2>} differ`
    : SameDim<K, K2> extends false
      ? `baddbmm: inner dimensions ${Fmt<K>} and ${Fmt<K2>} differ (${FormatShape<A>} @ ${FormatShape<B>})`
    : BroadcastOrError<I, [Bt, N, M]> extends string
      ? `baddbmm: input ${FormatShape<I>} does not broadcast to [${Fmt<Bt>}, ${Fmt<N>}, ${Fmt<M>}]`
    : [Bt, N, M]
  : number extends B["length"] ? [Bt, N, number]
  : `baddbmm: b must be [batch, k, m], got ${FormatShape<B>}`
  : number extends A["length"] ? Shape
  : `baddbmm: a must be [batch, n, k], got ${FormatShape<A>}`;
/** The shape `baddbmm` returns (`Shape` when it does not fit). */
export type Baddbmm<I extends Shape, A extends Shape, B extends Shape> = BaddbmmOrError<I, A, B> extends
  infer R extends Shape ? R : Shape;

/**
 * `beta · input + alpha · bmm(a, b)` for batches a [bt, n, k] and b [bt, k, m], with `input`
 * broadcast to [bt, n, m], as `torch.baddbmm`.
 *
 * @example
 * ```ts
 * const y = baddbmm(zeros([1, 4]), randn([5, 2, 3], rng(0)), randn([5, 3, 4], rng(1))); // Tensor<[5, 2, 4]>
 * ```
 */
export function baddbmm<I extends Shape, A extends Shape, B extends Shape>(
  input: Tensor<I>,
  a: Tensor<A>,
  b: Tensor<B> & Check<BaddbmmOrError<I, A, B>>,
  options: AddmmOptions = {},
): Tensor<Baddbmm<I, A, B>> {
  const op = "baddbmm";
  const [beta, alpha] = scaling(options, op);
  handleOf(input, op), handleOf(a, op), handleOf(b, op);
  if (a.rank !== 3 || b.rank !== 3 || a.shape[0] !== b.shape[0] || a.shape[2] !== b.shape[1]) {
    throw new ShapeError(op, `needs [b, n, k] @ [b, k, m], got ${formatShape(a.shape)} @ ${formatShape(b.shape)}`);
  }
  expandsTo(input, [a.shape[0], a.shape[1], b.shape[2]], op);
  sameDevice(input, a, op), sameDevice(a, b, op);
  return wrap(sym.dt_baddbmm(handleOf(input, op), handleOf(a, op), handleOf(b, op), beta, alpha), op);
}

// ---- tensordot ----

/** Which dimensions `tensordot` contracts: the last `n` of a with the first `n` of b, or two lists. */
export type TensordotDims = number | readonly [readonly number[], readonly number[]];

/** Pairs of contracted sizes agree (or one is 1), else the message. */
export type TensordotPairsAgree<A extends Shape, B extends Shape> = A extends
  readonly [infer X, ...infer RA extends Shape]
  ? B extends readonly [infer Y, ...infer RB extends Shape] ? X extends 1 ? TensordotPairsAgree<RA, RB>
    : Y extends 1 ? TensordotPairsAgree<RA, RB>
    : SameDim<X, Y> extends true ? TensordotPairsAgree<RA, RB>
    : `tensordot: contracted sizes ${Fmt<X>} and ${Fmt<Y>} differ`
  : true
  : true;
/** The sizes of `S` at the dimensions `D` (negative ones counted from the end). */
export type TensordotPicked<S extends Shape, D extends readonly number[]> = {
  [K in keyof D]: S[Axis<S, D[K]> & keyof S];
};
/** `S` without the dimensions whose indices are in the union `Drop`. */
export type TensordotWithout<S extends Shape, Drop, I extends unknown[] = [], Acc extends Dim[] = []> = S extends
  readonly [infer H extends Dim, ...infer R extends Shape]
  ? TensordotWithout<R, Drop, [...I, unknown], I["length"] extends Drop ? Acc : [...Acc, H]>
  : Acc;
/** The dimensions `D` of `S`, made non-negative, as a union. */
export type TensordotAxes<S extends Shape, D extends readonly number[]> = { [K in keyof D]: Axis<S, D[K]> }[number];

/** The shape `tensordot(a, b, dims)` gives, or an error message. */
export type TensordotOrError<A extends Shape, B extends Shape, D> = number extends A["length"] ? Shape
  : number extends B["length"] ? Shape
  : D extends number ? number extends D ? Shape
    : RankAtLeast<A["length"], D> extends false ? `tensordot: a has ${A["length"]} dimension(s), fewer than dims = ${D}`
    : RankAtLeast<B["length"], D> extends false ? `tensordot: b has ${B["length"]} dimension(s), fewer than dims = ${D}`
    : [SplitShapeBack<A, D>, SplitShapeFront<B, D>] extends [[infer AF extends Shape, infer AC extends Shape], [
      infer BC extends Shape,
      infer BR extends Shape,
    ]] ? TensordotPairsAgree<AC, BC> extends infer Ok ? Ok extends true ? [...AF, ...BR] : Ok : never
    : never
  : D extends readonly [infer DA extends readonly number[], infer DB extends readonly number[]]
    ? number extends DA["length"] | DB["length"] ? Shape
    : DA["length"] extends DB["length"]
      ? TensordotPairsAgree<TensordotPicked<A, DA>, TensordotPicked<B, DB>> extends infer Ok
        ? Ok extends true ? [...TensordotWithout<A, TensordotAxes<A, DA>>, ...TensordotWithout<B, TensordotAxes<B, DB>>]
        : Ok
      : never
    : `tensordot: the two dimension lists have different lengths`
  : Shape;
/** The shape `tensordot` returns (`Shape` when it does not fit). */
export type Tensordot<A extends Shape, B extends Shape, D> = TensordotOrError<A, B, D> extends infer R extends Shape ? R
  : Shape;

/**
 * Contraction over several dimensions at once, as `torch.tensordot`: `dims = n` sums the last n
 * dimensions of `a` against the first n of `b` (default 2); `dims = [da, db]` sums `a`'s dimensions
 * `da` against `b`'s `db`, pairwise. The result is `a`'s other dimensions, then `b`'s. Contracted
 * sizes must agree (or one be 1).
 *
 * @example
 * ```ts
 * const y = tensordot(randn([2, 3, 4], rng(0)), randn([4, 3, 5], rng(1)), [[1, 2], [1, 0]]); // Tensor<[2, 5]>
 * ```
 */
export function tensordot<A extends Shape, B extends Shape, const D extends TensordotDims = 2>(
  a: Tensor<A>,
  b: Tensor<B> & Check<TensordotOrError<A, B, D>>,
  dims: D = 2 as D,
): Tensor<Tensordot<A, B, D>> {
  const op = "tensordot";
  handleOf(a, op), handleOf(b, op);
  let da: number[], db: number[];
  if (typeof dims === "number") {
    if (!Number.isInteger(dims) || dims < 0 || dims > a.rank || dims > b.rank) {
      throw new RangeError(
        `${op}: dims must be an integer in [0, ${Math.min(a.rank, b.rank)}] for ${formatShape(a.shape)} and ${
          formatShape(b.shape)
        }, got ${dims}`,
      );
    }
    da = Array.from({ length: dims }, (_, i) => a.rank - dims + i);
    db = Array.from({ length: dims }, (_, i) => i);
  } else {
    if (!Array.isArray(dims) || dims.length !== 2 || !Array.isArray(dims[0]) || !Array.isArray(dims[1])) {
      throw new TypeError(`${op}: dims must be a number or two lists of dimensions`);
    }
    if (dims[0].length !== dims[1].length) {
      throw new ShapeError(
        op,
        `the two dimension lists have different lengths (${dims[0].length} and ${dims[1].length})`,
      );
    }
    da = dims[0].map((d) => axis(a.rank, d, op, a.shape));
    db = dims[1].map((d) => axis(b.rank, d, op, b.shape));
    for (const [list, name] of [[da, "a"], [db, "b"]] as const) {
      if (new Set(list).size !== list.length) throw new ShapeError(op, `a dimension of ${name} appears twice in dims`);
    }
  }
  da.forEach((d, i) => {
    const [x, y] = [a.shape[d], b.shape[db[i]]];
    if (x !== y && x !== 1 && y !== 1) throw new ShapeError(op, `contracted sizes ${x} and ${y} differ`);
  });
  sameDevice(a, b, op);
  return wrap(sym.dt_tensordot(handleOf(a, op), handleOf(b, op), dimsArg(da, op), secondDims(db, op), da.length), op);
}

/** A second argument buffer: dimsArg's is shared, and tensordot passes two lists at once. */
const second = new Float64Array(64);
function secondDims(values: readonly number[], op: string): Float64Array {
  if (values.length > second.length) throw new ShapeError(op, `at most ${second.length} dimensions are supported`);
  values.forEach((v, i) => (second[i] = v));
  return second;
}

/** One dimension of a Kronecker product: a · b, known where one of them is 1. */
export type KronDim<A, B> = A extends 1 ? B : B extends 1 ? A : number;
/** The shape of `kron(a, b)`: the shorter shape padded with 1s in front, then the sizes multiplied. */
export type Kron<A extends Shape, B extends Shape> = number extends A["length"] ? Shape
  : number extends B["length"] ? Shape
  : A extends readonly [] ? [...B]
  : B extends readonly [] ? [...A]
  : A extends readonly [...infer RA extends Shape, infer X]
    ? B extends readonly [...infer RB extends Shape, infer Y] ? [...Kron<RA, RB>, KronDim<X, Y>] : never
  : never;

/**
 * The Kronecker product, as `torch.kron`: each element of `a` times the whole of `b`, tiled. Sizes
 * multiply; the type knows them where one factor is 1, else `number`.
 *
 * @example
 * ```ts
 * const blocks = kron(eye(2), ones([2, 2])); // Tensor<[number, number]>, [4, 4] at run time
 * ```
 */
export function kron<A extends Shape, B extends Shape>(a: Tensor<A>, b: Tensor<B>): Tensor<Kron<A, B>> {
  const op = "kron";
  sameDevice(a, b, op);
  return wrap(sym.dt_kron(handleOf(a, op), handleOf(b, op)), op);
}

// ---- inverses and determinants ----

/**
 * The inverse of each square matrix, as `torch.linalg.inv`. A singular matrix is a `TorchError`.
 *
 * @example
 * ```ts
 * const inv = inverse(tensor([[2, 0], [0, 4]])); // Tensor<[2, 2]>: [[0.5, 0], [0, 0.25]]
 * ```
 */
export function inverse<S extends Shape>(a: Tensor<S> & SquareCheck<"inverse", S>): Tensor<S> {
  const op = "inverse";
  squareMatrices(a, op);
  return wrap(sym.dt_inverse(handleOf(a, op)), op);
}

/**
 * The determinant of each square matrix, as `torch.linalg.det`.
 *
 * @example
 * ```ts
 * const d = det(tensor([[1, 2], [3, 4]])); // Tensor<[]>: -2
 * ```
 */
export function det<S extends Shape>(a: Tensor<S> & SquareCheck<"det", S>): Tensor<BatchOf<S>> {
  const op = "det";
  squareMatrices(a, op);
  return wrap(sym.dt_det(handleOf(a, op)), op);
}

/** The result of `slogdet`: det = sign · exp(logAbsDet). */
export interface SlogDet<B extends Shape> {
  /** The determinant's sign: 1, -1, or 0 for a singular matrix. */
  sign: Tensor<B>;
  /** log |det|: -Infinity for a singular matrix. */
  logAbsDet: Tensor<B>;
}

/**
 * The sign and log-absolute-value of each determinant, as `torch.linalg.slogdet`: stable where the
 * determinant itself would overflow or underflow.
 *
 * @example
 * ```ts
 * const { sign, logAbsDet } = slogdet(tensor([[1, 2], [3, 4]])); // -1 and log 2
 * ```
 */
export function slogdet<S extends Shape>(a: Tensor<S> & SquareCheck<"slogdet", S>): SlogDet<BatchOf<S>> {
  const op = "slogdet";
  squareMatrices(a, op);
  const [sign, logAbsDet] = outputs(sym.dt_slogdet(handleOf(a, op), pair), pair, op) as Tensor<BatchOf<S>>[];
  return { sign, logAbsDet };
}

/** The shape `solve(a, b)` gives: a vector right-hand side [..., n] or matrices [..., n, k], or an error message. */
export type SolveOrError<A extends Shape, B extends Shape> = number extends A["length"] ? Shape
  : number extends B["length"] ? Shape
  : A extends readonly [...infer BA extends Shape, infer N extends Dim, infer N2]
    ? SameDim<N, N2> extends false ? `solve: a's matrices must be square, got shape ${FormatShape<A>}`
    : B extends readonly [infer K] ? SameDim<N, K> extends true ? [...BA, N]
      : `solve: b has ${Fmt<K>} rows, a's matrices are ${Fmt<N>} x ${Fmt<N>}`
    : SolveIsBatchedVector<[...BA, N], B> extends true ? [...BA, N]
    : B extends readonly [...infer BB extends Shape, infer K, infer M]
      ? SameDim<N, K> extends true ? BroadcastOrError<BA, BB> extends infer J ? J extends Shape ? [...J, N, M]
          : `solve: batch dimensions of ${FormatShape<A>} and ${FormatShape<B>} do not broadcast`
        : never
      : `solve: b has ${Fmt<K>} rows, a's matrices are ${Fmt<N>} x ${Fmt<N>}`
    : `solve: b must be [..., n] or [..., n, k], got shape ${FormatShape<B>}`
  : `solve: a must be square matrices [..., n, n], got shape ${FormatShape<A>}`;
/** torch's vector case: b is exactly a's shape without the last dimension. */
export type SolveIsBatchedVector<V extends Shape, B extends Shape> = V["length"] extends B["length"]
  ? { [K in keyof V]: SameDim<V[K], B[K & keyof B]> }[number] extends true ? true : false
  : false;
/** The shape `solve` returns (`Shape` when it does not fit). */
export type Solve<A extends Shape, B extends Shape> = SolveOrError<A, B> extends infer R extends Shape ? R : Shape;

/**
 * X with a X = b, as `torch.linalg.solve`: `b` is a vector per matrix ([..., n], or exactly a's shape
 * without its last dimension) or matrices [..., n, k] whose batch broadcasts with a's. A singular
 * `a` is a `TorchError`.
 *
 * @example
 * ```ts
 * const x = solve(tensor([[2, 0], [0, 4]]), tensor([2, 8])); // Tensor<[2]>: [1, 2]
 * ```
 */
export function solve<A extends Shape, B extends Shape>(
  a: Tensor<A>,
  b: Tensor<B> & Check<SolveOrError<A, B>>,
): Tensor<Solve<A, B>> {
  const op = "solve";
  const n = squareMatrices(a, op, "a");
  handleOf(b, op);
  if (b.dtype !== a.dtype) throw new DTypeError(op, `a and b must have one dtype, got ${a.dtype} and ${b.dtype}`);
  const vector = b.rank === 1 ||
    (b.rank === a.rank - 1 && b.shape.every((d, i) => d === a.shape[i]));
  const rows = vector ? b.shape[b.rank - 1] : b.shape[b.rank - 2];
  if (b.rank === 0) throw new ShapeError(op, `b must be [..., n] or [..., n, k], got shape ${formatShape(b.shape)}`);
  if (rows !== n) throw new ShapeError(op, `b has ${rows} rows, a's matrices are ${n} x ${n}`);
  if (!vector) {
    try {
      broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), op);
    } catch {
      throw new ShapeError(
        op,
        `batch dimensions of ${formatShape(a.shape)} and ${formatShape(b.shape)} do not broadcast`,
      );
    }
  }
  sameDevice(a, b, op);
  return wrap(sym.dt_solve(handleOf(a, op), handleOf(b, op)), op);
}

// ---- decompositions ----

/**
 * The Cholesky factor of each symmetric positive-definite matrix, as `torch.linalg.cholesky`: L
 * lower-triangular with a = L Lᵀ, or U = Lᵀ with `{ upper: true }`. Only the lower triangle is read
 * (the upper one with `upper`). A matrix that is not positive-definite is a `TorchError`.
 *
 * @example
 * ```ts
 * const l = cholesky(tensor([[4, 2], [2, 5]])); // Tensor<[2, 2]>: [[2, 0], [1, 2]]
 * ```
 */
export function cholesky<S extends Shape>(
  a: Tensor<S> & SquareCheck<"cholesky", S>,
  options: { upper?: boolean } = {},
): Tensor<S> {
  const op = "cholesky";
  squareMatrices(a, op);
  return wrap(sym.dt_cholesky(handleOf(a, op), options.upper ? 1 : 0), op);
}

/** The result of `qr`: a = q r, q with orthonormal columns, r upper-triangular. */
export interface QR<Q extends Shape, R extends Shape> {
  /** [..., m, k] (k = min(m, n)), or [..., m, m] with mode "complete". */
  q: Tensor<Q>;
  /** [..., k, n], or [..., m, n] with mode "complete". */
  r: Tensor<R>;
}
/** The shapes of `qr(a, mode)`. */
export type QROf<S extends Shape, Mode extends "reduced" | "complete"> = number extends S["length"] ? QR<Shape, Shape>
  : Mode extends "complete" ? QR<[...BatchOf<S>, MatrixRows<S>, MatrixRows<S>], S>
  : QR<
    [...BatchOf<S>, MatrixRows<S>, MinDim<MatrixRows<S>, MatrixCols<S>>],
    [...BatchOf<S>, MinDim<MatrixRows<S>, MatrixCols<S>>, MatrixCols<S>]
  >;

/**
 * The QR decomposition of each matrix, as `torch.linalg.qr`: mode "reduced" (the default) gives
 * q [..., m, k] and r [..., k, n] with k = min(m, n); "complete" gives q [..., m, m] and r [..., m, n].
 *
 * @example
 * ```ts
 * const { q, r } = qr(randn([4, 3], rng(0))); // q [4, 3], r [3, 3]
 * ```
 */
export function qr<S extends Shape, const Mode extends "reduced" | "complete" = "reduced">(
  a: Tensor<S> & MatrixCheck<"qr", S>,
  mode: Mode = "reduced" as Mode,
): QROf<S, Mode> {
  const op = "qr";
  if (mode !== "reduced" && mode !== "complete") {
    throw new RangeError(`${op}: mode must be "reduced" or "complete", got ${String(mode)}`);
  }
  floatMatrices(a, op);
  const [q, r] = outputs(sym.dt_qr(handleOf(a, op), mode === "complete" ? 1 : 0, pair), pair, op);
  return { q, r } as QROf<S, Mode>;
}

/** The result of `svd`: a = u · diag(s) · vh, singular values in descending order. */
export interface SVD<U extends Shape, Sv extends Shape, Vh extends Shape> {
  /** Left singular vectors as columns: [..., m, k], or [..., m, m] with fullMatrices. */
  u: Tensor<U>;
  /** Singular values, non-negative and descending: [..., k], k = min(m, n). */
  s: Tensor<Sv>;
  /** Right singular vectors as rows: [..., k, n], or [..., n, n] with fullMatrices. */
  vh: Tensor<Vh>;
}
/** The shapes of `svd(a, { fullMatrices })`. */
export type SVDOf<S extends Shape, Full extends boolean> = number extends S["length"] ? SVD<Shape, Shape, Shape>
  : Full extends true ? SVD<
      [...BatchOf<S>, MatrixRows<S>, MatrixRows<S>],
      [...BatchOf<S>, MinDim<MatrixRows<S>, MatrixCols<S>>],
      [...BatchOf<S>, MatrixCols<S>, MatrixCols<S>]
    >
  : SVD<
    [...BatchOf<S>, MatrixRows<S>, MinDim<MatrixRows<S>, MatrixCols<S>>],
    [...BatchOf<S>, MinDim<MatrixRows<S>, MatrixCols<S>>],
    [...BatchOf<S>, MinDim<MatrixRows<S>, MatrixCols<S>>, MatrixCols<S>]
  >;

/**
 * The singular value decomposition of each matrix, as `torch.linalg.svd`, reduced by default
 * (`fullMatrices: false`, unlike torch's default): u [..., m, k], s [..., k], vh [..., k, n] with
 * k = min(m, n). Gradients are defined where the singular values are distinct (as in torch).
 *
 * @example
 * ```ts
 * const { u, s, vh } = svd(randn([4, 3], rng(0))); // u [4, 3], s [3], vh [3, 3]
 * ```
 */
export function svd<S extends Shape, const Full extends boolean = false>(
  a: Tensor<S> & MatrixCheck<"svd", S>,
  options: { fullMatrices?: Full } = {},
): SVDOf<S, Full> {
  const op = "svd";
  floatMatrices(a, op);
  const [u, s, vh] = outputs(sym.dt_svd(handleOf(a, op), options.fullMatrices ? 1 : 0, triple), triple, op);
  return { u, s, vh } as SVDOf<S, Full>;
}

/** The result of `eigh`: a = eigenvectors · diag(eigenvalues) · eigenvectorsᵀ. */
export interface Eigh<S extends Shape> {
  /** The eigenvalues in ascending order: [..., n]. */
  eigenvalues: Tensor<[...BatchOf<S>, MatrixCols<S>]>;
  /** The orthonormal eigenvectors as columns: [..., n, n]. */
  eigenvectors: Tensor<S>;
}

/**
 * Eigenvalues and eigenvectors of each symmetric matrix, as `torch.linalg.eigh`: only one triangle is
 * read, the lower by default (`UPLO: "L"`), the upper with `"U"`.
 *
 * @example
 * ```ts
 * const { eigenvalues, eigenvectors } = eigh(tensor([[2, 1], [1, 2]])); // eigenvalues [1, 3]
 * ```
 */
export function eigh<S extends Shape>(a: Tensor<S> & SquareCheck<"eigh", S>, UPLO: "L" | "U" = "L"): Eigh<S> {
  const op = "eigh";
  if (UPLO !== "L" && UPLO !== "U") throw new RangeError(`${op}: UPLO must be "L" or "U", got ${String(UPLO)}`);
  squareMatrices(a, op);
  const [eigenvalues, eigenvectors] = outputs(sym.dt_eigh(handleOf(a, op), UPLO === "U" ? 1 : 0, pair), pair, op);
  return { eigenvalues, eigenvectors } as Eigh<S>;
}
