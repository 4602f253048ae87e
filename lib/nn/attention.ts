/**
 * Multi-head attention ("Attention Is All You Need"), after Equinox's `MultiheadAttention`: queries,
 * keys and values are projected from their inputs and split into heads, each head attends with
 * softmax(q kᵀ / √d) v, and the heads are merged and projected back. Where the keys and values come
 * from is a hook (`KeyValueSource`), like Equinox's `process_heads`: projected from a sequence, a
 * cache extended by the newest tokens, or projections computed once ahead.
 *
 * @module
 */
import type { Device } from "../device.ts";
import { matmul } from "../ops/linalg.ts";
import { attentionProbs, scaledDotProductAttention } from "../ops/nn.ts";
import { reshape, transpose } from "../ops/shape.ts";
import { scope } from "../scope.ts";
import { type Key, namedKeys } from "../rng.ts";
import type { Shape } from "../shape.ts";
import { Tensor } from "../tensor.ts";
import * as dropout from "./dropout.ts";
import * as linear from "./linear.ts";

/** The four projections of a multi-head attention layer, each a linear layer [features, features]. */
export interface Attention {
  /** Projects the attending sequence into queries. */
  queryProj: linear.Linear;
  /** Projects the attended sequence into keys. */
  keyProj: linear.Linear;
  /** Projects the attended sequence into values. */
  valueProj: linear.Linear;
  /** Projects the merged heads back into the features. */
  outputProj: linear.Linear;
}

/**
 * A new attention layer over `features` dimensions, each projection drawn as `linear.init` draws it
 * from its own key. Without biases by default, as in the original Transformer (and Equinox).
 *
 * @example
 * ```ts
 * import { nn, rng } from "@deno-torch/torch";
 * const layer = nn.attention.init(rng(0), 16); // four weights [16, 16], no biases
 * ```
 */
export function init(key: Key, features: number, options: { bias?: boolean; device?: Device } = {}): Attention {
  const { bias = false, device } = options;
  const keys = namedKeys(key, ["queryProj", "keyProj", "valueProj", "outputProj"]);
  const projection = (k: Key) => linear.init(k, features, features, { bias, device });
  return {
    queryProj: projection(keys.queryProj),
    keyProj: projection(keys.keyProj),
    valueProj: projection(keys.valueProj),
    outputProj: projection(keys.outputProj),
  };
}

/** Keys and values split into heads: each [batch, heads, seq, features / heads]. */
export interface KeyValues {
  /** The keys the queries are compared with. */
  k: Tensor;
  /** The values the attention probabilities average. */
  v: Tensor;
}

/**
 * Where an attention layer's keys and values come from. A tensor [batch, seq, features] is projected
 * by the layer; a function receives `project` (that projection, into heads) and returns the keys and
 * values itself: a key/value cache appends `project(newest)` to what it holds, precomputed keys and
 * values (an encoder output's, attended at every decoding step) ignore it.
 */
export type KeyValueSource = Tensor | ((project: (source: Tensor) => KeyValues) => KeyValues);

/** Options of `apply` and `attend`. */
export interface AttendOptions {
  /** Bool, broadcasting to [batch, heads, queries, keys]; true = may attend, false scores become -1e9. None: all. */
  mask?: Tensor | null;
  /** Dropout rate on the attention probabilities; default 0. */
  dropout?: number;
  /** Key of the dropout masks; null or absent (evaluation) drops nothing. */
  key?: Key | null;
  /** Receives the probabilities [batch, heads, queries, keys] before dropout (for attention maps). */
  observe?: (probs: Tensor) => void;
}

/**
 * [batch, seq, features] → [batch, heads, seq, features / heads].
 *
 * @example
 * ```ts
 * import { nn, randn, rng, scope } from "@deno-torch/torch";
 * scope(() => nn.attention.splitHeads(randn([2, 5, 16], rng(0)), 4)); // [2, 4, 5, 4]
 * ```
 */
export function splitHeads(x: Tensor, heads: number): Tensor {
  const [batch, seq, features] = x.shape;
  return scope(() => transpose(reshape(x, [batch, seq, heads, features / heads]), 1, 2));
}

/**
 * [batch, heads, seq, features / heads] → [batch, seq, features], the inverse of `splitHeads`.
 *
 * @example
 * ```ts
 * import { nn, randn, rng, scope } from "@deno-torch/torch";
 * scope(() => nn.attention.mergeHeads(randn([2, 4, 5, 4], rng(0)))); // [2, 5, 16]
 * ```
 */
export function mergeHeads(x: Tensor): Tensor {
  const [batch, heads, seq, headFeatures] = x.shape;
  return scope(() => reshape(transpose(x, 1, 2), [batch, seq, heads * headFeatures]));
}

/**
 * The keys and values of `source` [batch, seq, features], projected and split into `heads`.
 *
 * @example
 * ```ts
 * import { nn, randn, rng, scope } from "@deno-torch/torch";
 * scope(() => {
 *   const { k, v } = nn.attention.keyValues(nn.attention.init(rng(0), 16), randn([2, 7, 16], rng(1)), 4); // [2, 4, 7, 4] each
 * });
 * ```
 */
export function keyValues(layer: Attention, source: Tensor, heads: number): KeyValues {
  return scope(() => ({
    k: splitHeads(linear.apply(layer.keyProj, source), heads),
    v: splitHeads(linear.apply(layer.valueProj, source), heads),
  }));
}

/**
 * The attention core, per head: softmax(q kᵀ / √d, masked) v with dropout on the probabilities,
 * drawn from `options.key` itself. `q` is [batch, heads, queries, d], `k` and `v` [batch, heads, keys, d].
 *
 * @example
 * ```ts
 * import { nn, randn, rng, scope } from "@deno-torch/torch";
 * scope(() => {
 *   const q = randn([1, 2, 3, 4], rng(0)), k = randn([1, 2, 5, 4], rng(1)), v = randn([1, 2, 5, 4], rng(2));
 *   const out = nn.attention.attend(q, { k, v }); // [1, 2, 3, 4]
 * });
 * ```
 */
export function attend(q: Tensor, { k, v }: KeyValues, options: AttendOptions = {}): Tensor {
  const { mask = null, dropout: rate = 0, key = null, observe } = options;
  // One query per head (a cached decoding step) with nothing to observe or drop and nothing to
  // differentiate: the fused op, whose native one-query kernel reads each key and value once. It
  // agrees with the composition below to float rounding; several queries keep the composition, which
  // is the reference's operation for operation (bit-identical logits).
  const oneQuery = q.rank >= 2 && q.shape[q.rank - 2] === 1 && !observe && (rate === 0 || key === null);
  if (oneQuery && ![q, k, v].some((t) => t.requiresGrad)) {
    return scaledDotProductAttention(q, k, v, mask === null ? {} : { mask });
  }
  const probs = attentionProbs(q, k, mask); // [batch, heads, q, k]
  observe?.(probs);
  const out = scope(() => matmul(dropout.apply(probs, rate, key), v));
  // Observed probabilities are the observer's (attention maps read them later); else they go now.
  if (!observe) probs.free();
  return out;
}

/**
 * Multi-head attention of `x` [batch, queries, features] over `source` (see `KeyValueSource`): self-
 * attention passes `x` itself, cross-attention the other sequence. The result has `x`'s shape. The
 * dropout key is split by name, so the probabilities' mask is drawn from `fold(key, 0)`.
 *
 * @example
 * ```ts
 * import { nn, randn, rng, scope } from "@deno-torch/torch";
 * scope(() => {
 *   const layer = nn.attention.init(rng(0), 16);
 *   const x = randn([2, 5, 16], rng(1)), memory = randn([2, 7, 16], rng(2));
 *   const selfAttention = nn.attention.apply(layer, x, x, 4); // [2, 5, 16]
 *   const cross = nn.attention.apply(layer, x, memory, 4, { dropout: 0.1, key: rng(3) }); // [2, 5, 16]
 *   const kv = nn.attention.keyValues(layer, memory, 4); // computed once, attended many times:
 *   const again = nn.attention.apply(layer, x, () => kv, 4); // equals cross without dropout
 * });
 * ```
 */
export function apply<S extends Shape>(
  layer: Attention,
  x: Tensor<S>,
  source: KeyValueSource,
  heads: number,
  options: AttendOptions = {},
): Tensor<S> {
  const keys = namedKeys(options.key ?? null, ["dropout"]);
  const project = (s: Tensor) => keyValues(layer, s, heads);
  // Keys and values from a function are the caller's (a cache holds on to them), so they are made
  // outside the scope that frees this call's intermediates; so are observed probabilities, which
  // leave that scope with the result.
  const given = source instanceof Tensor ? null : source(project);
  const observed: Tensor[] = [];
  const observe = options.observe && ((probs: Tensor) => {
    observed.push(probs);
    options.observe!(probs);
  });
  return scope(() => {
    const q = splitHeads(linear.apply(layer.queryProj, x as Tensor), heads);
    const kv = given ?? project(source as Tensor);
    const merged = mergeHeads(attend(q, kv, { ...options, key: keys.dropout, observe }));
    return { out: linear.apply(layer.outputProj, merged), observed };
  }).out as Tensor<S>;
}
