/**
 * Lion ("Symbolic Discovery of Optimization Algorithms", Chen et al. 2023) as a pure update over a
 * parameter tree. torch 1.13 has no Lion; the arithmetic is lion-pytorch's, the widely used
 * formulation, in its order: p ← p·(1 − lr·wd); p ← p − lr·sign(β1·m + (1 − β1)·g); m ← β2·m + (1 − β2)·g.
 * `{ donate: true }` as in adamUpdate.
 *
 * @module
 */
import { zerosLike } from "../create.ts";
import type { Tensor } from "../tensor.ts";
import { type MapLeaves, mapTree } from "../tree.ts";
import type { UpdateOptions } from "./adam.ts";
import { checkedStep } from "../ops/step_checks.ts";
import { stepTree } from "./tree_step.ts";
import { type LionConfig, lionHyper, lionStep } from "../ops/lion_step.ts";
export { type LionConfig, lionStep } from "../ops/lion_step.ts";

/** What Lion carries between steps: the step count and one moment per parameter. */
export interface LionState<P> {
  /** Updates done so far. */
  step: number;
  /** The moments (exponential averages of the gradients). */
  m: MapLeaves<P, Tensor>;
}

/**
 * The starting Lion state: step 0 and zero moments.
 *
 * @example
 * ```ts
 * import { lionInit, tensor } from "@deno-torch/torch";
 * const state = lionInit({ w: tensor([1, 2], [2]) }); // m.w = [0, 0]
 * ```
 */
export function lionInit<P>(params: P): LionState<P> {
  return { step: 0, m: mapTree(params, (t) => zerosLike(t)) };
}

/**
 * One Lion step over a parameter tree: returns the new parameters and state, leaving the inputs
 * untouched unless `donate` is set. Every input is checked before any parameter is updated.
 *
 * @throws {RangeError} If a hyperparameter is out of range or `state.step` is not a non-negative integer.
 * @throws {TypeError} If a parameter has no gradient or moment.
 *
 * @example
 * ```ts
 * import { lionInit, lionUpdate, scope, tensor } from "@deno-torch/torch";
 * scope(() => {
 *   let params = { w: tensor([1, -2], [2]) };
 *   let state = lionInit(params);
 *   ({ params, state } = lionUpdate(params, { w: tensor([0.5, 0.5], [2]) }, state, { lr: 1e-4, weightDecay: 0.1 }));
 * });
 * ```
 */
export function lionUpdate<P>(
  params: P,
  grads: MapLeaves<P, Tensor>,
  state: LionState<P>,
  config: LionConfig,
  { donate = false }: UpdateOptions = {},
): { params: P; state: LionState<P> } {
  const step = checkedStep("lion", state.step) + 1;
  const hyper = lionHyper(config, "lion");
  const [next, m] = stepTree(
    "lion",
    params,
    grads,
    [["moment", state.m]],
    2,
    (p, g, [m], op) => lionStep(p, g, m!, hyper, donate, op),
  );
  return { params: next as P, state: { step, m } };
}
