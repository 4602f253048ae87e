/**
 * Reused argument buffers for native calls. Allocating a typed array costs V8 a few hundred
 * nanoseconds, more than the FFI call itself, and every native function copies what it reads before
 * returning, so one module-level buffer per kind serves every call.
 */
import { ShapeError } from "./errors.ts";
import { formatShape } from "./shape.ts";

const MAX_RANK = 64;
const dims = new Float64Array(MAX_RANK);

/**
 * `value` checked to be a whole number that native code may cast to int64: the native side takes
 * integers as f64 and casts them, and casting NaN, ±Infinity or a number beyond int64's range is
 * undefined behaviour in C++. Safe integers (|value| ≤ 2^53 − 1) are all exact and in range.
 *
 * @throws {RangeError} Naming `name` and `op`, if `value` is not a safe integer.
 */
export function int64Arg(value: number, name: string, op: string): number {
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`${op}: ${name} must be an integer of at most 2^53 - 1 in magnitude, got ${value}`);
  }
  return value;
}

/**
 * `value` checked to be a whole number in int32's range, for an i32 parameter: Deno's FFI would
 * otherwise truncate 1.5 to 1 and turn NaN into 0 without a word.
 *
 * @throws {RangeError} Naming `name` and `op`, if `value` is not an integer in [-2^31, 2^31 - 1].
 */
export function int32Arg(value: number, name: string, op: string): number {
  if (!Number.isInteger(value) || value < -(2 ** 31) || value > 2 ** 31 - 1) {
    throw new RangeError(`${op}: ${name} must be an integer in [-2^31, 2^31 - 1], got ${value}`);
  }
  return value;
}

/**
 * `value` checked to be a finite number no larger than `max`, for an f64 argument that native code
 * scales and casts to int64 (a bucket's MB to bytes, say).
 *
 * @throws {RangeError} Naming `name` and `op`, if `value` is NaN, infinite or above `max`.
 */
export function boundedArg(value: number, max: number, name: string, op: string): number {
  if (!Number.isFinite(value) || value > max) {
    throw new RangeError(`${op}: ${name} must be a finite number of at most ${max}, got ${value}`);
  }
  return value;
}

/** `values` (sizes or dimension indices, each an int64 to native code) packed into the shared f64 argument buffer. */
export function dimsArg(values: readonly number[], op: string, name = "sizes"): Float64Array {
  if (values.length > MAX_RANK) {
    throw new ShapeError(op, `at most ${MAX_RANK} dimensions are supported, got ${values.length}`);
  }
  for (let i = 0; i < values.length; i++) dims[i] = int64Arg(values[i], `${name}[${i}]`, op);
  return dims;
}

/** Validated sizes (non-negative integers) in the shared buffer. */
export function sizesArg(shape: readonly number[], op: string): Float64Array {
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new ShapeError(op, `sizes must be non-negative integers, got ${formatShape(shape)}`);
    }
  }
  return dimsArg(shape, op);
}

/** One dimension index in the shared buffer. */
export function dimArg(value: number): Float64Array {
  dims[0] = value;
  return dims;
}

/** Out-slots for ops that return two handles (topk). */
export const pairOut = new BigUint64Array(2);

/** Out-slot for a scalar result (item). */
export const scalarOut = new Float64Array(1);
