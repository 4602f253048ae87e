/**
 * Elementwise ops. The binary ones (`add`, `mul`, `eq`, ...) are each a {@linkcode BinaryOp}: the
 * second operand is a number or a tensor that broadcasts against the first, and the errors they raise
 * are said there, once. The unary ones are each a {@linkcode UnaryOp}.
 *
 * @module
 */
import { DTypeError, ShapeError } from "../errors.ts";
import { sym } from "../../ffi/lib.ts";
import { type Broadcast, type BroadcastCheck, formatShape, type Shape } from "../shape.ts";
import { type Handle, handleOf, type Tensor, wrap } from "../tensor.ts";
import { broadcastShapes, sameDevice } from "./check.ts";
import { type DType, dtypeCode, isFloat, isInteger } from "../dtype.ts";

/** A tensor that broadcasts with `A`, or a number. */
export type Operand<A extends Shape, B extends Shape> = number | (Tensor<B> & BroadcastCheck<A, B>);

/**
 * The signature shared by the broadcasting binary ops (`add`, `mul`, `eq`, ...): a tensor `a` and, as
 * `b`, a number or a tensor whose shape broadcasts with `a`'s (PyTorch's rules: sizes are matched from
 * the last dimension, and a size of 1 or a missing dimension stretches); the result has the broadcast
 * shape. Each throws a `ShapeError` when the shapes do not broadcast and a `DeviceError` when the
 * tensors are on different devices.
 */
export type BinaryOp = <A extends Shape, B extends Shape = []>(
  a: Tensor<A>,
  b: Operand<A, B>,
) => Tensor<Broadcast<A, B>>;
/** The signature shared by the elementwise unary ops (`exp`, `relu`, ...): the result has the input's shape. */
export type UnaryOp = <S extends Shape>(x: Tensor<S>) => Tensor<S>;

type Native2 = (a: Handle, b: Handle) => Handle | null;
type NativeScalar = (a: Handle, s: number) => Handle | null;
type Native1 = (x: Handle) => Handle | null;

function binary(op: string, withTensor: Native2, withScalar: NativeScalar): BinaryOp {
  return (<A extends Shape, B extends Shape>(a: Tensor<A>, b: number | Tensor<B>) => {
    if (typeof b === "number") return wrap(withScalar(handleOf(a, op), b), op);
    broadcastShapes(a.shape, b.shape, op);
    sameDevice(a, b, op);
    return wrap(withTensor(handleOf(a, op), handleOf(b, op)), op);
  }) as BinaryOp;
}

function unary(op: string, fn: Native1): UnaryOp {
  return (<S extends Shape>(x: Tensor<S>) => wrap<S>(fn(handleOf(x, op)), op)) as UnaryOp;
}

/**
 * Elementwise a + b (a {@linkcode BinaryOp}).
 *
 * @example
 * ```ts
 * const x = randn([2, 3], rng(0));
 * const y = add(x, 1); // Tensor<[2, 3]>
 * const z = add(x, randn([3], rng(1))); // the [3] row is added to each row of x
 * ```
 */
export const add: BinaryOp = binary("add", sym.dt_add, sym.dt_add_scalar);
/**
 * Elementwise a − b (a {@linkcode BinaryOp}; `rsub` gives s − x).
 *
 * @example
 * ```ts
 * const centered = sub(x, mean(x, -1, true)); // x: Tensor<[2, 3]>
 * ```
 */
export const sub: BinaryOp = binary("sub", sym.dt_sub, sym.dt_sub_scalar);
/**
 * Elementwise product a · b (a {@linkcode BinaryOp}).
 *
 * @example
 * ```ts
 * const scaled = mul(x, 0.5); // x: Tensor<[2, 3]> → Tensor<[2, 3]>
 * ```
 */
export const mul: BinaryOp = binary("mul", sym.dt_mul, sym.dt_mul_scalar);
/**
 * Elementwise quotient a / b (a {@linkcode BinaryOp}; `rdiv` gives s / x).
 * Integer inputs give a floating-point result, as in PyTorch's true division.
 *
 * @example
 * ```ts
 * const probs = div(counts, sum(counts)); // counts: Tensor<[5]>
 * ```
 */
export const div: BinaryOp = binary("div", sym.dt_div, sym.dt_div_scalar);
/**
 * Elementwise power: `a` raised to `b` (a {@linkcode BinaryOp}).
 *
 * @example
 * ```ts
 * const squares = pow(x, 2); // x: Tensor<[2, 3]>
 * ```
 */
export const pow: BinaryOp = binary("pow", sym.dt_pow, sym.dt_pow_scalar);
/**
 * maximum/minimum: with a number s, libtorch's op against s as a 0-dim tensor (see `numberDType`),
 * so the result is torch.maximum's: in f16 too, and NaN where s is NaN. (They were clamp once,
 * which has no f16 kernel on CPU in libtorch 1.13 and ignores a NaN bound.)
 */
function extremum(op: string, fn: Native2): BinaryOp {
  const withTensor = binary(op, fn, () => null);
  return (<A extends Shape, B extends Shape>(a: Tensor<A>, b: number | Tensor<B>) => {
    if (typeof b !== "number") return withTensor(a, b as Operand<A, B>);
    return wrap(withScalarTensor(fn, numberDType(a.dtype, b))(handleOf(a, op), b), op);
  }) as BinaryOp;
}

/**
 * The dtype of the 0-dim tensor that stands for the number s beside x: the dtype x op s has with
 * dt::scalar (x's for floats and, when s is integral, for i32/i64; f32 otherwise), since beside a
 * 0-dim x a 0-dim operand of another dtype would promote the result.
 */
function numberDType(x: DType, s: number): DType {
  if (isFloat(x)) return x;
  return isInteger(x) && Number.isInteger(s) && Math.abs(s) < 9.2e18 ? x : "f32";
}

/** Elementwise maximum; with a number, max(x, s) (a {@linkcode BinaryOp}). */
export const maximum: BinaryOp = extremum("maximum", sym.dt_maximum);
/**
 * Elementwise minimum of `a` and `b`; with a number, min(x, s) (a {@linkcode BinaryOp}).
 *
 * @example
 * ```ts
 * const capped = minimum(x, 1); // every element at most 1
 * ```
 */
export const minimum: BinaryOp = extremum("minimum", sym.dt_minimum);
// Comparisons give bool tensors.
/**
 * Elementwise a == b as a bool tensor (a {@linkcode BinaryOp}).
 *
 * @example
 * ```ts
 * const isPad = eq(ids, 0); // ids: Tensor<["batch", "src"]> → bool Tensor<["batch", "src"]>
 * ```
 */
export const eq: BinaryOp = binary("eq", sym.dt_eq, sym.dt_eq_scalar);
/**
 * Elementwise a != b as a bool tensor (a {@linkcode BinaryOp}).
 *
 * @example
 * ```ts
 * const notPad = ne(ids, 0); // true where the token is not padding
 * ```
 */
export const ne: BinaryOp = binary("ne", sym.dt_ne, sym.dt_ne_scalar);
/**
 * Elementwise a < b as a bool tensor (a {@linkcode BinaryOp}).
 *
 * @example
 * ```ts
 * const negative = lt(x, 0);
 * ```
 */
export const lt: BinaryOp = binary("lt", sym.dt_lt, sym.dt_lt_scalar);
/**
 * Elementwise a ≤ b as a bool tensor (a {@linkcode BinaryOp}).
 *
 * @example
 * ```ts
 * const inRange = le(x, 1);
 * ```
 */
export const le: BinaryOp = binary("le", sym.dt_le, sym.dt_le_scalar);
/**
 * Elementwise a > b as a bool tensor (a {@linkcode BinaryOp}).
 *
 * @example
 * ```ts
 * const positive = gt(x, 0);
 * ```
 */
export const gt: BinaryOp = binary("gt", sym.dt_gt, sym.dt_gt_scalar);
/**
 * Elementwise a ≥ b as a bool tensor (a {@linkcode BinaryOp}).
 *
 * @example
 * ```ts
 * const kept = ge(scores, threshold); // scores: Tensor<[n]>, threshold: Tensor<[]>
 * ```
 */
export const ge: BinaryOp = binary("ge", sym.dt_ge, sym.dt_ge_scalar);
/**
 * Elementwise logical AND as a bool tensor, non-zero counting as true (a {@linkcode BinaryOp}).
 *
 * @example
 * ```ts
 * const allowed = logicalAnd(notPad, causal); // [batch, 1, 1, tgt] and [1, tgt, tgt] → [batch, 1, tgt, tgt]
 * ```
 */
export const logicalAnd: BinaryOp = binary("logicalAnd", sym.dt_logical_and, withScalarTensor(sym.dt_logical_and));
/**
 * Elementwise logical OR as a bool tensor, non-zero counting as true (a {@linkcode BinaryOp}).
 *
 * @example
 * ```ts
 * const finished = logicalOr(finished0, eq(next, eos)); // both Tensor<["batch"]>
 * ```
 */
export const logicalOr: BinaryOp = binary("logicalOr", sym.dt_logical_or, withScalarTensor(sym.dt_logical_or));

/**
 * For ops libtorch only has in a tensor form: the number becomes a temporary 0-dim tensor, f64 (the
 * number whole) unless `dtype` says otherwise.
 */
function withScalarTensor(fn: Native2, dtype: DType = "f64"): NativeScalar {
  return (x, s) => {
    const t = scalarTensor(s, dtype);
    if (t === null) return null;
    try {
      return fn(x, t);
    } finally {
      sym.dt_free(t);
    }
  };
}

const NO_SIZES = new Float64Array(0);

/**
 * s as a 0-dim tensor of `dtype`: filled as f64 (i64 for an integer dtype) and then cast, so that a
 * number past a narrower dtype's range becomes ±Infinity, as a cast makes it, instead of a refused fill.
 */
function scalarTensor(s: number, dtype: DType): Handle | null {
  const wide: DType = isInteger(dtype) ? "i64" : "f64";
  const t = sym.dt_full(NO_SIZES, 0, s, dtypeCode(wide), 0, 0);
  if (t === null || dtype === wide) return t;
  try {
    return sym.dt_to_dtype(t, dtypeCode(dtype));
  } finally {
    sym.dt_free(t);
  }
}

/** s - x */
export function rsub<S extends Shape>(s: number, x: Tensor<S>): Tensor<S> {
  return wrap(sym.dt_rsub_scalar(handleOf(x, "rsub"), s), "rsub");
}

/** s / x */
export function rdiv<S extends Shape>(s: number, x: Tensor<S>): Tensor<S> {
  return wrap(sym.dt_rdiv_scalar(handleOf(x, "rdiv"), s), "rdiv");
}

/**
 * Elementwise negation, −x.
 *
 * @example
 * ```ts
 * const y = neg(x); // x: Tensor<[2, 3]> → Tensor<[2, 3]>
 * ```
 */
export const neg: UnaryOp = unary("neg", sym.dt_neg);
/**
 * Elementwise absolute value.
 *
 * @example
 * ```ts
 * const err = abs(sub(a, b));
 * ```
 */
export const abs: UnaryOp = unary("abs", sym.dt_abs);
/**
 * Elementwise exponential, eˣ.
 *
 * @example
 * ```ts
 * const y = exp(tensor([0, 1])); // [1, 2.718…]
 * ```
 */
export const exp: UnaryOp = unary("exp", sym.dt_exp);
/**
 * Elementwise natural logarithm: NaN for negative inputs and −Infinity at 0.
 *
 * @example
 * ```ts
 * const y = log(tensor([1, Math.E])); // [0, 1]
 * ```
 */
export const log: UnaryOp = unary("log", sym.dt_log);
/**
 * Elementwise square root; NaN for negative inputs.
 *
 * @example
 * ```ts
 * const y = sqrt(tensor([4, 9])); // [2, 3]
 * ```
 */
export const sqrt: UnaryOp = unary("sqrt", sym.dt_sqrt);
/**
 * Elementwise reciprocal square root, 1/√x.
 *
 * @example
 * ```ts
 * const y = rsqrt(tensor([4, 16])); // [0.5, 0.25]
 * ```
 */
export const rsqrt: UnaryOp = unary("rsqrt", sym.dt_rsqrt);
/**
 * Elementwise hyperbolic tangent, in (−1, 1).
 *
 * @example
 * ```ts
 * const y = tanh(x); // x: Tensor<[2, 3]>
 * ```
 */
export const tanh: UnaryOp = unary("tanh", sym.dt_tanh);
/**
 * Elementwise logistic sigmoid, 1 / (1 + e⁻ˣ), in (0, 1).
 *
 * @example
 * ```ts
 * const gate = sigmoid(x); // x: Tensor<[2, 3]>
 * ```
 */
export const sigmoid: UnaryOp = unary("sigmoid", sym.dt_sigmoid);
/**
 * Elementwise rectified linear unit, max(x, 0).
 *
 * @example
 * ```ts
 * const y = relu(tensor([-1, 2])); // [0, 2]
 * ```
 */
export const relu: UnaryOp = unary("relu", sym.dt_relu);
/**
 * Elementwise sine of angles in radians.
 *
 * @example
 * ```ts
 * const y = sin(tensor([0, Math.PI / 2])); // [0, 1]
 * ```
 */
export const sin: UnaryOp = unary("sin", sym.dt_sin);
/**
 * Elementwise cosine of angles in radians.
 *
 * @example
 * ```ts
 * const y = cos(tensor([0, Math.PI])); // [1, -1]
 * ```
 */
export const cos: UnaryOp = unary("cos", sym.dt_cos);
/**
 * Elementwise reciprocal, 1/x (Infinity at 0 for floating-point tensors).
 *
 * @example
 * ```ts
 * const y = reciprocal(tensor([2, 4])); // [0.5, 0.25]
 * ```
 */
export const reciprocal: UnaryOp = unary("reciprocal", sym.dt_reciprocal);
/**
 * Elementwise logical NOT as a bool tensor: true where `x` is zero or false.
 *
 * @example
 * ```ts
 * const blocked = logicalNot(mask); // mask: bool, true = may attend
 * ```
 */
export const logicalNot: UnaryOp = unary("logicalNot", sym.dt_logical_not);
/**
 * A bool tensor that is true where `x` is NaN.
 *
 * @example
 * ```ts
 * const bad = isNaN(tensor([1, NaN])); // [false, true]
 * ```
 */
export const isNaN: UnaryOp = unary("isNaN", sym.dt_isnan);
/**
 * A bool tensor that is true where `x` is neither NaN nor ±Infinity.
 *
 * @example
 * ```ts
 * const ok = isFinite(tensor([1, Infinity, NaN])); // [true, false, false]
 * ```
 */
export const isFinite: UnaryOp = unary("isFinite", sym.dt_isfinite);

/** GELU, exact (erf) by default or with the tanh approximation. */
export function gelu<S extends Shape>(x: Tensor<S>, approximate: "none" | "tanh" = "none"): Tensor<S> {
  return wrap(sym.dt_gelu(handleOf(x, "gelu"), approximate === "tanh" ? 1 : 0), "gelu");
}

/** Clamps into [min, max]; either bound may be omitted. */
export function clamp<S extends Shape>(x: Tensor<S>, min?: number, max?: number): Tensor<S> {
  if (min !== undefined && max !== undefined && min > max) throw new RangeError(`clamp: min ${min} > max ${max}`);
  return wrap(
    sym.dt_clamp(handleOf(x, "clamp"), min === undefined ? 0 : 1, min ?? 0, max === undefined ? 0 : 1, max ?? 0),
    "clamp",
  );
}

/** cond ? a : b, elementwise with broadcasting. */
export function where<S extends Shape>(cond: Tensor, a: Tensor<S>, b: Tensor): Tensor<S> {
  broadcastShapes(broadcastShapes(cond.shape, a.shape, "where"), b.shape, "where");
  if (cond.dtype !== "bool") throw new DTypeError("where", `the condition must be bool, got ${cond.dtype}`);
  return wrap(sym.dt_where(handleOf(cond, "where"), handleOf(a, "where"), handleOf(b, "where")), "where");
}

/** x with `value` wherever the (broadcast) bool `mask` is true. */
export function maskedFill<S extends Shape>(x: Tensor<S>, mask: Tensor, value: number): Tensor<S> {
  const shape = broadcastShapes(x.shape, mask.shape, "maskedFill");
  if (shape.length !== x.rank || shape.some((d, i) => d !== x.shape[i])) {
    throw new ShapeError(
      "maskedFill",
      `a mask of shape ${formatShape(mask.shape)} does not fit x of shape ${formatShape(x.shape)}`,
    );
  }
  if (mask.dtype !== "bool") throw new DTypeError("maskedFill", `the mask must be bool, got ${mask.dtype}`);
  return wrap(sym.dt_masked_fill(handleOf(x, "maskedFill"), handleOf(mask, "maskedFill"), value), "maskedFill");
}
