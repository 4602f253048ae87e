/**
 * Finite-difference gradient cases, one entry per differentiable op of the registry
 * (scripts/ops/registry.ts), keyed by its name. Each case builds f64 inputs and the function whose
 * gradients tests/grad_cases_test.ts checks against central differences (helpers/finite_diff.ts).
 * The ops that came before the registry are checked in tests/grad_test.ts instead; the registry test
 * accepts either.
 *
 * Each group's cases sit between its own markers, so that groups can grow side by side.
 */
import { attentionProbs, nn, type Tensor, tensor, toDevice } from "../mod.ts";
import { type GradCheckOptions, randf64 } from "./helpers/finite_diff.ts";

/** Inputs drawn from randn in f64, one seed each (a shape per input). */
const r = (...shapes: number[][]) => () => shapes.map((shape, i) => randf64(shape, 100 + i));
/** A weight as a layer's fields type it (the cases pass them in untyped). */
const matrix = (t: Tensor) => t as Tensor<[number, number]>;
const vector = (t: Tensor) => t as Tensor<[number]>;

export interface GradCase {
  /** What varies in this case, for the failure message ("with broadcasting", "dim 1", ...). */
  what?: string;
  /** The inputs (f64), made inside the check's scope. */
  inputs: () => Tensor[];
  f: (...xs: Tensor[]) => Tensor;
  options?: GradCheckOptions;
}

export const GRAD_CASES: Record<string, GradCase[]> = {
  // ---- elementwise ----
  // ---- elementwise: end ----

  // ---- reductions and scans ----
  // ---- reductions and scans: end ----

  // ---- indexing ----
  // ---- indexing: end ----

  // ---- shape ----
  // ---- shape: end ----

  // ---- linear algebra ----
  // ---- linear algebra: end ----

  // ---- neural network ----
  attentionProbs: [
    { what: "no mask", inputs: r([2, 3, 4], [2, 5, 4]), f: (q, k) => attentionProbs(q, k, null) },
    {
      what: "a mask with a fully masked row",
      inputs: r([3, 4], [5, 4]),
      f: (q, k) =>
        attentionProbs(q, k, tensor([1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1], [3, 5], { dtype: "bool" })),
    },
  ],
  // ---- neural network: end ----

  // ---- conversion ----
  toDevice: [{ what: "cpu to cpu", inputs: r([2, 3]), f: (x) => toDevice(x, "cpu") }],
  // ---- conversion: end ----

  // ---- layers ----
  "nn.linear": [
    {
      what: "with bias",
      inputs: r([4, 3], [4], [2, 5, 3]),
      f: (w, b, x) => nn.linear.apply({ weight: matrix(w), bias: vector(b) }, x),
    },
    { what: "without bias", inputs: r([4, 3], [3]), f: (w, x) => nn.linear.apply({ weight: matrix(w) }, x) },
  ],
  "nn.embedding": [{
    what: "rows picked twice",
    inputs: r([5, 3]),
    f: (w) => nn.embedding.apply({ weight: matrix(w) }, tensor([[0, 4, 4], [2, 0, 1]], [2, 3], { dtype: "i64" })),
  }],
  "nn.layerNorm": [{
    inputs: r([4], [4], [2, 3, 4]),
    f: (w, b, x) => nn.layerNorm.apply({ weight: vector(w), bias: vector(b) }, x),
  }],
  "nn.attention": [{
    what: "cross attention, 2 heads",
    inputs: r([4, 4], [4, 4], [4, 4], [4, 4], [2, 3, 4], [2, 5, 4]),
    f: (wq, wk, wv, wo, x, m) =>
      nn.attention.apply(
        {
          queryProj: { weight: matrix(wq) },
          keyProj: { weight: matrix(wk) },
          valueProj: { weight: matrix(wv) },
          outputProj: { weight: matrix(wo) },
        },
        x,
        m,
        2,
      ),
  }],
  // ---- layers: end ----

  // ---- transforms, layers, optimizers ----
  // ---- transforms, layers, optimizers: end ----

  // ---- A: elementwise and reductions/scans (issue 17) ----
  // ---- A: end ----

  // ---- B: indexing and shape (issue 17) ----
  // ---- B: end ----

  // ---- C: linear algebra, creation and random (issue 17) ----
  // ---- C: end ----

  // ---- D: neural network (issue 17) ----
  // The ops come from a dynamic import, so that the section (not the shared import line) names them.
  ...(await (async (): Promise<Record<string, GradCase[]>> => {
    const t = await import("../mod.ts");
    const f64 = { dtype: "f64" } as const;
    const ints = (values: number[], shape: number[]) => t.tensor(values, shape, { dtype: "i64" });
    /** randn inputs in f64, the i-th mapped through maps[i] (e.g. to keep it positive). */
    const mapped = (shapes: number[][], maps: ((v: number) => number)[]) => () =>
      shapes.map((shape, i) => randf64(shape, 100 + i, maps[i] ?? ((v) => v)));
    const positive = (v: number) => Math.abs(v) + 0.5;
    return {
      conv1d: [
        {
          what: "stride 2, padding 1, bias",
          inputs: r([2, 3, 7], [4, 3, 3], [4]),
          f: (x, w, b) => t.conv1d(x, w, b, { stride: 2, padding: 1 }),
        },
        {
          what: "groups 2, dilation 2",
          inputs: r([1, 4, 8], [2, 2, 2]),
          f: (x, w) => t.conv1d(x, w, undefined, { groups: 2, dilation: 2 }),
        },
      ],
      conv2d: [
        {
          what: "stride 2, padding 1, bias",
          inputs: r([2, 2, 5, 5], [3, 2, 3, 3], [3]),
          f: (x, w, b) => t.conv2d(x, w, b, { stride: 2, padding: 1 }),
        },
        {
          what: "padding same, unbatched",
          inputs: r([2, 4, 4], [2, 2, 2, 3]),
          f: (x, w) => t.conv2d(x, w, undefined, { padding: "same" }),
        },
      ],
      conv3d: [{
        what: "padding 1",
        inputs: r([1, 2, 3, 3, 3], [2, 2, 2, 2, 2], [2]),
        f: (x, w, b) => t.conv3d(x, w, b, { padding: 1 }),
      }],
      convTranspose1d: [
        {
          what: "stride 2, output padding 1",
          inputs: r([2, 3, 4], [3, 2, 3], [2]),
          f: (x, w, b) => t.convTranspose1d(x, w, b, { stride: 2, outputPadding: 1 }),
        },
      ],
      convTranspose2d: [
        {
          what: "stride 2, padding 1, groups 2",
          inputs: r([1, 4, 3, 3], [4, 1, 3, 3]),
          f: (x, w) => t.convTranspose2d(x, w, undefined, { stride: 2, padding: 1, groups: 2 }),
        },
      ],
      maxPool1d: [{
        what: "kernel 3, stride 2, padding 1",
        inputs: r([2, 3, 9]),
        f: (x) => t.maxPool1d(x, { kernelSize: 3, stride: 2, padding: 1 }),
      }],
      maxPool2d: [
        { what: "kernel 2", inputs: r([2, 2, 4, 4]), f: (x) => t.maxPool2d(x, { kernelSize: 2 }) },
        {
          what: "dilation 2, ceil mode",
          inputs: r([1, 2, 7, 6]),
          f: (x) => t.maxPool2d(x, { kernelSize: [2, 3], stride: 2, dilation: 2, ceilMode: true }),
        },
      ],
      maxPool1dWithIndices: [{
        what: "the values",
        inputs: r([2, 2, 6]),
        f: (x) => t.maxPool1dWithIndices(x, { kernelSize: 2 }).values,
      }],
      maxPool2dWithIndices: [{
        what: "the values",
        inputs: r([1, 2, 4, 6]),
        f: (x) => t.maxPool2dWithIndices(x, { kernelSize: [2, 3] }).values,
      }],
      avgPool1d: [{
        what: "padding 1, excluded",
        inputs: r([2, 3, 7]),
        f: (x) => t.avgPool1d(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }),
      }],
      avgPool2d: [{
        what: "ceil mode",
        inputs: r([1, 2, 5, 5]),
        f: (x) => t.avgPool2d(x, { kernelSize: 2, ceilMode: true }),
      }],
      adaptiveAvgPool2d: [{
        what: "7×5 to 3×2 (overlapping windows)",
        inputs: r([2, 2, 7, 5]),
        f: (x) => t.adaptiveAvgPool2d(x, [3, 2]),
      }],
      interpolate: [
        {
          what: "bilinear, align corners",
          inputs: r([1, 2, 3, 4]),
          f: (x) => t.interpolate(x, { size: [5, 7], mode: "bilinear", alignCorners: true }),
        },
        { what: "nearest ×2", inputs: r([2, 2, 3]), f: (x) => t.interpolate(x, { scaleFactor: 2, mode: "nearest" }) },
      ],
      batchNorm: [
        {
          what: "training, affine",
          inputs: r([4, 3, 2], [3], [3]),
          f: (x, w, b) =>
            t.batchNorm(x, { runningMean: t.zeros([3], f64), runningVar: t.ones([3], f64) }, w, b, { training: true })
              .out,
        },
        {
          what: "evaluation, running statistics",
          inputs: mapped([[2, 3], [3], [3]], [(v) => v, (v) => v, positive]),
          f: (x, m, v) => t.batchNorm(x, { runningMean: vector(m), runningVar: vector(v) }).out,
          options: { wrt: [0] },
        },
      ],
      groupNorm: [{
        what: "3 groups, affine",
        inputs: r([2, 6, 3], [6], [6]),
        f: (x, w, b) => t.groupNorm(x, 3, w, b),
      }],
      instanceNorm: [{ what: "affine", inputs: r([2, 3, 4, 2], [3], [3]), f: (x, w, b) => t.instanceNorm(x, w, b) }],
      rmsNorm: [
        { what: "last dim, weight", inputs: r([2, 3, 4], [4]), f: (x, w) => t.rmsNorm(x, 1, w) },
        { what: "last two dims by shape", inputs: r([2, 3, 4]), f: (x) => t.rmsNorm(x, [3, 4], undefined, 1e-3) },
      ],
      mseLoss: [{ what: "broadcast target", inputs: r([3, 4], [4]), f: (a, b) => t.mseLoss(a, b) }],
      l1Loss: [{ what: "sum", inputs: r([3, 4], [3, 4]), f: (a, b) => t.l1Loss(a, b, { reduction: "sum" }) }],
      smoothL1Loss: [{
        what: "beta 0.5, none",
        inputs: r([3, 4], [3, 4]),
        f: (a, b) => t.smoothL1Loss(a, b, { beta: 0.5, reduction: "none" }),
      }],
      huberLoss: [{ what: "delta 0.7", inputs: r([3, 4], [3, 4]), f: (a, b) => t.huberLoss(a, b, { delta: 0.7 }) }],
      nllLoss: [
        {
          what: "weighted, an ignored target",
          inputs: r([4, 3], [3]),
          f: (x, w) => t.nllLoss(x, ints([0, 2, 1, 2], [4]), { weight: w, ignoreIndex: 1 }),
          options: { wrt: [0] },
        },
        {
          what: "per position [n, C, d]",
          inputs: r([2, 3, 2]),
          f: (x) => t.nllLoss(x, ints([0, 2, 1, 1], [2, 2]), { reduction: "none" }),
        },
      ],
      binaryCrossEntropy: [
        {
          what: "weighted",
          inputs: r([3, 2], [3, 2], [2]),
          f: (x, y, w) => t.binaryCrossEntropy(t.sigmoid(x), t.sigmoid(y), { weight: w }),
          options: { wrt: [0] },
        },
      ],
      binaryCrossEntropyWithLogits: [
        {
          what: "pos weight",
          inputs: r([3, 2], [3, 2], [2]),
          f: (x, y, p) => t.binaryCrossEntropyWithLogits(x, t.sigmoid(y), { posWeight: p }),
          // libtorch 1.13 has no derivative for the weights (nor, in binaryCrossEntropy, for the target).
          options: { wrt: [0, 1] },
        },
      ],
      klDiv: [
        {
          what: "batchmean",
          inputs: mapped([[3, 4], [3, 4]], [(v) => v, positive]),
          f: (x, y) => t.klDiv(x, y, { reduction: "batchmean" }),
        },
        {
          what: "log target, none",
          inputs: r([3, 4], [3, 4]),
          f: (x, y) => t.klDiv(x, y, { logTarget: true, reduction: "none" }),
        },
      ],
      cosineEmbeddingLoss: [
        {
          what: "margin -0.9 (dissimilar pairs off the hinge)",
          inputs: r([3, 4], [3, 4]),
          f: (a, b) => t.cosineEmbeddingLoss(a, b, ints([1, -1, -1], [3]), { margin: -0.9 }),
        },
      ],
    };
  })()),
  // ---- D: end ----

  // ---- E: transforms (issue 17) ----
  // ---- E: end ----

  // ---- F: layers and optimizers (issue 17) ----
  // ---- F: end ----
};
