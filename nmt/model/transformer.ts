/**
 * The "Attention Is All You Need" encoder–decoder Transformer, as pure functions over a parameter
 * tree, following the seed's PyTorch model op for op (../shared/reference/transformer_ref.py):
 * pre-norm residuals, LayerNormalization with eps added to the unbiased std, embeddings scaled by
 * √d_model, sinusoidal positions, bias-free attention projections, dropout on attention
 * probabilities, final encoder/decoder norms and a biased output projection.
 *
 * Field names are the seed's state-dict names, so `flatten(params)` is the list of safetensors keys.
 * Shapes read: batch × src (source tokens), batch × tgt (target tokens), d_model features.
 */
import { ones } from "../../lib/create.ts";
import { add, div, logicalAnd, logicalNot, maskedFill, mul, ne, relu, sub } from "../../lib/ops/elementwise.ts";
import { linear, matmul } from "../../lib/ops/linalg.ts";
import { dropout as dropoutOp, embedding as lookup } from "../../lib/ops/nn.ts";
import { mean, softmax, std } from "../../lib/ops/reduce.ts";
import { cat, reshape, slice, transpose, tril, unsqueeze } from "../../lib/ops/shape.ts";
import { assume, type Tensor } from "../../lib/tensor.ts";
import type { Dim } from "../../lib/shape.ts";
import { fold, type Key } from "../../lib/rng.ts";

// ---- configuration and parameters ----

/** The seed's config.json fields that define the architecture. */
export interface TransformerConfig {
  /** Number of source-language token ids: the rows of the source embedding. */
  src_vocab_size: number;
  /** Number of target-language token ids: the rows of the target embedding and the width of the output logits. */
  tgt_vocab_size: number;
  /** Longest source sequence in tokens; sets the length of the source positional table. */
  src_seq_len: number;
  /** Longest target sequence in tokens; sets the length of the target positional table. */
  tgt_seq_len: number;
  /** Width of every token representation; must be even and divisible by `h`. */
  d_model: number;
  /** Number of encoder layers, and of decoder layers. */
  N: number;
  /** Attention heads. */
  h: number;
  /** Dropout probability in [0, 1) used throughout the network in training mode. */
  dropout: number;
  /** Hidden width of each feed-forward block. */
  d_ff: number;
}

/** Learned scale (`alpha`) and shift (`bias`), each [d_model], of one layer normalization. */
export type LayerNormParams = { alpha: Tensor<["d_model"]>; bias: Tensor<["d_model"]> };
/** The bias-free query, key, value and output projections, each [d_model, d_model], of one multi-head attention block. */
export type AttentionParams = {
  w_q: { weight: Tensor<["d_model", "d_model"]> };
  w_k: { weight: Tensor<["d_model", "d_model"]> };
  w_v: { weight: Tensor<["d_model", "d_model"]> };
  w_o: { weight: Tensor<["d_model", "d_model"]> };
};
/** The two linear layers of a position-wise feed-forward block, d_model → d_ff → d_model. */
export type FeedForwardParams = {
  linear_1: { weight: Tensor<["d_ff", "d_model"]>; bias: Tensor<["d_ff"]> };
  linear_2: { weight: Tensor<["d_model", "d_ff"]>; bias: Tensor<["d_model"]> };
};
/** The layer norm applied to the input of the sublayer in one pre-norm residual connection. */
export type ResidualParams = { norm: LayerNormParams };
/** Weights of one encoder layer: self-attention, feed-forward, and the norms of its two residual connections. */
export type EncoderLayerParams = {
  self_attention_block: AttentionParams;
  feed_forward_block: FeedForwardParams;
  residual_connections: ResidualParams[]; // [attention, feed-forward]
};
/**
 * Weights of one decoder layer: masked self-attention, cross-attention over the encoder output,
 * feed-forward, and the norms of its three residual connections.
 */
export type DecoderLayerParams = {
  self_attention_block: AttentionParams;
  cross_attention_block: AttentionParams;
  feed_forward_block: FeedForwardParams;
  residual_connections: ResidualParams[]; // [self-attention, cross-attention, feed-forward]
};
/**
 * All trainable weights of the model, nested like the seed's state dict so that `flatten(params)`
 * yields its safetensors keys.
 */
export type TransformerParams = {
  encoder: { layers: EncoderLayerParams[]; norm: LayerNormParams };
  decoder: { layers: DecoderLayerParams[]; norm: LayerNormParams };
  src_embed: { embedding: { weight: Tensor<["src_vocab", "d_model"]> } };
  tgt_embed: { embedding: { weight: Tensor<["tgt_vocab", "d_model"]> } };
  projection_layer: { proj: { weight: Tensor<["tgt_vocab", "d_model"]>; bias: Tensor<["tgt_vocab"]> } };
};
/** Fixed sinusoid tables (the seed's registered buffers), not trained. */
export type TransformerBuffers = {
  src_pos: { pe: Tensor<[1, "src_seq_len", "d_model"]> };
  tgt_pos: { pe: Tensor<[1, "tgt_seq_len", "d_model"]> };
};
/**
 * A complete model: its architecture, trainable weights and fixed positional tables, as returned by
 * `initTransformer` or loaded from a checkpoint.
 */
export interface Transformer {
  /** The architecture the weights were built for. */
  config: TransformerConfig;
  /** The trainable weights. */
  params: TransformerParams;
  /** The sinusoidal position tables, which are not trained. */
  buffers: TransformerBuffers;
}

// ---- train vs eval ----

/** Training draws dropout masks from `key`; evaluation uses none. */
export type Mode = { train: false } | { train: true; key: Key };
/**
 * Evaluation mode: no dropout, so a forward pass always gives the same result.
 *
 * @example
 * ```ts
 * const memory = transformer.encode(model, src, srcMask, evalMode); // src: Tensor<["batch", "src"]>
 * ```
 */
export const evalMode: Mode = { train: false };
/**
 * Training mode whose dropout masks are drawn from `key`; the same key gives the same masks, so a
 * step can be replayed exactly.
 *
 * @example
 * ```ts
 * const loss = translationLoss(model, batch, trainMode(rng(step)), { pad });
 * ```
 */
export const trainMode = (key: Key): Mode => ({ train: true, key });

/** Dropout at one place in the network: a rate, and the key its masks come from (null = off). */
export interface Dropout {
  /** Probability of zeroing each element; 0 means no dropout. */
  rate: number;
  /** Key the masks are drawn from; null turns dropout off. */
  key: Key | null;
}

/**
 * The dropout for a model in `mode`: the configured rate and the mode's key while training, and no
 * dropout in evaluation mode.
 *
 * @example
 * ```ts
 * const d = transformer.dropoutOf(model.config, trainMode(rng(0))); // { rate: config.dropout, key }
 * ```
 */
export function dropoutOf(config: TransformerConfig, mode: Mode): Dropout {
  return mode.train ? { rate: config.dropout, key: mode.key } : { rate: 0, key: null };
}

/** The dropout of sub-part `i`: its own independent key. */
function part(d: Dropout, i: number): Dropout {
  return d.key === null ? d : { rate: d.rate, key: fold(d.key, i) };
}

function drop<T extends Tensor>(x: T, d: Dropout, site: number): T {
  return d.key === null || d.rate === 0 ? x : dropoutOp(x, d.rate, fold(d.key, site)) as T;
}

// ---- masks (bool, true = may attend) ----

/** Key-padding mask [batch, 1, 1, src]: true where the token is not padding. */
export function paddingMask(ids: Tensor<["batch", "src"]>, pad: number): Tensor<["batch", 1, 1, "src"]> {
  return unsqueeze(unsqueeze(ne(ids, pad), 1), 1);
}

/** Causal mask [1, n, n]: position i may attend to positions ≤ i (lower triangle with diagonal). */
export function causalMask(n: number): Tensor<[1, number, number]> {
  return unsqueeze(tril(ones([n, n], { dtype: "bool" })), 0);
}

/** Decoder self-attention mask [batch, 1, tgt, tgt]: not padding and not in the future. */
export function decoderMask(tgt: Tensor<["batch", "tgt"]>, pad: number): Tensor<["batch", 1, "tgt", "tgt"]> {
  const notPad = unsqueeze(unsqueeze(ne(tgt, pad), 1), 1); // [batch, 1, 1, tgt]
  return assume(logicalAnd(notPad, unsqueeze(causalMask(tgt.shape[1]), 0)));
}

// ---- layers ----

/** Token embeddings scaled by √d_model. */
export function embed<S extends Dim>(
  p: { embedding: { weight: Tensor<[string, "d_model"]> } },
  ids: Tensor<["batch", S]>,
): Tensor<["batch", S, "d_model"]> {
  const dModel = p.embedding.weight.shape[1];
  return mul(lookup(p.embedding.weight, ids), Math.sqrt(dModel));
}

/** Adds the first `seq` rows of the sinusoid table, then dropout. */
export function positionalEncoding<S extends Dim>(
  pe: Tensor<[1, string, "d_model"]>,
  x: Tensor<["batch", S, "d_model"]>,
  d: Dropout,
  offset = 0,
): Tensor<["batch", S, "d_model"]> {
  const seq = x.shape[1];
  if (offset + seq > pe.shape[1]) {
    throw new RangeError(
      `positionalEncoding: positions up to ${offset + seq} exceed the table's ${pe.shape[1]} (seq_len)`,
    );
  }
  const table: Tensor = slice(pe, 1, offset, offset + seq); // [1, seq, d_model]
  return drop(assume(add(x, table)), d, 0);
}

/** The seed's LayerNormalization: alpha · (x − mean) / (std + eps) + bias, std unbiased. */
export function layerNorm<T extends Tensor>(p: LayerNormParams, x: T, eps = 1e-6): T {
  const mu = mean(x, -1, true);
  const sigma = std(x, -1, { keepDim: true });
  return add(div(mul(p.alpha, sub(x, mu)), add(sigma, eps)), p.bias) as Tensor as T;
}

/** linear_2(dropout(relu(linear_1(x)))). */
export function feedForward<T extends Tensor>(p: FeedForwardParams, x: T, d: Dropout): T {
  const hidden = drop(relu(linear(x, p.linear_1.weight, p.linear_1.bias) as Tensor), d, 0);
  return linear(hidden, p.linear_2.weight, p.linear_2.bias) as Tensor as T;
}

/** [batch, seq, d_model] → [batch, heads, seq, d_k] */
function splitHeads(x: Tensor, heads: number): Tensor {
  const [b, s, dModel] = x.shape;
  return transpose(reshape(x, [b, s, heads, dModel / heads]), 1, 2);
}

/** [batch, heads, seq, d_k] → [batch, seq, d_model] */
function mergeHeads(x: Tensor): Tensor {
  const [b, heads, s, dk] = x.shape;
  return reshape(transpose(x, 1, 2), [b, s, heads * dk]);
}

/** Receives attention probabilities [batch, heads, q, k] as they are computed (for visualization). */
export type AttentionObserver = (probs: Tensor) => void;

/** softmax(q kᵀ / √d_k, masked with -1e9) v, with dropout on the probabilities, per head. */
function attend(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, d: Dropout, observe?: AttentionObserver): Tensor {
  const dk = q.shape[q.rank - 1];
  let scores = div(matmul(q, transpose(k, -2, -1)), Math.sqrt(dk)); // [batch, heads, q, k]
  if (mask !== null) scores = maskedFill(scores, logicalNot(mask), -1e9);
  const probs = softmax(scores, -1);
  observe?.(probs);
  return matmul(drop(probs, d, 0), v);
}

/** Multi-head attention of queries `q` over keys/values `kv`; `mask` broadcasts to [batch, heads, q, k]. */
export function multiHeadAttention<Q extends string, K extends string>(
  p: AttentionParams,
  q: Tensor<["batch", Q, "d_model"]>,
  kv: Tensor<["batch", K, "d_model"]>,
  mask: Tensor | null,
  heads: number,
  d: Dropout,
  observe?: AttentionObserver,
): Tensor<["batch", Q, "d_model"]> {
  const query = splitHeads(linear(q, p.w_q.weight), heads);
  const key = splitHeads(linear(kv, p.w_k.weight), heads);
  const value = splitHeads(linear(kv, p.w_v.weight), heads);
  return assume(linear(mergeHeads(attend(query, key, value, mask, d, observe)), p.w_o.weight));
}

/** x + dropout(sublayer(norm(x))): the pre-norm residual connection. */
function residual<T extends Tensor>(p: ResidualParams, x: T, d: Dropout, sublayer: (y: T) => Tensor): T {
  return add(x, drop(sublayer(layerNorm(p.norm, x)), d, 0)) as Tensor as T;
}

/**
 * One encoder layer: self-attention over the source, then the feed-forward block, each in a pre-norm
 * residual connection. `srcMask` is bool and broadcasts to [batch, heads, src, src] (true = may
 * attend); `heads` is the number of attention heads. The output has the input's shape.
 *
 * @example
 * ```ts
 * const x = transformer.embed(model.params.src_embed, src); // [batch, src, d_model]
 * const mask = transformer.paddingMask(src, pad);
 * const d = transformer.dropoutOf(model.config, evalMode);
 * const y = transformer.encoderBlock(model.params.encoder.layers[0], x, mask, model.config.h, d);
 * ```
 */
export function encoderBlock(
  p: EncoderLayerParams,
  x: Tensor<["batch", "src", "d_model"]>,
  srcMask: Tensor,
  heads: number,
  d: Dropout,
): Tensor<["batch", "src", "d_model"]> {
  const [r0, r1] = p.residual_connections;
  x = residual(r0, x, part(d, 0), (y) => multiHeadAttention(p.self_attention_block, y, y, srcMask, heads, part(d, 1)));
  return residual(r1, x, part(d, 2), (y) => feedForward(p.feed_forward_block, y, part(d, 3)));
}

/**
 * One decoder layer: masked self-attention over the target, cross-attention over the encoder output
 * `memory`, then the feed-forward block, each in a pre-norm residual connection. `tgtMask` hides
 * padding and future positions (see `decoderMask`), `srcMask` hides source padding; `observeCross`,
 * if given, receives this layer's cross-attention probabilities [batch, heads, tgt, src].
 *
 * @example
 * ```ts
 * const d = transformer.dropoutOf(model.config, evalMode);
 * const tgtMask = transformer.decoderMask(tgt, pad); // tgt: Tensor<["batch", "tgt"]>
 * const x = transformer.embed(model.params.tgt_embed, tgt);
 * const y = transformer.decoderBlock(model.params.decoder.layers[0], x, memory, srcMask, tgtMask, model.config.h, d);
 * ```
 */
export function decoderBlock(
  p: DecoderLayerParams,
  x: Tensor<["batch", "tgt", "d_model"]>,
  memory: Tensor<["batch", "src", "d_model"]>,
  srcMask: Tensor,
  tgtMask: Tensor,
  heads: number,
  d: Dropout,
  observeCross?: AttentionObserver,
): Tensor<["batch", "tgt", "d_model"]> {
  const [r0, r1, r2] = p.residual_connections;
  x = residual(r0, x, part(d, 0), (y) => multiHeadAttention(p.self_attention_block, y, y, tgtMask, heads, part(d, 1)));
  x = residual(
    r1,
    x,
    part(d, 2),
    (y) => multiHeadAttention(p.cross_attention_block, y, memory, srcMask, heads, part(d, 3), observeCross),
  );
  return residual(r2, x, part(d, 4), (y) => feedForward(p.feed_forward_block, y, part(d, 5)));
}

// ---- the model ----

/** Source ids [batch, src] → encoder output [batch, src, d_model]. */
export function encode(
  model: Transformer,
  src: Tensor<["batch", "src"]>,
  srcMask: Tensor,
  mode: Mode,
): Tensor<["batch", "src", "d_model"]> {
  const { params, buffers, config } = model;
  const d = part(dropoutOf(config, mode), 0);
  let x = positionalEncoding(buffers.src_pos.pe, embed(params.src_embed, src), part(d, 0));
  params.encoder.layers.forEach((layer, i) => x = encoderBlock(layer, x, srcMask, config.h, part(d, i + 1)));
  return layerNorm(params.encoder.norm, x);
}

/** Decoder output [batch, tgt, d_model] for target ids [batch, tgt] attending to the encoder output. */
export function decode(
  model: Transformer,
  memory: Tensor<["batch", "src", "d_model"]>,
  srcMask: Tensor,
  tgt: Tensor<["batch", "tgt"]>,
  tgtMask: Tensor,
  mode: Mode,
  /** Called with each decoder layer's cross-attention probabilities [batch, heads, tgt, src]. */
  observeCross?: (layer: number, probs: Tensor) => void,
): Tensor<["batch", "tgt", "d_model"]> {
  const { params, buffers, config } = model;
  const d = part(dropoutOf(config, mode), 1);
  let x = positionalEncoding(buffers.tgt_pos.pe, embed(params.tgt_embed, tgt), part(d, 0));
  params.decoder.layers.forEach((layer, i) => {
    const observe = observeCross && ((probs: Tensor) => observeCross(i, probs));
    x = decoderBlock(layer, x, memory, srcMask, tgtMask, config.h, part(d, i + 1), observe);
  });
  return layerNorm(params.decoder.norm, x);
}

/** Logits over the target vocabulary. */
export function project<S extends Tensor>(
  params: TransformerParams,
  x: S,
): Tensor {
  return linear(x, params.projection_layer.proj.weight, params.projection_layer.proj.bias);
}

// ---- incremental decoding ----

/** Per decoder layer: keys/values of the tokens decoded so far, and of the encoder output. */
export interface LayerCache {
  /** Keys and values of the tokens decoded so far, [batch, heads, decoded, d_k]; null before the first step. */
  self: { k: Tensor; v: Tensor } | null;
  /** Keys and values of the encoder output, [batch, heads, src, d_k]. */
  cross: { k: Tensor; v: Tensor };
}

/** Everything decoding needs besides the growing self-attention cache. */
export interface DecoderContext {
  /** The encoder output that cross-attention reads. */
  memory: Tensor<["batch", "src", "d_model"]>;
  /** The source padding mask used by cross-attention, as made by `paddingMask`. */
  srcMask: Tensor;
  /** Cross-attention keys/values per layer, [batch, heads, src, d_k], computed once. */
  cross: { k: Tensor; v: Tensor }[];
}

/** Precomputes the cross-attention keys and values of every decoder layer. */
export function decoderContext(
  model: Transformer,
  memory: Tensor<["batch", "src", "d_model"]>,
  srcMask: Tensor,
): DecoderContext {
  const heads = model.config.h;
  const cross = model.params.decoder.layers.map((layer) => ({
    k: splitHeads(linear(memory, layer.cross_attention_block.w_k.weight), heads),
    v: splitHeads(linear(memory, layer.cross_attention_block.w_v.weight), heads),
  }));
  return { memory, srcMask, cross };
}

/** Self-attention keys/values per decoder layer, [batch, heads, decoded, d_k]; empty at the start. */
export type SelfCache = ({ k: Tensor; v: Tensor } | null)[];

/**
 * An empty self-attention cache (one null slot per decoder layer) to start incremental decoding with
 * `decodeStep`.
 *
 * @example
 * ```ts
 * const ctx = transformer.decoderContext(model, memory, srcMask);
 * let cache = transformer.emptyCache(model);
 * const step = transformer.decodeStep(model, ctx, cache, tokens, 0); // tokens: Tensor<["batch", 1]>
 * cache = step.cache;
 * ```
 */
export function emptyCache(model: Transformer): SelfCache {
  return model.params.decoder.layers.map(() => null);
}

/**
 * One decoding step in eval mode: the next tokens [batch, 1] at position `position` → logits
 * [batch, tgt_vocab] and the cache extended by one position. Gives the logits the full
 * recomputation (`decode` + `project`) gives at that position, without recomputing the prefix.
 */
export function decodeStep(
  model: Transformer,
  ctx: DecoderContext,
  cache: SelfCache,
  tokens: Tensor<["batch", 1]>,
  position: number,
): { logits: Tensor<["batch", "tgt_vocab"]>; cache: SelfCache } {
  const { params, buffers, config } = model;
  const off: Dropout = { rate: 0, key: null };
  const heads = config.h;
  let x: Tensor = positionalEncoding(buffers.tgt_pos.pe, embed(params.tgt_embed, tokens), off, position);
  const next: SelfCache = [];
  params.decoder.layers.forEach((layer, i) => {
    const [r0, r1, r2] = layer.residual_connections;
    x = residual(r0, x, off, (y) => {
      const a = layer.self_attention_block;
      const past = cache[i];
      const kNew = splitHeads(linear(y, a.w_k.weight), heads);
      const vNew = splitHeads(linear(y, a.w_v.weight), heads);
      const k = past === null ? kNew : cat([past.k, kNew], 2);
      const v = past === null ? vNew : cat([past.v, vNew], 2);
      next.push({ k, v });
      // The newest token may attend to every cached position: no mask needed.
      return linear(mergeHeads(attend(splitHeads(linear(y, a.w_q.weight), heads), k, v, null, off)), a.w_o.weight);
    });
    x = residual(r1, x, off, (y) => {
      const a = layer.cross_attention_block;
      const { k, v } = ctx.cross[i];
      return linear(
        mergeHeads(attend(splitHeads(linear(y, a.w_q.weight), heads), k, v, ctx.srcMask, off)),
        a.w_o.weight,
      );
    });
    x = residual(r2, x, off, (y) => feedForward(layer.feed_forward_block, y, off));
  });
  const out = layerNorm(params.decoder.norm, x); // [batch, 1, d_model]
  const logits = project(params, reshape(out, [out.shape[0], out.shape[2]]));
  return { logits: logits as Tensor<["batch", "tgt_vocab"]>, cache: next };
}
