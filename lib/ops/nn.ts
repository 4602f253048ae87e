/** Neural-network building blocks over tensors: embedding, dropout, normalization, losses, attention. */
import { DTypeError, ShapeError } from "../errors.ts";
import { sym } from "../../ffi/lib.ts";
import { type DType, isFloat } from "../dtype.ts";
import type { Key } from "../rng.ts";
import { type Dim, formatShape, type LastDim, type SetDim, type Shape } from "../shape.ts";
import { handleOf, type Tensor, wrap } from "../tensor.ts";
import { broadcastShapes, sameDevice } from "./check.ts";
import { int32Arg } from "../scratch.ts";
import { callIn, widens } from "../autocast.ts";
import { matmul } from "./linalg.ts";
import { add, div } from "./elementwise.ts";
import { maskedFill } from "./elementwise.ts";
import { logicalNot } from "./elementwise.ts";
import { softmax } from "./reduce.ts";
import { transpose, triu } from "./shape.ts";
import { ones } from "../create.ts";
import { scope } from "../scope.ts";

/** Rows of `weight` ([vocab, dim]) picked by integer `ids`: the result is ids' shape plus [dim]. */
export function embedding<I extends Shape, V extends Dim, E extends Dim>(
  weight: Tensor<[V, E]>,
  ids: Tensor<I>,
): Tensor<[...I, E]> {
  const op = "embedding";
  if (weight.rank !== 2) throw new ShapeError(op, `weight must be [vocab, dim], got ${formatShape(weight.shape)}`);
  if (ids.dtype !== "i64" && ids.dtype !== "i32") throw new DTypeError(op, `ids must be i64 or i32, got ${ids.dtype}`);
  sameDevice(weight, ids, op);
  return wrap(sym.dt_embedding(handleOf(weight, op), handleOf(ids, op)), op);
}

/**
 * Inverted dropout: zeroes each element with probability `p` (drawn from `key`) and scales the rest
 * by 1/(1-p). Returns `x` unchanged (as a new handle) when p is 0.
 */
export function dropout<S extends Shape>(x: Tensor<S>, p: number, key: Key): Tensor<S> {
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropout: p must be in [0, 1), got ${p}`);
  return wrap(sym.dt_dropout(handleOf(x, "dropout"), p, key.hi, key.lo), "dropout");
}

/** Standard layer normalization over the last dimension (biased variance inside sqrt, like nn.LayerNorm). */
export function layerNorm<S extends Shape>(x: Tensor<S>, weight?: Tensor, bias?: Tensor, eps = 1e-5): Tensor<S> {
  const op = "layerNorm";
  if (x.rank === 0) throw new ShapeError(op, "x must have a last dimension to normalize over, got a 0-dim tensor []");
  const d = x.shape[x.rank - 1];
  for (const p of [weight, bias]) {
    if (p && (p.rank !== 1 || p.shape[0] !== d)) {
      throw new ShapeError(
        op,
        `weight and bias must be [${d}] for x ${formatShape(x.shape)}, got ${formatShape(p.shape)}`,
      );
    }
  }
  if (widens([x, weight, bias])) {
    return callIn("f32", [x, weight, bias], op, ([h, w, b]) => sym.dt_layer_norm(h!, 1, w, b, eps));
  }
  return wrap(
    sym.dt_layer_norm(handleOf(x, op), 1, weight ? handleOf(weight, op) : null, bias ? handleOf(bias, op) : null, eps),
    op,
  );
}

/** Options for `crossEntropy`. */
export interface CrossEntropyOptions {
  /** Targets equal to this index add nothing to the loss (and to the mean's count). Default -100. */
  ignoreIndex?: number;
  /** Mixes the one-hot target with the uniform distribution: (1-ε)·onehot + ε/C. Default 0. */
  labelSmoothing?: number;
  /**
   * How the per-target losses combine: "mean" over the targets not ignored (the default), "sum", or
   * "none" for one loss per target, shaped [n].
   */
  reduction?: "mean" | "sum" | "none";
}

const REDUCTIONS = { none: 0, mean: 1, sum: 2 } as const;

/** Cross entropy between `logits` [n, classes] (raw scores) and integer class `target` [n]. */
export function crossEntropy<N extends Dim, C extends Dim, R extends "mean" | "sum" | "none" = "mean">(
  logits: Tensor<[N, C]>,
  target: Tensor<[N]>,
  options: CrossEntropyOptions & { reduction?: R } = {},
): Tensor<R extends "none" ? [N] : []> {
  const op = "crossEntropy";
  const { ignoreIndex = -100, labelSmoothing = 0, reduction = "mean" } = options;
  if (logits.rank !== 2 || target.rank !== 1 || logits.shape[0] !== target.shape[0]) {
    throw new ShapeError(
      op,
      `needs logits [n, classes] and target [n], got ${formatShape(logits.shape)} and ${formatShape(target.shape)}`,
    );
  }
  if (!isFloat(logits.dtype)) throw new DTypeError(op, `logits must be floating point, got ${logits.dtype}`);
  if (target.dtype !== "i64") throw new DTypeError(op, `target must hold i64 class indices, got ${target.dtype}`);
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new RangeError(`${op}: labelSmoothing must be in [0, 1], got ${labelSmoothing}`);
  }
  const code = REDUCTIONS[reduction];
  if (code === undefined) throw new RangeError(`${op}: reduction must be "mean", "sum" or "none", got ${reduction}`);
  sameDevice(logits, target, op);
  const ignored = int32Arg(ignoreIndex, "ignoreIndex", op);
  if (widens([logits])) {
    return callIn("f32", [logits, target], op, ([x, t]) => sym.dt_cross_entropy(x!, t!, code, ignored, labelSmoothing));
  }
  return wrap(sym.dt_cross_entropy(handleOf(logits, op), handleOf(target, op), code, ignored, labelSmoothing), op);
}

/** Options for `scaledDotProductAttention`. */
export interface AttentionOptions {
  /**
   * Broadcastable to [..., q, k]: bool (true = may attend), or float of q's dtype, added to the
   * scores (as torch's attn_mask; -Infinity bans a position, and a row banned whole gives NaN, as in
   * torch). A bool mask's banned scores become -1e9 on both paths (as in the reference; f16's lowest
   * finite value, -65504, in f16), so a fully masked row averages the values.
   */
  mask?: Tensor;
  /**
   * torch's is_causal: query i attends to the keys j ≤ i only, aligned top-left (query 0 with key 0)
   * as torch's scaled_dot_product_attention aligns it when q and k differ in length. Not with `mask`
   * (a `TypeError`, as torch refuses the pair). Default false.
   */
  isCausal?: boolean;
  /** Dropout on the attention probabilities (needs `key`). */
  dropout?: number;
  /** Key the dropout masks are drawn from; required when `dropout` is above 0 (a `TypeError` otherwise). */
  key?: Key;
  /** Use libtorch's fused kernel when possible (no dropout). Default true. */
  fused?: boolean;
}

/** Options for `attentionProbs`. */
export interface AttentionProbsOptions {
  /** As `scaledDotProductAttention`'s: query i attends to the keys j ≤ i only. Not with a mask. Default false. */
  isCausal?: boolean;
}

/**
 * The score masked-out positions get: -1e9 as in the reference, exactly in f32 and f64 (parity stays
 * bit-identical) and rounded in bf16 (whose range reaches ±3.4e38). f16 tops out at ±65504, where -1e9
 * overflows (libtorch refuses the fill), so there it is f16's lowest finite value: softmax still gives
 * masked positions zero weight, and a fully masked row still averages the values. The fused path
 * (native/nn.cpp, dt::masked_score) uses the same values.
 */
function maskedScore(dtype: DType): number {
  return dtype === "f16" ? F16_LOWEST : -1e9;
}
const F16_LOWEST = -65504;

/**
 * The attention probabilities softmax(q kᵀ / √d + mask) over [..., q, d] queries and [..., k, d] keys:
 * [..., q, k]. A bool `mask` (broadcastable to [..., q, k]; true = attend) sets the scores where it is
 * false to -1e9 first, as the reference does (in f16, where -1e9 overflows, to f16's lowest finite
 * value, -65504); a float mask (q's dtype) is added to the scores; `isCausal` bans the keys after each
 * query (-Infinity, as torch). The unfused half of `scaledDotProductAttention`, for callers that need
 * the probabilities themselves (attention maps, dropout from their own key).
 *
 * @example
 * ```ts
 * import { attentionProbs, randn, rng, scope } from "@deno-torch/torch";
 * scope(() => attentionProbs(randn([2, 5, 8], rng(0)), randn([2, 7, 8], rng(1)), null)); // [2, 5, 7], rows sum to 1
 * ```
 */
export function attentionProbs(
  q: Tensor,
  k: Tensor,
  mask: Tensor | null,
  options: AttentionProbsOptions = {},
): Tensor {
  const op = "attentionProbs";
  const causal = causalOption(options.isCausal, mask, op);
  checkAttention(op, q, k, null, mask);
  // A scope, so that the intermediate scores are freed even when the caller has none open.
  return scope(() => {
    const scores = div(matmul(q, transpose(k, -2, -1)), Math.sqrt(q.shape[q.rank - 1]));
    if (causal) return softmax(maskedFill(scores, afterEachQuery(q, k), -Infinity), -1);
    if (mask === null) return softmax(scores, -1);
    if (mask.dtype !== "bool") return softmax(add(scores, mask), -1);
    return softmax(maskedFill(scores, logicalNot(mask), maskedScore(scores.dtype)), -1);
  });
}

/** `isCausal` checked: a boolean (default false), and never beside a mask (torch refuses the pair too). */
function causalOption(isCausal: unknown, mask: Tensor | null | undefined, op: string): boolean {
  if (isCausal === undefined) return false;
  if (typeof isCausal !== "boolean") throw new TypeError(`${op}: isCausal must be a boolean, got ${String(isCausal)}`);
  if (isCausal && mask) throw new TypeError(`${op}: isCausal and mask exclude each other (pass one of them)`);
  return isCausal;
}

/** [q, k] bool, true where key j comes after query i (j > i): the positions a causal mask bans. */
function afterEachQuery(q: Tensor, k: Tensor): Tensor {
  const shape = [q.shape[q.rank - 2], k.shape[k.rank - 2]];
  return triu(ones(shape, { dtype: "bool", device: q.device }), 1);
}

/**
 * Checks attention operands before any op runs, so that a bad call fails with `op`'s name (not that of
 * the matmul inside) and leaves no intermediate behind: q, k (and v) of one rank ≥ 2 and one dtype,
 * batch dims that broadcast, q and k of one feature size, v with k's sequence length, one float dtype, and a mask,
 * bool or of q's dtype, broadcastable to [..., q, k].
 */
function checkAttention(op: string, q: Tensor, k: Tensor, v: Tensor | null, mask: Tensor | null | undefined): void {
  const operands = v === null ? [q, k] : [q, k, v];
  for (const t of [...operands, ...(mask ? [mask] : [])]) handleOf(t, op); // a freed operand, named as this op's
  const shapes = () => operands.map((t) => formatShape(t.shape)).join(", ");
  const n = q.rank;
  if (n < 2 || operands.some((t) => t.rank !== n) || q.shape[n - 1] !== k.shape[n - 1]) {
    throw new ShapeError(op, `q, k, v must be [..., seq, d] with matching d: got ${shapes()}`);
  }
  if (v !== null && v.shape[n - 2] !== k.shape[n - 2]) {
    throw new ShapeError(op, `v must have k's sequence length: got ${shapes()}`);
  }
  if (operands.some((t) => t.dtype !== q.dtype)) {
    throw new DTypeError(op, `q, k, v must have one dtype, got ${operands.map((t) => t.dtype).join(", ")}`);
  }
  if (!isFloat(q.dtype)) throw new DTypeError(op, `q, k, v must be floating point, got ${q.dtype}`);
  const batch = operands.slice(1).reduce((b, t) => broadcastShapes(b, t.shape.slice(0, -2), op), q.shape.slice(0, -2));
  if (mask) {
    if (mask.dtype !== "bool" && mask.dtype !== q.dtype) {
      throw new DTypeError(
        op,
        `mask must be bool (true = attend) or q's dtype ${q.dtype} (added to the scores), got ${mask.dtype}`,
      );
    }
    sameDevice(q, mask, op);
    const scores = [...batch, q.shape[n - 2], k.shape[n - 2]];
    const fitted = broadcastShapes(mask.shape, scores, op);
    if (fitted.length !== scores.length || fitted.some((s, i) => s !== scores[i])) {
      throw new ShapeError(
        op,
        `mask ${formatShape(mask.shape)} does not broadcast to the scores ${formatShape(scores)}`,
      );
    }
  }
}

/**
 * softmax(q kᵀ / √d + mask) v over [..., seq, d] tensors, torch 2.x's
 * F.scaled_dot_product_attention: `mask` bool (true = attend) or float (added to the scores), or
 * `isCausal` for the keys up to each query. Without dropout it runs libtorch's fused kernel (except
 * f16 and f64 with a bool mask: there -1e9 added to the scores would not leave a fully masked row
 * equal scores, so the plain composition runs); with dropout it runs the plain composition so that
 * the dropout draws come from `key`.
 *
 * @example
 * ```ts
 * const y = scaledDotProductAttention(randn([2, 5, 8], rng(0)), randn([2, 5, 8], rng(1)), randn([2, 5, 4], rng(2)), { isCausal: true }); // [2, 5, 4]
 * ```
 */
export function scaledDotProductAttention<S extends Shape, V extends Shape>(
  q: Tensor<S>,
  k: Tensor,
  v: Tensor<V>,
  options: AttentionOptions = {},
): Tensor<SetDim<S, -1, LastDim<V>>> {
  const op = "scaledDotProductAttention";
  const { mask, dropout: p = 0, key, fused = true } = options;
  const causal = causalOption(options.isCausal, mask, op);
  checkAttention(op, q, k, v as Tensor, mask);
  if (!(p >= 0 && p < 1)) throw new RangeError(`${op}: dropout must be in [0, 1), got ${p}`);
  if (p > 0 && !key) throw new TypeError(`${op}: dropout ${p} needs a key`);
  // f64 with a bool mask takes the plain composition: the fused kernel adds -1e9 to the masked scores,
  // which in f64 keeps ~23 bits of each score beside it, so a fully masked row would come out as the
  // softmax of its scores instead of the values' average (in f32, -1e9 absorbs scores below ±32).
  // (native dt_sdpa sends f16 with a bool mask to the composition itself.) Float masks and the causal
  // mask are additive on both paths, so they take the kernel in every dtype.
  if (p === 0 && fused && !(mask?.dtype === "bool" && q.dtype === "f64")) {
    return wrap(
      sym.dt_sdpa(handleOf(q, op), handleOf(k, op), handleOf(v, op), mask ? handleOf(mask, op) : null, causal ? 1 : 0),
      op,
    );
  }
  return scope(() => {
    let probs = attentionProbs(q, k, mask ?? null, { isCausal: causal });
    if (p > 0) probs = dropout(probs, p, key!);
    return matmul(probs, v as Tensor) as unknown as Tensor<SetDim<S, -1, LastDim<V>>>;
  });
}
