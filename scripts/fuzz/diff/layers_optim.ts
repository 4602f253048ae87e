/**
 * The differential fuzzer's layers and optimizers of issue 17 (group F), spread into `diffOps` by
 * scripts/fuzz/diff_table.ts; their torch readings are the functions of the same names in
 * diff_torch.py. (Its `nn.multiHeadAttention.apply`, the very same function as `nn.attention.apply`,
 * reuses that entry, so it stays in diff_table.ts, between this file's two records.)
 *
 * Optimizer steps against torch.optim's functional single-tensor code (lion-pytorch's formula for
 * Lion), bit for bit on a contiguous parameter, as adamStep. `kw` is the config as torch's keywords,
 * every default filled in; `config` may leave some out, to test our defaults are torch's.
 */
import * as torch from "../../../mod.ts";
import { type DiffGen, FLOATS } from "../diff_gen.ts";
import type { Args, DiffSpec } from "./common.ts";

export const LAYERS_OPTIM_DIFF_OPS: Record<string, DiffSpec> = {
  sgdStep: {
    make: (g) => {
      const shape = g.shape(0, 3), dtype = g.dtype(["f32", "f64"]);
      g.tensor(shape, dtype, { special: 0, view: "plain" }); // the parameter, contiguous (see adamStep)
      g.tensor(shape, dtype, { special: 0 }); // the gradient
      const momentum = g.r.pick([0, 0.9, 0.5]);
      const hasBuf = momentum !== 0 && g.r.chance(0.6);
      if (hasBuf) g.tensor(shape, dtype, { special: 0 });
      const nesterov = momentum !== 0 && g.r.chance(0.3);
      const kw = {
        lr: g.r.pick([1e-3, 0.1, 0.5]),
        momentum,
        dampening: nesterov ? 0 : g.r.pick([0, 0.1]),
        weight_decay: g.r.pick([0, 0.01, 0.1]),
        nesterov,
      };
      const config = {
        lr: kw.lr,
        momentum: kw.momentum === 0 && g.r.chance(0.5) ? undefined : kw.momentum,
        dampening: kw.dampening === 0 && g.r.chance(0.5) ? undefined : kw.dampening,
        weightDecay: kw.weight_decay,
        nesterov: kw.nesterov || g.r.chance(0.5) ? kw.nesterov : undefined,
      };
      return { kw, config, hasBuf, donate: g.r.chance(0.3) };
    },
    ours: (x, a) => {
      const [p, buf] = torch.sgdStep(x[0], x[1], a.hasBuf ? x[2] : null, a.config, a.donate);
      return a.kw.momentum === 0 ? [p] : [p, buf!];
    },
    tolerance: "exact",
  },
  adagradStep: {
    make: (g) => {
      const shape = g.shape(0, 3), dtype = g.dtype(["f32", "f64"]);
      g.tensor(shape, dtype, { special: 0, view: "plain" }); // the parameter, contiguous (see adamStep)
      g.tensor(shape, dtype, { special: 0 }); // the gradient
      g.tensor(shape, dtype, { positive: true }); // a sum of squares
      const kw = {
        lr: g.r.pick([1e-2, 0.1, 0.5]),
        lr_decay: g.r.pick([0, 0.01, 0.5]),
        weight_decay: g.r.pick([0, 0.01, 0.1]),
        eps: g.r.pick([1e-10, 1e-6]),
      };
      const config = { lr: kw.lr, lrDecay: kw.lr_decay, weightDecay: kw.weight_decay, eps: kw.eps };
      if (kw.eps === 1e-10 && g.r.chance(0.5)) delete (config as Args).eps;
      return { kw, config, step: g.r.int(1, 20), donate: g.r.chance(0.3) };
    },
    ours: (x, a) => torch.adagradStep(x[0], x[1], x[2], a.config, a.step, a.donate),
    tolerance: "exact",
  },
  rmspropStep: {
    make: (g) => {
      const shape = g.shape(0, 3), dtype = g.dtype(["f32", "f64"]);
      g.tensor(shape, dtype, { special: 0, view: "plain" }); // the parameter, contiguous (see adamStep)
      g.tensor(shape, dtype, { special: 0 }); // the gradient
      g.tensor(shape, dtype, { positive: true }); // the square average
      const centered = g.r.chance(0.5), momentum = g.r.pick([0, 0.9]);
      const hasGradAvg = centered && g.r.chance(0.6), hasBuf = momentum > 0 && g.r.chance(0.6);
      if (hasGradAvg) g.tensor(shape, dtype, { special: 0 });
      if (hasBuf) g.tensor(shape, dtype, { special: 0 });
      const kw = {
        lr: g.r.pick([1e-2, 1e-3, 0.1]),
        alpha: g.r.pick([0.99, 0.9]),
        eps: g.r.pick([1e-8, 1e-6]),
        weight_decay: g.r.pick([0, 0.01]),
        momentum,
        centered,
      };
      const config = {
        lr: kw.lr,
        alpha: kw.alpha,
        eps: kw.eps,
        weightDecay: kw.weight_decay,
        momentum: kw.momentum,
        centered: kw.centered,
      };
      return { kw, config, hasGradAvg, hasBuf, donate: g.r.chance(0.3) };
    },
    ours: (x, a) => {
      let next = 3;
      const gradAvg = a.hasGradAvg ? x[next++] : null, momentumBuffer = a.hasBuf ? x[next++] : null;
      const [p, s] = torch.rmspropStep(x[0], x[1], { squareAvg: x[2], gradAvg, momentumBuffer }, a.config, a.donate);
      return [
        p,
        s.squareAvg,
        ...(a.kw.centered ? [s.gradAvg!] : []),
        ...(a.kw.momentum > 0 ? [s.momentumBuffer!] : []),
      ];
    },
    tolerance: "exact",
  },
  lionStep: {
    make: (g) => {
      const shape = g.shape(0, 3), dtype = g.dtype(["f32", "f64"]);
      g.tensor(shape, dtype, { special: 0, view: "plain" }); // the parameter, contiguous (see adamStep)
      g.tensor(shape, dtype, { special: 0 }); // the gradient
      g.tensor(shape, dtype, { special: 0 }); // the moment
      const kw = {
        lr: g.r.pick([1e-4, 1e-2, 0.3]),
        beta1: g.r.pick([0.9, 0.95]),
        beta2: g.r.pick([0.99, 0.98]),
        weightDecay: g.r.pick([0, 0.1, 1]),
      };
      return { kw, config: { ...kw }, donate: g.r.chance(0.3) };
    },
    ours: (x, a) => torch.lionStep(x[0], x[1], x[2], a.config, a.donate),
    tolerance: "exact",
  },
  "nn.rmsNorm.apply": {
    make: (g) => {
      const shape = g.shape(1);
      const dtype = g.dtype(["f32", "f64"]);
      g.tensor(shape, dtype);
      g.tensor([shape[shape.length - 1]], dtype);
      return { eps: g.r.pick([1e-6, 1e-5, undefined]) };
    },
    ours: (x, a) => torch.nn.rmsNorm.apply({ weight: x[1] } as never, x[0], a.eps),
    tolerance: "float",
  },
  "nn.mlp.apply": {
    make: (g) => {
      const dtype = g.dtype(["f32", "f64"]);
      const sizes = Array.from({ length: g.r.int(2, 4) }, () => g.r.int(1, 4));
      g.tensor([...g.shape(0, 2), sizes[0]], dtype, { special: 0 });
      for (let i = 1; i < sizes.length; i++) {
        g.tensor([sizes[i], sizes[i - 1]], dtype, { special: 0 });
        g.tensor([sizes[i]], dtype, { special: 0 });
      }
      return { layers: sizes.length - 1 };
    },
    ours: (x, a) => {
      const layers = Array.from({ length: a.layers }, (_, i) => ({ weight: x[1 + 2 * i], bias: x[2 + 2 * i] }));
      return torch.nn.mlp.apply({ layers } as never, x[0]);
    },
    tolerance: "float",
  },
  "nn.sequential.apply": {
    make: (g) => {
      const dtype = g.dtype(["f32", "f64"]);
      const [a, b, c] = [g.r.int(1, 4), g.r.int(1, 4), g.r.int(1, 4)];
      g.tensor([...g.shape(0, 2), a], dtype, { special: 0 });
      for (const [out, inF] of [[b, a], [c, b]]) {
        g.tensor([out, inF], dtype, { special: 0 });
        g.tensor([out], dtype, { special: 0 });
      }
      return {};
    },
    // Linear, GELU, Linear: torch.nn.Sequential's 0.weight, (1 has none), 2.weight.
    ours: (x) =>
      torch.nn.sequential.apply(
        [{ weight: x[1], bias: x[2] } as never, null, { weight: x[3], bias: x[4] } as never],
        [torch.nn.linear.apply, torch.nn.sequential.fn(torch.gelu), torch.nn.linear.apply],
        x[0],
      ),
    tolerance: "float",
  },
};

// The layers' apply against torch.nn.functional with the layer's tensors as inputs: x[0] is x,
// then the weight and (when a.bias) the bias; batch norm's are x, weight?, bias?, mean, var.
const one = (g: DiffGen, k: number, f: () => number) => {
  const list = Array.from({ length: k }, f);
  return g.r.chance(0.3) && list.every((v) => v === list[0]) ? list[0] : list;
};
const nth = (v: number | number[], i: number) => (typeof v === "number" ? v : v[i]);
const convLayer = (k: number): DiffSpec => ({
  make: (g) => {
    const dtype = g.dtype(FLOATS);
    const groups = g.r.pick([1, 1, 2, 3]);
    const [inPer, outPer] = [g.r.int(1, 3), g.r.int(1, 2)];
    const kernel = Array.from({ length: k }, () => g.r.int(1, 3));
    const mode = g.r.pick(["numbers", "numbers", "same", "valid"]);
    const stride = mode === "same" ? 1 : one(g, k, () => g.r.int(1, 3));
    const dilation = one(g, k, () => g.r.int(1, 2));
    const padding = mode === "numbers" ? one(g, k, () => g.r.int(0, 2)) : mode;
    const spatial = kernel.map((n, i) => nth(dilation, i) * (n - 1) + 1 + g.r.int(0, 4));
    const channels = inPer * groups;
    g.tensor(g.r.chance(0.8) ? [g.r.int(1, 3), channels, ...spatial] : [channels, ...spatial], dtype, {
      special: 0,
    });
    g.tensor([outPer * groups, inPer, ...kernel], dtype, { special: 0 });
    const bias = g.r.chance(0.6);
    if (bias) g.tensor([outPer * groups], dtype, { special: 0 });
    const opts: Args = { stride, padding, dilation, groups };
    for (const key of Object.keys(opts)) if (g.r.chance(0.3) && opts[key] === 1) delete opts[key];
    return { bias, opts };
  },
  ours: (x, a) => {
    const layer = { weight: x[1], bias: a.bias ? x[2] : undefined } as never;
    return k === 1 ? torch.nn.conv1d.apply(layer, x[0], a.opts) : torch.nn.conv2d.apply(layer, x[0], a.opts);
  },
  tolerance: "float",
});

export const LAYER_APPLY_DIFF_OPS: Record<string, DiffSpec> = {
  "nn.conv1d.apply": convLayer(1),
  "nn.conv2d.apply": convLayer(2),
  "nn.batchNorm.apply": {
    make: (g) => {
      const dtype = g.dtype(["f32", "f64"]);
      const c = g.r.int(1, 4);
      const training = g.r.chance(0.5);
      // BatchNorm1d's [N, C] and [N, C, L], 2d's [N, C, H, W], 3d's [N, C, D, H, W].
      const spatial = Array.from({ length: g.r.int(0, 3) }, () => g.r.int(1, 3));
      g.tensor([g.r.int(2, 4), c, ...spatial], dtype, { special: 0 });
      const affine = g.r.chance(0.8);
      if (affine) {
        g.tensor([c], dtype, { special: 0 });
        g.tensor([c], dtype, { special: 0 });
      }
      g.tensor([c], dtype, { special: 0 });
      g.tensor([c], dtype, { positive: true });
      const opts: Args = { training };
      if (g.r.chance(0.6)) opts.momentum = g.r.pick([0, 0.1, 0.5, 1]);
      if (g.r.chance(0.6)) opts.eps = g.r.pick([1e-5, 1e-3, 0.1]);
      return { affine, opts };
    },
    ours: (x, a) => {
      const layer = a.affine ? { weight: x[1], bias: x[2] } : {};
      const s = a.affine ? 3 : 1;
      const state = { runningMean: x[s], runningVar: x[s + 1] } as never;
      const { out, state: next } = torch.nn.batchNorm.apply(layer as never, state, x[0], a.opts as never);
      return [out, next.runningMean, next.runningVar];
    },
    tolerance: "float",
  },
};
