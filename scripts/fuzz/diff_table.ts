/**
 * The differential fuzzer's ops: for each, `make` draws a VALID call (its tensor inputs go into the
 * generator as recipes, its other arguments come back as JSON-able `args`), `ours` runs it with the
 * library, and scripts/fuzz/diff_torch.py has a function of the same name that runs it with torch.
 * `tolerance` says how closely the results must agree: "exact" (bit for bit) for integer and bool
 * results, shape ops, casts, comparisons, selections and IEEE-exact arithmetic; "float" (a few
 * roundings of the result's dtype, see diff_case.ts) for transcendentals, reductions and products.
 *
 * How a JS number maps to Python: a Python int when the tensor it meets is i32/i64 and the number is
 * integral (the shim's dt::scalar does the same), else a Python float. So `add(boolTensor, 1)` is f32
 * on both sides, where torch's `bool_tensor + 1` with a Python int would be i64.
 *
 * Readings worth a word: `nn.attention.apply` is compared with its documented composition in torch
 * (project, split into heads, softmax(q kᵀ / √d) v, merge, project), not with
 * F.multi_head_attention_forward, which scales q before the product and so agrees only within ~60
 * f32 roundings of the largest intermediate; `adamStep` with torch.optim.Adam/AdamW bit for bit, on
 * a contiguous parameter (torch updates it where it lies; a strided one it would copy first).
 *
 * Differences kept on purpose (the generator does not draw them):
 * - A 0-dim tensor has no dimensions: `dim` 0 or -1 on it is a `ShapeError`, where torch reads it as
 *   a dimension of size 1 (`torch.sum(torch.tensor(1.), 0)`); the shape types have no dim there either.
 * - `cat` needs tensors of one rank: torch's legacy exception, a 1-D empty tensor (shape [0]) beside
 *   tensors of any rank (`torch.cat([zeros(2, 3), zeros(0)])`), is a `ShapeError`.
 * - Stricter than torch, so that a likely mistake is a named error rather than a silent result:
 *   `clamp` with min > max (torch gives max everywhere), `squeeze` of a dim whose size is not 1 (a
 *   no-op in torch), `indexSelect` with a 0-dim index, `maskedFill` with a mask that would broadcast x
 *   to a larger shape (torch returns the larger shape), and `tensor` with fractions as i32/i64 data
 *   (torch truncates them).
 * - `gather` takes i64 indices only, `indexSelect` and `embedding` i32 too (as torch 1.13).
 * - `softmax`, `logSoftmax` need a float tensor (torch computes ints in the default float dtype via a
 *   `dtype=` argument that the library does not have).
 * - `dropout` is compared at p = 0 only: its masks come from the library's own counter-based
 *   generator, never torch's.
 * - fused `scaledDotProductAttention` with a bool mask in f32 adds -1e9 to the masked scores, which
 *   absorbs scores within ±32 only: a fully masked row with larger scores is not the values' average
 *   that the reference (and `fused: false`) gives. The drawn scores stay small (normals, d ≤ 4).
 * - creation ops that draw random numbers (randn, rand, randint, bernoulli) are not compared, for the same reason.
 * - Of the readers, `item`, `values` and `isContiguous` are compared (as f64/bool tensors); `bytes` reads
 *   every result here; `data` and `toArray` are `values` in other containers.
 * - Those of issue 17's groups are noted in their own file headers, in scripts/fuzz/diff/.
 *
 * Issue 17's groups live in scripts/fuzz/diff/, one module each, spread in at the end of `diffOps`:
 * elementwise_scans.ts, indexing_shape.ts, linalg_creation.ts, neural_network.ts and layers_optim.ts;
 * DiffSpec and the spec builders they share with this table are in scripts/fuzz/diff/common.ts.
 */
import * as torch from "../../mod.ts";
import type { Tensor } from "../../mod.ts";
import { fromBase64, toBase64 } from "./diff_case.ts";
import { bytesPer } from "../../lib/dtype.ts";
import { ALL, FLOATS, FLOATS_F16, INTS, NUMERIC } from "./diff_gen.ts";
import {
  along,
  type Args,
  attentionMask,
  binary,
  broadcast,
  type DiffSpec,
  isInt,
  joined,
  matmulShapes,
  permutation,
  reduction,
  reshaped,
  spread,
  unary,
} from "./diff/common.ts";
import { ELEMENTWISE_SCANS_DIFF_OPS } from "./diff/elementwise_scans.ts";
import { INDEXING_SHAPE_DIFF_OPS } from "./diff/indexing_shape.ts";
import { LAYER_APPLY_DIFF_OPS, LAYERS_OPTIM_DIFF_OPS } from "./diff/layers_optim.ts";
import { LINALG_CREATION_DIFF_OPS } from "./diff/linalg_creation.ts";
import { NEURAL_NETWORK_DIFF_OPS } from "./diff/neural_network.ts";

export type { DiffSpec } from "./diff/common.ts";

export const diffOps: Record<string, DiffSpec> = {
  // ---- elementwise binary (numbers and broadcasting tensors) ----
  add: binary("add", ALL, "exact"),
  sub: binary("sub", NUMERIC, "exact"),
  mul: binary("mul", ALL, "exact"),
  div: binary("div", ALL, "exact"),
  pow: {
    make: (g) => {
      const shape = g.shape();
      const dtype = g.dtype(NUMERIC);
      // Integers to negative integer powers are an error in torch: exponents from 0 for int bases.
      g.tensor(shape, dtype, { ints: [-4, 4] });
      if (g.r.chance(0.4)) {
        return { scalar: isInt(dtype) ? g.r.int(0, 3) : g.r.pick([2, 0.5, -1, 3, 0, -0.5, 1.5]) };
      }
      const other = g.r.chance(0.6) ? dtype : g.dtype(NUMERIC);
      g.tensor(g.broadcastWith(shape), other, { ints: [0, 3] });
      return {};
    },
    ours: (x, a) => torch.pow(x[0], "scalar" in a ? a.scalar : x[1]),
    tolerance: "float",
  },
  maximum: binary("maximum", ALL, "exact"),
  minimum: binary("minimum", ALL, "exact"),
  eq: binary("eq", ALL, "exact"),
  ne: binary("ne", ALL, "exact"),
  lt: binary("lt", ALL, "exact"),
  le: binary("le", ALL, "exact"),
  gt: binary("gt", ALL, "exact"),
  ge: binary("ge", ALL, "exact"),
  logicalAnd: binary("logicalAnd", ALL, "exact"),
  logicalOr: binary("logicalOr", ALL, "exact"),
  rsub: {
    make: (g) => {
      const dtype = g.dtype(NUMERIC);
      g.tensor(g.shape(), dtype);
      return { scalar: g.num({ integral: isInt(dtype), special: true }) };
    },
    ours: (x, a) => torch.rsub(a.scalar, x[0]),
    tolerance: "exact",
  },
  rdiv: {
    make: (g) => {
      const dtype = g.dtype(FLOATS_F16);
      g.tensor(g.shape(), dtype);
      return { scalar: g.num({ special: true }) };
    },
    ours: (x, a) => torch.rdiv(a.scalar, x[0]),
    tolerance: "exact",
  },
  // ---- elementwise unary ----
  abs: unary("abs", NUMERIC, "exact"),
  neg: unary("neg", NUMERIC, "exact"),
  exp: unary("exp", [...FLOATS, ...INTS, "bool"], "float"),
  log: unary("log", [...FLOATS, ...INTS, "bool"], "float"),
  sqrt: unary("sqrt", [...FLOATS, ...INTS, "bool"], "float"),
  rsqrt: unary("rsqrt", [...FLOATS, ...INTS, "bool"], "float"),
  tanh: unary("tanh", [...FLOATS, ...INTS, "bool"], "float"),
  sigmoid: unary("sigmoid", [...FLOATS, ...INTS, "bool"], "float"),
  relu: unary("relu", [...FLOATS, ...INTS], "exact"),
  sin: unary("sin", [...FLOATS, ...INTS, "bool"], "float"),
  cos: unary("cos", [...FLOATS, ...INTS, "bool"], "float"),
  reciprocal: unary("reciprocal", ALL, "exact"),
  logicalNot: unary("logicalNot", ALL, "exact"),
  isNaN: unary("isNaN", ALL, "exact"),
  isFinite: unary("isFinite", ALL, "exact"),
  gelu: {
    make: (g) => {
      g.tensor(g.shape(), g.dtype(FLOATS));
      return { approximate: g.r.pick(["none", "tanh"]) };
    },
    ours: (x, a) => torch.gelu(x[0], a.approximate),
    tolerance: "float",
  },
  clamp: {
    make: (g) => {
      const dtype = g.dtype([...FLOATS, ...INTS]);
      g.tensor(g.shape(), dtype);
      const integral = isInt(dtype) && g.r.chance(0.7);
      const [lo, hi] = [g.num({ integral }), g.num({ integral })].sort((p, q) => p - q);
      const which = g.r.pick(["both", "min", "max"]);
      return { min: which === "max" ? undefined : lo, max: which === "min" ? undefined : hi };
    },
    ours: (x, a) => torch.clamp(x[0], a.min, a.max),
    tolerance: "exact",
  },
  where: {
    make: (g) => {
      const shape = g.shape();
      const cond = g.broadcastWith(shape);
      g.tensor(cond, "bool");
      const dtype = g.dtype(ALL);
      g.tensor(shape, dtype);
      // b fits what cond and a broadcast to (two independent stretches of one size-1 dim could clash).
      g.tensor(g.broadcastsTo(broadcast(shape, cond)), g.r.chance(0.6) ? dtype : g.dtype(ALL));
      return {};
    },
    ours: (x) => torch.where(x[0], x[1], x[2]),
    tolerance: "exact",
  },
  maskedFill: {
    make: (g) => {
      const shape = g.shape();
      const dtype = g.dtype(ALL);
      g.tensor(shape, dtype);
      g.tensor(g.broadcastsTo(shape), "bool");
      const value = dtype === "bool"
        ? g.r.int(0, 1)
        : g.num({ integral: isInt(dtype) && g.r.chance(0.7), special: !isInt(dtype) });
      return { value };
    },
    ours: (x, a) => torch.maskedFill(x[0], x[1], a.value),
    tolerance: "exact",
  },
  // ---- reductions ----
  sum: reduction("sum", ALL, "float"),
  mean: reduction("mean", FLOATS_F16, "float"),
  max: reduction("max", ALL, "exact", true),
  min: reduction("min", ALL, "exact", true),
  argmax: along("argmax", NUMERIC, "exact", true),
  argmin: along("argmin", NUMERIC, "exact", true),
  logsumexp: along("logsumexp", FLOATS, "float", false),
  std: spread("std"),
  var_: spread("var_"),
  variance_: { ...spread("var_"), ours: (x, a) => torch.variance_(x[0], a.dim, a.opts) },
  softmax: {
    make: (g) => {
      const shape = g.shape(1);
      g.tensor(shape, g.dtype(FLOATS));
      return { dim: g.dim(shape.length) };
    },
    ours: (x, a) => torch.softmax(x[0], a.dim),
    tolerance: "float",
  },
  logSoftmax: {
    make: (g) => {
      const shape = g.shape(1);
      g.tensor(shape, g.dtype(FLOATS));
      return { dim: g.dim(shape.length) };
    },
    ours: (x, a) => torch.logSoftmax(x[0], a.dim),
    tolerance: "float",
  },
  topk: {
    make: (g) => {
      const shape = g.shape(1);
      g.tensor(shape, g.dtype([...FLOATS, ...INTS]));
      const dim = g.dim(shape.length);
      const size = shape[(dim + shape.length) % shape.length];
      return { k: g.r.int(0, size), dim, largest: g.r.chance(0.5), sorted: g.r.chance(0.8) };
    },
    ours: (x, a) => {
      const r = torch.topk(x[0], a.k, a.dim, { largest: a.largest, sorted: a.sorted });
      return [r.values, r.indices];
    },
    tolerance: "exact",
  },
  // ---- shape ----
  reshape: {
    make: (g) => {
      const shape = g.shape();
      g.tensor(shape, g.dtype(ALL));
      return { shape: reshaped(g, shape) };
    },
    ours: (x, a) => torch.reshape(x[0], a.shape),
    tolerance: "exact",
  },
  view: {
    make: (g) => {
      const shape = g.shape();
      g.tensor(shape, g.dtype(ALL), { view: "plain" });
      return { shape: reshaped(g, shape) };
    },
    ours: (x, a) => torch.view(x[0], a.shape),
    tolerance: "exact",
  },
  expand: {
    make: (g) => {
      const shape = g.shape(0, 3).map((d) => (g.r.chance(0.5) ? 1 : d));
      g.tensor(shape, g.dtype(ALL));
      const to = shape.map((d) => (d === 1 ? g.r.pick([1, 2, 3, 0, -1]) : g.r.chance(0.3) ? -1 : d));
      return { shape: g.r.chance(0.4) ? [g.r.pick([1, 2, 3]), ...to] : to };
    },
    ours: (x, a) => torch.expand(x[0], a.shape),
    tolerance: "exact",
  },
  transpose: {
    make: (g) => {
      const shape = g.shape(1);
      g.tensor(shape, g.dtype(ALL));
      return { i: g.dim(shape.length), j: g.dim(shape.length) };
    },
    ours: (x, a) => torch.transpose(x[0], a.i, a.j),
    tolerance: "exact",
  },
  permute: {
    make: (g) => {
      const shape = g.shape();
      g.tensor(shape, g.dtype(ALL));
      return { order: permutation(g, shape.length) };
    },
    ours: (x, a) => torch.permute(x[0], a.order),
    tolerance: "exact",
  },
  contiguous: unary("contiguous", ALL, "exact"),
  squeeze: {
    make: (g) => {
      const shape = g.shape(1);
      const at = g.r.int(0, shape.length - 1);
      shape[at] = 1;
      g.tensor(shape, g.dtype(ALL));
      return { dim: g.r.chance(0.5) ? at - shape.length : at };
    },
    ours: (x, a) => torch.squeeze(x[0], a.dim),
    tolerance: "exact",
  },
  unsqueeze: {
    make: (g) => {
      const shape = g.shape(0, 3);
      g.tensor(shape, g.dtype(ALL));
      return { dim: g.dim(shape.length + 1) };
    },
    ours: (x, a) => torch.unsqueeze(x[0], a.dim),
    tolerance: "exact",
  },
  slice: {
    make: (g) => {
      const shape = g.shape(1);
      g.tensor(shape, g.dtype(ALL));
      const args: Args = { dim: g.dim(shape.length), start: g.r.int(-5, 5) };
      if (g.r.chance(0.7)) args.end = g.r.int(-5, 6);
      if ("end" in args && g.r.chance(0.6)) args.step = g.r.int(1, 3);
      return args;
    },
    ours: (x, a) => torch.slice(x[0], a.dim, a.start, a.end, a.step),
    tolerance: "exact",
  },
  cat: {
    make: (g) => joined(g, true),
    ours: (x, a) => torch.cat(x, a.dim),
    tolerance: "exact",
  },
  stack: {
    make: (g) => joined(g, false),
    ours: (x, a) => torch.stack(x, a.dim),
    tolerance: "exact",
  },
  gather: {
    make: (g) => {
      const shape = g.shape(1).map((d) => (d === 0 ? 2 : d));
      g.tensor(shape, g.dtype(ALL));
      const dim = g.dim(shape.length);
      const axis = (dim + shape.length) % shape.length;
      // index.size(d) ≤ x.size(d) off the gathered dim (torch's rule); any size along it.
      const index = shape.map((d, i) => (i === axis ? g.size() : g.r.int(Math.min(d, 1), d)));
      g.ints(index, 0, shape[axis] - 1);
      return { dim };
    },
    ours: (x, a) => torch.gather(x[0], a.dim, x[1]),
    tolerance: "exact",
  },
  indexSelect: {
    make: (g) => {
      const shape = g.shape(1).map((d) => (d === 0 ? 2 : d));
      g.tensor(shape, g.dtype(ALL));
      const dim = g.dim(shape.length);
      g.ints([g.size()], 0, shape[(dim + shape.length) % shape.length] - 1, g.r.pick(INTS));
      return { dim };
    },
    ours: (x, a) => torch.indexSelect(x[0], a.dim, x[1] as Tensor<[number]>),
    tolerance: "exact",
  },
  tril: {
    make: (g) => {
      g.tensor(g.shape(2), g.dtype(ALL));
      return { k: g.r.int(-3, 3) };
    },
    ours: (x, a) => torch.tril(x[0], a.k),
    tolerance: "exact",
  },
  triu: {
    make: (g) => {
      g.tensor(g.shape(2), g.dtype(ALL));
      return { k: g.r.int(-3, 3) };
    },
    ours: (x, a) => torch.triu(x[0], a.k),
    tolerance: "exact",
  },
  // ---- linear algebra ----
  matmul: {
    make: (g) => {
      const dtype = g.dtype([...FLOATS, ...INTS]);
      const [a, b] = matmulShapes(g);
      g.tensor(a, dtype, { special: 0.01 });
      g.tensor(b, dtype, { special: 0.01 });
      return {};
    },
    ours: (x) => torch.matmul(x[0], x[1] as never),
    tolerance: "float",
  },
  bmm: {
    make: (g) => {
      const dtype = g.dtype([...FLOATS, ...INTS]);
      const [b, n, k, m] = [g.size(), g.size(), g.size(), g.size()];
      g.tensor([b, n, k], dtype);
      g.tensor([b, k, m], dtype);
      return {};
    },
    ours: (x) => torch.bmm(x[0] as never, x[1] as never),
    tolerance: "float",
  },
  linear: {
    make: (g) => {
      const dtype = g.dtype(FLOATS);
      const [inF, outF] = [g.size(), g.size()];
      g.tensor([...g.shape(0, 2), inF], dtype);
      g.tensor([outF, inF], dtype);
      const bias = g.r.chance(0.6);
      if (bias) g.tensor([outF], dtype);
      return { bias };
    },
    ours: (x, a) => torch.linear(x[0], x[1] as never, a.bias ? x[2] : undefined),
    tolerance: "float",
  },
  // ---- nn ----
  embedding: {
    make: (g) => {
      const vocab = g.r.int(1, 5);
      g.tensor([vocab, g.size()], g.dtype(ALL));
      g.ints(g.shape(0, 3), 0, vocab - 1, g.r.pick(INTS));
      return {};
    },
    ours: (x) => torch.embedding(x[0] as never, x[1]),
    tolerance: "exact",
  },
  dropout: {
    make: (g) => {
      g.tensor(g.shape(), g.dtype(FLOATS_F16));
      return { seed: g.r.int(0, 1000) };
    },
    ours: (x, a) => torch.dropout(x[0], 0, torch.rng(a.seed)),
    tolerance: "exact",
  },
  layerNorm: {
    make: (g) => {
      const shape = g.shape(1);
      const dtype = g.dtype(FLOATS);
      const last = shape[shape.length - 1];
      g.tensor(shape, dtype);
      const weight = g.r.chance(0.6), bias = g.r.chance(0.6);
      if (weight) g.tensor([last], dtype);
      if (bias) g.tensor([last], dtype);
      return { weight, bias, eps: g.r.pick([1e-5, 1e-3, undefined]) };
    },
    ours: (x, a) => {
      const weight = a.weight ? x[1] : undefined;
      const bias = a.bias ? x[a.weight ? 2 : 1] : undefined;
      return torch.layerNorm(x[0], weight, bias, a.eps);
    },
    tolerance: "float",
  },
  crossEntropy: {
    make: (g) => {
      const [n, c] = [g.size(), g.r.int(1, 5)];
      g.tensor([n, c], g.dtype(FLOATS), { special: 0 });
      const ignoreIndex = g.r.pick([undefined, -100, 0, 1]);
      g.ints([n], 0, c - 1);
      return {
        opts: {
          ignoreIndex,
          labelSmoothing: g.r.pick([undefined, 0, 0.1, 0.5]),
          reduction: g.r.pick([undefined, "mean", "sum", "none"]),
        },
      };
    },
    ours: (x, a) => torch.crossEntropy(x[0] as never, x[1] as never, a.opts),
    tolerance: "float",
  },
  attentionProbs: {
    make: (g) => {
      const dtype = g.dtype(FLOATS);
      const batch = g.shape(0, 2);
      const [s, t, d] = [g.size(), g.size(), g.r.int(1, 4)];
      g.tensor([...batch, s, d], dtype);
      g.tensor([...batch, t, d], dtype);
      const { mask, isCausal } = attentionMask(g, [...batch, s, t], dtype);
      return { mask, isCausal };
    },
    ours: (x, a) => torch.attentionProbs(x[0], x[1], a.mask ? x[2] : null, { isCausal: a.isCausal }),
    tolerance: "float",
  },
  scaledDotProductAttention: {
    make: (g) => {
      const dtype = g.dtype(FLOATS);
      const batch = g.shape(0, 2);
      const [s, t, d, e] = [g.size(), g.size(), g.r.int(1, 4), g.r.int(1, 4)];
      g.tensor([...batch, s, d], dtype, { special: 0 });
      g.tensor([...batch, t, d], dtype, { special: 0 });
      g.tensor([...batch, t, e], dtype, { special: 0 });
      const { mask, isCausal } = attentionMask(g, [...batch, s, t], dtype);
      return { mask, isCausal, fused: g.r.chance(0.5) };
    },
    ours: (x, a) =>
      torch.scaledDotProductAttention(x[0], x[1], x[2], {
        mask: a.mask ? x[3] : undefined,
        isCausal: a.isCausal,
        fused: a.fused,
      }),
    tolerance: "float",
  },
  // ---- casts and copies ----
  cast: {
    make: (g) => {
      g.tensor(g.shape(), g.dtype(ALL));
      return { dtype: g.dtype(ALL) };
    },
    ours: (x, a) => torch.cast(x[0], a.dtype),
    tolerance: "exact",
  },
  clone: unary("clone", ALL, "exact"),
  toDevice: { ...unary("clone", ALL, "exact"), ours: (x) => torch.toDevice(x[0], "cpu") },
  // ---- reading values out (as f64 or bool tensors, so that they compare like any result) ----
  item: {
    make: (g) => {
      g.tensor(g.r.pick([[], [1], [1, 1]]), g.dtype(ALL));
      return {};
    },
    ours: (x) => torch.full([], torch.item(x[0]), { dtype: "f64" }),
    tolerance: "exact",
  },
  values: {
    make: (g) => {
      g.tensor(g.shape(0, 3), g.dtype(ALL));
      return {};
    },
    ours: (x) => torch.tensor(torch.values(x[0]), [x[0].size], { dtype: "f64" }),
    tolerance: "exact",
  },
  isContiguous: {
    make: (g) => {
      g.tensor(g.shape(), g.dtype(ALL));
      return {};
    },
    ours: (x) => torch.full([], torch.isContiguous(x[0]) ? 1 : 0, { dtype: "bool" }),
    tolerance: "exact",
  },
  detach: unary("detach", ALL, "exact"),
  fromBytes: {
    make: (g) => {
      const shape = g.shape(0, 3);
      const dtype = g.dtype(ALL);
      const n = shape.reduce((p, q) => p * q, 1) * bytesPer(dtype);
      // Any bytes: NaN payloads, subnormals, bool bytes other than 0 and 1.
      const bytes = Uint8Array.from({ length: n }, () => g.r.int(0, 255));
      return { bytes: toBase64(bytes), dtype, shape, castTo: g.r.chance(0.5) ? g.dtype(ALL) : undefined };
    },
    ours: (_, a) =>
      torch.fromBytes(fromBase64(a.bytes), a.dtype, a.shape, a.castTo === undefined ? undefined : { castTo: a.castTo }),
    tolerance: "exact",
  },
  // ---- optimizer steps (against torch.optim.Adam/AdamW and torch.nn.utils.clip_grad_norm_) ----
  adamStep: {
    make: (g) => {
      const shape = g.shape(0, 3);
      const dtype = g.dtype(["f32", "f64"]);
      // A contiguous parameter: torch.optim updates it where it lies, so a strided one would have to be
      // copied there first, and arithmetic on the copy can round differently in the last bit.
      g.tensor(shape, dtype, { special: 0, view: "plain" });
      g.tensor(shape, dtype, { special: 0 });
      g.tensor(shape, dtype, { special: 0 });
      g.tensor(shape, dtype, { positive: true }); // the second moment is never negative
      const hyper = torch.adamHyper({
        lr: g.r.pick([1e-3, 0.1, 0.5]),
        beta1: g.r.pick([0.9, 0.5, undefined]),
        beta2: g.r.pick([0.999, 0.98, undefined]),
        eps: g.r.pick([1e-8, 1e-6, undefined]),
        weightDecay: g.r.pick([0, 0.01, 0.1]),
        decoupled: g.r.chance(0.5),
      });
      return { hyper, step: g.r.int(1, 20), donate: g.r.chance(0.3) };
    },
    ours: (x, a) => torch.adamStep(x[0], x[1], x[2], x[3], a.hyper, a.step, a.donate),
    tolerance: "exact", // the shim follows torch.optim's single-tensor arithmetic to the last bit
  },
  clipByGlobalNorm: {
    make: (g) => {
      const count = g.r.int(1, 3);
      const dtype = g.dtype(["f32", "f64"]);
      const scale = g.r.pick([0.1, 1, 10]);
      for (let i = 0; i < count; i++) g.tensor(g.shape(0, 3), dtype, { special: 0 });
      return { maxNorm: g.r.pick([0.5, 1, 5, 100]) * scale, donate: g.r.chance(0.3) };
    },
    ours: (x, a) => {
      const { scaled, norm } = torch.clipByGlobalNorm(x, a.maxNorm, a.donate);
      return [...scaled, norm];
    },
    tolerance: "float",
  },
  clipGradNorm: {
    make: (g) => diffOps.clipByGlobalNorm.make(g),
    // The tree form: the leaves of { a, b: [...] } in order, as clipByGlobalNorm takes them.
    ours: (x, a) => {
      const { grads, norm } = torch.clipGradNorm({ a: x[0], b: x.slice(1) }, a.maxNorm, { donate: a.donate });
      return [grads.a, ...grads.b, norm];
    },
    tolerance: "float",
  },
  // ---- the layers' apply functions (nn namespace) ----
  "nn.linear.apply": {
    make: (g) => diffOps.linear.make(g),
    ours: (x, a) => torch.nn.linear.apply({ weight: x[1], bias: a.bias ? x[2] : undefined } as never, x[0]),
    tolerance: "float",
  },
  "nn.layerNorm.apply": {
    make: (g) => {
      const shape = g.shape(1);
      const dtype = g.dtype(FLOATS);
      g.tensor(shape, dtype);
      g.tensor([shape[shape.length - 1]], dtype);
      g.tensor([shape[shape.length - 1]], dtype);
      return { eps: g.r.pick([1e-5, 1e-3, undefined]) };
    },
    ours: (x, a) => torch.nn.layerNorm.apply({ weight: x[1], bias: x[2] } as never, x[0], a.eps),
    tolerance: "float",
  },
  "nn.attention.apply": {
    make: (g) => {
      const dtype = g.dtype(["f32", "f64"]);
      const [heads, perHead] = [g.r.int(1, 3), g.r.int(1, 3)];
      const features = heads * perHead;
      const [batch, queries, keys] = [g.r.int(1, 3), g.r.int(1, 4), g.r.int(1, 4)];
      g.tensor([batch, queries, features], dtype, { special: 0 });
      const cross = g.r.chance(0.5);
      if (cross) g.tensor([batch, keys, features], dtype, { special: 0 });
      const bias = g.r.chance(0.5);
      for (let i = 0; i < 4; i++) {
        g.tensor([features, features], dtype, { special: 0 });
        if (bias) g.tensor([features], dtype, { special: 0 });
      }
      const mask = g.r.chance(0.5);
      if (mask) g.tensor(g.broadcastsTo([batch, heads, queries, cross ? keys : queries]), "bool");
      return { heads, cross, bias, mask };
    },
    ours: (x, a) => {
      const source = a.cross ? x[1] : x[0];
      let next = a.cross ? 2 : 1;
      const proj = () => {
        const weight = x[next++];
        return { weight, bias: a.bias ? x[next++] : undefined } as never;
      };
      const layer = { queryProj: proj(), keyProj: proj(), valueProj: proj(), outputProj: proj() };
      return torch.nn.attention.apply(layer, x[0], source, a.heads, { mask: a.mask ? x[next] : undefined });
    },
    tolerance: "float",
  },
  "nn.embedding.apply": {
    make: (g) => diffOps.embedding.make(g),
    ours: (x) => torch.nn.embedding.apply({ weight: x[0] } as never, x[1]),
    tolerance: "exact",
  },
  "nn.dropout.apply": {
    make: (g) => {
      g.tensor(g.shape(), g.dtype(FLOATS_F16));
      return { rate: g.r.pick([0, 0.5]), seed: g.r.chance(0.5) ? g.r.int(0, 1000) : null };
    },
    // Rate 0 or no key (evaluation) gives x itself; other draws stay the library's own (see the header).
    ours: (x, a) =>
      torch.nn.dropout.apply(x[0], a.seed === null ? a.rate : 0, a.seed === null ? null : torch.rng(a.seed)),
    tolerance: "exact",
  },
  // ---- creation (deterministic) ----
  full: {
    make: (g) => {
      const dtype = g.r.chance(0.3) ? undefined : g.dtype(ALL);
      // Fractions with integer dtypes too: both sides truncate them.
      const value = dtype === "bool"
        ? g.r.int(0, 1)
        : g.num({ integral: dtype !== undefined && isInt(dtype) && g.r.chance(0.7) });
      return { shape: g.shape(), value, dtype };
    },
    ours: (_, a) => torch.full(a.shape, a.value, a.dtype ? { dtype: a.dtype } : undefined),
    tolerance: "exact",
  },
  zeros: {
    make: (g) => ({ shape: g.shape(), dtype: g.r.chance(0.3) ? undefined : g.dtype(ALL) }),
    ours: (_, a) => torch.zeros(a.shape, a.dtype ? { dtype: a.dtype } : undefined),
    tolerance: "exact",
  },
  ones: {
    make: (g) => ({ shape: g.shape(), dtype: g.r.chance(0.3) ? undefined : g.dtype(ALL) }),
    ours: (_, a) => torch.ones(a.shape, a.dtype ? { dtype: a.dtype } : undefined),
    tolerance: "exact",
  },
  fullLike: {
    make: (g) => {
      const dtype = g.dtype(ALL);
      g.tensor(g.shape(), dtype);
      return { value: dtype === "bool" ? g.r.int(0, 1) : g.num({ integral: isInt(dtype) && g.r.chance(0.7) }) };
    },
    ours: (x, a) => torch.fullLike(x[0], a.value),
    tolerance: "exact",
  },
  zerosLike: unary("zerosLike", ALL, "exact"),
  onesLike: unary("onesLike", ALL, "exact"),
  arange: {
    make: (g) => {
      const integral = g.r.chance(0.6);
      const n = () => (integral ? g.r.int(-4, 8) : g.r.pick([0.5, -1.5, 2.25, 0, 3, 7.5]));
      let [start, end] = [n(), n()];
      const step = integral ? g.r.pick([1, 2, 3]) : g.r.pick([0.5, 1, 0.25, 2]);
      if (start > end) [start, end] = [end, start];
      const dtype = g.r.chance(0.6) ? undefined : g.dtype(integral ? NUMERIC : FLOATS);
      return g.r.chance(0.2) && integral ? { end: Math.abs(end), dtype } : { start, end, step, dtype };
    },
    ours: (_, a) =>
      "start" in a
        ? torch.arange(a.start, a.end, a.step, a.dtype ? { dtype: a.dtype } : undefined)
        : torch.arange(a.end, undefined, undefined, a.dtype ? { dtype: a.dtype } : undefined),
    tolerance: "exact",
  },
  eye: {
    make: (g) => ({
      n: g.r.int(0, 5),
      dtype: g.r.chance(0.3) ? undefined : g.dtype(["f32", "f64", "f16", "i64", "i32", "bool"]),
    }),
    ours: (_, a) => torch.eye(a.n, a.dtype ? { dtype: a.dtype } : undefined),
    tolerance: "exact",
  },
  tensor: {
    make: (g) => {
      const shape = g.shape(0, 3);
      const dtype = g.r.chance(0.3) ? undefined : g.dtype(ALL);
      const n = shape.reduce((p, q) => p * q, 1);
      const data = Array.from({ length: n }, () => g.value(dtype ?? "f32", {}));
      return { data, shape, dtype };
    },
    ours: (_, a) => torch.tensor(a.data, a.shape, a.dtype ? { dtype: a.dtype } : undefined),
    tolerance: "exact",
  },
  ...ELEMENTWISE_SCANS_DIFF_OPS,
  ...INDEXING_SHAPE_DIFF_OPS,
  ...LINALG_CREATION_DIFF_OPS,
  ...NEURAL_NETWORK_DIFF_OPS,
  ...LAYERS_OPTIM_DIFF_OPS,
  // Group F's alias (between layers_optim.ts's two records, to keep the order): it reuses the entry above.
  "nn.multiHeadAttention.apply": {
    make: (g) => diffOps["nn.attention.apply"].make(g),
    // The very same function (tests/nn_more_test.ts checks nn.multiHeadAttention.apply === nn.attention.apply).
    ours: (x, a) => diffOps["nn.attention.apply"].ours(x, a),
    tolerance: "float",
  },
  ...LAYER_APPLY_DIFF_OPS,
};
