/**
 * Reused argument buffers for native calls. Allocating a typed array costs V8 a few hundred
 * nanoseconds, more than the FFI call itself, and every native function copies what it reads before
 * returning, so one module-level buffer per kind serves every call.
 */
import { ShapeError } from "./errors.ts";
import { formatShape } from "./shape.ts";

const MAX_RANK = 64;
const dims = new Float64Array(MAX_RANK);

/** `values` (sizes or dimension indices) packed into the shared f64 argument buffer. */
export function dimsArg(values: readonly number[], op: string): Float64Array {
  if (values.length > MAX_RANK) {
    throw new ShapeError(op, `at most ${MAX_RANK} dimensions are supported, got ${values.length}`);
  }
  for (let i = 0; i < values.length; i++) dims[i] = values[i];
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
