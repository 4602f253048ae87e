/**
 * Lion ("Symbolic Discovery of Optimization Algorithms", Chen et al. 2023) as a pure update over a
 * parameter tree. torch 1.13 has no Lion; the arithmetic is lion-pytorch's, the widely used
 * formulation, in its order: p ← p·(1 − lr·wd); p ← p − lr·sign(β1·m + (1 − β1)·g); m ← β2·m + (1 − β2)·g.
 * `{ donate: true }` as in adamUpdate.
 *
 * @module
 */
import { fail, sym } from "../../ffi/lib.ts";
import { zerosLike } from "../create.ts";
import type { Shape } from "../shape.ts";
import { handleOf, type Tensor, wrapAll } from "../tensor.ts";
import { type MapLeaves, mapTree } from "../tree.ts";
import type { UpdateOptions } from "./adam.ts";
import { checkAlike, checkedStep, inRange, stepTree, writable } from "./tree_step.ts";

/** Hyperparameters of Lion; the defaults are lion-pytorch's. */
export interface LionConfig {
  /** Learning rate (lion-pytorch's default 1e-4: Lion wants 3-10× less than AdamW). */
  lr: number;
  /** Interpolation of moment and gradient for the update's sign; default 0.9. */
  beta1?: number;
  /** Decay of the moment; default 0.99. */
  beta2?: number;
  /** Decoupled weight decay (p ← p·(1 − lr·wd)); default 0. */
  weightDecay?: number;
}

function lionHyper(config: LionConfig, op: string): Required<LionConfig> {
  const { lr, beta1 = 0.9, beta2 = 0.99, weightDecay = 0 } = config;
  inRange(op, "lr", lr, 0);
  inRange(op, "beta1", beta1, 0, 1);
  inRange(op, "beta2", beta2, 0, 1);
  inRange(op, "weightDecay", weightDecay, 0);
  return { lr, beta1, beta2, weightDecay };
}

const lionOut = new BigUint64Array(2);

/**
 * One Lion step of one parameter: returns the new parameter and moment. With `donate`, `param`
 * and `m` are given up and updated in place when contiguous.
 *
 * @throws {RangeError} If lr or weightDecay is negative or NaN, or a beta is outside [0, 1].
 * @throws {ShapeError} If the gradient or moment differs from the parameter in shape (DTypeError,
 *   DeviceError likewise).
 *
 * @example
 * ```ts
 * import { lionStep, scope, tensor, zerosLike } from "@deno-torch/torch";
 * scope(() => {
 *   const w = tensor([1, 2], [2]);
 *   const [w1, m] = lionStep(w, tensor([0.5, -1], [2]), zerosLike(w), { lr: 0.1 }); // w1 ≈ [0.9, 2.1]
 * });
 * ```
 */
export function lionStep<S extends Shape>(
  param: Tensor<S>,
  grad: Tensor<S>,
  m: Tensor<S>,
  config: LionConfig,
  donate = false,
  op = "lion",
): [param: Tensor<S>, m: Tensor<S>] {
  const { lr, beta1, beta2, weightDecay } = lionHyper(config, op);
  checkAlike(op, param, [["gradient", grad], ["moment", m]]);
  const status = sym.dt_lion(
    handleOf(param, op),
    handleOf(grad, op),
    handleOf(m, op),
    lr,
    beta1,
    beta2,
    weightDecay,
    writable(donate, [param, m], op) ? 1 : 0,
    lionOut,
  );
  if (status !== 0) fail(op);
  return wrapAll(lionOut, op) as [Tensor<S>, Tensor<S>];
}

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
