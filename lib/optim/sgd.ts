/**
 * Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay, as a
 * pure update over a parameter tree: torch.optim.SGD's single-tensor arithmetic (one `sgdStep`
 * native call per parameter), bit for bit. `{ donate: true }` works as in adamUpdate.
 *
 * @module
 */
import { fail, sym } from "../../ffi/lib.ts";
import type { Shape } from "../shape.ts";
import { handleOf, type Tensor, wrapAll } from "../tensor.ts";
import type { MapLeaves } from "../tree.ts";
import type { UpdateOptions } from "./adam.ts";
import { checkAlike, checkedStep, handleOrNull, inRange, stepTree, writable } from "./tree_step.ts";

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
function sgdHyper(config: SgdConfig, op: string): Required<SgdConfig> {
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
