/**
 * Adam and AdamW as pure updates: `adamUpdate(params, grads, state, config)` returns new parameters
 * and a new state and leaves its inputs untouched (free the old trees when done with them). The
 * arithmetic is PyTorch's single-tensor Adam, done natively in one call per parameter.
 *
 * `{ donate: true }` is the training loop's fast path: the caller promises never to read the input
 * parameters and moments again (only to free them), so the update may reuse their memory. The
 * results are the same bits; a step then copies no parameters or moments, and peak memory holds
 * one set of them instead of two.
 */
import { fail, sym } from "../../ffi/lib.ts";
import { zerosLike } from "../create.ts";
import { flatten, type MapLeaves, mapTree } from "../tree.ts";
import { h, type Tensor } from "../tensor.ts";
import { wrapAll } from "./handles.ts";

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
 * What Adam carries from one step to the next for a parameter tree `P`: the step count and the two
 * moment trees. Create it with {@linkcode adamInit}; each {@linkcode adamUpdate} returns a new one.
 */
export interface AdamState<P> {
  /** Updates done so far. */
  step: number;
  /** First moments, shaped like the parameters. */
  m: MapLeaves<P, Tensor>;
  /** Second moments. */
  v: MapLeaves<P, Tensor>;
}

/**
 * The starting optimizer state for `params`: step 0 and zero moments shaped like each parameter
 * (new tensors in the current scope).
 *
 * @example
 * ```ts
 * import { adamInit, tensor } from "@deno-torch/torch";
 * const state = adamInit({ w: tensor([1, 2, 3], [3]) });
 * state.step; // 0
 * ```
 */
export function adamInit<P>(params: P): AdamState<P> {
  return { step: 0, m: mapTree(params, (t) => zerosLike(t)), v: mapTree(params, (t) => zerosLike(t)) };
}

/** Options of {@linkcode adamUpdate}. */
export interface UpdateOptions {
  /** The input parameters and moments are given up to the update (see above). */
  donate?: boolean;
}

/**
 * One Adam (or AdamW, with `decoupled`) step: returns the updated parameters and the next state.
 * `grads` must have a gradient for every parameter path. Unless `donate` is set the inputs are left
 * untouched and the results are new tensors.
 *
 * @throws {RangeError} If `config.lr` is negative or NaN.
 * @throws {TypeError} If a parameter has no gradient or moment, or `donate` is set on a tree that
 * shares one tensor between paths.
 *
 * @example
 * ```ts
 * import { adamInit, adamUpdate, scope, tensor } from "@deno-torch/torch";
 * scope(() => {
 *   let params = { w: tensor([1, -2, 0.5], [3]) };
 *   let state = adamInit(params);
 *   const grads = { w: tensor([0.3, -0.1, 2], [3]) };
 *   ({ params, state } = adamUpdate(params, grads, state, { lr: 1e-3, weightDecay: 0.01, decoupled: true }));
 * });
 * ```
 */
export function adamUpdate<P>(
  params: P,
  grads: MapLeaves<P, Tensor>,
  state: AdamState<P>,
  config: AdamConfig,
  { donate = false }: UpdateOptions = {},
): { params: P; state: AdamState<P> } {
  const { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, decoupled = false } = config;
  if (!(lr >= 0)) throw new RangeError(`adam: lr must be ≥ 0, got ${lr}`);
  const step = state.step + 1;
  const g = new Map(flatten(grads));
  const m = new Map(flatten(state.m));
  const v = new Map(flatten(state.v));
  const updated = new Map<string, Tensor[]>();
  const slots = new BigUint64Array(3);
  const leaves = flatten(params);
  // Updating in place twice through a shared leaf (tied weights) would apply two steps to it.
  if (donate && new Set(leaves.map(([, t]) => t)).size !== leaves.length) {
    throw new TypeError("adam: donate needs distinct parameter tensors; this tree shares one between paths");
  }
  for (const [path, p] of leaves) {
    const gi = g.get(path), mi = m.get(path), vi = v.get(path);
    if (!gi || !mi || !vi) throw new TypeError(`adam: no gradient or moment for parameter "${path}"`);
    const status = sym.dt_adam(
      h(p, "adam"),
      h(gi, "adam"),
      h(mi, "adam"),
      h(vi, "adam"),
      lr,
      beta1,
      beta2,
      eps,
      weightDecay,
      decoupled ? 1 : 0,
      step,
      donate ? 1 : 0,
      slots,
    );
    if (status !== 0) fail(`adam (${path})`);
    updated.set(path, wrapAll(slots, "adam"));
  }
  const pick = (i: number) => mapTree(params, (_, path) => updated.get(path)![i]);
  return { params: pick(0) as P, state: { step, m: pick(1), v: pick(2) } };
}
