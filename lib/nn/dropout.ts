/**
 * Inverted dropout: during training each element is zeroed with probability `rate` and the rest are
 * scaled by 1/(1 − rate), so that evaluation, which drops nothing, sees the same expected values.
 * Dropout has no weights, so there is no `init`; whether it draws is decided by the key alone.
 *
 * @module
 */
import { dropout } from "../ops/nn.ts";
import type { Key } from "../rng.ts";
import type { Tensor } from "../tensor.ts";

/**
 * `x` with dropout at `rate`, the mask drawn from `key`; `x` itself when `key` is null (evaluation)
 * or `rate` is 0. The same key gives the same mask.
 *
 * @example
 * ```ts
 * import { nn, ones, rng, scope } from "@deno-torch/torch";
 * scope(() => {
 *   const x = ones([4, 8]);
 *   const train = nn.dropout.apply(x, 0.1, rng(0)); // about a tenth zeros, the rest 1/0.9
 *   const evaluate = nn.dropout.apply(x, 0.1, null); // x
 * });
 * ```
 */
export function apply<T extends Tensor>(x: T, rate: number, key: Key | null): T {
  return key === null || rate === 0 ? x : dropout(x, rate, key) as T;
}
