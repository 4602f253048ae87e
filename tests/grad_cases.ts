/**
 * Finite-difference gradient cases, one entry per differentiable op of the registry
 * (scripts/ops/registry.ts), keyed by its name. Each case builds f64 inputs and the function whose
 * gradients tests/grad_cases_test.ts checks against central differences (helpers/finite_diff.ts).
 * The ops that came before the registry are checked in tests/grad_test.ts instead; the registry test
 * accepts either.
 *
 * Each group's cases sit between its own markers, so that groups can grow side by side.
 */
import { attentionProbs, nn, tanh, type Tensor, tensor, toDevice } from "../mod.ts";
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
    {
      what: "causal, 4 queries over 3 keys",
      inputs: r([4, 2], [3, 2]),
      f: (q, k) => attentionProbs(q, k, null, { isCausal: true }),
    },
    { what: "additive float mask", inputs: r([2, 3, 4], [2, 5, 4], [3, 5]), f: (q, k, m) => attentionProbs(q, k, m) },
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
  // The ops and helpers come in through the module namespaces here (already loaded, so no new work):
  // the imports above are shared by every group, and these lines stay inside this group's markers.
  ...(({ t, fd }) => {
    /** One f64 input of `shape` from seed 100 + `i`, each element mapped through `map`. */
    const x = (shape: number[], map?: (v: number) => number, i = 0) => randf64(shape, 100 + i, map);
    /** k ± 0.25: values a quarter away from every integer and half-integer jump of floor, round, ... */
    const offGrid = (v: number) => Math.round(v * 2) + (v < 0 ? -0.25 : 0.25);
    const one = (f: (x: Tensor) => Tensor, map?: (v: number) => number, what?: string): GradCase[] => [
      { what, inputs: () => [x([2, 3], map)], f },
    ];
    return {
      silu: one(t.silu),
      softplus: [
        { what: "defaults", inputs: () => [x([2, 3])], f: (a: Tensor) => t.softplus(a) },
        {
          what: "beta 2, threshold 1 (linear above)",
          inputs: () => [x([2, 3], fd.awayFromZero(0.3))],
          f: (a: Tensor) => t.softplus(a, 2, 1),
        },
      ],
      elu: one((a) => t.elu(a, 0.7), fd.awayFromZero(), "alpha 0.7"),
      leakyRelu: one((a) => t.leakyRelu(a, 0.2), fd.awayFromZero(), "slope 0.2"),
      mish: one(t.mish),
      hardtanh: one((a) => t.hardtanh(a, -0.5, 0.5), (v) => (Math.abs(Math.abs(v) - 0.5) < 0.1 ? v * 1.5 : v)),
      erf: one(t.erf),
      log1p: one(t.log1p, fd.positive(0.1)),
      expm1: one(t.expm1),
      log2: one(t.log2, fd.positive(0.1)),
      floor: one(t.floor, offGrid, "zero almost everywhere"),
      ceil: one(t.ceil, offGrid, "zero almost everywhere"),
      round: one(t.round, offGrid, "zero almost everywhere"),
      trunc: one(t.trunc, offGrid, "zero almost everywhere"),
      sign: one(t.sign, fd.awayFromZero(), "zero away from 0"),
      square: one(t.square),
      fmod: [
        { what: "by a number", inputs: () => [x([2, 3])], f: (a: Tensor) => t.fmod(a, 0.7) },
        {
          what: "by a broadcast tensor",
          inputs: () => [x([2, 3]), x([3], fd.positive(0.5), 1)],
          f: (a: Tensor, b: Tensor) => t.fmod(a, b),
        },
      ],
      remainder: [
        { what: "by a number", inputs: () => [x([2, 3])], f: (a: Tensor) => t.remainder(a, -0.7) },
        {
          what: "by a broadcast tensor",
          inputs: () => [x([2, 3]), x([3], fd.positive(0.5), 1)],
          f: (a: Tensor, b: Tensor) => t.remainder(a, b),
        },
      ],
      atan2: [
        { what: "with a number", inputs: () => [x([2, 3])], f: (a: Tensor) => t.atan2(a, 0.5) },
        {
          what: "with a broadcast tensor",
          inputs: () => [x([2, 3]), x([2, 1], fd.awayFromZero(), 1)],
          f: (a: Tensor, b: Tensor) => t.atan2(a, b),
        },
      ],
      lerp: [
        {
          what: "number weight",
          inputs: () => [x([2, 3]), x([3], undefined, 1)],
          f: (a: Tensor, b: Tensor) => t.lerp(a, b, 0.3),
        },
        {
          what: "tensor weight, all three broadcast",
          inputs: () => [x([3]), x([2, 1], undefined, 1), x([2, 3], undefined, 2)],
          f: (a: Tensor, b: Tensor, w: Tensor) => t.lerp(a, b, w),
        },
      ],
      prod: [
        { what: "all elements", inputs: () => [x([2, 3], fd.awayFromZero())], f: (a: Tensor) => t.prod(a) },
        { what: "dim 1, keepDim", inputs: () => [x([2, 3], fd.awayFromZero())], f: (a: Tensor) => t.prod(a, 1, true) },
      ],
      cumsum: one((a) => t.cumsum(a, 1), undefined, "dim 1"),
      cumprod: one((a) => t.cumprod(a, -1), fd.awayFromZero(), "dim -1"),
      logcumsumexp: one((a) => t.logcumsumexp(a, 0), undefined, "dim 0"),
      norm: [
        { what: "fro, all elements", inputs: () => [x([2, 3])], f: (a: Tensor) => t.norm(a) },
        { what: "p 1 along dim 1", inputs: () => [x([2, 3], fd.awayFromZero())], f: (a: Tensor) => t.norm(a, 1, 1) },
        {
          what: "p 3 over [0, -1], keepDim",
          inputs: () => [x([2, 3, 2])],
          f: (a: Tensor) => t.norm(a, 3, [0, -1], true),
        },
        { what: "p Infinity along dim 0", inputs: () => [x([2, 3])], f: (a: Tensor) => t.norm(a, Infinity, 0) },
      ],
      sort: one((a) => t.sort(a, 1, { descending: true }).values, undefined, "values, descending"),
      median: [
        { what: "all elements (lower median of 6)", inputs: () => [x([2, 3])], f: (a: Tensor) => t.median(a) },
        { what: "values along dim 1", inputs: () => [x([2, 3])], f: (a: Tensor) => t.median(a, 1).values },
      ],
      mode: one((a) => t.mode(a, 1).values, undefined, "values along dim 1 (distinct: the smallest)"),
    } satisfies Record<string, GradCase[]>;
  })({ t: await import("../mod.ts"), fd: await import("./helpers/finite_diff.ts") }),
  // ---- A: end ----

  // ---- B: indexing and shape (issue 17) ----
  // Kept in a file of their own, which imports what they need from mod.ts (an import up here would
  // touch the shared import list).
  ...(await import("./grad_cases_indexing_shape.ts")).B_GRAD_CASES,
  // ---- B: end ----

  // ---- C: linear algebra, creation and random (issue 17) ----
  // One spread over mod.ts's namespace, so that this section needs no line of the shared import.
  ...((torch: typeof import("../mod.ts")): Record<string, GradCase[]> => {
    const {
      add,
      addmm,
      baddbmm,
      cholesky,
      det,
      eigh,
      einsum,
      eye,
      inverse,
      kron,
      matmul,
      mul,
      outer,
      qr,
      slogdet,
      solve,
      svd,
      tensordot,
      transpose,
      unsqueeze,
    } = torch;
    /** A random square matrix made well conditioned: plus (n + 1) times the identity. */
    const conditioned = (a: Tensor) => add(a, mul(eye(a.shape[a.rank - 1], { dtype: "f64" }), a.shape[a.rank - 1] + 1));
    /** A symmetric positive-definite matrix from any square one: a aᵀ + n I. */
    const spd = (a: Tensor) => add(matmul(a, transpose(a, 0, 1)), mul(eye(a.shape[0], { dtype: "f64" }), a.shape[0]));
    const square = (a: Tensor) => mul(a, a);
    const qTimesR = ({ q, r }: { q: Tensor; r: Tensor }) => matmul(q, r);
    const reconstruct = ({ u, s, vh }: { u: Tensor; s: Tensor; vh: Tensor }) => matmul(mul(u, unsqueeze(s, -2)), vh);
    return {
      einsum: [
        { what: "matrix product", inputs: r([2, 3], [3, 4]), f: (a, b) => einsum("ij,jk->ik", a, b) },
        { what: "batched, implicit output", inputs: r([2, 3, 4], [2, 4, 5]), f: (a, b) => einsum("bij,bjk", a, b) },
        { what: "diagonal", inputs: r([3, 3]), f: (a) => einsum("ii->i", a) },
        { what: "ellipsis broadcast", inputs: r([2, 1, 4], [3, 4]), f: (a, b) => einsum("...i,...i->...", a, b) },
      ],
      outer: [{ inputs: r([3], [4]), f: (a, b) => outer(a, b) }],
      addmm: [
        { what: "defaults", inputs: r([4], [2, 3], [3, 4]), f: (c, a, b) => addmm(c, a, b) },
        {
          what: "beta, alpha",
          inputs: r([2, 4], [2, 3], [3, 4]),
          f: (c, a, b) => addmm(c, a, b, { beta: 0.5, alpha: -2 }),
        },
      ],
      baddbmm: [{
        what: "beta, alpha",
        inputs: r([1, 4], [2, 2, 3], [2, 3, 4]),
        f: (c, a, b) => baddbmm(c, a, b, { beta: 2, alpha: 0.5 }),
      }],
      tensordot: [
        { what: "dims 2", inputs: r([2, 3, 4], [3, 4, 2]), f: (a, b) => tensordot(a, b) },
        { what: "dim lists", inputs: r([2, 3, 4], [4, 3, 2]), f: (a, b) => tensordot(a, b, [[1, 2], [1, 0]]) },
      ],
      kron: [{ inputs: r([2, 3], [2, 2]), f: (a, b) => kron(a, b) }],
      inverse: [{ what: "batched", inputs: r([2, 3, 3]), f: (a) => inverse(conditioned(a)) }],
      det: [{ what: "batched", inputs: r([2, 3, 3]), f: (a) => det(conditioned(a)) }],
      slogdet: [{ what: "logAbsDet", inputs: r([2, 3, 3]), f: (a) => slogdet(conditioned(a)).logAbsDet }],
      solve: [
        { what: "matrix right-hand side", inputs: r([3, 3], [3, 2]), f: (a, b) => solve(conditioned(a), b) },
        { what: "vector right-hand side", inputs: r([3, 3], [3]), f: (a, b) => solve(conditioned(a), b) },
      ],
      cholesky: [
        { what: "lower", inputs: r([3, 3]), f: (a) => cholesky(spd(a)) },
        { what: "upper", inputs: r([3, 3]), f: (a) => cholesky(spd(a), { upper: true }) },
      ],
      // Factors defined up to sign are checked through sign-invariant functions of them, as torch's tests do.
      qr: [
        { what: "q r", inputs: r([4, 3]), f: (a) => qTimesR(qr(a)) },
        { what: "r squared (signs cancel)", inputs: r([3, 3]), f: (a) => square(qr(a).r) },
      ],
      svd: [
        { what: "singular values", inputs: r([4, 3]), f: (a) => svd(a).s },
        { what: "u diag(s) vh", inputs: r([3, 4]), f: (a) => reconstruct(svd(a)) },
      ],
      eigh: [
        { what: "eigenvalues", inputs: r([3, 3]), f: (a) => eigh(add(a, transpose(a, 0, 1))).eigenvalues },
        {
          what: "eigenvectors squared (signs cancel)",
          inputs: r([3, 3]),
          f: (a) => square(eigh(add(a, transpose(a, 0, 1))).eigenvectors),
        },
      ],
    };
  })(await import("../mod.ts")),
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
        { what: "last dim, weight", inputs: r([2, 3, 4], [4]), f: (x, w) => t.rmsNorm(x, 4, w) },
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
      // Through q, k, v (and an additive mask), on both paths; causal with fewer and more keys than queries.
      scaledDotProductAttention: [true, false].flatMap((fused) => [
        {
          what: `causal, fused: ${fused}`,
          inputs: r([2, 4, 3], [2, 4, 3], [2, 4, 2]),
          f: (q, k, v) => t.scaledDotProductAttention(q, k, v, { isCausal: true, fused }),
        },
        {
          what: `causal, 3 queries over 5 keys, fused: ${fused}`,
          inputs: r([3, 2], [5, 2], [5, 3]),
          f: (q, k, v) => t.scaledDotProductAttention(q, k, v, { isCausal: true, fused }),
        },
        {
          what: `additive float mask broadcast over the batch, fused: ${fused}`,
          inputs: r([2, 3, 4], [2, 5, 4], [2, 5, 2], [3, 5]),
          f: (q, k, v, m) => t.scaledDotProductAttention(q, k, v, { mask: m, fused }),
        },
      ]),
    };
  })()),
  // ---- D: end ----

  // ---- E: transforms (issue 17) ----
  // ---- E: end ----

  // ---- F: layers and optimizers (issue 17) ----
  "nn.mlp": [{
    what: "two hidden layers, GELU between",
    inputs: r([4, 3], [4], [5, 4], [5], [2, 5], [2], [3, 3]),
    f: (w0, b0, w1, b1, w2, b2, x) =>
      nn.mlp.apply({
        layers: [
          { weight: matrix(w0), bias: vector(b0) },
          { weight: matrix(w1), bias: vector(b1) },
          { weight: matrix(w2), bias: vector(b2) },
        ],
      }, x),
  }],
  "nn.sequential": [{
    what: "linear, tanh, linear",
    inputs: r([4, 3], [4], [2, 4], [2, 3]),
    f: (w0, b0, w1, x) =>
      nn.sequential.apply(
        [{ weight: matrix(w0), bias: vector(b0) }, null, { weight: matrix(w1) }],
        [nn.linear.apply, nn.sequential.fn(tanh), nn.linear.apply],
        x,
      ),
  }],
  "nn.rmsNorm": [
    { inputs: r([4], [2, 3, 4]), f: (w, x) => nn.rmsNorm.apply({ weight: vector(w) }, x) },
    { what: "eps 0.1", inputs: r([3], [5, 3]), f: (w, x) => nn.rmsNorm.apply({ weight: vector(w) }, x, 0.1) },
  ],
  "nn.multiHeadAttention": [{
    what: "self-attention with biases, 2 heads",
    inputs: r([4, 4], [4], [4, 4], [4], [4, 4], [4], [4, 4], [4], [2, 3, 4]),
    f: (wq, bq, wk, bk, wv, bv, wo, bo, x) =>
      nn.multiHeadAttention.apply(
        {
          queryProj: { weight: matrix(wq), bias: vector(bq) },
          keyProj: { weight: matrix(wk), bias: vector(bk) },
          valueProj: { weight: matrix(wv), bias: vector(bv) },
          outputProj: { weight: matrix(wo), bias: vector(bo) },
        },
        x,
        x,
        2,
      ),
  }],
  "nn.conv1d": [
    {
      what: "2 groups, stride 2, padding 1, dilation 2, bias",
      inputs: r([4, 1, 3], [4], [2, 2, 7]),
      f: (w, b, x) =>
        nn.conv1d.apply({ weight: w as never, bias: vector(b) }, x, { stride: 2, padding: 1, dilation: 2, groups: 2 }),
    },
    {
      what: "unbatched, no bias",
      inputs: r([3, 2, 2], [2, 5]),
      f: (w, x) => nn.conv1d.apply({ weight: w as never }, x),
    },
  ],
  "nn.conv2d": [
    {
      what: "stride [2, 1], padding 1, bias",
      inputs: r([3, 2, 2, 3], [3], [2, 2, 4, 5]),
      f: (w, b, x) => nn.conv2d.apply({ weight: w as never, bias: vector(b) }, x, { stride: [2, 1], padding: 1 }),
    },
    {
      what: "padding same, 2 groups",
      inputs: r([2, 1, 3, 2], [1, 2, 4, 4]),
      f: (w, x) => nn.conv2d.apply({ weight: w as never }, x, { padding: "same", groups: 2 }),
    },
  ],
  // The running statistics are state, not parameters: made in the case, not differentiated.
  "nn.batchNorm": [
    {
      what: "training: the batch's statistics, through x, weight and bias",
      inputs: r([3], [3], [4, 3, 2]),
      f: (w, b, x) =>
        nn.batchNorm.apply(
          { weight: vector(w), bias: vector(b) },
          {
            runningMean: tensor([0.1, -0.2, 0.3], [3], { dtype: "f64" }),
            runningVar: tensor([0.5, 1, 2], [3], { dtype: "f64" }),
          },
          x,
          { training: true },
        ).out,
    },
    {
      what: "evaluation: the running statistics, eps 0.1",
      inputs: r([2], [2], [3, 2, 2, 2]),
      f: (w, b, x) =>
        nn.batchNorm.apply(
          { weight: vector(w), bias: vector(b) },
          {
            runningMean: tensor([0.3, -0.1], [2], { dtype: "f64" }),
            runningVar: tensor([0.7, 1.5], [2], { dtype: "f64" }),
          },
          x,
          { training: false, eps: 0.1 },
        )
          .out,
    },
  ],
  // ---- F: end ----
};
