/**
 * Adagrad as a pure update over a parameter tree: torch.optim.Adagrad's single-tensor arithmetic
 * (one `adagradStep` native call per parameter), bit for bit. `{ donate: true }` as in adamUpdate.
 *
 * @module
 */
import { fullLike } from "../create.ts";
import type { Tensor } from "../tensor.ts";
import { type MapLeaves, mapTree } from "../tree.ts";
import type { UpdateOptions } from "./adam.ts";
import { checkedStep, inRange } from "../ops/step_checks.ts";
import { stepTree } from "./tree_step.ts";
import { type AdagradConfig, adagradHyper, adagradStep } from "../ops/adagrad_step.ts";
export { type AdagradConfig, adagradStep } from "../ops/adagrad_step.ts";

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
