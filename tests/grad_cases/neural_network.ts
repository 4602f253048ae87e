/**
 * Finite-difference cases of the neural network ops of issue 17 (group D): convolution, pooling,
 * normalization, losses and attention; spread into GRAD_CASES by tests/grad_cases.ts.
 */
import {
  adaptiveAvgPool2d,
  avgPool1d,
  avgPool2d,
  batchNorm,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  conv1d,
  conv2d,
  conv3d,
  convTranspose1d,
  convTranspose2d,
  cosineEmbeddingLoss,
  groupNorm,
  huberLoss,
  instanceNorm,
  interpolate,
  klDiv,
  l1Loss,
  maxPool1d,
  maxPool1dWithIndices,
  maxPool2d,
  maxPool2dWithIndices,
  mseLoss,
  nllLoss,
  ones,
  rmsNorm,
  scaledDotProductAttention,
  sigmoid,
  smoothL1Loss,
  stdLayerNorm,
  tensor,
  zeros,
} from "../../mod.ts";
import { randf64 } from "../helpers/finite_diff.ts";
import { type GradCase, r, vector } from "./case.ts";

const f64 = { dtype: "f64" } as const;
const ints = (values: number[], shape: number[]) => tensor(values, shape, { dtype: "i64" });
/** randn inputs in f64, the i-th mapped through maps[i] (e.g. to keep it positive). */
const mapped = (shapes: number[][], maps: ((v: number) => number)[]) => () =>
  shapes.map((shape, i) => randf64(shape, 100 + i, maps[i] ?? ((v) => v)));
const positive = (v: number) => Math.abs(v) + 0.5;

export const NEURAL_NETWORK_GRAD_CASES: Record<string, GradCase[]> = {
  conv1d: [
    {
      what: "stride 2, padding 1, bias",
      inputs: r([2, 3, 7], [4, 3, 3], [4]),
      f: (x, w, b) => conv1d(x, w, b, { stride: 2, padding: 1 }),
    },
    {
      what: "groups 2, dilation 2",
      inputs: r([1, 4, 8], [2, 2, 2]),
      f: (x, w) => conv1d(x, w, undefined, { groups: 2, dilation: 2 }),
    },
  ],
  conv2d: [
    {
      what: "stride 2, padding 1, bias",
      inputs: r([2, 2, 5, 5], [3, 2, 3, 3], [3]),
      f: (x, w, b) => conv2d(x, w, b, { stride: 2, padding: 1 }),
    },
    {
      what: "padding same, unbatched",
      inputs: r([2, 4, 4], [2, 2, 2, 3]),
      f: (x, w) => conv2d(x, w, undefined, { padding: "same" }),
    },
  ],
  conv3d: [{
    what: "padding 1",
    inputs: r([1, 2, 3, 3, 3], [2, 2, 2, 2, 2], [2]),
    f: (x, w, b) => conv3d(x, w, b, { padding: 1 }),
  }],
  convTranspose1d: [
    {
      what: "stride 2, output padding 1",
      inputs: r([2, 3, 4], [3, 2, 3], [2]),
      f: (x, w, b) => convTranspose1d(x, w, b, { stride: 2, outputPadding: 1 }),
    },
  ],
  convTranspose2d: [
    {
      what: "stride 2, padding 1, groups 2",
      inputs: r([1, 4, 3, 3], [4, 1, 3, 3]),
      f: (x, w) => convTranspose2d(x, w, undefined, { stride: 2, padding: 1, groups: 2 }),
    },
  ],
  maxPool1d: [{
    what: "kernel 3, stride 2, padding 1",
    inputs: r([2, 3, 9]),
    f: (x) => maxPool1d(x, { kernelSize: 3, stride: 2, padding: 1 }),
  }],
  maxPool2d: [
    { what: "kernel 2", inputs: r([2, 2, 4, 4]), f: (x) => maxPool2d(x, { kernelSize: 2 }) },
    {
      what: "dilation 2, ceil mode",
      inputs: r([1, 2, 7, 6]),
      f: (x) => maxPool2d(x, { kernelSize: [2, 3], stride: 2, dilation: 2, ceilMode: true }),
    },
  ],
  maxPool1dWithIndices: [{
    what: "the values",
    inputs: r([2, 2, 6]),
    f: (x) => maxPool1dWithIndices(x, { kernelSize: 2 }).values,
  }],
  maxPool2dWithIndices: [{
    what: "the values",
    inputs: r([1, 2, 4, 6]),
    f: (x) => maxPool2dWithIndices(x, { kernelSize: [2, 3] }).values,
  }],
  avgPool1d: [{
    what: "padding 1, excluded",
    inputs: r([2, 3, 7]),
    f: (x) => avgPool1d(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }),
  }],
  avgPool2d: [{
    what: "ceil mode",
    inputs: r([1, 2, 5, 5]),
    f: (x) => avgPool2d(x, { kernelSize: 2, ceilMode: true }),
  }],
  adaptiveAvgPool2d: [{
    what: "7×5 to 3×2 (overlapping windows)",
    inputs: r([2, 2, 7, 5]),
    f: (x) => adaptiveAvgPool2d(x, [3, 2]),
  }],
  interpolate: [
    {
      what: "bilinear, align corners",
      inputs: r([1, 2, 3, 4]),
      f: (x) => interpolate(x, { size: [5, 7], mode: "bilinear", alignCorners: true }),
    },
    { what: "nearest ×2", inputs: r([2, 2, 3]), f: (x) => interpolate(x, { scaleFactor: 2, mode: "nearest" }) },
  ],
  batchNorm: [
    {
      what: "training, affine",
      inputs: r([4, 3, 2], [3], [3]),
      f: (x, w, b) =>
        batchNorm(x, { runningMean: zeros([3], f64), runningVar: ones([3], f64) }, w, b, { training: true })
          .out,
    },
    {
      what: "evaluation, running statistics",
      inputs: mapped([[2, 3], [3], [3]], [(v) => v, (v) => v, positive]),
      f: (x, m, v) => batchNorm(x, { runningMean: vector(m), runningVar: vector(v) }).out,
      options: { wrt: [0] },
    },
  ],
  groupNorm: [{
    what: "3 groups, affine",
    inputs: r([2, 6, 3], [6], [6]),
    f: (x, w, b) => groupNorm(x, 3, w, b),
  }],
  instanceNorm: [{ what: "affine", inputs: r([2, 3, 4, 2], [3], [3]), f: (x, w, b) => instanceNorm(x, w, b) }],
  rmsNorm: [
    { what: "last dim, weight", inputs: r([2, 3, 4], [4]), f: (x, w) => rmsNorm(x, 4, w) },
    { what: "last two dims by shape", inputs: r([2, 3, 4]), f: (x) => rmsNorm(x, [3, 4], undefined, 1e-3) },
  ],
  stdLayerNorm: [
    { what: "x, alpha, bias", inputs: r([2, 3, 5], [5], [5]), f: (x, a, b) => stdLayerNorm(x, a, b) },
    { what: "eps 0.1", inputs: r([4, 3], [3], [3]), f: (x, a, b) => stdLayerNorm(x, a, b, 0.1) },
  ],
  mseLoss: [{ what: "broadcast target", inputs: r([3, 4], [4]), f: (a, b) => mseLoss(a, b) }],
  l1Loss: [{ what: "sum", inputs: r([3, 4], [3, 4]), f: (a, b) => l1Loss(a, b, { reduction: "sum" }) }],
  smoothL1Loss: [{
    what: "beta 0.5, none",
    inputs: r([3, 4], [3, 4]),
    f: (a, b) => smoothL1Loss(a, b, { beta: 0.5, reduction: "none" }),
  }],
  huberLoss: [{ what: "delta 0.7", inputs: r([3, 4], [3, 4]), f: (a, b) => huberLoss(a, b, { delta: 0.7 }) }],
  nllLoss: [
    {
      what: "weighted, an ignored target",
      inputs: r([4, 3], [3]),
      f: (x, w) => nllLoss(x, ints([0, 2, 1, 2], [4]), { weight: w, ignoreIndex: 1 }),
      options: { wrt: [0] },
    },
    {
      what: "per position [n, C, d]",
      inputs: r([2, 3, 2]),
      f: (x) => nllLoss(x, ints([0, 2, 1, 1], [2, 2]), { reduction: "none" }),
    },
  ],
  binaryCrossEntropy: [
    {
      what: "weighted",
      inputs: r([3, 2], [3, 2], [2]),
      f: (x, y, w) => binaryCrossEntropy(sigmoid(x), sigmoid(y), { weight: w }),
      options: { wrt: [0] },
    },
  ],
  binaryCrossEntropyWithLogits: [
    {
      what: "pos weight",
      inputs: r([3, 2], [3, 2], [2]),
      f: (x, y, p) => binaryCrossEntropyWithLogits(x, sigmoid(y), { posWeight: p }),
      // libtorch 1.13 has no derivative for the weights (nor, in binaryCrossEntropy, for the target).
      options: { wrt: [0, 1] },
    },
  ],
  klDiv: [
    {
      what: "batchmean",
      inputs: mapped([[3, 4], [3, 4]], [(v) => v, positive]),
      f: (x, y) => klDiv(x, y, { reduction: "batchmean" }),
    },
    {
      what: "log target, none",
      inputs: r([3, 4], [3, 4]),
      f: (x, y) => klDiv(x, y, { logTarget: true, reduction: "none" }),
    },
  ],
  cosineEmbeddingLoss: [
    {
      what: "margin -0.9 (dissimilar pairs off the hinge)",
      inputs: r([3, 4], [3, 4]),
      f: (a, b) => cosineEmbeddingLoss(a, b, ints([1, -1, -1], [3]), { margin: -0.9 }),
    },
  ],
  // Through q, k, v (and an additive mask), on both paths; causal with fewer and more keys than queries.
  scaledDotProductAttention: [true, false].flatMap((fused) => [
    {
      what: `causal, fused: ${fused}`,
      inputs: r([2, 4, 3], [2, 4, 3], [2, 4, 2]),
      f: (q, k, v) => scaledDotProductAttention(q, k, v, { isCausal: true, fused }),
    },
    {
      what: `causal, 3 queries over 5 keys, fused: ${fused}`,
      inputs: r([3, 2], [5, 2], [5, 3]),
      f: (q, k, v) => scaledDotProductAttention(q, k, v, { isCausal: true, fused }),
    },
    {
      what: `additive float mask broadcast over the batch, fused: ${fused}`,
      inputs: r([2, 3, 4], [2, 5, 4], [2, 5, 2], [3, 5]),
      f: (q, k, v, m) => scaledDotProductAttention(q, k, v, { mask: m, fused }),
    },
  ]),
};
