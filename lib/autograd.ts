/**
 * Gradients through libtorch's autograd, JAX style: `valueAndGrad(f)(params, ...args)` returns the
 * loss and a gradient tree shaped like `params`. The caller's tensors are never marked or mutated:
 * `f` sees fresh leaf aliases of the parameters, and the graph is released before returning.
 *
 * @module
 */
import { fail, sym } from "../ffi/lib.ts";
import { TorchError } from "./errors.ts";
import { type MapLeaves, mapTree, replaceLeaves, treeLeaves } from "./tree.ts";
import { scope } from "./scope.ts";
import { handleList, handleOf, type Tensor, wrap, wrapAll } from "./tensor.ts";
import { detach } from "./transfer.ts";

/** A gradient tree: the structure of the parameter tree `P` with a gradient tensor at each leaf. */
export type Grads<P> = MapLeaves<P, Tensor>;

/** What a function made by `valueAndGrad` returns: the loss (with aux, if asked for) and the gradients. */
export interface ValueAndGrad<P, V> {
  /** The loss as a detached scalar tensor, or `[loss, aux]` when `hasAux` is set. */
  value: V;
  /** The gradient of the loss for each parameter leaf, in the same structure as the parameters. */
  grads: Grads<P>;
}

/**
 * Turns a loss function into one that returns the loss and its gradients for every tensor in `params`.
 * `f(params, ...args)` must return a scalar loss tensor (a `TorchError` otherwise). The gradients
 * have the shapes of the parameters; the parameters themselves are left untouched. A tensor that sits
 * at several paths of `params` (tied weights) is one parameter: each of its paths gets the sum of
 * the gradients of all its uses (one shared gradient tensor), as PyTorch's `.grad` would hold.
 *
 * @example
 * ```ts
 * import { mul, randn, rng, scope, sum, valueAndGrad } from "@deno-torch/torch";
 * scope(() => {
 *   const params = { w: randn([3], rng(0)) };
 *   const lossAndGrads = valueAndGrad((p: typeof params) => sum(mul(p.w, p.w)));
 *   const { value, grads } = lossAndGrads(params); // value: Tensor<[]>, grads.w = 2 * w
 * });
 * ```
 */
export function valueAndGrad<P, A extends unknown[]>(
  f: (params: P, ...args: A) => Tensor,
): (params: P, ...args: A) => ValueAndGrad<P, Tensor<[]>>;
/**
 * With `{ hasAux: true }`, `f` returns `[loss, aux]`: the gradients are of `loss` only, and `aux` (any
 * tree, e.g. logits or counts) comes back detached beside it, as `{ value: [loss, aux], grads }`.
 *
 * @example
 * ```ts
 * import { mean, mul, randn, rng, scope, sum, valueAndGrad } from "@deno-torch/torch";
 * scope(() => {
 *   const params = { w: randn([3], rng(0)) };
 *   const f = valueAndGrad((p: typeof params) => {
 *     const sq = mul(p.w, p.w);
 *     return [sum(sq), mean(sq)];
 *   }, { hasAux: true });
 *   const { value: [loss, meanSq], grads } = f(params);
 * });
 * ```
 */
export function valueAndGrad<P, A extends unknown[], X>(
  f: (params: P, ...args: A) => [Tensor, X],
  options: { hasAux: true },
): (params: P, ...args: A) => ValueAndGrad<P, [Tensor<[]>, X]>;
export function valueAndGrad<P, A extends unknown[]>(
  f: (params: P, ...args: A) => Tensor | [Tensor, unknown],
  options: { hasAux?: boolean } = {},
) {
  return valueAndGradBy(f, gradients, options.hasAux ?? false);
}

/**
 * How the gradients of a scalar loss for the leaves are computed: plain backward here; summed across
 * the ranks of a data-parallel group, overlapped with backward, in dist.ts.
 */
export type GradientsOf = (loss: Tensor, leaves: Tensor[], op: string) => Tensor[];

/** `valueAndGrad` with the gradient computation given (shared by valueAndGrad and its data-parallel form). */
export function valueAndGradBy<P, A extends unknown[]>(
  f: (params: P, ...args: A) => Tensor | [Tensor, unknown],
  gradientsOf: GradientsOf,
  hasAux: boolean,
  op = "valueAndGrad",
): (params: P, ...args: A) => ValueAndGrad<P, Tensor<[]> | [Tensor<[]>, unknown]> {
  return (params: P, ...args: A) =>
    scope(() => {
      // One leaf per distinct tensor: a tensor at several paths (tied weights) is one parameter, so
      // its gradient is the sum over its uses, and every path gets that whole gradient (PyTorch's .grad).
      const { distinct, slots } = distinctLeaves(treeLeaves(params));
      const leaves = distinct.map((t) => wrap(sym.dt_leaf(handleOf(t, op)), op));
      const tracked = replaceLeaves(params, slots.map((i) => leaves[i])) as P;
      const out = f(tracked, ...args);
      const [loss, aux] = hasAux ? out as [Tensor, unknown] : [out as Tensor, undefined];
      if (loss.size !== 1) throw new TorchError(op, `f must return a scalar loss, got shape [${loss.shape}]`);
      const grads = gradientsOf(loss, leaves, op);
      const value = detach(loss) as Tensor<[]>;
      const gradTree = replaceLeaves(params, slots.map((i) => grads[i])) as Grads<P>;
      return { value: hasAux ? [value, mapTree(aux, detach)] : value, grads: gradTree };
    });
}

/** The distinct tensors of `all` in first-seen order, and for each entry of `all` its index among them. */
function distinctLeaves(all: readonly Tensor[]): { distinct: Tensor[]; slots: number[] } {
  const index = new Map<Tensor, number>();
  const slots = all.map((t) => {
    let i = index.get(t);
    if (i === undefined) index.set(t, i = index.size);
    return i;
  });
  return { distinct: [...index.keys()], slots };
}

/** Just the gradients of `f` (see `valueAndGrad`). */
export function grad<P, A extends unknown[]>(
  f: (params: P, ...args: A) => Tensor,
): (params: P, ...args: A) => Grads<P> {
  const vg = valueAndGrad(f);
  return (params: P, ...args: A) =>
    scope(() => {
      const { grads } = vg(params, ...args);
      return grads;
    });
}

/** Runs `fn` with gradient recording off (inference, optimizer updates). */
export function noGrad<R>(fn: () => R): R {
  const was = sym.dt_set_grad_enabled(0);
  try {
    return fn();
  } finally {
    sym.dt_set_grad_enabled(was);
  }
}

function gradients(loss: Tensor, leaves: Tensor[], op: string): Tensor[] {
  const inputs = handleList(leaves, op);
  const out = new BigUint64Array(leaves.length);
  if (sym.dt_grad(handleOf(loss, op), inputs, leaves.length, out) !== 0) fail(op);
  return wrapAll(out, op);
}
