/**
 * Element types. The codes are shared with native/core.cpp (`dt::scalar_type`).
 *
 * @module
 */
import { DTypeError } from "./errors.ts";

/**
 * The element type of a tensor: 32/64-bit, bfloat16 and half floats, 64/32-bit signed integers, or
 * booleans. Creation functions default to `"f32"` for numbers and `"bool"` for booleans.
 */
export type DType = "f32" | "f64" | "bf16" | "f16" | "i64" | "i32" | "bool" | "i8";
/** The floating-point dtypes: the ones gradients flow through and that casts on load may target. */
export type FloatDType = "f32" | "f64" | "bf16" | "f16";

/** Every dtype; "i8" holds int8 weights (`quantizeLinear`), the others are general purpose. */
export const DTYPES: readonly DType[] = ["f32", "f64", "bf16", "f16", "i64", "i32", "bool", "i8"];
/** Native code "u8" (7) is only used internally for bool data transfer. */
export const U8_CODE = 7;

const CODES: Record<DType, number> = { f32: 0, f64: 1, bf16: 2, f16: 3, i64: 4, i32: 5, bool: 6, i8: 8 };
const FROM_CODE: Record<number, DType> = Object.fromEntries(DTYPES.map((d) => [CODES[d], d]));
const BYTES: Record<DType, number> = { f32: 4, f64: 8, bf16: 2, f16: 2, i64: 8, i32: 4, bool: 1, i8: 1 };

export function dtypeCode(d: DType, op = "dtype"): number {
  const code = CODES[d];
  if (code === undefined) {
    throw new DTypeError(op, `unknown dtype ${JSON.stringify(d)}; expected one of ${DTYPES.join(", ")}`);
  }
  return code;
}

export function dtypeFromCode(code: number): DType {
  return code === U8_CODE ? "bool" : FROM_CODE[code];
}

export function bytesPer(d: DType): number {
  return BYTES[d];
}

export function isFloat(d: DType): d is FloatDType {
  return d === "f32" || d === "f64" || d === "bf16" || d === "f16";
}

export function isInteger(d: DType): boolean {
  return d === "i64" || d === "i32" || d === "i8";
}
