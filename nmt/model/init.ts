/**
 * Fresh Transformer parameters, initialized like the seed: xavier-uniform for every parameter of
 * rank > 1, PyTorch's default U(±1/√fan_in) for linear biases, ones/zeros for the norms, and the
 * sinusoid tables computed with the same float32 ops as the reference's PositionalEncoding.
 */
import { arange, ones, rand, zeros } from "../../lib/create.ts";
import { add, cos, exp, mul, sin } from "../../lib/ops/elementwise.ts";
import { reshape, stack, unsqueeze } from "../../lib/ops/shape.ts";
import { fold, type Key } from "../../lib/rng.ts";
import { scope } from "../../lib/scope.ts";
import { assume, type Tensor } from "../../lib/tensor.ts";
import { cast } from "../../lib/transfer.ts";
import type { Device } from "../../lib/device.ts";
import type { MapLeaves } from "../../lib/tree.ts";
import type { Transformer, TransformerBuffers, TransformerConfig, TransformerParams } from "./transformer.ts";

/**
 * Checks a config's fields and their relations, naming the first bad one as `name` spells it
 * (`config.<field>` by default; a config read from config.json names the file's field).
 */
export function validateConfig(
  config: TransformerConfig,
  name: (field: keyof TransformerConfig) => string = (field) => `config.${field}`,
): TransformerConfig {
  const positive = [
    "srcVocabSize",
    "tgtVocabSize",
    "srcSeqLen",
    "tgtSeqLen",
    "dModel",
    "layers",
    "heads",
    "dFF",
  ] as const;
  for (const field of positive) {
    const v = config[field];
    if (!Number.isInteger(v) || v <= 0) {
      throw new RangeError(`${name(field)} must be a positive integer, got ${JSON.stringify(v)}`);
    }
  }
  if (!(config.dropout >= 0 && config.dropout < 1)) {
    throw new RangeError(`${name("dropout")} must be in [0, 1), got ${config.dropout}`);
  }
  if (config.dModel % config.heads !== 0) {
    throw new RangeError(
      `${name("dModel")} (${config.dModel}) must be divisible by ${name("heads")} (${config.heads})`,
    );
  }
  if (config.dModel % 2 !== 0) {
    throw new RangeError(`${name("dModel")} must be even for the sinusoid table, got ${config.dModel}`);
  }
  return config;
}

/** The reference's sinusoid table [1, seqLen, dModel] (float32, same ops, same bits). */
export function positionalTable(seqLen: number, dModel: number, device: Device = "cpu"): Tensor<[1, number, number]> {
  return scope(() => {
    const position = unsqueeze(arange(0, seqLen, 1, { dtype: "f32", device }), 1); // [seq, 1]
    const evenDims = cast(arange(0, dModel, 2, { device }), "f32");
    const divTerm = exp(mul(evenDims, -Math.log(10000.0) / dModel)); // [d/2]
    const angle = mul(position, divTerm); // [seq, d/2]
    const table = reshape(stack([sin(angle), cos(angle)], -1), [seqLen, dModel]); // sin at 2i, cos at 2i+1
    return assume<[1, number, number]>(unsqueeze(table, 0));
  });
}

export function buffersFor(config: TransformerConfig, device: Device = "cpu"): TransformerBuffers {
  return {
    src_pos: { pe: assume(positionalTable(config.srcSeqLen, config.dModel, device)) },
    tgt_pos: { pe: assume(positionalTable(config.tgtSeqLen, config.dModel, device)) },
  };
}

/** How a parameter starts: xavier-uniform (rank 2), a linear bias U(±1/√fan_in), or a constant. */
export type ParamInit =
  | { kind: "xavier"; shape: [number, number] }
  | { kind: "bias"; shape: [number]; fanIn: number }
  | { kind: "ones" | "zeros"; shape: [number] };

/** The parameter tree of `config` with `leaf(init)` at every position: tensors, shapes, ... */
export function buildParams<L>(
  config: TransformerConfig,
  leaf: (init: ParamInit) => L,
): MapLeaves<TransformerParams, L> {
  const { dModel: d, dFF: ff } = config;
  const weight = (out: number, inp: number) => ({ weight: leaf({ kind: "xavier", shape: [out, inp] }) });
  const linear = (out: number, inp: number) => ({
    ...weight(out, inp),
    bias: leaf({ kind: "bias", shape: [out], fanIn: inp }),
  });
  const norm = () => ({ alpha: leaf({ kind: "ones", shape: [d] }), bias: leaf({ kind: "zeros", shape: [d] }) });
  const attention = () => ({ w_q: weight(d, d), w_k: weight(d, d), w_v: weight(d, d), w_o: weight(d, d) });
  const feedForward = () => ({ linear_1: linear(ff, d), linear_2: linear(d, ff) });
  const layers = <T>(make: () => T): T[] => Array.from({ length: config.layers }, make);
  return {
    encoder: {
      layers: layers(() => ({
        self_attention_block: attention(),
        feed_forward_block: feedForward(),
        residual_connections: [{ norm: norm() }, { norm: norm() }],
      })),
      norm: norm(),
    },
    decoder: {
      layers: layers(() => ({
        self_attention_block: attention(),
        cross_attention_block: attention(),
        feed_forward_block: feedForward(),
        residual_connections: [{ norm: norm() }, { norm: norm() }, { norm: norm() }],
      })),
      norm: norm(),
    },
    src_embed: { embedding: weight(config.srcVocabSize, d) },
    tgt_embed: { embedding: weight(config.tgtVocabSize, d) },
    projection_layer: { proj: linear(config.tgtVocabSize, d) },
  } as MapLeaves<TransformerParams, L>;
}

/** New parameters and buffers for `config`; each parameter draws from its own key derived from `key`. */
export function initTransformer(config: TransformerConfig, key: Key, device: Device = "cpu"): Transformer {
  validateConfig(config);
  let counter = 0;
  const uniform = (shape: number[], bound: number): Tensor =>
    scope(() => add(mul(rand(shape, fold(key, counter++), { device }), 2 * bound), -bound));
  const params = buildParams(config, (init): Tensor => {
    switch (init.kind) {
      case "xavier":
        return uniform(init.shape, Math.sqrt(6 / (init.shape[0] + init.shape[1])));
      case "bias":
        return uniform(init.shape, 1 / Math.sqrt(init.fanIn));
      case "ones":
        return ones(init.shape, { device });
      case "zeros":
        return zeros(init.shape, { device });
    }
  });
  return { config, params: params as TransformerParams, buffers: buffersFor(config, device) };
}
