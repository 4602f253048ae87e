/**
 * The fused native steps that optimizers are built from: one Adam/AdamW update of a parameter and
 * its moments, and the scaling of a list of gradients to a global L2 norm. Each is one native call
 * with PyTorch's arithmetic (lib/optim/ applies them over parameter trees).
 *
 * `donate` is the training loop's fast path: the caller promises never to read the donated inputs
 * again (only to free them), so the op may write its results into their memory. The results are
 * the same bits either way.
 *
 * @module
 */
import { fail, sym } from "../../ffi/lib.ts";
import type { Shape } from "../shape.ts";
import { handleList, handleOf, type Tensor, wrapAll } from "../tensor.ts";

/** Hyperparameters of one Adam/AdamW step; the defaults are PyTorch's. */
export interface AdamConfig {
  /** Learning rate of this step (schedules pass the current value). */
  lr: number;
  /** Decay rate of the first-moment (mean) estimate; default 0.9. */
  beta1?: number;
  /** Decay rate of the second-moment (uncentered variance) estimate; default 0.999. */
  beta2?: number;
  /** Added to the denominator for numerical stability; default 1e-8. */
  eps?: number;
  /** L2 penalty (Adam) or decoupled decay rate (AdamW); default 0 (none). */
  weightDecay?: number;
  /** AdamW: decay the weights directly instead of adding weight_decay·param to the gradient. */
  decoupled?: boolean;
}

/**
 * `config` with PyTorch's defaults filled in, checked once for a whole update.
 *
 * @throws {RangeError} If `config.lr` is negative or NaN.
 *
 * @example
 * ```ts
 * import { adamHyper } from "@deno-torch/torch";
 * adamHyper({ lr: 1e-3 }); // { lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false }
 * ```
 */
export function adamHyper(config: AdamConfig): Required<AdamConfig> {
  const { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, decoupled = false } = config;
  if (!(lr >= 0)) throw new RangeError(`adam: lr must be ≥ 0, got ${lr}`);
  return { lr, beta1, beta2, eps, weightDecay, decoupled };
}

/** Out-slots of `adamStep`: reused, since each call wraps the three handles before the next. */
const adamOut = new BigUint64Array(3);

/**
 * One Adam (or AdamW, with `decoupled`) step of one parameter, PyTorch's single-tensor arithmetic in
 * one native call: returns `[param, m, v]` updated. `step` is the 1-based step number (for the bias
 * corrections). With `donate`, `param`, `m` and `v` are given up and updated in place when all three
 * are contiguous (see the module doc). `param`, `grad`, `m` and `v` must have one shape (a
 * `TorchError` otherwise).
 *
 * @param op the name errors carry (`adamUpdate` names the parameter's path in it)
 *
 * @example
 * ```ts
 * import { adamHyper, adamStep, scope, tensor, zerosLike } from "@deno-torch/torch";
 * scope(() => {
 *   const w = tensor([1, -2], [2]);
 *   const g = tensor([0.5, 0.5], [2]);
 *   const [w1, m1, v1] = adamStep(w, g, zerosLike(w), zerosLike(w), adamHyper({ lr: 0.1 }), 1);
 *   // w1 ≈ [0.9, -2.1]: Adam's first step moves each weight by lr against its gradient's sign
 * });
 * ```
 */
export function adamStep<S extends Shape>(
  param: Tensor<S>,
  grad: Tensor<S>,
  m: Tensor<S>,
  v: Tensor<S>,
  hyper: Required<AdamConfig>,
  step: number,
  donate = false,
  op = "adam",
): [param: Tensor<S>, m: Tensor<S>, v: Tensor<S>] {
  const { lr, beta1, beta2, eps, weightDecay, decoupled } = hyper;
  // Only contiguous tensors are written in place: a view whose elements share memory (an expanded,
  // stride-0 one) cannot be, and libtorch refuses it. The others get fresh results, the same bits.
  const inPlace = donate && [param, m, v].every((t) => sym.dt_is_contiguous(handleOf(t, op)) === 1);
  const status = sym.dt_adam(
    handleOf(param, op),
    handleOf(grad, op),
    handleOf(m, op),
    handleOf(v, op),
    lr,
    beta1,
    beta2,
    eps,
    weightDecay,
    decoupled ? 1 : 0,
    step,
    inPlace ? 1 : 0,
    adamOut,
  );
  if (status !== 0) fail(op);
  return wrapAll(adamOut, op) as [Tensor<S>, Tensor<S>, Tensor<S>];
}

/**
 * `xs` scaled by one factor so that their global L2 norm (the norm of all their elements together)
 * is at most `maxNorm`, and that norm before scaling (0-dim), as torch.nn.utils.clip_grad_norm_
 * computes them. With `donate` the inputs are given up and scaled in place, unless two of them
 * share memory (then each is scaled into a new tensor, so none is scaled twice); one that overlaps
 * itself (the stride-0 gradient of `sum(w)`) cannot be written in place and is scaled into a new one.
 *
 * @param op the name errors carry (`clipGradNorm` passes its own)
 * @throws {RangeError} If `maxNorm` is not positive.
 *
 * @example
 * ```ts
 * import { clipByGlobalNorm, item, scope, tensor } from "@deno-torch/torch";
 * scope(() => {
 *   const { scaled, norm } = clipByGlobalNorm([tensor([3], [1]), tensor([4], [1])], 1);
 *   item(norm); // 5; scaled ≈ [[0.6], [0.8]]
 * });
 * ```
 */
export function clipByGlobalNorm(
  xs: readonly Tensor[],
  maxNorm: number,
  donate = false,
  op = "clipByGlobalNorm",
): { scaled: Tensor[]; norm: Tensor<[]> } {
  if (!(maxNorm > 0)) throw new RangeError(`${op}: maxNorm must be > 0, got ${maxNorm}`);
  const out = new BigUint64Array(xs.length + 1);
  if (sym.dt_clip_grad_norm(handleList(xs, op), xs.length, maxNorm, donate ? 1 : 0, out) !== 0) fail(op);
  const results = wrapAll(out, op);
  return { scaled: results.slice(0, xs.length), norm: results[xs.length] as Tensor<[]> };
}
