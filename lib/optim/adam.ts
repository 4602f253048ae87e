/**
 * Adam and AdamW as pure updates: `adamUpdate(params, grads, state, config)` returns new parameters
 * and a new state and leaves its inputs untouched (free the old trees when done with them). The
 * arithmetic is PyTorch's single-tensor Adam: one `adamStep` op per parameter.
 *
 * `{ donate: true }` is the training loop's fast path: the caller promises never to read the input
 * parameters and moments again (only to free them), so the update may reuse their memory. The
 * results are the same bits; a step then copies no parameters or moments, and peak memory holds
 * one set of them instead of two.
 */
import { zerosLike } from "../create.ts";
import { type AdamConfig, adamHyper, adamStep } from "../ops/optim.ts";
import { flattenTree, type MapLeaves, mapTree, replaceLeaves } from "../tree.ts";
import type { Tensor } from "../tensor.ts";
import { DeviceError, DTypeError, FreedTensorError, ShapeError } from "../errors.ts";
import { canonicalDevice } from "../device.ts";
import { formatShape } from "../shape.ts";

export type { AdamConfig };

/**
 * What Adam carries from one step to the next for a parameter tree `P`: the step count and the two
 * moment trees. Create it with {@linkcode adamInit}; each {@linkcode adamUpdate} returns a new one.
 */
export interface AdamState<P> {
  /** Updates done so far. */
  step: number;
  /** First moments, shaped like the parameters. */
  m: MapLeaves<P, Tensor>;
  /** Second moments. */
  v: MapLeaves<P, Tensor>;
}

/**
 * The starting optimizer state for `params`: step 0 and zero moments shaped like each parameter
 * (new tensors in the current scope).
 *
 * @example
 * ```ts
 * import { adamInit, tensor } from "@deno-torch/torch";
 * const state = adamInit({ w: tensor([1, 2, 3], [3]) });
 * state.step; // 0
 * ```
 */
export function adamInit<P>(params: P): AdamState<P> {
  return { step: 0, m: mapTree(params, (t) => zerosLike(t)), v: mapTree(params, (t) => zerosLike(t)) };
}

/** Options of {@linkcode adamUpdate}. */
export interface UpdateOptions {
  /** The input parameters and moments are given up to the update (see above). */
  donate?: boolean;
}

/**
 * One Adam (or AdamW, with `decoupled`) step: returns the updated parameters and the next state.
 * `grads` must have a gradient for every parameter path. Unless `donate` is set the inputs are left
 * untouched and the results are new tensors.
 *
 * Every input is checked before any parameter is updated, so a failing call changes nothing.
 *
 * @throws {RangeError} If `config.lr` is negative or NaN, or `state.step` is not a non-negative integer.
 * @throws {TypeError} If a parameter has no gradient or moment.
 * @throws {FreedTensorError} If a parameter, gradient or moment was freed.
 * @throws {ShapeError} If a gradient or moment differs from its parameter in shape.
 * @throws {DTypeError} If a gradient or moment differs from its parameter in dtype.
 * @throws {DeviceError} If a gradient or moment is on another device than its parameter.
 *
 * @example
 * ```ts
 * import { adamInit, adamUpdate, scope, tensor } from "@deno-torch/torch";
 * scope(() => {
 *   let params = { w: tensor([1, -2, 0.5], [3]) };
 *   let state = adamInit(params);
 *   const grads = { w: tensor([0.3, -0.1, 2], [3]) };
 *   ({ params, state } = adamUpdate(params, grads, state, { lr: 1e-3, weightDecay: 0.01, decoupled: true }));
 * });
 * ```
 */
export function adamUpdate<P>(
  params: P,
  grads: MapLeaves<P, Tensor>,
  state: AdamState<P>,
  config: AdamConfig,
  { donate = false }: UpdateOptions = {},
): { params: P; state: AdamState<P> } {
  const hyper = adamHyper(config);
  if (!Number.isSafeInteger(state.step) || state.step < 0) {
    throw new RangeError(`adam: state.step must be a non-negative integer, got ${state.step}`);
  }
  const step = state.step + 1;
  const g = new Map(flattenTree(grads));
  const m = new Map(flattenTree(state.m));
  const v = new Map(flattenTree(state.v));
  const leaves = flattenTree(params);
  // Everything is checked before the first update: with `donate` the updates write in place, and a
  // failure at the k-th parameter would leave the first k-1 stepped and the rest not.
  const inputs = leaves.map(([path, p]) => checkedInputs(path, p, g.get(path), m.get(path), v.get(path)));
  // A tensor at several paths (tied weights) is one parameter: it is stepped once, with the moments
  // of its first path, and every path gets that one result, so the weights stay tied. (Its gradient
  // is already the sum over the paths: see valueAndGrad.)
  const stepped = new Map<Tensor, [Tensor, Tensor, Tensor]>();
  const updated = inputs.map(({ path, p, g, m, v }) => {
    let result = stepped.get(p);
    if (result === undefined) stepped.set(p, result = adamStep(p, g, m, v, hyper, step, donate, `adam (${path})`));
    return result;
  });
  const pick = (i: number) => replaceLeaves(params, updated.map((u) => u[i]));
  return { params: pick(0) as P, state: { step, m: pick(1), v: pick(2) } };
}

/** One parameter's update inputs, checked to be present, alive and alike (the native step's requirements). */
function checkedInputs(
  path: string,
  p: Tensor,
  g: Tensor | undefined,
  m: Tensor | undefined,
  v: Tensor | undefined,
): { path: string; p: Tensor; g: Tensor; m: Tensor; v: Tensor } {
  const op = `adam (${path})`;
  if (!g || !m || !v) throw new TypeError(`adam: no gradient or moment for parameter "${path}"`);
  const named: [string, Tensor][] = [["parameter", p], ["gradient", g], ["first moment", m], ["second moment", v]];
  for (const [, t] of named) if (t.freed) throw new FreedTensorError(op);
  for (const [what, t] of named.slice(1)) {
    if (t.rank !== p.rank || t.shape.some((d, i) => d !== p.shape[i])) {
      throw new ShapeError(op, `the ${what} has shape ${formatShape(t.shape)}, the parameter ${formatShape(p.shape)}`);
    }
    if (t.dtype !== p.dtype) throw new DTypeError(op, `the ${what} is ${t.dtype}, the parameter ${p.dtype}`);
    if (canonicalDevice(t.device) !== canonicalDevice(p.device)) {
      throw new DeviceError(op, `the ${what} is on ${t.device}, the parameter on ${p.device}`);
    }
  }
  return { path, p, g, m, v };
}
