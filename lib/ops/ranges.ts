/**
 * Ranges and uninitialized tensors: `linspace`, `logspace`, `emptyLike` (issue 17's creation ops
 * beside lib/create.ts's).
 *
 * @module
 */
import { sym } from "../../ffi/lib.ts";
import { defaultDevice, type Device, deviceCodes } from "../device.ts";
import { type DType, dtypeCode, isFloat } from "../dtype.ts";
import type { Shape } from "../shape.ts";
import { handleOf, type Tensor, wrap } from "../tensor.ts";
import type { TensorOptions } from "../create.ts";

/** `steps` as a count native code may cast: a non-negative safe integer. */
function stepsArg(steps: number, op: string): number {
  if (!Number.isSafeInteger(steps) || steps < 0) {
    throw new RangeError(`${op}: steps must be a non-negative integer, got ${steps}`);
  }
  return steps;
}

/**
 * Native code casts the endpoints to an integer dtype: NaN, ±Infinity or numbers past 2^53 would be
 * undefined behaviour there, so they are refused for integer results (floats take them as torch does).
 */
function endpointArg(value: number, name: string, dtype: DType, op: string): number {
  if (typeof value !== "number") throw new TypeError(`${op}: ${name} must be a number, got ${typeof value}`);
  if (!isFloat(dtype) && !(Math.abs(value) <= Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`${op}: ${name} must be finite and at most 2^53 - 1 in magnitude for ${dtype}, got ${value}`);
  }
  return value;
}

function where(opts: TensorOptions | undefined, op: string): [number, number, number] {
  const dtype = opts?.dtype ?? "f32";
  const [dev, idx] = deviceCodes(opts?.device ?? defaultDevice(), op);
  return [dtypeCode(dtype, op), dev, idx];
}

/**
 * `steps` evenly spaced values from `start` to `end`, both included, as `torch.linspace` (f32 on
 * the CPU unless `opts` says otherwise).
 *
 * @example
 * ```ts
 * const xs = linspace(0, 1, 5); // Tensor<[5]>: [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export function linspace<const N extends number>(
  start: number,
  end: number,
  steps: N,
  opts?: TensorOptions,
): Tensor<[N]> {
  const op = "linspace";
  const dtype = opts?.dtype ?? "f32";
  const [code, dev, idx] = where(opts, op);
  const n = stepsArg(steps, op);
  return wrap(
    sym.dt_linspace(endpointArg(start, "start", dtype, op), endpointArg(end, "end", dtype, op), n, code, dev, idx),
    op,
  );
}

/**
 * `steps` values from base^start to base^end, evenly spaced in the exponent (both ends included), as
 * `torch.logspace` with `base` 10 by default.
 *
 * @example
 * ```ts
 * const decades = logspace(0, 3, 4); // Tensor<[4]>: [1, 10, 100, 1000]
 * const powers = logspace(0, 4, 5, 2); // [1, 2, 4, 8, 16]
 * ```
 */
export function logspace<const N extends number>(
  start: number,
  end: number,
  steps: N,
  base = 10,
  opts?: TensorOptions,
): Tensor<[N]> {
  const op = "logspace";
  const dtype = opts?.dtype ?? "f32";
  const [code, dev, idx] = where(opts, op);
  const n = stepsArg(steps, op);
  const b = endpointArg(base, "base", dtype, op);
  return wrap(
    sym.dt_logspace(endpointArg(start, "start", dtype, op), endpointArg(end, "end", dtype, op), n, b, code, dev, idx),
    op,
  );
}

/**
 * A tensor with the shape, dtype and device of `like` (`opts` overrides the dtype or device) whose
 * values are UNSPECIFIED, as `torch.empty_like`: the memory is not cleared, so read only what you
 * have written (use `zerosLike` for zeros). Contiguous whatever `like`'s layout.
 *
 * @example
 * ```ts
 * const buffer = emptyLike(x); // x's shape, dtype and device; contents undefined
 * ```
 */
export function emptyLike<S extends Shape>(like: Tensor<S>, opts?: { dtype?: DType; device?: Device }): Tensor<S> {
  const op = "emptyLike";
  const h = handleOf(like, op);
  const [dev, idx] = deviceCodes(opts?.device ?? like.device, op);
  return wrap(sym.dt_empty_like(h, dtypeCode(opts?.dtype ?? like.dtype, op), dev, idx), op);
}
