/**
 * One Lion step of one tensor, as the fused native update computes it (torch.optim's
 * single-tensor arithmetic, bit for bit); lib/optim/lion.ts walks a parameter tree with it.
 *
 * @module
 */
import { fail, sym } from "../../ffi/lib.ts";
import type { Shape } from "../shape.ts";
import { handleOf, type Tensor, wrapAll } from "../tensor.ts";
import { checkAlike, inRange, writable } from "./step_checks.ts";

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

export function lionHyper(config: LionConfig, op: string): Required<LionConfig> {
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
