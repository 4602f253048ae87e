/**
 * One SGD step of one tensor, as the fused native update computes it (torch.optim's
 * single-tensor arithmetic, bit for bit); lib/optim/sgd.ts walks a parameter tree with it.
 *
 * @module
 */
import { fail, sym } from "../../ffi/lib.ts";
import type { Shape } from "../shape.ts";
import { handleOf, type Tensor, wrapAll } from "../tensor.ts";
import { checkAlike, handleOrNull, inRange, writable } from "./step_checks.ts";

/** Hyperparameters of SGD; the defaults are torch.optim.SGD's. */
export interface SgdConfig {
  /** Learning rate of this step. */
  lr: number;
  /** Momentum factor; default 0 (plain SGD, no buffer). */
  momentum?: number;
  /** Dampening of the gradient's share in the momentum buffer; default 0. */
  dampening?: number;
  /** L2 penalty added to the gradient (weight_decay·param); default 0. */
  weightDecay?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0); default false. */
  nesterov?: boolean;
}

/** `config` with torch's defaults, checked as torch.optim.SGD checks it. */
export function sgdHyper(config: SgdConfig, op: string): Required<SgdConfig> {
  const { lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false } = config;
  inRange(op, "lr", lr, 0);
  inRange(op, "momentum", momentum, 0);
  inRange(op, "dampening", dampening, -Infinity);
  inRange(op, "weightDecay", weightDecay, 0);
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new RangeError(`${op}: nesterov needs momentum > 0 and dampening 0, got ${momentum} and ${dampening}`);
  }
  return { lr, momentum, dampening, weightDecay, nesterov };
}

const sgdOut = new BigUint64Array(2);

/**
 * One SGD step of one parameter: returns the new parameter and momentum buffer. `buf` is null
 * before the first step with momentum (torch then starts the buffer as a copy of the gradient); with
 * momentum 0 no buffer is kept and the returned one is `buf` as given. With `donate`, `param` and
 * `buf` are given up and updated in place when contiguous.
 *
 * @throws {RangeError} If a hyperparameter is out of torch's range (negative lr, momentum, weightDecay;
 *   nesterov without momentum or with dampening).
 * @throws {ShapeError} If the gradient or buffer differs from the parameter in shape (DTypeError,
 *   DeviceError likewise; a non-float parameter is a DTypeError).
 *
 * @example
 * ```ts
 * import { scope, sgdStep, tensor, values } from "@deno-torch/torch";
 * scope(() => {
 *   const [w, buf] = sgdStep(tensor([1, 2], [2]), tensor([0.5, -1], [2]), null, { lr: 0.1, momentum: 0.9 });
 *   values(w); // [0.95, 2.1]; buf is the gradient [0.5, -1]
 * });
 * ```
 */
export function sgdStep<S extends Shape>(
  param: Tensor<S>,
  grad: Tensor<S>,
  buf: Tensor<S> | null,
  config: SgdConfig,
  donate = false,
  op = "sgd",
): [param: Tensor<S>, buf: Tensor<S> | null] {
  const { lr, momentum, dampening, weightDecay, nesterov } = sgdHyper(config, op);
  checkAlike(op, param, [["gradient", grad], ["momentum buffer", buf]]);
  const status = sym.dt_sgd(
    handleOf(param, op),
    handleOf(grad, op),
    momentum === 0 ? null : handleOrNull(buf, op),
    lr,
    momentum,
    dampening,
    weightDecay,
    nesterov ? 1 : 0,
    writable(donate, [param, buf], op) ? 1 : 0,
    sgdOut,
  );
  if (status !== 0) fail(op);
  if (momentum === 0) return [wrapAll(sgdOut.subarray(0, 1), op)[0] as Tensor<S>, buf];
  return wrapAll(sgdOut, op) as [Tensor<S>, Tensor<S>];
}
