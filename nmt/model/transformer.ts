/**
 * The "Attention Is All You Need" encoder–decoder Transformer, as pure functions over a parameter
 * tree, following the seed's PyTorch model op for op (../shared/reference/transformer_ref.py):
 * pre-norm residuals, LayerNormalization with eps added to the unbiased std, embeddings scaled by
 * √d_model, sinusoidal positions, bias-free attention projections, dropout on attention
 * probabilities, final encoder/decoder norms and a biased output projection. The linear, embedding,
 * dropout and attention layers are the library's (`nn`); the seed's own layer norm is here.
 *
 * Field names are the seed's state-dict names, so `flattenTree(params)` is the list of safetensors keys.
 * Shapes read: batch × src (source tokens), batch × tgt (target tokens), d_model features.
 *
 * Dropout keys: each function that draws splits its key once into named parts (`namedKeys`): the
 * mode's key into the encoder's and decoder's, a stack's into its positional dropout's and one per
 * layer, a layer's into its sublayers' and residual connections'.
 */
import { ones } from "../../lib/create.ts";
import * as attention from "../../lib/nn/attention.ts";
import * as dropout from "../../lib/nn/dropout.ts";
import * as embedding from "../../lib/nn/embedding.ts";
import * as linear from "../../lib/nn/linear.ts";
import { add, div, logicalAnd, mul, ne, relu, sub } from "../../lib/ops/elementwise.ts";
import { stdLayerNorm } from "../../lib/ops/norm.ts";
import { cat, reshape, slice, tril, unsqueeze } from "../../lib/ops/shape.ts";
import { fold, type Key, namedKeys } from "../../lib/rng.ts";
import type { Dim } from "../../lib/shape.ts";
import { assume, type Tensor } from "../../lib/tensor.ts";
import { scope } from "../../lib/scope.ts";

// ---- configuration and parameters ----

/** The architecture; config.json spells these fields the seed's way (see nmt/io/folder.ts). */
export interface TransformerConfig {
  /** Number of source-language token ids: the rows of the source embedding. */
  srcVocabSize: number;
  /** Number of target-language token ids: the rows of the target embedding and the width of the output logits. */
  tgtVocabSize: number;
  /** Longest source sequence in tokens; sets the length of the source positional table. */
  srcSeqLen: number;
  /** Longest target sequence in tokens; sets the length of the target positional table. */
  tgtSeqLen: number;
  /** Width of every token representation; must be even and divisible by `heads`. */
  dModel: number;
  /** Number of encoder layers, and of decoder layers. */
  layers: number;
  /** Attention heads. */
  heads: number;
  /** Dropout probability in [0, 1) used throughout the network in training mode. */
  dropout: number;
  /** Hidden width of each feed-forward block. */
  dFF: number;
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
 * All trainable weights of the model, nested like the seed's state dict so that `flattenTree(params)`
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

/** The keys of the encoder's and the decoder's dropout in `mode`; null in evaluation. */
function modeKeys(mode: Mode) {
  return namedKeys(mode.train ? mode.key : null, ["encoder", "decoder"]);
}

/** A stack's keys: its positional dropout's is part 0, layer i's part i + 1. */
function stackKeys(key: Key | null, layers: number) {
  const { positional } = namedKeys(key, ["positional"]);
  return { positional, layers: Array.from({ length: layers }, (_, i) => key && fold(key, i + 1)) };
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
function embed<S extends Dim>(
  p: { embedding: embedding.Embedding<string, "d_model"> },
  ids: Tensor<["batch", S]>,
  config: TransformerConfig,
): Tensor<["batch", S, "d_model"]> {
  return mul(embedding.apply(p.embedding, ids), Math.sqrt(config.dModel));
}

/** Adds rows `offset` … `offset + seq` of the sinusoid table, then dropout. */
function positionalEncoding<S extends Dim>(
  pe: Tensor<[1, string, "d_model"]>,
  x: Tensor<["batch", S, "d_model"]>,
  offset: number,
  config: TransformerConfig,
  key: Key | null,
): Tensor<["batch", S, "d_model"]> {
  const keys = namedKeys(key, ["dropout"]);
  const seq = x.shape[1];
  if (offset + seq > pe.shape[1]) {
    throw new RangeError(
      `positionalEncoding: positions up to ${offset + seq} exceed the table's ${pe.shape[1]} (seq_len)`,
    );
  }
  const table: Tensor = slice(pe, 1, offset, offset + seq); // [1, seq, d_model]
  return dropout.apply(assume(add(x, table)), config.dropout, keys.dropout);
}

/**
 * The seed's LayerNormalization: alpha · (x − mean) / (std + eps) + bias, with the unbiased std and
 * eps added to it, which is not torch.nn.LayerNorm (`nn.layerNorm`): the library's `stdLayerNorm`.
 */
function layerNormalization<T extends Tensor>(p: LayerNormParams, x: T, eps = 1e-6): T {
  return stdLayerNorm(x, p.alpha, p.bias, eps) as Tensor as T;
}

/** linear_2(dropout(relu(linear_1(x)))). */
function feedForward<T extends Tensor>(p: FeedForwardParams, x: T, config: TransformerConfig, key: Key | null): T {
  const keys = namedKeys(key, ["dropout"]);
  const hidden = dropout.apply(relu(linear.apply(p.linear_1, x as Tensor)), config.dropout, keys.dropout);
  return linear.apply(p.linear_2, hidden) as Tensor as T;
}

/** The seed's attention block as the library's attention layer: the same weights under the library's names. */
function asAttention(p: AttentionParams): attention.Attention {
  return { queryProj: p.w_q, keyProj: p.w_k, valueProj: p.w_v, outputProj: p.w_o };
}

/** Multi-head attention of `x` over `source` with the config's heads and dropout rate. */
function multiHeadAttention(
  p: AttentionParams,
  x: Tensor,
  source: attention.KeyValueSource,
  config: TransformerConfig,
  options: { mask: Tensor | null; key: Key | null; observe?: (probs: Tensor) => void },
): Tensor {
  return attention.apply(asAttention(p), x, source, config.heads, { ...options, dropout: config.dropout });
}

/** x + dropout(sublayer(norm(x))): the pre-norm residual connection. */
function residual<T extends Tensor>(
  p: ResidualParams,
  x: T,
  config: TransformerConfig,
  key: Key | null,
  sublayer: (y: T) => Tensor,
): T {
  const keys = namedKeys(key, ["dropout"]);
  return add(x, dropout.apply(sublayer(layerNormalization(p.norm, x)), config.dropout, keys.dropout)) as Tensor as T;
}

/**
 * One encoder layer: self-attention over the source, then the feed-forward block, each in a pre-norm
 * residual connection. `srcMask` is bool and broadcasts to [batch, heads, src, src] (true = may attend).
 */
function encoderLayer(
  p: EncoderLayerParams,
  x: Tensor<["batch", "src", "d_model"]>,
  srcMask: Tensor,
  config: TransformerConfig,
  key: Key | null,
): Tensor<["batch", "src", "d_model"]> {
  const keys = namedKeys(key, ["selfAttentionResidual", "selfAttention", "feedForwardResidual", "feedForward"]);
  const [r0, r1] = p.residual_connections;
  const selfAttention = (y: Tensor) =>
    multiHeadAttention(p.self_attention_block, y, y, config, { mask: srcMask, key: keys.selfAttention });
  const feedForwardBlock = (y: Tensor) => feedForward(p.feed_forward_block, y, config, keys.feedForward);
  x = residual(r0, x, config, keys.selfAttentionResidual, selfAttention);
  return residual(r1, x, config, keys.feedForwardResidual, feedForwardBlock);
}

/**
 * What one decoder layer's attentions attend over. Full decoding attends over the target itself and
 * projects the encoder output; a cached step attends over the cache extended by the newest token,
 * and over cross-attention keys and values computed once.
 */
interface DecoderSources {
  /** Self-attention's keys and values, from the layer's normed input `y`. */
  self: (y: Tensor) => attention.KeyValueSource;
  /** Hides padding and future positions [batch, 1, tgt, tgt]; null when all may be attended. */
  selfMask: Tensor | null;
  /** Cross-attention's keys and values. */
  cross: attention.KeyValueSource;
  /** Hides source padding, as made by `paddingMask`. */
  crossMask: Tensor;
}

/**
 * One decoder layer: masked self-attention over the target, cross-attention over the encoder output,
 * then the feed-forward block, each in a pre-norm residual connection. `observeCross`, if given,
 * receives the cross-attention probabilities [batch, heads, tgt, src].
 */
function decoderLayer<S extends Dim>(
  p: DecoderLayerParams,
  x: Tensor<["batch", S, "d_model"]>,
  sources: DecoderSources,
  config: TransformerConfig,
  key: Key | null,
  observeCross?: (probs: Tensor) => void,
): Tensor<["batch", S, "d_model"]> {
  const keys = namedKeys(key, [
    "selfAttentionResidual",
    "selfAttention",
    "crossAttentionResidual",
    "crossAttention",
    "feedForwardResidual",
    "feedForward",
  ]);
  const [r0, r1, r2] = p.residual_connections;
  const selfAttention = (y: Tensor) =>
    multiHeadAttention(p.self_attention_block, y, sources.self(y), config, {
      mask: sources.selfMask,
      key: keys.selfAttention,
    });
  const crossAttention = (y: Tensor) =>
    multiHeadAttention(p.cross_attention_block, y, sources.cross, config, {
      mask: sources.crossMask,
      key: keys.crossAttention,
      observe: observeCross,
    });
  const feedForwardBlock = (y: Tensor) => feedForward(p.feed_forward_block, y, config, keys.feedForward);
  x = residual(r0, x, config, keys.selfAttentionResidual, selfAttention);
  x = residual(r1, x, config, keys.crossAttentionResidual, crossAttention);
  return residual(r2, x, config, keys.feedForwardResidual, feedForwardBlock);
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
  const keys = stackKeys(modeKeys(mode).encoder, params.encoder.layers.length);
  let x = positionalEncoding(buffers.src_pos.pe, embed(params.src_embed, src, config), 0, config, keys.positional);
  params.encoder.layers.forEach((layer, i) => x = scope(() => encoderLayer(layer, x, srcMask, config, keys.layers[i])));
  return layerNormalization(params.encoder.norm, x);
}

/**
 * The decoder over target ids [batch, S] at positions `offset` …, layer i attending over
 * `sources(i)`: what full decoding and a cached step share. Each layer runs in its own scope (its
 * temporaries freed as soon as it returns; autograd keeps what backward needs) unless its sources or
 * `observeCross` hand tensors out of it (a cached step's new keys and values, the observed probabilities).
 */
function decoderStack<S extends Dim>(
  model: Transformer,
  tgt: Tensor<["batch", S]>,
  offset: number,
  key: Key | null,
  sources: (layer: number) => DecoderSources,
  options: { observeCross?: (layer: number, probs: Tensor) => void; sourcesHandOut?: boolean } = {},
): Tensor<["batch", S, "d_model"]> {
  const { observeCross, sourcesHandOut = false } = options;
  const { params, buffers, config } = model;
  const keys = stackKeys(key, params.decoder.layers.length);
  let x = positionalEncoding(buffers.tgt_pos.pe, embed(params.tgt_embed, tgt, config), offset, config, keys.positional);
  params.decoder.layers.forEach((layer, i) => {
    const observe = observeCross && ((probs: Tensor) => observeCross(i, probs));
    const run = () => decoderLayer(layer, x, sources(i), config, keys.layers[i], observe);
    x = observe || sourcesHandOut ? run() : scope(run);
  });
  return layerNormalization(params.decoder.norm, x);
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
  const sources: DecoderSources = { self: (y) => y, selfMask: tgtMask, cross: memory, crossMask: srcMask };
  return decoderStack(model, tgt, 0, modeKeys(mode).decoder, () => sources, { observeCross });
}

/** Logits over the target vocabulary. */
export function project<S extends Tensor>(
  params: TransformerParams,
  x: S,
): Tensor {
  return linear.apply(params.projection_layer.proj, x as Tensor);
}

// ---- incremental decoding ----

/** Everything decoding needs besides the growing self-attention cache. */
export interface DecoderContext {
  /** The source padding mask used by cross-attention, as made by `paddingMask`. */
  srcMask: Tensor;
  /** Cross-attention keys/values per layer, [batch, heads, src, d_k], computed once. */
  cross: attention.KeyValues[];
}

/** Precomputes the cross-attention keys and values of every decoder layer. */
export function decoderContext(
  model: Transformer,
  memory: Tensor<["batch", "src", "d_model"]>,
  srcMask: Tensor,
): DecoderContext {
  const cross = model.params.decoder.layers.map((layer) =>
    attention.keyValues(asAttention(layer.cross_attention_block), memory, model.config.heads)
  );
  return { srcMask, cross };
}

/** Self-attention keys/values per decoder layer, [batch, heads, decoded, d_k]; empty at the start. */
export type SelfCache = (attention.KeyValues | null)[];

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

/** One layer's cached keys and values with the newest token's appended along the positions. */
function extended(past: attention.KeyValues | null, newest: attention.KeyValues): attention.KeyValues {
  return past === null ? newest : { k: cat([past.k, newest.k], 2), v: cat([past.v, newest.v], 2) };
}

/**
 * One decoding step in eval mode: the next tokens [batch, 1] at position `position` → logits
 * [batch, tgt_vocab] and the cache extended by one position. Gives the logits the full
 * recomputation (`decode` + `project`) gives at that position, without recomputing the prefix; with
 * `projection`, the logits of its rows only.
 */
export function decodeStep(
  model: Transformer,
  ctx: DecoderContext,
  cache: SelfCache,
  tokens: Tensor<["batch", 1]>,
  position: number,
  /** The output projection to score with instead of the model's: its rows of a shortlist. */
  projection?: linear.Linear,
): { logits: Tensor<["batch", "tgt_vocab"]>; cache: SelfCache } {
  const next: SelfCache = emptyCache(model);
  const sources = (i: number): DecoderSources => ({
    // Layer i's self-attention attends over its cache extended by the newest token, which is also its next cache.
    self: (y) => (projectKeyValues) => (next[i] = extended(cache[i], projectKeyValues(y))),
    selfMask: null, // the newest token may attend to every cached position
    cross: () => ctx.cross[i],
    crossMask: ctx.srcMask,
  });
  const out = decoderStack(model, tokens, position, null, sources, { sourcesHandOut: true }); // [batch, 1, d_model]
  const last = reshape(out, [out.shape[0], out.shape[2]]);
  const logits = projection ? linear.apply(projection, last) : project(model.params, last);
  return { logits: logits as Tensor<["batch", "tgt_vocab"]>, cache: next };
}
