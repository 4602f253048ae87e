/** Elementwise ops with broadcasting. A second operand may be a plain number. */
import { DTypeError, ShapeError } from "../../ffi/errors.ts";
import { sym } from "../../ffi/lib.ts";
import { type Broadcast, type BroadcastCheck, formatShape, type Shape } from "../shape.ts";
import { h, type Handle, type Tensor, wrap } from "../tensor.ts";
import { broadcastShapes, sameDevice } from "./check.ts";

/** A tensor that broadcasts with `A`, or a number. */
export type Operand<A extends Shape, B extends Shape> = number | (Tensor<B> & BroadcastCheck<A, B>);

export type BinaryOp = <A extends Shape, B extends Shape = []>(
  a: Tensor<A>,
  b: Operand<A, B>,
) => Tensor<Broadcast<A, B>>;
export type UnaryOp = <S extends Shape>(x: Tensor<S>) => Tensor<S>;

type Native2 = (a: Handle, b: Handle) => Handle | null;
type NativeScalar = (a: Handle, s: number) => Handle | null;
type Native1 = (x: Handle) => Handle | null;

function binary(op: string, withTensor: Native2, withScalar: NativeScalar): BinaryOp {
  return (<A extends Shape, B extends Shape>(a: Tensor<A>, b: number | Tensor<B>) => {
    if (typeof b === "number") return wrap(withScalar(h(a, op), b), op);
    broadcastShapes(a.shape, b.shape, op);
    sameDevice(a, b, op);
    return wrap(withTensor(h(a, op), h(b, op)), op);
  }) as BinaryOp;
}

function unary(op: string, fn: Native1): UnaryOp {
  return (<S extends Shape>(x: Tensor<S>) => wrap<S>(fn(h(x, op)), op)) as UnaryOp;
}

export const add: BinaryOp = binary("add", sym.dt_add, sym.dt_add_scalar);
export const sub: BinaryOp = binary("sub", sym.dt_sub, sym.dt_sub_scalar);
export const mul: BinaryOp = binary("mul", sym.dt_mul, sym.dt_mul_scalar);
export const div: BinaryOp = binary("div", sym.dt_div, sym.dt_div_scalar);
export const pow: BinaryOp = binary("pow", sym.dt_pow, sym.dt_pow_scalar);
/** Elementwise maximum; with a number, max(x, s). */
export const maximum: BinaryOp = binary("maximum", sym.dt_maximum, (x, s) => sym.dt_clamp(x, 1, s, 0, 0));
export const minimum: BinaryOp = binary("minimum", sym.dt_minimum, (x, s) => sym.dt_clamp(x, 0, 0, 1, s));
// Comparisons give bool tensors.
export const eq: BinaryOp = binary("eq", sym.dt_eq, sym.dt_eq_scalar);
export const ne: BinaryOp = binary("ne", sym.dt_ne, sym.dt_ne_scalar);
export const lt: BinaryOp = binary("lt", sym.dt_lt, sym.dt_lt_scalar);
export const le: BinaryOp = binary("le", sym.dt_le, sym.dt_le_scalar);
export const gt: BinaryOp = binary("gt", sym.dt_gt, sym.dt_gt_scalar);
export const ge: BinaryOp = binary("ge", sym.dt_ge, sym.dt_ge_scalar);
export const logicalAnd: BinaryOp = binary("logicalAnd", sym.dt_logical_and, withScalarTensor(sym.dt_logical_and));
export const logicalOr: BinaryOp = binary("logicalOr", sym.dt_logical_or, withScalarTensor(sym.dt_logical_or));

/** For ops libtorch only has in a tensor form: the number becomes a temporary 0-dim tensor. */
function withScalarTensor(fn: Native2): NativeScalar {
  const empty = new Float64Array(0);
  return (x, s) => {
    const t = sym.dt_full(empty, 0, s, 1, 0, 0);
    if (t === null) return null;
    try {
      return fn(x, t);
    } finally {
      sym.dt_free(t);
    }
  };
}

/** s - x */
export function rsub<S extends Shape>(s: number, x: Tensor<S>): Tensor<S> {
  return wrap(sym.dt_rsub_scalar(h(x, "rsub"), s), "rsub");
}

/** s / x */
export function rdiv<S extends Shape>(s: number, x: Tensor<S>): Tensor<S> {
  return wrap(sym.dt_rdiv_scalar(h(x, "rdiv"), s), "rdiv");
}

export const neg: UnaryOp = unary("neg", sym.dt_neg);
export const abs: UnaryOp = unary("abs", sym.dt_abs);
export const exp: UnaryOp = unary("exp", sym.dt_exp);
export const log: UnaryOp = unary("log", sym.dt_log);
export const sqrt: UnaryOp = unary("sqrt", sym.dt_sqrt);
export const rsqrt: UnaryOp = unary("rsqrt", sym.dt_rsqrt);
export const tanh: UnaryOp = unary("tanh", sym.dt_tanh);
export const sigmoid: UnaryOp = unary("sigmoid", sym.dt_sigmoid);
export const relu: UnaryOp = unary("relu", sym.dt_relu);
export const sin: UnaryOp = unary("sin", sym.dt_sin);
export const cos: UnaryOp = unary("cos", sym.dt_cos);
export const reciprocal: UnaryOp = unary("reciprocal", sym.dt_reciprocal);
export const logicalNot: UnaryOp = unary("logicalNot", sym.dt_logical_not);
export const isNaN: UnaryOp = unary("isNaN", sym.dt_isnan);
export const isFinite: UnaryOp = unary("isFinite", sym.dt_isfinite);

/** GELU, exact (erf) by default or with the tanh approximation. */
export function gelu<S extends Shape>(x: Tensor<S>, approximate: "none" | "tanh" = "none"): Tensor<S> {
  return wrap(sym.dt_gelu(h(x, "gelu"), approximate === "tanh" ? 1 : 0), "gelu");
}

/** Clamps into [min, max]; either bound may be omitted. */
export function clamp<S extends Shape>(x: Tensor<S>, min?: number, max?: number): Tensor<S> {
  if (min !== undefined && max !== undefined && min > max) throw new RangeError(`clamp: min ${min} > max ${max}`);
  return wrap(
    sym.dt_clamp(h(x, "clamp"), min === undefined ? 0 : 1, min ?? 0, max === undefined ? 0 : 1, max ?? 0),
    "clamp",
  );
}

/** cond ? a : b, elementwise with broadcasting. */
export function where<S extends Shape>(cond: Tensor, a: Tensor<S>, b: Tensor): Tensor<S> {
  broadcastShapes(broadcastShapes(cond.shape, a.shape, "where"), b.shape, "where");
  if (cond.dtype !== "bool") throw new DTypeError("where", `the condition must be bool, got ${cond.dtype}`);
  return wrap(sym.dt_where(h(cond, "where"), h(a, "where"), h(b, "where")), "where");
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
  return wrap(sym.dt_masked_fill(h(x, "maskedFill"), h(mask, "maskedFill"), value), "maskedFill");
}
