/**
 * RMSprop (optionally centered, optionally with momentum) as a pure update over a parameter tree:
 * torch.optim.RMSprop's single-tensor arithmetic (one `rmspropStep` native call per parameter), bit
 * for bit. `{ donate: true }` as in adamUpdate.
 *
 * @module
 */
import { fail, sym } from "../../ffi/lib.ts";
import { zerosLike } from "../create.ts";
import type { Shape } from "../shape.ts";
import { handleOf, type Tensor, wrapAll } from "../tensor.ts";
import { type MapLeaves, mapTree } from "../tree.ts";
import type { UpdateOptions } from "./adam.ts";
import { checkAlike, checkedStep, handleOrNull, inRange, stepTree, writable } from "./tree_step.ts";

/** Hyperparameters of RMSprop; the defaults are torch.optim.RMSprop's. */
export interface RmspropConfig {
  /** Learning rate; torch's default is 1e-2. */
  lr: number;
  /** Smoothing constant of the squared-gradient average; default 0.99. */
  alpha?: number;
  /** Added to the denominator; default 1e-8. */
  eps?: number;
  /** L2 penalty added to the gradient; default 0. */
  weightDecay?: number;
  /** Momentum factor; default 0 (no buffer). */
  momentum?: number;
  /** Normalize by the variance estimate (square average minus squared mean); default false. */
  centered?: boolean;
}

function rmspropHyper(config: RmspropConfig, op: string): Required<RmspropConfig> {
  const { lr, alpha = 0.99, eps = 1e-8, weightDecay = 0, momentum = 0, centered = false } = config;
  inRange(op, "lr", lr, 0);
  inRange(op, "alpha", alpha, 0);
  inRange(op, "eps", eps, 0);
  inRange(op, "weightDecay", weightDecay, 0);
  inRange(op, "momentum", momentum, 0);
  return { lr, alpha, eps, weightDecay, momentum, centered };
}

const rmspropOut = new BigUint64Array(4);

/** The states of one parameter: the square average, and the gradient average and buffer (null: not made yet). */
export interface RmspropLeafState<S extends Shape> {
  /** The running average of the squared gradient. */
  squareAvg: Tensor<S>;
  /** The running average of the gradient (centered only); null before the first centered step. */
  gradAvg: Tensor<S> | null;
  /** The momentum buffer (momentum > 0 only); null before the first such step. */
  momentumBuffer: Tensor<S> | null;
}

/**
 * One RMSprop step of one parameter: returns the new parameter and states. A null `gradAvg`
 * (centered) or `momentumBuffer` (momentum > 0) is torch's zeros of the first step; one that the
 * config does not use is returned as given. With `donate` the parameter and states are given up and
 * updated in place when contiguous.
 *
 * @throws {RangeError} If a hyperparameter is negative or NaN.
 * @throws {ShapeError} If the gradient or a state differs from the parameter in shape (DTypeError,
 *   DeviceError likewise).
 *
 * @example
 * ```ts
 * import { rmspropStep, scope, tensor, zerosLike } from "@deno-torch/torch";
 * scope(() => {
 *   const w = tensor([1, 2], [2]);
 *   const state = { squareAvg: zerosLike(w), gradAvg: null, momentumBuffer: null };
 *   const [w1, next] = rmspropStep(w, tensor([0.5, -1], [2]), state, { lr: 0.01 }); // w1 ≈ [0.9, 2.1]
 * });
 * ```
 */
export function rmspropStep<S extends Shape>(
  param: Tensor<S>,
  grad: Tensor<S>,
  state: RmspropLeafState<S>,
  config: RmspropConfig,
  donate = false,
  op = "rmsprop",
): [param: Tensor<S>, state: RmspropLeafState<S>] {
  const { lr, alpha, eps, weightDecay, momentum, centered } = rmspropHyper(config, op);
  const gradAvg = centered ? state.gradAvg : null;
  const buf = momentum > 0 ? state.momentumBuffer : null;
  checkAlike(op, param, [["gradient", grad], ["square average", state.squareAvg], ["gradient average", gradAvg], [
    "momentum buffer",
    buf,
  ]]);
  const status = sym.dt_rmsprop(
    handleOf(param, op),
    handleOf(grad, op),
    handleOf(state.squareAvg, op),
    handleOrNull(gradAvg, op),
    handleOrNull(buf, op),
    lr,
    alpha,
    eps,
    weightDecay,
    momentum,
    centered ? 1 : 0,
    writable(donate, [param, state.squareAvg, gradAvg, buf], op) ? 1 : 0,
    rmspropOut,
  );
  if (status !== 0) fail(op);
  const results = wrapAll(rmspropOut.subarray(0, 2 + (centered ? 1 : 0) + (momentum > 0 ? 1 : 0)), op) as Tensor<S>[];
  const [p, squareAvg] = results;
  let next = 2;
  return [p, {
    squareAvg,
    gradAvg: centered ? results[next++] : state.gradAvg,
    momentumBuffer: momentum > 0 ? results[next++] : state.momentumBuffer,
  }];
}

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
