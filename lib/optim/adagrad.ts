/**
 * Adagrad as a pure update over a parameter tree: torch.optim.Adagrad's single-tensor arithmetic
 * (one `adagradStep` native call per parameter), bit for bit. `{ donate: true }` as in adamUpdate.
 *
 * @module
 */
import { fail, sym } from "../../ffi/lib.ts";
import { fullLike } from "../create.ts";
import type { Shape } from "../shape.ts";
import { handleOf, type Tensor, wrapAll } from "../tensor.ts";
import { type MapLeaves, mapTree } from "../tree.ts";
import type { UpdateOptions } from "./adam.ts";
import { checkAlike, checkedStep, inRange, stepTree, writable } from "./tree_step.ts";

/** Hyperparameters of Adagrad; the defaults are torch.optim.Adagrad's. */
export interface AdagradConfig {
  /** Learning rate (before the decay); torch's default is 1e-2. */
  lr: number;
  /** The rate is lr / (1 + (step − 1)·lrDecay); default 0. */
  lrDecay?: number;
  /** L2 penalty added to the gradient; default 0. */
  weightDecay?: number;
  /** Added to the root of the sum of squares; default 1e-10. */
  eps?: number;
}

function adagradHyper(config: AdagradConfig, op: string): Required<AdagradConfig> {
  const { lr, lrDecay = 0, weightDecay = 0, eps = 1e-10 } = config;
  inRange(op, "lr", lr, 0);
  inRange(op, "lrDecay", lrDecay, 0);
  inRange(op, "weightDecay", weightDecay, 0);
  inRange(op, "eps", eps, 0);
  return { lr, lrDecay, weightDecay, eps };
}

const adagradOut = new BigUint64Array(2);

/**
 * One Adagrad step of one parameter at `step` (1-based): returns the new parameter and sum of
 * squared gradients. With `donate`, `param` and `sum` are given up and updated in place when contiguous.
 *
 * @throws {RangeError} If a hyperparameter is negative or NaN, or `step` is not a positive integer.
 * @throws {ShapeError} If the gradient or sum differs from the parameter in shape (DTypeError,
 *   DeviceError likewise).
 *
 * @example
 * ```ts
 * import { adagradStep, scope, tensor, zerosLike } from "@deno-torch/torch";
 * scope(() => {
 *   const w = tensor([1, 2], [2]);
 *   const [w1, sum] = adagradStep(w, tensor([0.5, -1], [2]), zerosLike(w), { lr: 0.1 }, 1); // w1 ≈ [0.9, 2.1]
 * });
 * ```
 */
export function adagradStep<S extends Shape>(
  param: Tensor<S>,
  grad: Tensor<S>,
  sum: Tensor<S>,
  config: AdagradConfig,
  step: number,
  donate = false,
  op = "adagrad",
): [param: Tensor<S>, sum: Tensor<S>] {
  const { lr, lrDecay, weightDecay, eps } = adagradHyper(config, op);
  if (!Number.isSafeInteger(step) || step < 1) throw new RangeError(`${op}: step must be an integer ≥ 1, got ${step}`);
  checkAlike(op, param, [["gradient", grad], ["sum of squares", sum]]);
  const status = sym.dt_adagrad(
    handleOf(param, op),
    handleOf(grad, op),
    handleOf(sum, op),
    lr,
    lrDecay,
    weightDecay,
    eps,
    step,
    writable(donate, [param, sum], op) ? 1 : 0,
    adagradOut,
  );
  if (status !== 0) fail(op);
  return wrapAll(adagradOut, op) as [Tensor<S>, Tensor<S>];
}

/** What Adagrad carries between steps: the step count and the sums of squared gradients. */
export interface AdagradState<P> {
  /** Updates done so far. */
  step: number;
  /** Per parameter, the running sum of its squared gradients. */
  sum: MapLeaves<P, Tensor>;
}

/**
 * The starting Adagrad state: step 0 and sums filled with `initialAccumulatorValue` (default 0).
 *
 * @throws {RangeError} If `initialAccumulatorValue` is negative or NaN.
 *
 * @example
 * ```ts
 * import { adagradInit, tensor } from "@deno-torch/torch";
 * const state = adagradInit({ w: tensor([1, 2], [2]) }, { initialAccumulatorValue: 0.1 }); // sum.w = [0.1, 0.1]
 * ```
 */
export function adagradInit<P>(params: P, { initialAccumulatorValue = 0 } = {}): AdagradState<P> {
  inRange("adagrad", "initialAccumulatorValue", initialAccumulatorValue, 0);
  return { step: 0, sum: mapTree(params, (t) => fullLike(t, initialAccumulatorValue)) };
}

/**
 * One Adagrad step over a parameter tree: returns the new parameters and state, leaving the inputs
 * untouched unless `donate` is set. Every input is checked before any parameter is updated.
 *
 * @throws {RangeError} If a hyperparameter is out of range or `state.step` is not a non-negative integer.
 * @throws {TypeError} If a parameter has no gradient or sum.
 *
 * @example
 * ```ts
 * import { adagradInit, adagradUpdate, scope, tensor } from "@deno-torch/torch";
 * scope(() => {
 *   let params = { w: tensor([1, -2], [2]) };
 *   let state = adagradInit(params);
 *   ({ params, state } = adagradUpdate(params, { w: tensor([0.5, 0.5], [2]) }, state, { lr: 0.01 }));
 * });
 * ```
 */
export function adagradUpdate<P>(
  params: P,
  grads: MapLeaves<P, Tensor>,
  state: AdagradState<P>,
  config: AdagradConfig,
  { donate = false }: UpdateOptions = {},
): { params: P; state: AdagradState<P> } {
  const step = checkedStep("adagrad", state.step) + 1;
  const hyper = adagradHyper(config, "adagrad");
  const [next, sum] = stepTree(
    "adagrad",
    params,
    grads,
    [["sum of squares", state.sum]],
    2,
    (p, g, [s], op) => adagradStep(p, g, s!, hyper, step, donate, op),
  );
  return { params: next as P, state: { step, sum } };
}
