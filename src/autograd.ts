/**
 * Gradients through libtorch's autograd, JAX style: `valueAndGrad(f)(params, ...args)` returns the
 * loss and a gradient tree shaped like `params`. The caller's tensors are never marked or mutated:
 * `f` sees fresh leaf aliases of the parameters, and the graph is released before returning.
 *
 * @module
 */
import { fail, sym } from "../ffi/lib.ts";
import { TorchError } from "../ffi/errors.ts";
import { flatten, type MapLeaves, mapTree } from "./tree.ts";
import { scope } from "./scope.ts";
import { h, type Tensor, wrap, wrapDescribed } from "./tensor.ts";
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
 * have the shapes of the parameters; the parameters themselves are left untouched.
 *
 * @example
 * ```ts
 * import { mul, randn, rng, scope, sum, valueAndGrad } from "@deno-torch/nmt";
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
 * import { mean, mul, randn, rng, scope, sum, valueAndGrad } from "@deno-torch/nmt";
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
  return (params: P, ...args: A) =>
    scope(() => {
      const entries = flatten(params);
      const leaves = entries.map(([, t]) => wrap(sym.dt_leaf(h(t, "valueAndGrad")), "valueAndGrad"));
      const tracked = rebuild(params, leaves);
      const out = f(tracked, ...args);
      const [loss, aux] = options.hasAux ? out as [Tensor, unknown] : [out as Tensor, undefined];
      const grads = gradients(loss, leaves);
      const value = detach(loss) as Tensor<[]>;
      const gradTree = rebuild(params, grads) as Grads<P>;
      return { value: options.hasAux ? [value, mapTree(aux, detach)] : value, grads: gradTree };
    });
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

function gradients(loss: Tensor, leaves: Tensor[]): Tensor[] {
  if (loss.size !== 1) throw new TorchError("valueAndGrad", `f must return a scalar loss, got shape [${loss.shape}]`);
  const inputs = new BigUint64Array(leaves.length);
  leaves.forEach((t, i) => inputs[i] = BigInt(Deno.UnsafePointer.value(h(t, "valueAndGrad"))));
  const out = new BigUint64Array(leaves.length);
  if (sym.dt_grad(h(loss, "valueAndGrad"), inputs, leaves.length, out) !== 0) fail("valueAndGrad");
  return Array.from(out, (p) => wrapDescribed(Deno.UnsafePointer.create(p)!, "valueAndGrad"));
}

/** `params`' structure with the flat list's tensors at its leaves, in flatten order. */
function rebuild<P>(params: P, flat: Tensor[]): P {
  let i = 0;
  return mapTree(params, () => flat[i++]) as P;
}
