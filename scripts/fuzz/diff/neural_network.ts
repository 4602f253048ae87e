/**
 * The differential fuzzer's neural network ops of issue 17 (group D), spread into `diffOps` by
 * scripts/fuzz/diff_table.ts; their torch readings are the functions of the same names in
 * diff_torch.py. Inputs keep special values out (special: 0) where a window or a reduction would
 * spread one NaN over many outputs; optional tensor inputs travel as their index in `x` (null when
 * absent).
 *
 * Differences kept on purpose (never drawn): a loss's input and target of two dtypes (torch promotes
 * some pairs) is a DTypeError, and so are integer inputs to a loss (torch computes a few, such as
 * l1Loss's sum).
 */
import * as torch from "../../../mod.ts";
import type { DType, Tensor } from "../../../mod.ts";
import { type DiffGen, FLOATS } from "../diff_gen.ts";
import type { Args, DiffSpec } from "./common.ts";

const opt = (x: Tensor[], i: number | null) => (i === null ? undefined : x[i]);
/** One per spatial dim, or (now and then) a single number for all. */
const perDim = (g: DiffGen, k: number, f: () => number) => {
  const list = Array.from({ length: k }, f);
  return g.r.chance(0.3) && list.every((v) => v === list[0]) ? list[0] : list;
};
const at = (v: number | number[], i: number) => (typeof v === "number" ? v : v[i]);
/** [batch, channels, ...spatial] (or unbatched now and then). */
const input = (g: DiffGen, channels: number, spatial: number[], dtype: DType) =>
  g.tensor(g.r.chance(0.8) ? [g.r.int(1, 2), channels, ...spatial] : [channels, ...spatial], dtype, { special: 0 });
const convSpec = (k: number): DiffSpec => ({
  make: (g) => {
    const dtype = g.dtype(FLOATS);
    const groups = g.r.pick([1, 1, 2]);
    const [inPer, outPer] = [g.r.int(1, 3), g.r.int(1, 2)];
    const kernel = Array.from({ length: k }, () => g.r.int(1, 3));
    const mode = g.r.pick(["numbers", "numbers", "same", "valid"]);
    const stride = mode === "same" ? 1 : perDim(g, k, () => g.r.int(1, 2));
    const dilation = perDim(g, k, () => g.r.int(1, 2));
    const padding = mode === "numbers" ? perDim(g, k, () => g.r.int(0, 2)) : mode;
    const spatial = kernel.map((n, i) => at(dilation, i) * (n - 1) + 1 + g.r.int(0, 3));
    input(g, inPer * groups, spatial, dtype);
    g.tensor([outPer * groups, inPer, ...kernel], dtype, { special: 0 });
    const bias = g.r.chance(0.5) ? g.tensor([outPer * groups], dtype, { special: 0 }) : null;
    const opts: Args = { stride, padding, dilation, groups };
    for (const key of Object.keys(opts)) {
      if (g.r.chance(0.2) && key !== "padding" && opts[key] === 1) delete opts[key];
    }
    return { bias, opts };
  },
  // deno-lint-ignore no-explicit-any
  ours: (x, a) => (torch as any)[`conv${k}d`](x[0], x[1], opt(x, a.bias), a.opts),
  tolerance: "float",
});
const convTransposeSpec = (k: number): DiffSpec => ({
  make: (g) => {
    // libtorch 1.13 refuses most bf16 transposed convolutions on the CPU (both sides do): f32 and f64.
    const dtype = g.dtype(["f32", "f64"]);
    const groups = g.r.pick([1, 1, 2]);
    const [inPer, outPer] = [g.r.int(1, 2), g.r.int(1, 2)];
    const kernel = Array.from({ length: k }, () => g.r.int(1, 3));
    const stride = perDim(g, k, () => g.r.int(1, 3));
    const dilation = perDim(g, k, () => g.r.int(1, 2));
    const padding = Array.from(
      { length: k },
      (_, i) => g.r.int(0, Math.floor((at(dilation, i) * (kernel[i] - 1)) / 2)),
    );
    const outputPadding = Array.from(
      { length: k },
      (_, i) => g.r.int(0, Math.max(at(stride, i), at(dilation, i)) - 1),
    );
    input(g, inPer * groups, Array.from({ length: k }, () => g.r.int(1, 4)), dtype);
    g.tensor([inPer * groups, outPer, ...kernel], dtype, { special: 0 });
    const bias = g.r.chance(0.5) ? g.tensor([outPer * groups], dtype, { special: 0 }) : null;
    return { bias, opts: { stride, padding, outputPadding, dilation, groups } };
  },
  // deno-lint-ignore no-explicit-any
  ours: (x, a) => (torch as any)[`convTranspose${k}d`](x[0], x[1], opt(x, a.bias), a.opts),
  tolerance: "float",
});
const poolSpec = (name: string, k: number, max: boolean): DiffSpec => ({
  make: (g) => {
    const kernel = Array.from({ length: k }, () => g.r.int(1, 3));
    const dilation = max ? perDim(g, k, () => g.r.int(1, 2)) : 1;
    const span = kernel.map((n, i) => at(dilation, i) * (n - 1) + 1);
    const opts: Args = {
      kernelSize: g.r.chance(0.3) && kernel.every((v) => v === kernel[0]) ? kernel[0] : kernel,
      padding: kernel.map((n) => g.r.int(0, Math.floor(n / 2))),
      ceilMode: g.r.pick([true, false, undefined]),
    };
    if (max) opts.dilation = dilation;
    else opts.countIncludePad = g.r.pick([true, false, undefined]);
    if (g.r.chance(0.6)) opts.stride = perDim(g, k, () => g.r.int(1, 3));
    // Average pooling takes i64 too (truncated integer means), as torch's does.
    input(g, g.r.int(1, 3), span.map((s) => s + g.r.int(0, 3)), g.dtype(max ? FLOATS : [...FLOATS, "i64"]));
    return { opts };
  },
  ours: (x, a) => {
    // deno-lint-ignore no-explicit-any
    const r = (torch as any)[name](x[0], a.opts);
    return r instanceof torch.Tensor ? r : [r.values, r.indices];
  },
  tolerance: max ? "exact" : "float",
});
const regressionSpec = (name: string, param: (g: DiffGen) => Args = () => ({})): DiffSpec => ({
  make: (g) => {
    // libtorch 1.13 has no bf16 mse kernel on the CPU.
    const dtype = g.dtype(name === "mseLoss" ? ["f32", "f64"] : FLOATS);
    const shape = g.shape();
    g.tensor(shape, dtype, { special: 0 });
    g.tensor(g.broadcastWith(shape), dtype, { special: 0 });
    return { opts: { ...param(g), reduction: g.r.pick([undefined, "mean", "sum", "none"]) } };
  },
  // deno-lint-ignore no-explicit-any
  ours: (x, a) => (torch as any)[name](x[0], x[1], a.opts),
  tolerance: "float",
});

export const NEURAL_NETWORK_DIFF_OPS: Record<string, DiffSpec> = {
  conv1d: convSpec(1),
  conv2d: convSpec(2),
  conv3d: convSpec(3),
  convTranspose1d: convTransposeSpec(1),
  convTranspose2d: convTransposeSpec(2),
  maxPool1d: poolSpec("maxPool1d", 1, true),
  maxPool2d: poolSpec("maxPool2d", 2, true),
  maxPool1dWithIndices: poolSpec("maxPool1dWithIndices", 1, true),
  maxPool2dWithIndices: poolSpec("maxPool2dWithIndices", 2, true),
  avgPool1d: poolSpec("avgPool1d", 1, false),
  avgPool2d: poolSpec("avgPool2d", 2, false),
  adaptiveAvgPool2d: {
    make: (g) => {
      const lead = g.r.chance(0.8) ? [g.r.int(0, 2), g.r.int(1, 3)] : [g.r.int(1, 3)];
      g.tensor([...lead, g.r.int(1, 6), g.r.int(1, 6)], g.dtype(FLOATS), { special: 0 });
      return { size: g.r.chance(0.4) ? g.r.int(1, 4) : [g.r.int(1, 4), g.r.int(1, 4)] };
    },
    ours: (x, a) => torch.adaptiveAvgPool2d(x[0], a.size),
    tolerance: "float",
  },
  interpolate: {
    make: (g) => {
      const mode = g.r.pick(["nearest", "bilinear"]);
      const k = mode === "bilinear" ? 2 : g.r.int(1, 3);
      const spatial = Array.from({ length: k }, () => g.r.int(1, 5));
      g.tensor([g.r.int(1, 2), g.r.int(1, 3), ...spatial], g.dtype(FLOATS), { special: 0 });
      const opts: Args = { mode };
      if (mode === "bilinear" && g.r.chance(0.6)) opts.alignCorners = g.r.chance(0.5);
      if (g.r.chance(0.5)) opts.size = g.r.chance(0.3) ? g.r.int(1, 6) : spatial.map(() => g.r.int(1, 6));
      else {
        const f = () => g.r.pick([1, 2, 3, 1.5, 2.5, 0.75]);
        opts.scaleFactor = g.r.chance(0.5) ? f() : spatial.map(f);
      }
      return { opts };
    },
    ours: (x, a) => torch.interpolate(x[0], a.opts),
    tolerance: "float",
  },
  batchNorm: {
    make: (g) => {
      const dtype = g.dtype(["f32", "f64"]);
      const c = g.r.int(1, 3);
      const training = g.r.chance(0.5);
      const shape = [g.r.int(2, 3), c, ...g.shape(0, 2).map((d) => Math.max(d, 1))];
      g.tensor(shape, dtype, { special: 0 });
      g.tensor([c], dtype, { special: 0 });
      g.tensor([c], dtype, { positive: true });
      const weight = g.r.chance(0.6) ? g.tensor([c], dtype, { special: 0 }) : null;
      const bias = g.r.chance(0.6) ? g.tensor([c], dtype, { special: 0 }) : null;
      return {
        weight,
        bias,
        opts: { training, momentum: g.r.pick([0.1, 0.5, 1, undefined]), eps: g.r.pick([1e-5, 1e-3, undefined]) },
      };
    },
    ours: (x, a) => {
      const r = torch.batchNorm(
        x[0],
        { runningMean: x[1] as never, runningVar: x[2] as never },
        opt(x, a.weight),
        opt(x, a.bias),
        a.opts,
      );
      return [r.out, r.runningMean, r.runningVar];
    },
    tolerance: "float",
  },
  groupNorm: {
    make: (g) => {
      const dtype = g.dtype(FLOATS);
      const groups = g.r.int(1, 3);
      const c = groups * g.r.int(1, 2);
      const [n, spatial] = [g.r.int(1, 3), g.shape(0, 2)];
      // F.group_norm refuses groups that hold one value between them all (so does the library).
      const one = n * (c / groups) * spatial.reduce((p, q) => p * q, 1) === 1;
      g.tensor([one ? 2 : n, c, ...spatial], dtype, { special: 0 });
      const weight = g.r.chance(0.6) ? g.tensor([c], dtype, { special: 0 }) : null;
      const bias = g.r.chance(0.6) ? g.tensor([c], dtype, { special: 0 }) : null;
      return { groups, weight, bias, eps: g.r.pick([1e-5, 1e-3, undefined]) };
    },
    ours: (x, a) => torch.groupNorm(x[0], a.groups, opt(x, a.weight), opt(x, a.bias), a.eps),
    tolerance: "float",
  },
  instanceNorm: {
    make: (g) => {
      const dtype = g.dtype(["f32", "f64"]);
      const c = g.r.int(1, 3);
      const spatial = g.shape(1, 2).map((d) => Math.max(d, 1));
      if (spatial.reduce((p, q) => p * q, 1) === 1) spatial[0] = 2;
      g.tensor([g.r.int(1, 3), c, ...spatial], dtype, { special: 0 });
      const weight = g.r.chance(0.6) ? g.tensor([c], dtype, { special: 0 }) : null;
      const bias = g.r.chance(0.6) ? g.tensor([c], dtype, { special: 0 }) : null;
      return { weight, bias, eps: g.r.pick([1e-5, 1e-3, undefined]) };
    },
    ours: (x, a) => torch.instanceNorm(x[0], opt(x, a.weight), opt(x, a.bias), a.eps),
    tolerance: "float",
  },
  rmsNorm: {
    make: (g) => {
      const dtype = g.dtype(FLOATS);
      const shape = g.shape(1, 4);
      const rank = g.r.int(1, shape.length);
      g.tensor(shape, dtype);
      const trailing = shape.slice(shape.length - rank);
      const weight = g.r.chance(0.6) ? g.tensor(trailing, dtype) : null;
      // A single number is torch's normalized_shape of one dim: the last dim's size.
      return {
        normalized: rank === 1 && g.r.chance(0.5) ? trailing[0] : trailing,
        weight,
        eps: g.r.pick([1e-6, 1e-5, undefined]),
      };
    },
    ours: (x, a) => torch.rmsNorm(x[0], a.normalized, opt(x, a.weight), a.eps),
    tolerance: "float",
  },
  mseLoss: regressionSpec("mseLoss"),
  l1Loss: regressionSpec("l1Loss"),
  smoothL1Loss: regressionSpec("smoothL1Loss", (g) => ({ beta: g.r.pick([1, 0.5, 0, 2, undefined]) })),
  huberLoss: regressionSpec("huberLoss", (g) => ({ delta: g.r.pick([1, 0.5, 2, undefined]) })),
  nllLoss: {
    make: (g) => {
      const dtype = g.dtype(FLOATS);
      const c = g.r.int(1, 4);
      const unbatched = g.r.chance(0.15);
      const n = g.size();
      const rest = unbatched ? [] : g.shape(0, 2);
      g.tensor(unbatched ? [c] : [n, c, ...rest], dtype, { special: 0 });
      const ignoreIndex = g.r.pick([undefined, -100, 0, 1]);
      g.ints(unbatched ? [] : [n, ...rest], 0, c - 1);
      const weight = g.r.chance(0.4) ? g.tensor([c], dtype, { positive: true }) : null;
      return { weight, opts: { ignoreIndex, reduction: g.r.pick([undefined, "mean", "sum", "none"]) } };
    },
    ours: (x, a) => torch.nllLoss(x[0], x[1], { ...a.opts, weight: opt(x, a.weight) }),
    tolerance: "float",
  },
  binaryCrossEntropy: {
    make: (g) => {
      const dtype = g.dtype(["f32", "f64"]);
      const shape = g.shape();
      g.tensor(shape, dtype, { special: 0 });
      g.tensor(shape, dtype, { special: 0 });
      const weight = g.r.chance(0.4) ? g.tensor(g.broadcastsTo(shape), dtype, { positive: true }) : null;
      return { weight, reduction: g.r.pick([undefined, "mean", "sum", "none"]) };
    },
    // Probabilities and soft targets as sigmoids of normals (torch rejects p outside [0, 1]).
    ours: (x, a) =>
      torch.scope(() =>
        torch.binaryCrossEntropy(torch.sigmoid(x[0]), torch.sigmoid(x[1]), {
          weight: opt(x, a.weight),
          reduction: a.reduction,
        })
      ),
    tolerance: "float",
  },
  binaryCrossEntropyWithLogits: {
    make: (g) => {
      const dtype = g.dtype(["f32", "f64"]);
      const shape = g.shape();
      g.tensor(shape, dtype, { special: 0 });
      g.tensor(shape, dtype, { special: 0 });
      const weight = g.r.chance(0.4) ? g.tensor(g.broadcastsTo(shape), dtype, { positive: true }) : null;
      const posWeight = g.r.chance(0.4) ? g.tensor(g.broadcastsTo(shape), dtype, { positive: true }) : null;
      return { weight, posWeight, reduction: g.r.pick([undefined, "mean", "sum", "none"]) };
    },
    ours: (x, a) =>
      torch.binaryCrossEntropyWithLogits(x[0], x[1], {
        weight: opt(x, a.weight),
        posWeight: opt(x, a.posWeight),
        reduction: a.reduction,
      }),
    tolerance: "float",
  },
  klDiv: {
    make: (g) => {
      const dtype = g.dtype(FLOATS);
      const shape = g.shape();
      const logTarget = g.r.chance(0.5);
      g.tensor(shape, dtype, { special: 0 });
      g.tensor(g.broadcastsTo(shape), dtype, logTarget ? { special: 0 } : { positive: true });
      return { opts: { logTarget, reduction: g.r.pick([undefined, "mean", "sum", "none", "batchmean"]) } };
    },
    ours: (x, a) => torch.klDiv(x[0], x[1], a.opts),
    tolerance: "float",
  },
  cosineEmbeddingLoss: {
    make: (g) => {
      const dtype = g.dtype(["f32", "f64"]);
      const unbatched = g.r.chance(0.2);
      const [n, d] = [g.r.int(1, 4), g.r.int(1, 4)];
      g.tensor(unbatched ? [d] : [n, d], dtype, { special: 0 });
      g.tensor(unbatched ? [d] : [n, d], dtype, { special: 0 });
      g.ints(unbatched ? [] : [n], -1, 1, g.r.pick(["i64", "i64", "i32"]));
      return {
        opts: {
          margin: g.r.pick([undefined, 0, 0.5, -0.2]),
          reduction: g.r.pick([undefined, "mean", "sum", "none"]),
        },
      };
    },
    ours: (x, a) => torch.cosineEmbeddingLoss(x[0], x[1], x[2], a.opts),
    tolerance: "float",
  },
};
