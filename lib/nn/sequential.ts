/**
 * Layers applied one after another, after Equinox's `Sequential` and torch.nn.Sequential. The model
 * is the tuple of the layers' weight trees (its paths are torch.nn.Sequential's: `0.weight`,
 * `2.bias`, ...); the functions that apply them come separately, one per layer, so the tree holds
 * only tensors. A layer without weights (an activation) is `null` in the tuple, and keeps its index
 * as in torch (Sequential(Linear, GELU, Linear) has `0.weight` and `2.weight`).
 *
 * @module
 */
import { scope } from "../scope.ts";
import type { Shape } from "../shape.ts";
import type { Tensor } from "../tensor.ts";

/** How one layer of a sequential model is applied: its apply function, given the layer and the running value. */
export type Step<L> = (layer: L, x: Tensor) => Tensor;

/** One step per layer of `L`, each taking that layer's type. */
export type Steps<L extends readonly unknown[]> = { readonly [K in keyof L]: Step<L[K]> };

/**
 * The model of `layers`: the tuple itself, its type kept (so `apply` can check each step against its layer).
 *
 * @example
 * ```ts
 * import { nn, rng } from "@deno-torch/torch";
 * const model = nn.sequential.init(nn.linear.init(rng(0), 4, 8), null, nn.linear.init(rng(1), 8, 2));
 * ```
 */
export function init<const L extends readonly unknown[]>(...layers: L): L {
  return layers;
}

/**
 * A weightless step that applies `fn` to the running value (for a `null` layer: an activation).
 *
 * @example
 * ```ts
 * import { gelu, nn } from "@deno-torch/torch";
 * const step = nn.sequential.fn(gelu); // (null, x) => gelu(x)
 * ```
 */
export function fn(f: (x: Tensor) => Tensor): Step<null> {
  return (_, x) => f(x);
}

/**
 * `x` through each layer in turn, `steps[i]` applying `layers[i]`; the intermediates are freed.
 *
 * @throws {RangeError} If there are not as many steps as layers.
 *
 * @example
 * ```ts
 * import { gelu, nn, randn, rng, scope } from "@deno-torch/torch";
 * scope(() => {
 *   const model = nn.sequential.init(nn.linear.init(rng(0), 4, 8), null, nn.linear.init(rng(1), 8, 2));
 *   const y = nn.sequential.apply(model, [nn.linear.apply, nn.sequential.fn(gelu), nn.linear.apply], randn([3, 4], rng(2))); // [3, 2]
 * });
 * ```
 */
export function apply<const L extends readonly unknown[], S extends Shape>(
  layers: L,
  steps: Steps<L>,
  x: Tensor<S>,
): Tensor {
  if (steps.length !== layers.length) {
    throw new RangeError(`sequential: ${layers.length} layers need as many steps, got ${steps.length}`);
  }
  return scope(() =>
    (steps as readonly Step<unknown>[]).reduce((h: Tensor, step, i) => step(layers[i], h), x as Tensor)
  );
}
