/**
 * RMSprop (optionally centered, optionally with momentum) as a pure update over a parameter tree:
 * torch.optim.RMSprop's single-tensor arithmetic (one `rmspropStep` native call per parameter), bit
 * for bit. `{ donate: true }` as in adamUpdate.
 *
 * @module
 */
import { zerosLike } from "../create.ts";
import type { Tensor } from "../tensor.ts";
import { type MapLeaves, mapTree } from "../tree.ts";
import type { UpdateOptions } from "./adam.ts";
import { checkedStep } from "../ops/step_checks.ts";
import { stepTree } from "./tree_step.ts";
import { type RmspropConfig, rmspropHyper, rmspropStep } from "../ops/rmsprop_step.ts";
export { type RmspropConfig, type RmspropLeafState, rmspropStep } from "../ops/rmsprop_step.ts";

/** What RMSprop carries between steps; the optional averages are null until a step needs them. */
export interface RmspropState<P> {
  /** Updates done so far. */
  step: number;
  /** Running averages of the squared gradients. */
  squareAvg: MapLeaves<P, Tensor>;
  /** Running averages of the gradients (centered RMSprop); null until a centered step. */
  gradAvg: MapLeaves<P, Tensor> | null;
  /** Momentum buffers; null until a step with momentum. */
  momentumBuffer: MapLeaves<P, Tensor> | null;
}

/**
 * The starting RMSprop state: step 0 and zero square averages (the other averages come when used).
 *
 * @example
 * ```ts
 * import { rmspropInit, tensor } from "@deno-torch/torch";
 * const state = rmspropInit({ w: tensor([1, 2], [2]) }); // squareAvg.w = [0, 0]
 * ```
 */
export function rmspropInit<P>(params: P): RmspropState<P> {
  return { step: 0, squareAvg: mapTree(params, (t) => zerosLike(t)), gradAvg: null, momentumBuffer: null };
}

/**
 * One RMSprop step over a parameter tree: returns the new parameters and state, leaving the inputs
 * untouched unless `donate` is set. Every input is checked before any parameter is updated.
 *
 * @throws {RangeError} If a hyperparameter is out of range or `state.step` is not a non-negative integer.
 * @throws {TypeError} If a parameter has no gradient or state.
 *
 * @example
 * ```ts
 * import { rmspropInit, rmspropUpdate, scope, tensor } from "@deno-torch/torch";
 * scope(() => {
 *   let params = { w: tensor([1, -2], [2]) };
 *   let state = rmspropInit(params);
 *   ({ params, state } = rmspropUpdate(params, { w: tensor([0.5, 0.5], [2]) }, state, { lr: 0.01, centered: true }));
 * });
 * ```
 */
export function rmspropUpdate<P>(
  params: P,
  grads: MapLeaves<P, Tensor>,
  state: RmspropState<P>,
  config: RmspropConfig,
  { donate = false }: UpdateOptions = {},
): { params: P; state: RmspropState<P> } {
  const step = checkedStep("rmsprop", state.step) + 1;
  const hyper = rmspropHyper(config, "rmsprop");
  const { centered, momentum } = hyper;
  const [next, squareAvg, gradAvg, momentumBuffer] = stepTree(
    "rmsprop",
    params,
    grads,
    [
      ["square average", state.squareAvg],
      ["gradient average", centered ? state.gradAvg : null],
      ["momentum buffer", momentum > 0 ? state.momentumBuffer : null],
    ],
    4,
    (p, g, [sq, ga, buf], op) => {
      const [p1, s] = rmspropStep(p, g, { squareAvg: sq!, gradAvg: ga, momentumBuffer: buf }, hyper, donate, op);
      // Unused averages stay as they were (their trees are carried over below, not rebuilt).
      return [p1, s.squareAvg, s.gradAvg ?? p1, s.momentumBuffer ?? p1];
    },
  );
  return {
    params: next as P,
    state: {
      step,
      squareAvg,
      gradAvg: centered ? gradAvg : state.gradAvg,
      momentumBuffer: momentum > 0 ? momentumBuffer : state.momentumBuffer,
    },
  };
}
