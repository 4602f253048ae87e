/**
 * What SGD, Adagrad, RMSprop and Lion share: hyperparameter checks, the checks of one parameter's
 * inputs, and the walk of a parameter tree that steps each parameter once (tied weights too) after
 * every input has been checked, as adamUpdate does.
 *
 * @module
 */
import { canonicalDevice } from "../device.ts";
import { DeviceError, DTypeError, FreedTensorError, ShapeError } from "../errors.ts";
import { isFloat } from "../dtype.ts";
import { formatShape } from "../shape.ts";
import { handleOf, type Tensor } from "../tensor.ts";
import { sym } from "../../ffi/lib.ts";
import { flattenTree, type MapLeaves, replaceLeaves } from "../tree.ts";

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

/** One parameter's update: its gradient and states in, the new parameter and states out. */
export type LeafStep = (p: Tensor, g: Tensor, states: (Tensor | null)[], op: string) => Tensor[];

/**
 * Every parameter of `params` stepped by `step`, with its gradient and its entry of each state tree
 * (a `null` tree: that state is not made yet, each leaf gets `null`). Returns the new parameter tree
 * and one tree per further result of `step`. Every input is checked first, so that a failing call
 * (with `donate`, which writes in place) changes nothing. A tensor at several paths (tied weights) is
 * stepped once, with its first path's state. `outputs` is how many tensors `step` returns.
 */
export function stepTree<P>(
  name: string,
  params: P,
  grads: MapLeaves<P, Tensor>,
  states: [what: string, tree: MapLeaves<P, Tensor> | null][],
  outputs: number,
  step: LeafStep,
): MapLeaves<P, Tensor>[] {
  const g = new Map(flattenTree(grads));
  const byPath = states.map(([what, tree]) => [what, tree === null ? null : new Map(flattenTree(tree))] as const);
  const inputs = flattenTree(params).map(([path, p]) => {
    const op = `${name} (${path})`;
    const grad = g.get(path);
    if (grad === undefined) throw new TypeError(`${name}: no gradient for parameter "${path}"`);
    const s = byPath.map(([what, m]) => [what, m === null ? null : m.get(path)] as [string, Tensor | null | undefined]);
    checkAlike(op, p, [["gradient", grad], ...s]);
    return { op, p, grad, s: s.map(([, t]) => t as Tensor | null) };
  });
  const stepped = new Map<Tensor, Tensor[]>();
  const updated = inputs.map(({ op, p, grad, s }) => {
    let result = stepped.get(p);
    if (result === undefined) stepped.set(p, result = step(p, grad, s, op));
    return result;
  });
  return Array.from({ length: outputs }, (_, i) => replaceLeaves(params, updated.map((u) => u[i])));
}
