/**
 * Gradients through libtorch's autograd, JAX style: `valueAndGrad(f)(params, ...args)` returns the
 * loss and a gradient tree shaped like `params`. The caller's tensors are never marked or mutated:
 * `f` sees fresh leaf aliases of the parameters, and the graph is released before returning.
 *
 * The transforms compose: a transform running inside another one's function (`grad(grad(f))`,
 * `hessianVectorProduct`) builds its gradients with a graph (libtorch's create_graph), so the outer
 * one differentiates through them; at the outermost level nothing changes (no create_graph, the
 * same first-order cost). `vjp` and `jvp` give vector-Jacobian and Jacobian-vector products.
 *
 * @module
 */
import { fail, sym } from "../ffi/lib.ts";
import { DeviceError, DTypeError, ShapeError, TorchError } from "./errors.ts";
import { flattenTree, type MapLeaves, mapTree, replaceLeaves, treeLeaves } from "./tree.ts";
import { scope } from "./scope.ts";
import { handleList, handleOf, type Tensor, wrap, wrapAll } from "./tensor.ts";
import { detach } from "./transfer.ts";
import { add, mul } from "./ops/elementwise.ts";
import { sum } from "./ops/reduce.ts";
import { formatShape } from "./shape.ts";
import { atLevel, CREATE_GRAPH, insideTransform, RETAIN_GRAPH, type Tape, vjpOf, wrapNullable } from "./checkpoint.ts";

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
      // Nested in another transform, the gradients must themselves be differentiable, and the loss
      // and aux stay in the outer level's graph. A custom gradient computation (the data-parallel
      // one, which sums across ranks during backward) keeps its first-order behaviour.
      const plainBackward = gradientsOf === gradients;
      const nested = plainBackward && insideTransform();
      // One leaf per distinct tensor: a tensor at several paths (tied weights) is one parameter, so
      // its gradient is the sum over its uses, and every path gets that whole gradient (PyTorch's .grad).
      const { distinct, slots } = distinctLeaves(treeLeaves(params));
      const leaves = trackedLeaves(distinct, nested, op);
      const tracked = replaceLeaves(params, slots.map((i) => leaves[i])) as P;
      // checkpoint() records segments only where the plain first-order backward would run.
      const checkpointable = plainBackward && !insideTransform() ? leaves : null;
      let tape = null as Tape | null; // set inside the level; `as` keeps TS from narrowing it to null
      try {
        const { out, sawInner } = atLevel(checkpointable, (level) => {
          const out = f(tracked, ...args);
          tape = level.tape;
          return { out, sawInner: level.sawInner };
        });
        const [loss, aux] = hasAux ? out as [Tensor, unknown] : [out as Tensor, undefined];
        if (loss.size !== 1) throw new TorchError(op, `f must return a scalar loss, got shape [${loss.shape}]`);
        const grads = tape !== null ? tape.gradients(loss, op) : nested || (plainBackward && sawInner)
          // A loss built from inner gradients may be constant in the params (zero second derivative).
          ? vjpOf([loss], [null], leaves, nested ? CREATE_GRAPH : 0, op) as Tensor[]
          : gradientsOf(loss, leaves, op);
        const value = nested ? loss as Tensor<[]> : detach(loss) as Tensor<[]>;
        const gradTree = replaceLeaves(params, slots.map((i) => grads[i])) as Grads<P>;
        return { value: hasAux ? [value, nested ? aux : mapTree(aux, detach)] : value, grads: gradTree };
      } finally {
        tape?.free();
      }
    });
}

/**
 * Leaves standing for `tensors` in a transform's function. At the outermost level, fresh leaves
 * sharing their storage; nested, a differentiable identity of each tensor the outer level tracks,
 * so that the inner gradients count only the paths through the inner parameters while the outer
 * level still sees how they depend on its own.
 */
function trackedLeaves(tensors: readonly Tensor[], nested: boolean, op: string): Tensor[] {
  const make = nested ? sym.dt_nested_leaf : sym.dt_leaf;
  return tensors.map((t) => wrap(make(handleOf(t, op)), op));
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

// ---- vjp, jvp, hessianVectorProduct (issue 17) ----

/** What `vjp` returns: `f`'s outputs, and the function that pulls cotangents back to the primals. */
export interface Vjp<P, O> {
  /** `f(primals)`, detached (differentiable only for an outer transform when `vjp` runs inside one). */
  out: O;
  /**
   * The vector-Jacobian product: for cotangents shaped like `out`, the gradient of
   * Σ <out, cotangent> for each primal, in the primals' structure. May be called any number of
   * times, until the scope in which `vjp` was called ends (which frees the graph it holds).
   */
  vjpFn: (cotangents: MapLeaves<O, Tensor>) => Grads<P>;
}

/**
 * Evaluates `f(primals)` and returns it with its vector-Jacobian product, as `jax.vjp` and
 * `torch.autograd.functional.vjp` do: `vjpFn(u)` is uᵀ J for each primal (J the Jacobian of the
 * outputs for that primal). `primals` and the outputs are trees of tensors (a tensor, arrays,
 * plain objects); the cotangents must have the outputs' structure, shapes and dtypes.
 *
 * @example
 * ```ts
 * import { mul, scope, tensor, vjp } from "@deno-torch/torch";
 * scope(() => {
 *   const { out, vjpFn } = vjp((x: ReturnType<typeof tensor>) => mul(x, x), tensor([1, 2, 3]));
 *   const pulled = vjpFn(tensor([1, 1, 0])); // 2x · u = [2, 4, 0]
 * });
 * ```
 */
export function vjp<P, O>(f: (primals: P) => O, primals: P): Vjp<P, O> {
  const op = "vjp";
  const nested = insideTransform();
  const { distinct, slots } = distinctLeaves(treeLeaves(primals));
  const leaves = trackedLeaves(distinct, nested, op);
  const tracked = replaceLeaves(primals, slots.map((i) => leaves[i])) as P;
  const out = atLevel(null, () => f(tracked));
  const outs = outputLeaves(out, op);
  const vjpFn = (cotangents: MapLeaves<O, Tensor>): Grads<P> =>
    scope(() => {
      const cots = checkLike(out, cotangents, op, "cotangents");
      // Differentiable when an outer transform will differentiate it, or through the cotangents.
      const create = insideTransform() || cots.some((c) => c.requiresGrad);
      const grads = vjpOf(outs, cots, leaves, RETAIN_GRAPH | (create ? CREATE_GRAPH : 0), op) as Tensor[];
      return replaceLeaves(primals, slots.map((i) => grads[i])) as Grads<P>;
    });
  return { out: nested ? out : mapTree(out, detach) as O, vjpFn };
}

/** What `jvp` returns: `f`'s outputs and their tangents. */
export interface Jvp<O> {
  /** `f(primals)`, detached unless `jvp` runs inside another transform. */
  out: O;
  /** The Jacobian-vector product J t, in the outputs' structure. */
  tangent: MapLeaves<O, Tensor>;
}

/**
 * Evaluates `f(primals)` and its Jacobian-vector product J t (the directional derivative along
 * `tangents`), as `jax.jvp` and `torch.autograd.functional.jvp`. `tangents` must have the primals'
 * structure, shapes and dtypes. Computed by the double-vjp identity (two backward passes, as
 * torch.autograd.functional.jvp does), so `f` must be twice differentiable by reverse mode.
 *
 * @example
 * ```ts
 * import { jvp, mul, scope, tensor } from "@deno-torch/torch";
 * scope(() => {
 *   const { out, tangent } = jvp((x: ReturnType<typeof tensor>) => mul(x, x), tensor([1, 2]), tensor([1, 0]));
 *   // out = [1, 4], tangent = 2x · t = [2, 0]
 * });
 * ```
 */
export function jvp<P, O>(f: (primals: P) => O, primals: P, tangents: MapLeaves<P, Tensor>): Jvp<O> {
  const op = "jvp";
  return scope(() => {
    const ts = checkLike(primals, tangents, op, "tangents");
    const nested = insideTransform();
    const { distinct, slots } = distinctLeaves(treeLeaves(primals));
    const leaves = trackedLeaves(distinct, nested, op);
    const tracked = replaceLeaves(primals, slots.map((i) => leaves[i])) as P;
    // A tensor at several paths moves along the sum of their tangents.
    const perLeaf: (Tensor | null)[] = distinct.map(() => null);
    slots.forEach((leaf, i) => perLeaf[leaf] = perLeaf[leaf] === null ? ts[i] : add(perLeaf[leaf]!, ts[i]));
    const out = atLevel(null, () => f(tracked));
    const outs = outputLeaves(out, op);
    const create = nested || ts.some((t) => t.requiresGrad);
    const slotsOut = new BigUint64Array(outs.length);
    const code = sym.dt_jvp(
      handleList(outs, op),
      outs.length,
      handleList(leaves, op),
      handleList(perLeaf as Tensor[], op),
      leaves.length,
      create ? 1 : 0,
      slotsOut,
    );
    if (code !== 0) fail(op);
    const tangentsOut = wrapNullable(slotsOut, op) as Tensor[];
    return {
      out: nested ? out : mapTree(out, detach) as O,
      tangent: replaceLeaves(out, tangentsOut) as MapLeaves<O, Tensor>,
    };
  });
}

/**
 * The Hessian of the scalar `f` at `x` times `v` (a tree shaped like `x`): ∇²f(x) v, as
 * `torch.autograd.functional.hvp`, without forming the Hessian. It is literally
 * `grad(p => Σ <grad(f)(p), v>)(x)`, two reverse passes, the inner one differentiable.
 *
 * @example
 * ```ts
 * import { hessianVectorProduct, mul, scope, sum, tensor } from "@deno-torch/torch";
 * scope(() => {
 *   const f = (x: ReturnType<typeof tensor>) => sum(mul(mul(x, x), x)); // Σ x³: Hessian diag(6x)
 *   const hv = hessianVectorProduct(f, tensor([1, 2]), tensor([1, 1])); // [6, 12]
 * });
 * ```
 */
export function hessianVectorProduct<P>(f: (x: P) => Tensor, x: P, v: MapLeaves<P, Tensor>): Grads<P> {
  const op = "hessianVectorProduct";
  return scope(() => {
    const vs = checkLike(x, v, op, "v");
    const gradient = valueAndGradBy(f, gradients, false, op);
    const directional = (p: P) => {
      const g = treeLeaves(gradient(p).grads);
      return g.reduce((acc: Tensor | null, gi, i) => {
        const term = sum(mul(gi, vs[i]));
        return acc === null ? term : add(acc, term);
      }, null)!;
    };
    return valueAndGradBy(directional, gradients, false, op)(x).grads;
  });
}

/** The tensors of a function's result, which must be a tree of tensors. */
function outputLeaves(out: unknown, op: string): Tensor[] {
  try {
    return treeLeaves(out);
  } catch (e) {
    throw new TypeError(`${op}: f must return a tensor or a tree of tensors (${(e as Error).message})`);
  }
}

/** The tensors of `other`, checked to have `like`'s structure, shapes, dtypes and devices. */
function checkLike(like: unknown, other: unknown, op: string, what: string): Tensor[] {
  const want = flattenTree(like);
  let got: [string, Tensor][];
  try {
    got = flattenTree(other);
  } catch (e) {
    throw new TypeError(`${op}: ${what} must be a tree of tensors (${(e as Error).message})`);
  }
  const paths = (t: [string, Tensor][]) => t.map(([p]) => p || "(root)").join(", ");
  if (got.length !== want.length || got.some(([p], i) => p !== want[i][0])) {
    throw new ShapeError(op, `${what} must have the structure [${paths(want)}], got [${paths(got)}]`);
  }
  got.forEach(([path, t], i) => {
    const w = want[i][1];
    const at = path === "" ? "" : ` at "${path}"`;
    if (t.shape.join() !== w.shape.join()) {
      throw new ShapeError(op, `${what}${at} must have shape ${formatShape(w.shape)}, got ${formatShape(t.shape)}`);
    }
    if (t.dtype !== w.dtype) throw new DTypeError(op, `${what}${at} must be ${w.dtype}, got ${t.dtype}`);
    if (t.device !== w.device) throw new DeviceError(op, `${what}${at} must be on ${w.device}, got ${t.device}`);
  });
  return got.map(([, t]) => t);
}
