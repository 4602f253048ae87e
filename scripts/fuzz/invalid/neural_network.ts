/**
 * The invalid-input fuzzer's neural network ops of issue 17 (group D), spread into `ops` by
 * scripts/fuzz/table.ts: sizes, lists and options drawn valid most of the time, with edge numbers,
 * wrong lengths and wrong ranks mixed in.
 */
import type { Inputs } from "../gen.ts";
import { type OpSpec, T } from "./common.ts";

const small = (g: Inputs) => g.num(() => g.r.int(0, 3));
const perDim = (g: Inputs, k: number) =>
  g.r.chance(0.5) ? small(g) : Array.from({ length: g.r.chance(0.9) ? k : k + 1 }, () => small(g));
/** [batch, channels, ...spatial] with `k` spatial dims, or a random tensor now and then. */
const spatial = (g: Inputs, k: number, channels = g.r.int(0, 3)) =>
  g.like([g.r.int(0, 2), channels, ...Array.from({ length: k }, () => g.r.int(0, 5))]);
const conv = (k: number): OpSpec => ({
  call: (g) => {
    const groups = g.r.chance(0.8) ? g.r.int(1, 2) : g.num();
    const [inPer, out] = [g.r.int(0, 2), g.r.int(0, 4)];
    const c = inPer * (Number.isInteger(groups) && groups > 0 && groups <= 4 ? groups : 1);
    const x = spatial(g, k, c);
    const w = g.like([out, inPer, ...Array.from({ length: k }, () => g.r.int(0, 3))]);
    const opts = {
      stride: g.r.chance(0.5) ? perDim(g, k) : undefined,
      padding: g.r.chance(0.3) ? g.r.pick(["same", "valid", "full"]) : g.r.chance(0.5) ? perDim(g, k) : undefined,
      dilation: g.r.chance(0.5) ? perDim(g, k) : undefined,
      groups,
    };
    return T[`conv${k}d`](x, w, g.r.chance(0.5) ? g.like([out]) : undefined, g.r.chance(0.9) ? opts : undefined);
  },
});
const convTranspose = (k: number): OpSpec => ({
  call: (g) => {
    const c = g.r.int(0, 3);
    const opts = {
      stride: g.r.chance(0.5) ? perDim(g, k) : undefined,
      padding: g.r.chance(0.5) ? perDim(g, k) : undefined,
      outputPadding: g.r.chance(0.5) ? perDim(g, k) : undefined,
      dilation: g.r.chance(0.5) ? perDim(g, k) : undefined,
      groups: g.r.chance(0.7) ? undefined : g.num(),
    };
    const w = g.like([c, g.r.int(0, 2), ...Array.from({ length: k }, () => g.r.int(0, 3))]);
    return T[`convTranspose${k}d`](spatial(g, k, c), w, g.r.chance(0.3) ? g.tensor() : undefined, opts);
  },
});
const pool = (name: string, k: number): OpSpec => ({
  call: (g) => {
    const opts = {
      kernelSize: perDim(g, k),
      stride: g.r.chance(0.5) ? perDim(g, k) : undefined,
      padding: g.r.chance(0.5) ? perDim(g, k) : undefined,
      dilation: g.r.chance(0.3) ? perDim(g, k) : undefined,
      ceilMode: g.r.chance(0.3),
      countIncludePad: g.r.chance(0.5),
    };
    const x = spatial(g, k);
    const r = T[name](x, g.r.chance(0.95) ? opts : undefined);
    return r;
  },
});
const params = (g: Inputs, c: number) => (g.r.chance(0.6) ? g.like([c]) : undefined);
const reduction = (g: Inputs) => g.r.pick(["mean", "sum", "none", undefined, "max", "batchmean"]);
const pair = (name: string, extra: (g: Inputs) => object = () => ({})): OpSpec => ({
  call: (g) => {
    const x = g.tensor();
    return T[name](x, g.like(x.shape, g.r.chance(0.8) ? x.dtype : g.dtype()), {
      ...extra(g),
      reduction: reduction(g),
    });
  },
});

export const NEURAL_NETWORK_OPS: Record<string, OpSpec> = {
  conv1d: conv(1),
  conv2d: conv(2),
  conv3d: conv(3),
  convTranspose1d: convTranspose(1),
  convTranspose2d: convTranspose(2),
  maxPool1d: pool("maxPool1d", 1),
  maxPool2d: pool("maxPool2d", 2),
  maxPool1dWithIndices: pool("maxPool1dWithIndices", 1),
  maxPool2dWithIndices: pool("maxPool2dWithIndices", 2),
  avgPool1d: pool("avgPool1d", 1),
  avgPool2d: pool("avgPool2d", 2),
  adaptiveAvgPool2d: { call: (g) => T.adaptiveAvgPool2d(spatial(g, 2), perDim(g, 2)) },
  interpolate: {
    call: (g) => {
      const mode = g.r.pick(["nearest", "bilinear", "bicubic"]);
      const x = spatial(g, g.r.int(1, 3));
      const size = g.r.chance(0.5) ? perDim(g, x.rank - 2) : undefined;
      const scaleFactor = g.r.chance(0.5) ? g.num(() => g.r.pick([0.5, 1, 2, 1.5])) : undefined;
      return T.interpolate(x, { mode, size, scaleFactor, alignCorners: g.r.chance(0.3) ? true : undefined });
    },
  },
  batchNorm: {
    call: (g) => {
      const c = g.r.int(0, 3);
      const x = spatial(g, g.r.int(0, 2), c);
      const state = g.r.chance(0.95) ? { runningMean: g.like([c]), runningVar: g.like([c]) } : undefined;
      const opts = { training: g.r.chance(0.5), momentum: g.num(() => 0.1), eps: g.num(() => 1e-5) };
      return T.batchNorm(x, state, params(g, c), params(g, c), g.r.chance(0.8) ? opts : undefined);
    },
  },
  groupNorm: {
    call: (g) => {
      const c = g.r.int(0, 4);
      return T.groupNorm(
        spatial(g, g.r.int(0, 2), c),
        g.num(() => g.r.int(1, 2)),
        params(g, c),
        params(g, c),
        g.num(() => 1e-5),
      );
    },
  },
  instanceNorm: {
    call: (g) => {
      const c = g.r.int(0, 3);
      return T.instanceNorm(
        spatial(g, g.r.int(0, 2), c),
        params(g, c),
        params(g, c),
        g.r.chance(0.5) ? undefined : g.num(() => 1e-5),
      );
    },
  },
  rmsNorm: {
    call: (g) => {
      const x = g.tensor();
      // A size (often the last dim's, as torch reads a number) or a shape (often x's trailing sizes).
      const normalized = g.r.chance(0.5)
        ? g.num(() => x.shape[x.rank - 1] ?? 1)
        : g.r.chance(0.8)
        ? x.shape.slice(g.r.int(0, x.rank))
        : g.shape();
      const weight = g.r.chance(0.5) ? g.like(x.shape.slice(x.rank - 1)) : undefined;
      return T.rmsNorm(x, normalized, weight, g.r.chance(0.5) ? undefined : g.num(() => 1e-6));
    },
  },
  stdLayerNorm: {
    call: (g) => {
      const x = g.tensor();
      const last = x.shape[x.rank - 1] ?? 1;
      return T.stdLayerNorm(x, g.like([last]), g.like([last]), g.r.chance(0.5) ? undefined : g.num(() => 1e-6));
    },
  },
  mseLoss: pair("mseLoss"),
  l1Loss: pair("l1Loss"),
  smoothL1Loss: pair("smoothL1Loss", (g) => ({ beta: g.num(() => 1) })),
  huberLoss: pair("huberLoss", (g) => ({ delta: g.num(() => 1) })),
  nllLoss: {
    call: (g) => {
      const [n, c] = [g.r.int(0, 3), g.r.int(0, 4)];
      const opts = {
        ignoreIndex: g.r.chance(0.7) ? undefined : g.num(() => g.r.int(-100, 3)),
        weight: g.r.chance(0.3) ? g.like([c]) : undefined,
        reduction: reduction(g),
      };
      return T.nllLoss(g.like([n, c]), g.index(g.r.chance(0.9) ? [n] : [n + 1], g.r.chance(0.9) ? 0 : -5, c), opts);
    },
  },
  binaryCrossEntropy: {
    call: (g) => {
      const x = g.tensor();
      const probs = g.own(T.sigmoid(x));
      return T.binaryCrossEntropy(probs, g.like(x.shape), {
        weight: g.r.chance(0.3) ? g.tensor() : undefined,
        reduction: reduction(g),
      });
    },
    names: ["binaryCrossEntropy", "sigmoid"],
  },
  binaryCrossEntropyWithLogits: {
    call: (g) => {
      const x = g.tensor();
      const opts = {
        weight: g.r.chance(0.3) ? g.tensor() : undefined,
        posWeight: g.r.chance(0.3) ? g.like(x.shape.slice(-1)) : undefined,
        reduction: reduction(g),
      };
      return T.binaryCrossEntropyWithLogits(x, g.like(x.shape), opts);
    },
  },
  klDiv: pair("klDiv", (g) => ({ logTarget: g.r.chance(0.5) })),
  cosineEmbeddingLoss: {
    call: (g) => {
      const [n, d] = [g.r.int(0, 3), g.r.int(0, 3)];
      const opts = { margin: g.r.chance(0.5) ? undefined : g.num(), reduction: reduction(g) };
      return T.cosineEmbeddingLoss(g.like([n, d]), g.like([n, d]), g.index([n], -1, 1), opts);
    },
  },
};
