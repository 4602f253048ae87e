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
export type DType = "f32" | "f64" | "bf16" | "f16" | "i64" | "i32" | "bool";
/** The floating-point dtypes: the ones gradients flow through and that casts on load may target. */
export type FloatDType = "f32" | "f64" | "bf16" | "f16";

/** Index = native code. "u8" (code 7) is only used internally for bool data transfer. */
export const DTYPES: readonly DType[] = ["f32", "f64", "bf16", "f16", "i64", "i32", "bool"];
export const U8_CODE = 7;

const CODES: Record<DType, number> = { f32: 0, f64: 1, bf16: 2, f16: 3, i64: 4, i32: 5, bool: 6 };
const BYTES: Record<DType, number> = { f32: 4, f64: 8, bf16: 2, f16: 2, i64: 8, i32: 4, bool: 1 };

export function dtypeCode(d: DType, op = "dtype"): number {
  const code = CODES[d];
  if (code === undefined) {
    throw new DTypeError(op, `unknown dtype ${JSON.stringify(d)}; expected one of ${DTYPES.join(", ")}`);
  }
  return code;
}

export function dtypeFromCode(code: number): DType {
  return code === U8_CODE ? "bool" : DTYPES[code];
}

export function bytesPer(d: DType): number {
  return BYTES[d];
}

export function isFloat(d: DType): d is FloatDType {
  return d === "f32" || d === "f64" || d === "bf16" || d === "f16";
}

export function isInteger(d: DType): boolean {
  return d === "i64" || d === "i32";
}
