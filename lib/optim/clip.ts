/** Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_ computes it. */
import { fail, sym } from "../../ffi/lib.ts";
import { flatten, type MapLeaves, mapTree } from "../tree.ts";
import type { Tensor } from "../tensor.ts";
import { handleList, wrapAll } from "./handles.ts";

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
  if (!(maxNorm > 0)) throw new RangeError(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const flat = flatten(grads);
  const slots = new BigUint64Array(flat.length + 1);
  if (
    sym.dt_clip_grad_norm(
      handleList(flat.map(([, t]) => t), "clipGradNorm"),
      flat.length,
      maxNorm,
      donate ? 1 : 0,
      slots,
    ) !== 0
  ) {
    fail("clipGradNorm");
  }
  const out = wrapAll(slots, "clipGradNorm");
  const byPath = new Map(flat.map(([path], i) => [path, out[i]]));
  return { grads: mapTree(grads, (_, path) => byPath.get(path)!), norm: out[flat.length] as Tensor<[]> };
}
