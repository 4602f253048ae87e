/** Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_ computes it. */
import { clipByGlobalNorm } from "../ops/optim.ts";
import { type MapLeaves, replaceLeaves, treeLeaves } from "../tree.ts";
import type { Tensor } from "../tensor.ts";

/**
 * Gradients scaled to a global L2 norm of at most `maxNorm`, and the norm before clipping (0-dim).
 * `{ donate: true }`: the caller gives up `grads` (never reads them again), so they are scaled in
 * place, without a copy; the results are the same bits.
 *
 * @throws {RangeError} If `maxNorm` is not positive.
 *
 * @example
 * ```ts
 * import { clipGradNorm, item, scope, tensor } from "@deno-torch/torch";
 * scope(() => {
 *   const { grads, norm } = clipGradNorm({ w: tensor([3, 4], [2]) }, 1);
 *   item(norm); // 5; grads.w is now [0.6, 0.8] (approximately)
 * });
 * ```
 */
export function clipGradNorm<G>(
  grads: G,
  maxNorm: number,
  { donate = false }: { donate?: boolean } = {},
): { grads: MapLeaves<G, Tensor>; norm: Tensor<[]> } {
  const { scaled, norm } = clipByGlobalNorm(treeLeaves(grads), maxNorm, donate, "clipGradNorm");
  return { grads: replaceLeaves(grads, scaled), norm };
}
