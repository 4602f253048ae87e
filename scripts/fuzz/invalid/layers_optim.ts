/**
 * The invalid-input fuzzer's layers and optimizers of issue 17 (group F), spread into `ops` by
 * scripts/fuzz/table.ts. Optimizer steps: mostly sane hyperparameters, sometimes any number (NaN,
 * huge, negative). The layers: init with sizes and options mostly valid, now and then an edge number
 * or a wrong list; apply with the layer's tensors of the right shape most of the time (g.like), any
 * options.
 */
import * as torch from "../../../mod.ts";
import type { Inputs } from "../gen.ts";
import { type OpSpec, T } from "./common.ts";

// The layers: init with sizes and options mostly valid, now and then an edge number or a wrong
// list; apply with the layer's tensors of the right shape most of the time (g.like), any options.
const size = (g: Inputs) => g.num(() => g.r.int(1, 3));
const perDim = (g: Inputs, k: number, lo: number) =>
  g.r.chance(0.5)
    ? g.num(() => g.r.int(lo, 2))
    : Array.from({ length: g.r.chance(0.9) ? k : k + 1 }, () => g.num(() => g.r.int(lo, 2)));
const convOptions = (g: Inputs, k: number) =>
  g.r.chance(0.1) ? g.r.pick([null, 3, "same"]) : {
    stride: g.r.chance(0.5) ? perDim(g, k, 1) : undefined,
    padding: g.r.chance(0.3) ? g.r.pick(["same", "valid", "full"]) : g.r.chance(0.5) ? perDim(g, k, 0) : undefined,
    dilation: g.r.chance(0.5) ? perDim(g, k, 1) : undefined,
    groups: g.r.chance(0.7) ? g.r.int(1, 2) : g.num(),
  };
const convInit = (k: number): OpSpec => ({
  call: (g) => {
    const options = convOptions(g, k);
    if (options && typeof options === "object") {
      Object.assign(options, {
        bias: g.r.chance(0.9) ? g.r.chance(0.5) : 1,
        dtype: g.r.chance(0.8) ? undefined : g.dtype(),
      });
    }
    return T.nn[`conv${k}d`].init(g.key(), size(g), size(g), perDim(g, k, 1), options);
  },
  names: [`conv${k}d`],
});
const convApply = (k: number): OpSpec => ({
  call: (g) => {
    const options = convOptions(g, k);
    const groups = options && typeof options === "object" ? options.groups : 1;
    const [inPer, out] = [g.r.int(0, 2), g.r.int(0, 4)];
    const c = inPer * (Number.isInteger(groups) && groups > 0 && groups <= 4 ? groups : 1);
    const x = g.like([g.r.int(0, 2), c, ...Array.from({ length: k }, () => g.r.int(0, 5))]);
    const weight = g.like([out, inPer, ...Array.from({ length: k }, () => g.r.int(0, 3))]);
    const layer = g.r.chance(0.05) ? null : { weight, bias: g.r.chance(0.5) ? g.like([out]) : undefined };
    return T.nn[`conv${k}d`].apply(layer, x, options);
  },
  names: [`conv${k}d`],
});
const batchNormInit: OpSpec = {
  call: (g) =>
    T.nn.batchNorm.init(
      size(g),
      g.r.chance(0.1) ? g.r.pick([null, 3]) : {
        affine: g.r.chance(0.9) ? g.r.chance(0.7) : "yes",
        dtype: g.r.chance(0.8) ? undefined : g.dtype(),
      },
    ),
  names: ["batchNorm"],
};
const batchNormApply: OpSpec = {
  call: (g) => {
    const c = g.r.int(0, 3);
    const x = g.like([g.r.int(0, 3), c, ...Array.from({ length: g.r.int(0, 2) }, () => g.r.int(0, 3))]);
    const layer = g.r.chance(0.05) ? null : g.r.chance(0.8) ? { weight: g.like([c]), bias: g.like([c]) } : {};
    const state = g.r.chance(0.95) ? { runningMean: g.like([c]), runningVar: g.like([c]) } : undefined;
    const options = g.r.chance(0.1) ? g.r.pick([undefined, null, {}, { training: 1 }]) : {
      training: g.r.chance(0.5),
      momentum: g.r.chance(0.5) ? undefined : g.num(() => 0.1),
      eps: g.r.chance(0.5) ? undefined : g.num(() => 1e-5),
    };
    return T.nn.batchNorm.apply(layer, state, x, options);
  },
  names: ["batchNorm"],
};
// One entry per layer (the registry test knows a layer by its apply): a third of the calls are init's.
const either = (init: OpSpec, apply: OpSpec, names: string[]): OpSpec => ({
  call: (g) => (g.r.chance(1 / 3) ? init.call(g) : apply.call(g)),
  names,
});

export const LAYERS_OPTIM_OPS: Record<string, OpSpec> = {
  sgdStep: {
    call: (g) => {
      const p = g.tensor({ dtype: g.r.chance(0.8) ? "f32" : undefined });
      const config = {
        lr: g.r.chance(0.8) ? 0.1 : g.num(),
        momentum: g.r.chance(0.5) ? undefined : g.num(() => g.r.pick([0, 0.9])),
        dampening: g.r.chance(0.7) ? undefined : g.num(),
        weightDecay: g.r.chance(0.7) ? undefined : g.num(),
        nesterov: g.r.chance(0.2),
      };
      return T.sgdStep(p, g.like(p.shape), g.r.chance(0.5) ? null : g.like(p.shape), config, g.r.chance(0.3));
    },
    names: ["sgd"],
  },
  adagradStep: {
    call: (g) => {
      const p = g.tensor({ dtype: g.r.chance(0.8) ? "f32" : undefined });
      const config = {
        lr: g.r.chance(0.8) ? 0.01 : g.num(),
        lrDecay: g.r.chance(0.7) ? undefined : g.num(),
        eps: g.r.chance(0.7) ? undefined : g.num(),
      };
      return T.adagradStep(p, g.like(p.shape), g.like(p.shape), config, g.num(() => g.r.int(1, 5)), g.r.chance(0.3));
    },
    names: ["adagrad"],
  },
  rmspropStep: {
    call: (g) => {
      const p = g.tensor({ dtype: g.r.chance(0.8) ? "f32" : undefined });
      const state = {
        squareAvg: g.like(p.shape),
        gradAvg: g.r.chance(0.5) ? null : g.like(p.shape),
        momentumBuffer: g.r.chance(0.5) ? null : g.like(p.shape),
      };
      const config = {
        lr: g.r.chance(0.8) ? 0.01 : g.num(),
        alpha: g.r.chance(0.7) ? undefined : g.num(),
        momentum: g.r.chance(0.5) ? undefined : g.num(() => 0.9),
        centered: g.r.chance(0.5),
      };
      return T.rmspropStep(p, g.like(p.shape), state, config, g.r.chance(0.3));
    },
    names: ["rmsprop"],
  },
  lionStep: {
    call: (g) => {
      const p = g.tensor({ dtype: g.r.chance(0.8) ? "f32" : undefined });
      const config = {
        lr: g.r.chance(0.8) ? 1e-4 : g.num(),
        beta1: g.r.chance(0.7) ? undefined : g.num(),
        weightDecay: g.r.chance(0.7) ? undefined : g.num(),
      };
      return T.lionStep(p, g.like(p.shape), g.like(p.shape), config, g.r.chance(0.3));
    },
    names: ["lion"],
  },
  "nn.rmsNorm.apply": {
    call: (g) => {
      const x = g.tensor();
      const last = x.shape[x.rank - 1] ?? 1;
      return T.nn.rmsNorm.apply({ weight: g.like([last]) }, x, g.r.chance(0.7) ? undefined : g.num());
    },
    // Composed of mean, mul, add and rsqrt: what libtorch lacks for a dtype (rsqrt of f16 on the CPU) names them.
    names: ["rmsNorm", "rsqrt", "mean", "mul", "add"],
  },
  "nn.mlp.apply": {
    call: (g) => {
      const sizes = Array.from({ length: g.r.int(2, 4) }, () => g.r.int(0, 3));
      const layers = sizes.slice(1).map((out, i) => ({
        weight: g.like([out, sizes[i]]),
        bias: g.r.chance(0.5) ? g.like([out]) : undefined,
      }));
      return T.nn.mlp.apply({ layers }, g.like([g.r.int(0, 3), sizes[0]]));
    },
    // Each layer is nn.linear and each activation gelu: their errors name them.
    names: ["linear", "gelu"],
  },
  "nn.sequential.apply": {
    call: (g) => {
      const [inF, outF] = [g.r.int(0, 3), g.r.int(0, 3)];
      const layers = [{ weight: g.like([outF, inF]) }, null];
      const steps = [torch.nn.linear.apply, torch.nn.sequential.fn(torch.relu)];
      return T.nn.sequential.apply(layers, g.r.chance(0.9) ? steps : steps.slice(1), g.like([g.r.int(0, 3), inF]));
    },
    names: ["sequential", "linear", "relu"],
  },
  "nn.conv1d.apply": either(convInit(1), convApply(1), ["conv1d"]),
  "nn.conv2d.apply": either(convInit(2), convApply(2), ["conv2d"]),
  "nn.batchNorm.apply": either(batchNormInit, batchNormApply, ["batchNorm"]),
};
