/**
 * One Adagrad step of one tensor, as the fused native update computes it (torch.optim's
 * single-tensor arithmetic, bit for bit); lib/optim/adagrad.ts walks a parameter tree with it.
 *
 * @module
 */
import { fail, sym } from "../../ffi/lib.ts";
import type { Shape } from "../shape.ts";
import { handleOf, type Tensor, wrapAll } from "../tensor.ts";
import { checkAlike, inRange, writable } from "./step_checks.ts";

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

export function adagradHyper(config: AdagradConfig, op: string): Required<AdagradConfig> {
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
