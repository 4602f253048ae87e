/**
 * Adam and AdamW as pure updates: `adamUpdate(params, grads, state, config)` returns new parameters
 * and a new state and leaves its inputs untouched (free the old trees when done with them). The
 * arithmetic is PyTorch's single-tensor Adam: one `adamStep` op per parameter.
 *
 * `{ donate: true }` is the training loop's fast path: the caller promises never to read the input
 * parameters and moments again (only to free them), so the update may reuse their memory. The
 * results are the same bits; a step then copies no parameters or moments, and peak memory holds
 * one set of them instead of two.
 */
import { zerosLike } from "../create.ts";
import { type AdamConfig, adamHyper, adamStep } from "../ops/optim.ts";
import { flatten, type MapLeaves, mapTree, replaceLeaves } from "../tree.ts";
import type { Tensor } from "../tensor.ts";

export type { AdamConfig };

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
  const hyper = adamHyper(config);
  const step = state.step + 1;
  const g = new Map(flatten(grads));
  const m = new Map(flatten(state.m));
  const v = new Map(flatten(state.v));
  const leaves = flatten(params);
  // Updating in place twice through a shared leaf (tied weights) would apply two steps to it.
  if (donate && new Set(leaves.map(([, t]) => t)).size !== leaves.length) {
    throw new TypeError("adam: donate needs distinct parameter tensors; this tree shares one between paths");
  }
  const updated = leaves.map(([path, p]) => {
    const gi = g.get(path), mi = m.get(path), vi = v.get(path);
    if (!gi || !mi || !vi) throw new TypeError(`adam: no gradient or moment for parameter "${path}"`);
    return adamStep(p, gi, mi, vi, hyper, step, donate, `adam (${path})`);
  });
  const pick = (i: number) => replaceLeaves(params, updated.map((u) => u[i]));
  return { params: pick(0) as P, state: { step, m: pick(1), v: pick(2) } };
}
