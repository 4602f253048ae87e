/**
 * One Rmsprop step of one tensor, as the fused native update computes it (torch.optim's
 * single-tensor arithmetic, bit for bit); lib/optim/rmsprop.ts walks a parameter tree with it.
 *
 * @module
 */
import { fail, sym } from "../../ffi/lib.ts";
import type { Shape } from "../shape.ts";
import { handleOf, type Tensor, wrapAll } from "../tensor.ts";
import { checkAlike, handleOrNull, inRange, writable } from "./step_checks.ts";

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

export function rmspropHyper(config: RmspropConfig, op: string): Required<RmspropConfig> {
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
