/**
 * A lookup table of learned vectors, one row per token id, as torch.nn.Embedding.
 *
 * @module
 */
import { randn } from "../create.ts";
import type { Device } from "../device.ts";
import { embedding } from "../ops/nn.ts";
import type { Key } from "../rng.ts";
import type { Dim, Shape } from "../shape.ts";
import type { Tensor } from "../tensor.ts";

/** The table of an embedding layer: `weight` [Vocab, Features], row i the vector of id i. */
export interface Embedding<Vocab extends Dim = Dim, Features extends Dim = Dim> {
  /** One row per id. */
  weight: Tensor<[Vocab, Features]>;
}

/**
 * A new embedding of `vocab` ids into `features` dimensions, drawn as torch.nn.Embedding draws it:
 * standard normal.
 *
 * @example
 * ```ts
 * import { nn, rng } from "@deno-torch/torch";
 * const table = nn.embedding.init(rng(0), 100, 16); // weight [100, 16]
 * ```
 */
export function init(
  key: Key,
  vocab: number,
  features: number,
  options: { device?: Device } = {},
): Embedding<number, number> {
  return { weight: randn([vocab, features], key, options) };
}

/**
 * The rows of the table picked by integer `ids` (i64 or i32): the result is ids' shape plus [features].
 *
 * @example
 * ```ts
 * import { nn, rng, scope, tensor } from "@deno-torch/torch";
 * scope(() => {
 *   const table = nn.embedding.init(rng(0), 100, 16);
 *   const vectors = nn.embedding.apply(table, tensor([[4, 7, 1]], [1, 3], { dtype: "i64" })); // [1, 3, 16]
 * });
 * ```
 */
export function apply<I extends Shape, Vocab extends Dim, Features extends Dim>(
  layer: Embedding<Vocab, Features>,
  ids: Tensor<I>,
): Tensor<[...I, Features]> {
  return embedding(layer.weight, ids);
}
