/**
 * Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay, as a
 * pure update over a parameter tree: torch.optim.SGD's single-tensor arithmetic (one `sgdStep`
 * native call per parameter), bit for bit. `{ donate: true }` works as in adamUpdate.
 *
 * @module
 */
import type { Tensor } from "../tensor.ts";
import type { MapLeaves } from "../tree.ts";
import type { UpdateOptions } from "./adam.ts";
import { checkedStep } from "../ops/step_checks.ts";
import { stepTree } from "./tree_step.ts";
import { type SgdConfig, sgdHyper, sgdStep } from "../ops/sgd_step.ts";
export { type SgdConfig, sgdStep } from "../ops/sgd_step.ts";

/** What SGD carries between steps: the step count and the momentum buffers (null until momentum is used). */
export interface SgdState<P> {
  /** Updates done so far. */
  step: number;
  /** One buffer per parameter once a step with momentum has run; null before. */
  momentum: MapLeaves<P, Tensor> | null;
}

/**
 * The starting SGD state: step 0 and no momentum buffers yet (torch makes them at the first step).
 *
 * @example
 * ```ts
 * import { sgdInit, tensor } from "@deno-torch/torch";
 * sgdInit({ w: tensor([1, 2], [2]) }); // { step: 0, momentum: null }
 * ```
 */
export function sgdInit<P>(_params: P): SgdState<P> {
  return { step: 0, momentum: null };
}

/**
 * One SGD step over a parameter tree: returns the new parameters and state, leaving the inputs
 * untouched unless `donate` is set. Every input is checked before any parameter is updated.
 *
 * @throws {RangeError} If a hyperparameter is out of range or `state.step` is not a non-negative integer.
 * @throws {TypeError} If a parameter has no gradient or momentum buffer.
 *
 * @example
 * ```ts
 * import { scope, sgdInit, sgdUpdate, tensor } from "@deno-torch/torch";
 * scope(() => {
 *   let params = { w: tensor([1, -2], [2]) };
 *   let state = sgdInit(params);
 *   ({ params, state } = sgdUpdate(params, { w: tensor([0.5, 0.5], [2]) }, state, { lr: 0.1, momentum: 0.9 }));
 * });
 * ```
 */
export function sgdUpdate<P>(
  params: P,
  grads: MapLeaves<P, Tensor>,
  state: SgdState<P>,
  config: SgdConfig,
  { donate = false }: UpdateOptions = {},
): { params: P; state: SgdState<P> } {
  const step = checkedStep("sgd", state.step) + 1;
  const hyper = sgdHyper(config, "sgd");
  if (hyper.momentum === 0) {
    const [next] = stepTree("sgd", params, grads, [], 1, (p, g, _, op) => [sgdStep(p, g, null, hyper, donate, op)[0]]);
    return { params: next as P, state: { step, momentum: state.momentum } };
  }
  const [next, momentum] = stepTree(
    "sgd",
    params,
    grads,
    [["momentum buffer", state.momentum]],
    2,
    (p, g, [buf], op) => sgdStep(p, g, buf, hyper, donate, op) as Tensor[],
  );
  return { params: next as P, state: { step, momentum } };
}
