/**
 * The checks every optimizer step makes before it writes anything: hyperparameters in range, a valid
 * step count, one parameter's inputs alive and alike, and whether donated tensors may be written in
 * place. Shared by the single-tensor steps (lib/ops/*_step.ts) and their tree walk (lib/optim/).
 *
 * @module
 */
import { canonicalDevice } from "../device.ts";
import { DeviceError, DTypeError, FreedTensorError, ShapeError } from "../errors.ts";
import { isFloat } from "../dtype.ts";
import { formatShape } from "../shape.ts";
import { handleOf, type Tensor } from "../tensor.ts";
import { sym } from "../../ffi/lib.ts";

/** `value`, checked to be a number in [min, max] (NaN is not), or a RangeError naming `name`. */
export function inRange(op: string, name: string, value: number, min: number, max = Infinity): number {
  if (typeof value !== "number" || !(value >= min && value <= max)) {
    const range = max === Infinity ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new RangeError(`${op}: ${name} must be ${range}, got ${value}`);
  }
  return value;
}

/** `state.step`, checked to be a non-negative integer. */
export function checkedStep(op: string, step: number): number {
  if (!Number.isSafeInteger(step) || step < 0) {
    throw new RangeError(`${op}: state.step must be a non-negative integer, got ${step}`);
  }
  return step;
}

/**
 * `param` and the tensors that go with it (`null`: a state not made yet), checked to be alive and
 * alike: one shape, dtype and device. `op` names the parameter's path in tree updates.
 */
export function checkAlike(op: string, param: Tensor, others: [what: string, t: Tensor | null | undefined][]): void {
  if (param.freed) throw new FreedTensorError(op);
  if (!isFloat(param.dtype)) throw new DTypeError(op, `the parameter must be floating-point, got ${param.dtype}`);
  for (const [what, t] of others) {
    if (t === null) continue;
    if (t === undefined) throw new TypeError(`${op}: no ${what} for the parameter`);
    if (t.freed) throw new FreedTensorError(op);
    if (t.rank !== param.rank || t.shape.some((d, i) => d !== param.shape[i])) {
      throw new ShapeError(
        op,
        `the ${what} has shape ${formatShape(t.shape)}, the parameter ${formatShape(param.shape)}`,
      );
    }
    if (t.dtype !== param.dtype) throw new DTypeError(op, `the ${what} is ${t.dtype}, the parameter ${param.dtype}`);
    if (canonicalDevice(t.device) !== canonicalDevice(param.device)) {
      throw new DeviceError(op, `the ${what} is on ${t.device}, the parameter on ${param.device}`);
    }
  }
}

/** Whether donated tensors may be written where they lie: only contiguous ones can (see adamStep). */
export function writable(donate: boolean, ts: (Tensor | null)[], op: string): boolean {
  return donate && ts.every((t) => t === null || sym.dt_is_contiguous(handleOf(t, op)) === 1);
}

/** A handle, or null for a state tensor not made yet. */
export const handleOrNull = (t: Tensor | null, op: string) => t === null ? null : handleOf(t, op);
