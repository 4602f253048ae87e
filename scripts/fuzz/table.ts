/**
 * How the fuzzer calls each exported function of mod.ts: `ops` builds random (often invalid) arguments
 * for each tensor op; `skipped` names every other exported function and says why it is not fuzzed
 * here. fuzz.ts checks that the two together cover every function that mod.ts exports, so a new export
 * must be put in one of them.
 *
 * Issue 17's groups whose entries need helpers of their own live in scripts/fuzz/invalid/, one module
 * each (linalg_creation.ts, neural_network.ts, layers_optim.ts), spread into `ops`; OpSpec, the
 * recording proxy `T` and the spec builders they share with this table are in scripts/fuzz/invalid/common.ts.
 */
import * as torch from "../../mod.ts";
import { EDGE_NUMBERS_NOT_ALLOCATABLE } from "./gen.ts";
import { along, binary, matrices, type OpSpec, options, reduction, spread, T, unary } from "./invalid/common.ts";
import { LAYERS_OPTIM_OPS } from "./invalid/layers_optim.ts";
import { LINALG_CREATION_OPS } from "./invalid/linalg_creation.ts";
import { NEURAL_NETWORK_OPS } from "./invalid/neural_network.ts";

export { lastCall, type OpSpec } from "./invalid/common.ts";

export const ops: Record<string, OpSpec> = {
  // ---- elementwise ----
  add: binary("add"),
  sub: binary("sub"),
  mul: binary("mul"),
  div: binary("div"),
  pow: binary("pow"),
  maximum: binary("maximum"),
  minimum: binary("minimum"),
  eq: binary("eq"),
  ne: binary("ne"),
  lt: binary("lt"),
  le: binary("le"),
  gt: binary("gt"),
  ge: binary("ge"),
  logicalAnd: binary("logicalAnd"),
  logicalOr: binary("logicalOr"),
  rsub: { call: (g) => T.rsub(g.num(), g.tensor()) },
  rdiv: { call: (g) => T.rdiv(g.num(), g.tensor()) },
  abs: unary("abs"),
  neg: unary("neg"),
  exp: unary("exp"),
  log: unary("log"),
  sqrt: unary("sqrt"),
  rsqrt: unary("rsqrt"),
  tanh: unary("tanh"),
  sigmoid: unary("sigmoid"),
  relu: unary("relu"),
  sin: unary("sin"),
  cos: unary("cos"),
  reciprocal: unary("reciprocal"),
  logicalNot: unary("logicalNot"),
  isNaN: unary("isNaN"),
  isFinite: unary("isFinite"),
  gelu: { call: (g) => T.gelu(g.tensor(), g.r.pick(["none", "tanh", "erf", undefined])) },
  clamp: {
    call: (g) => T.clamp(g.tensor(), g.r.chance(0.8) ? g.num() : undefined, g.r.chance(0.8) ? g.num() : undefined),
  },
  where: {
    call: (g) => {
      const a = g.tensor();
      return T.where(g.like(a.shape, g.r.chance(0.8) ? "bool" : undefined), a, g.like(a.shape, a.dtype));
    },
  },
  maskedFill: {
    call: (g) => {
      const x = g.tensor();
      return T.maskedFill(x, g.like(x.shape, g.r.chance(0.8) ? "bool" : undefined), g.num());
    },
  },
  // ---- reductions ----
  sum: reduction("sum"),
  mean: reduction("mean"),
  max: reduction("max"),
  min: reduction("min"),
  argmax: along("argmax"),
  argmin: along("argmin"),
  logsumexp: along("logsumexp"),
  std: spread("std", "std"),
  var_: spread("var_", "var"),
  variance_: spread("variance_", "var"),
  softmax: { call: (g) => torch.softmax(g.tensor(), g.dim(3)) },
  logSoftmax: { call: (g) => torch.logSoftmax(g.tensor(), g.dim(3)) },
  topk: {
    call: (g) => {
      const x = g.tensor();
      const k = g.r.chance(0.8) ? g.r.int(0, 4) : g.num();
      return T.topk(x, k, g.dim(x.rank), { largest: g.r.chance(0.5), sorted: g.r.chance(0.5) });
    },
  },
  maxLogSoftmax: { call: (g) => T.maxLogSoftmax(g.tensor() as torch.Tensor<[number, number]>) },
  // ---- shape ----
  reshape: { call: (g) => T.reshape(g.tensor(), g.shape()) },
  view: { call: (g) => T.view(g.tensor(), g.shape()) },
  expand: { call: (g) => T.expand(g.tensor(), g.shape()) },
  transpose: {
    call: (g) => {
      const x = g.tensor();
      return T.transpose(x, g.dim(x.rank), g.dim(x.rank));
    },
  },
  permute: {
    call: (g) => {
      const x = g.tensor();
      const order = Array.from({ length: g.r.chance(0.85) ? x.rank : g.r.int(0, 5) }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = g.r.int(0, i);
        [order[i], order[j]] = [order[j], order[i]];
      }
      if (order.length > 0 && g.r.chance(0.15)) order[0] = g.dim(x.rank);
      return T.permute(x, order);
    },
  },
  contiguous: unary("contiguous"),
  squeeze: {
    call: (g) => {
      const x = g.tensor();
      return T.squeeze(x, g.dim(x.rank));
    },
  },
  unsqueeze: {
    call: (g) => {
      const x = g.tensor();
      return T.unsqueeze(x, g.dim(x.rank + 1));
    },
  },
  slice: {
    call: (g) => {
      const x = g.tensor();
      const start = g.num(() => g.r.int(-3, 3));
      return g.r.chance(0.3)
        ? T.slice(x, g.dim(x.rank), start)
        : T.slice(x, g.dim(x.rank), start, g.num(() => g.r.int(-3, 5)), g.num(() => g.r.int(1, 3)));
    },
  },
  cat: {
    call: (g) => {
      const a = g.tensor();
      const xs = Array.from({ length: g.r.int(0, 3) }, () => g.like(a.shape, g.r.chance(0.8) ? a.dtype : undefined));
      return T.cat(g.r.chance(0.9) ? [a, ...xs] : xs, g.dim(a.rank));
    },
  },
  stack: {
    call: (g) => {
      const a = g.tensor();
      const xs = Array.from({ length: g.r.int(0, 3) }, () => g.like(a.shape, g.r.chance(0.8) ? a.dtype : undefined));
      return T.stack(g.r.chance(0.9) ? [a, ...xs] : xs, g.dim(a.rank + 1));
    },
  },
  gather: {
    call: (g) => {
      const x = g.tensor();
      const d = g.dim(x.rank);
      const size = x.shape[((d % Math.max(x.rank, 1)) + x.rank) % Math.max(x.rank, 1)] ?? 1;
      return T.gather(
        x,
        d,
        g.index(g.r.chance(0.7) ? x.shape : g.validShape(3), -1, g.r.chance(0.8) ? size - 1 : size + 3),
      );
    },
  },
  indexSelect: {
    call: (g) => {
      const x = g.tensor();
      const d = g.dim(x.rank);
      const size = x.shape[((d % Math.max(x.rank, 1)) + x.rank) % Math.max(x.rank, 1)] ?? 1;
      const idx = g.index(g.r.chance(0.85) ? [g.r.int(0, 3)] : g.validShape(2), g.r.chance(0.9) ? 0 : -2, size + 2);
      return T.indexSelect(x, d, idx);
    },
  },
  tril: { call: (g) => T.tril(g.tensor(), g.r.chance(0.5) ? undefined : g.num(() => g.r.int(-3, 3))) },
  triu: { call: (g) => T.triu(g.tensor(), g.r.chance(0.5) ? undefined : g.num(() => g.r.int(-3, 3))) },
  // ---- linalg ----
  matmul: { call: (g) => T.matmul(...matrices(g)) },
  bmm: { call: (g) => T.bmm(...matrices(g)) },
  linear: {
    call: (g) => {
      const [inF, outF] = [g.r.int(0, 3), g.r.int(0, 3)];
      const x = g.like([g.r.int(0, 3), inF]);
      return T.linear(x, g.like([outF, inF]), g.r.chance(0.5) ? g.like([outF]) : undefined);
    },
  },
  // ---- nn ----
  embedding: {
    call: (g) => {
      const vocab = g.r.int(0, 4);
      return T.embedding(g.like([vocab, 3]), g.index(g.validShape(2), -1, vocab));
    },
  },
  dropout: { call: (g) => T.dropout(g.tensor(), g.num(() => g.r.pick([0, 0.1, 0.5, 1])), g.key()) },
  layerNorm: {
    call: (g) => {
      const x = g.tensor();
      const last = x.shape[x.rank - 1] ?? 1;
      return T.layerNorm(
        x,
        g.r.chance(0.7) ? g.like([last]) : undefined,
        g.r.chance(0.7) ? g.like([last]) : undefined,
        g.r.chance(0.5) ? undefined : g.num(() => 1e-5),
      );
    },
  },
  crossEntropy: {
    call: (g) => {
      const [n, c] = [g.r.int(0, 3), g.r.int(0, 4)];
      const opts = {
        ignoreIndex: g.r.chance(0.7) ? undefined : g.num(() => g.r.int(-100, 3)),
        labelSmoothing: g.r.chance(0.7) ? undefined : g.num(() => g.r.pick([0, 0.1, 0.5])),
        reduction: g.r.pick(["mean", "sum", "none", undefined, "max"]),
      };
      return T.crossEntropy(
        g.like([n, c]),
        g.index(g.r.chance(0.9) ? [n] : [n + 1], g.r.chance(0.9) ? 0 : -5, c),
        opts,
      );
    },
  },
  attentionProbs: {
    call: (g) => {
      const [b, h, s, d] = [g.r.int(1, 2), g.r.int(1, 2), g.r.int(0, 3), g.r.int(1, 4)];
      const q = g.like([b, h, s, d]);
      const mask = g.r.chance(0.4) ? null : g.like([1, 1, s, s], g.r.pick(["bool", "bool", q.dtype, "i64", "f64"]));
      const isCausal = g.r.chance(0.6) ? undefined : g.r.chance(0.9) ? g.r.chance(0.5) : (1 as never);
      return T.attentionProbs(q, g.like([b, h, s, d]), mask, { isCausal });
    },
  },
  scaledDotProductAttention: {
    call: (g) => {
      const [b, h, s, d] = [g.r.int(1, 2), g.r.int(1, 2), g.r.int(0, 3), g.r.int(1, 4)];
      const q = g.like([b, h, s, d]);
      const opts = {
        // Bool or float masks (of q's dtype, or now and then another), and isCausal, alone or with a mask.
        mask: g.r.chance(0.4) ? undefined : g.like([1, 1, s, s], g.r.pick(["bool", "bool", q.dtype, "i64", "f64"])),
        isCausal: g.r.chance(0.6) ? undefined : g.r.chance(0.9) ? g.r.chance(0.5) : (1 as never),
        dropout: g.r.chance(0.7) ? undefined : g.num(() => 0.1),
        key: g.r.chance(0.5) ? g.key() : undefined,
        fused: g.r.chance(0.5),
      };
      return T.scaledDotProductAttention(q, g.like([b, h, s, d]), g.like([b, h, s, d]), opts);
    },
  },
  // ---- nn layers (the namespace's apply functions; their errors carry the op they delegate to) ----
  "nn.linear.apply": {
    call: (g) => {
      const [inF, outF] = [g.r.int(0, 3), g.r.int(0, 3)];
      const layer = { weight: g.like([outF, inF]), bias: g.r.chance(0.5) ? g.like([outF]) : undefined };
      return T.nn.linear.apply(layer, g.like([g.r.int(0, 3), inF]));
    },
    names: ["linear"],
  },
  "nn.layerNorm.apply": {
    call: (g) => {
      const x = g.tensor();
      const last = x.shape[x.rank - 1] ?? 1;
      return T.nn.layerNorm.apply(
        { weight: g.like([last]), bias: g.like([last]) },
        x,
        g.r.chance(0.7) ? undefined : g.num(),
      );
    },
    names: ["layerNorm"],
  },
  "nn.embedding.apply": {
    call: (g) => {
      const vocab = g.r.int(0, 4);
      return T.nn.embedding.apply({ weight: g.like([vocab, 2]) }, g.index(g.validShape(2), -1, vocab));
    },
    names: ["embedding"],
  },
  "nn.dropout.apply": {
    call: (g) => {
      const x = g.tensor();
      const y = T.nn.dropout.apply(x, g.num(() => g.r.pick([0, 0.1, 0.5])), g.r.chance(0.8) ? g.key() : null);
      return y === x ? undefined : y; // rate 0 or no key: x itself, the fuzzer's to free
    },
    names: ["dropout"],
  },
  // ---- optim ----
  adamStep: {
    call: (g) => {
      const p = g.tensor({ dtype: g.r.chance(0.8) ? "f32" : undefined });
      const hyper = torch.adamHyper({ lr: g.r.chance(0.8) ? 1e-3 : g.num() });
      return T.adamStep(p, g.like(p.shape), g.like(p.shape), g.like(p.shape), hyper, g.num(() => g.r.int(1, 5)));
    },
    // adamStep's errors carry its `op` parameter, "adam" by default (adamUpdate passes its own name).
    names: ["adam"],
  },
  clipByGlobalNorm: {
    call: (g) => {
      const xs = Array.from({ length: g.r.int(0, 3) }, () => g.tensor());
      return T.clipByGlobalNorm(xs, g.num(() => 1));
    },
  },
  clipGradNorm: {
    call: (g) => T.clipGradNorm({ a: g.tensor(), b: g.tensor() }, g.num(() => 1)),
  },
  // ---- creation ----
  tensor: {
    call: (g) => {
      const shape = g.shape(3);
      const n = shape.every((s) => Number.isSafeInteger(s) && s >= 0) ? shape.reduce((a, b) => a * b, 1) : 3;
      const data = Array.from({ length: g.r.chance(0.85) ? n : n + 1 }, () => g.num());
      return T.tensor(data, shape, options(g));
    },
  },
  fromBytes: {
    call: (g) => {
      const shape = g.shape(3);
      const dtype = g.dtype();
      const n = shape.every((s) => Number.isSafeInteger(s) && s >= 0) ? shape.reduce((a, b) => a * b, 1) : 2;
      const perElement = { f64: 8, i64: 8, f32: 4, i32: 4, f16: 2, bf16: 2, bool: 1 }[dtype as string] ?? 4;
      // Bytes for the shape most of the time, one short or one over otherwise; random contents (NaN patterns too).
      const length = n * perElement + (g.r.chance(0.8) ? 0 : g.r.pick([-1, 1]));
      const bytes = Uint8Array.from({ length: Math.max(length, 0) }, () => g.r.int(0, 255));
      return T.fromBytes(bytes, dtype, shape, g.r.chance(0.5) ? undefined : { castTo: g.dtype() });
    },
  },
  full: { call: (g) => T.full(g.shape(), g.num(), options(g)) },
  zeros: { call: (g) => T.zeros(g.shape(), options(g)) },
  ones: { call: (g) => T.ones(g.shape(), options(g)) },
  fullLike: { call: (g) => T.fullLike(g.tensor(), g.num(), options(g)) },
  zerosLike: { call: (g) => T.zerosLike(g.tensor(), options(g)) },
  onesLike: { call: (g) => T.onesLike(g.tensor(), options(g)) },
  arange: {
    // Sizes like 2³² + 1 are left out: arange(0, 2³² + 1) is a valid 16 GiB request (see gen.ts).
    call: (g) => {
      const n = (sane: () => number) => g.num(sane, EDGE_NUMBERS_NOT_ALLOCATABLE);
      return T.arange(n(() => g.r.int(-3, 3)), n(() => g.r.int(-3, 8)), n(() => g.r.pick([1, 2, -1])), options(g));
    },
  },
  eye: { call: (g) => T.eye(g.num(() => g.r.int(0, 4)), options(g)) },
  randn: { call: (g) => T.randn(g.shape(), g.key(), options(g)) },
  rand: { call: (g) => T.rand(g.shape(), g.key(), options(g)) },
  randint: {
    call: (g) => T.randint(g.num(() => g.r.int(-3, 3)), g.num(() => g.r.int(-3, 8)), g.shape(), g.key(), options(g)),
  },
  bernoulli: { call: (g) => T.bernoulli(g.tensor(), g.num(() => 0.5), g.key()) },
  // ---- transfer ----
  data: unary("data"),
  bytes: unary("bytes"),
  values: unary("values"),
  toArray: unary("toArray"),
  item: unary("item"),
  isContiguous: unary("isContiguous"),
  cast: { call: (g) => T.cast(g.tensor(), g.r.chance(0.9) ? g.dtype() : "f8") },
  toDevice: { call: (g) => T.toDevice(g.tensor(), g.r.pick(["cpu", "cpu", "cuda:9", "gpu"])) },
  clone: unary("clone"),
  detach: unary("detach"),
  // ---- elementwise and reductions/scans ----
  silu: unary("silu"),
  mish: unary("mish"),
  softplus: { call: (g) => T.softplus(g.tensor(), g.r.chance(0.7) ? g.num() : undefined, g.num()) },
  elu: { call: (g) => T.elu(g.tensor(), g.r.chance(0.7) ? g.num() : undefined) },
  leakyRelu: { call: (g) => T.leakyRelu(g.tensor(), g.r.chance(0.7) ? g.num() : undefined) },
  hardtanh: { call: (g) => T.hardtanh(g.tensor(), g.num(), g.r.chance(0.8) ? g.num() : undefined) },
  erf: unary("erf"),
  log1p: unary("log1p"),
  expm1: unary("expm1"),
  log2: unary("log2"),
  floor: unary("floor"),
  ceil: unary("ceil"),
  round: unary("round"),
  trunc: unary("trunc"),
  sign: unary("sign"),
  square: unary("square"),
  fmod: binary("fmod"),
  remainder: binary("remainder"),
  atan2: binary("atan2"),
  lerp: {
    call: (g) => {
      const a = g.tensor();
      const end = g.like(a.shape, g.r.chance(0.8) ? a.dtype : undefined);
      return T.lerp(a, end, g.r.chance(0.4) ? g.num() : g.like(a.shape, g.r.chance(0.8) ? a.dtype : undefined));
    },
  },
  isclose: {
    call: (g) => {
      const a = g.tensor();
      const o = { rtol: g.r.chance(0.5) ? g.num() : undefined, atol: g.r.chance(0.5) ? g.num() : undefined };
      return T.isclose(a, g.like(a.shape, g.r.chance(0.8) ? a.dtype : undefined), { ...o, equalNan: g.r.chance(0.5) });
    },
  },
  allclose: {
    call: (g) => {
      const a = g.tensor();
      const o = { rtol: g.r.chance(0.5) ? g.num() : undefined, atol: g.r.chance(0.5) ? g.num() : undefined };
      return T.allclose(a, g.like(a.shape, g.r.chance(0.8) ? a.dtype : undefined), { ...o, equalNan: g.r.chance(0.5) });
    },
  },
  prod: reduction("prod"),
  all: reduction("all"),
  any: reduction("any"),
  cumsum: { call: (g) => ((x) => T.cumsum(x, g.dim(x.rank)))(g.tensor()) },
  cumprod: { call: (g) => ((x) => T.cumprod(x, g.dim(x.rank)))(g.tensor()) },
  logcumsumexp: { call: (g) => ((x) => T.logcumsumexp(x, g.dim(x.rank)))(g.tensor()) },
  norm: {
    call: (g) => {
      const x = g.tensor();
      const p = g.r.pick(["fro", 1, 2, Infinity, -Infinity, "nuc", undefined, g.num()]);
      const dim = g.r.pick([undefined, g.dim(x.rank), [g.dim(x.rank), g.dim(x.rank)], [0, 1, 2]]);
      return T.norm(x, p, dim, g.r.chance(0.5));
    },
  },
  sort: {
    call: (g) => {
      const x = g.tensor();
      return T.sort(x, g.r.chance(0.2) ? undefined : g.dim(x.rank), {
        descending: g.r.chance(0.5),
        stable: g.r.chance(0.5),
      });
    },
  },
  argsort: {
    call: (g) => {
      const x = g.tensor();
      return T.argsort(x, g.r.chance(0.2) ? undefined : g.dim(x.rank), { descending: g.r.chance(0.5) });
    },
  },
  median: reduction("median"),
  mode: along("mode"),
  unique: { call: (g) => T.unique(g.tensor(), { inverse: g.r.chance(0.5) }) },

  // ---- indexing and shape ----
  flatten: {
    call: (g) => {
      const x = g.tensor();
      return g.r.chance(0.2) ? T.flatten(x) : T.flatten(x, g.dim(x.rank), g.r.chance(0.5) ? undefined : g.dim(x.rank));
    },
  },
  unflatten: {
    call: (g) => {
      const x = g.tensor();
      return T.unflatten(x, g.dim(x.rank), g.r.chance(0.5) ? g.shape(3) : [-1, g.num(() => g.r.pick([1, 2, 3, -1]))]);
    },
  },
  split: {
    call: (g) => {
      const x = g.tensor();
      const size = () => g.num(() => g.r.int(0, 3), EDGE_NUMBERS_NOT_ALLOCATABLE);
      const arg = g.r.chance(0.5) ? size() : Array.from({ length: g.r.int(0, 3) }, size);
      return T.split(x, arg, g.r.chance(0.3) ? undefined : g.dim(x.rank));
    },
  },
  chunk: {
    call: (g) => {
      const x = g.tensor();
      return T.chunk(x, g.num(() => g.r.int(0, 4), EDGE_NUMBERS_NOT_ALLOCATABLE), g.dim(x.rank));
    },
  },
  unbind: {
    call: (g) => {
      const x = g.tensor();
      return T.unbind(x, g.r.chance(0.2) ? undefined : g.dim(x.rank));
    },
  },
  flip: {
    call: (g) => {
      const x = g.tensor();
      return T.flip(x, g.r.chance(0.3) ? g.dim(x.rank) : Array.from({ length: g.r.int(0, 3) }, () => g.dim(x.rank)));
    },
  },
  roll: {
    call: (g) => {
      const x = g.tensor();
      const shifts = Array.from({ length: g.r.int(0, 3) }, () => g.num(() => g.r.int(-3, 3)));
      const dims = g.r.chance(0.3) ? undefined : shifts.map(() => g.dim(x.rank)).slice(g.r.chance(0.8) ? 0 : 1);
      return T.roll(x, g.r.chance(0.3) ? g.num() : shifts, dims);
    },
  },
  repeat: {
    call: (g) => {
      const x = g.tensor();
      const n = g.r.chance(0.85) ? x.rank + g.r.int(0, 1) : g.r.int(0, 4);
      return T.repeat(x, Array.from({ length: n }, () => g.num(() => g.r.int(0, 3), EDGE_NUMBERS_NOT_ALLOCATABLE)));
    },
  },
  tile: {
    call: (g) => {
      const x = g.tensor();
      const reps = Array.from(
        { length: g.r.int(0, 4) },
        () => g.num(() => g.r.int(0, 3), EDGE_NUMBERS_NOT_ALLOCATABLE),
      );
      return T.tile(x, reps);
    },
  },
  repeatInterleave: {
    call: (g) => {
      const x = g.tensor();
      const dim = g.r.chance(0.3) ? undefined : g.dim(x.rank);
      const along = dim === undefined
        ? x.size
        : (x.shape[((dim % Math.max(x.rank, 1)) + x.rank) % Math.max(x.rank, 1)] ?? 1);
      const repeats = g.r.chance(0.4)
        ? g.num(() => g.r.int(0, 3), EDGE_NUMBERS_NOT_ALLOCATABLE)
        : g.index(g.r.chance(0.8) ? [along] : g.validShape(2), g.r.chance(0.9) ? 0 : -2, 3);
      return T.repeatInterleave(x, repeats, dim);
    },
  },
  pad: {
    call: (g) => {
      const x = g.tensor();
      const n = g.r.chance(0.8) ? 2 * g.r.int(0, Math.min(x.rank, 3)) : g.r.int(0, 7);
      const padding = Array.from({ length: n }, () => g.num(() => g.r.int(-2, 3), EDGE_NUMBERS_NOT_ALLOCATABLE));
      const mode = g.r.pick(["constant", "constant", "reflect", "replicate", "circular", "edge", undefined]);
      return T.pad(x, padding, mode, g.r.chance(0.5) ? undefined : g.num());
    },
  },
  movedim: {
    call: (g) => {
      const x = g.tensor();
      if (g.r.chance(0.5)) return T.movedim(x, g.dim(x.rank), g.dim(x.rank));
      const k = g.r.int(0, 3);
      const dims = () => Array.from({ length: k }, () => g.dim(x.rank));
      return T.movedim(x, dims(), g.r.chance(0.9) ? dims() : [...dims(), 0]);
    },
  },
  narrow: {
    call: (g) => {
      const x = g.tensor();
      return T.narrow(x, g.dim(x.rank), g.num(() => g.r.int(-3, 3)), g.num(() => g.r.int(0, 3)));
    },
  },
  diag: { call: (g) => T.diag(g.tensor(), g.r.chance(0.3) ? undefined : g.num(() => g.r.int(-3, 3))) },
  diagonal: {
    call: (g) => {
      const x = g.tensor();
      return T.diagonal(x, g.num(() => g.r.int(-3, 3)), g.dim(x.rank), g.dim(x.rank));
    },
  },
  broadcastTo: { call: (g) => T.broadcastTo(g.tensor(), g.shape()) },
  meshgrid: {
    call: (g) => {
      const dtype = g.r.chance(0.8) ? "f32" : undefined;
      const xs = Array.from({ length: g.r.int(0, 3) }, () => g.like([g.r.int(0, 3)], dtype));
      return T.meshgrid(xs, g.r.pick(["ij", "xy", undefined, "ji"]));
    },
  },
  scatter: {
    call: (g) => {
      const x = g.tensor();
      const idx = g.index(g.r.chance(0.8) ? x.shape : g.validShape(3), g.r.chance(0.9) ? 0 : -2, 3);
      return T.scatter(
        x,
        g.dim(x.rank),
        idx,
        g.r.chance(0.3) ? g.num() : g.like(x.shape, g.r.chance(0.8) ? x.dtype : undefined),
      );
    },
  },
  scatterAdd: {
    call: (g) => {
      const x = g.tensor();
      const idx = g.index(g.r.chance(0.8) ? x.shape : g.validShape(3), g.r.chance(0.9) ? 0 : -2, 3);
      return T.scatterAdd(x, g.dim(x.rank), idx, g.like(x.shape, g.r.chance(0.8) ? x.dtype : undefined));
    },
  },
  scatterReduce: {
    call: (g) => {
      const x = g.tensor();
      const idx = g.index(g.r.chance(0.8) ? x.shape : g.validShape(3), g.r.chance(0.9) ? 0 : -2, 3);
      const reduce = g.r.pick(["sum", "prod", "mean", "amax", "amin", "max", undefined]);
      const src = g.like(x.shape, g.r.chance(0.8) ? x.dtype : undefined);
      return T.scatterReduce(x, g.dim(x.rank), idx, src, reduce, { includeSelf: g.r.chance(0.5) });
    },
  },
  indexAdd: {
    call: (g) => {
      const x = g.tensor();
      const d = g.dim(x.rank);
      const idx = g.index([g.r.int(0, 3)], g.r.chance(0.9) ? 0 : -2, 3);
      const source = g.like(
        x.shape.map((s, i) => (i === d ? idx.shape[0] ?? s : s)),
        g.r.chance(0.8) ? x.dtype : undefined,
      );
      return T.indexAdd(x, d, idx, source, g.r.chance(0.5) ? undefined : g.num());
    },
  },
  indexFill: {
    call: (g) => {
      const x = g.tensor();
      return T.indexFill(x, g.dim(x.rank), g.index([g.r.int(0, 3)], -4, 4), g.num());
    },
  },
  indexPut: {
    call: (g) => {
      const x = g.tensor();
      const indices = Array.from({ length: g.r.int(0, 3) }, () => g.index([g.r.int(0, 2)], -4, 4));
      return T.indexPut(x, indices, g.like([], g.r.chance(0.8) ? x.dtype : undefined), g.r.chance(0.5));
    },
  },
  take: { call: (g) => T.take(g.tensor(), g.index(g.validShape(2), -5, 5)) },
  takeAlongDim: {
    call: (g) => {
      const x = g.tensor();
      const idx = g.index(g.r.chance(0.7) ? x.shape : g.validShape(3), g.r.chance(0.9) ? 0 : -2, 3);
      return T.takeAlongDim(x, idx, g.r.chance(0.3) ? undefined : g.dim(x.rank));
    },
  },
  nonzero: unary("nonzero"),
  maskedSelect: {
    call: (g) => {
      const x = g.tensor();
      return T.maskedSelect(x, g.like(x.shape, g.r.chance(0.8) ? "bool" : undefined));
    },
  },
  oneHot: {
    call: (g) => {
      const classes = g.num(() => g.r.int(-1, 4), EDGE_NUMBERS_NOT_ALLOCATABLE);
      return T.oneHot(g.index(g.validShape(3), g.r.chance(0.9) ? 0 : -2, 4), g.r.chance(0.2) ? undefined : classes);
    },
  },

  // ---- linear algebra, creation and random; neural network; layers and optimizers (scripts/fuzz/invalid/) ----
  ...LINALG_CREATION_OPS,
  ...NEURAL_NETWORK_OPS,
  ...LAYERS_OPTIM_OPS,
};

/** Exported functions that are not tensor ops, with the reason each is left to its own tests. */
export const skipped: Record<string, string> = {
  quantizedEngines: "takes no input: lists the int8 engines of this build",
  packLinear: "inference weight packing: its refusals (shape, dtype) are asserted in tests/quantized_test.ts",
  linearPacking: "reads how a weight is packed, any tensor is valid: asserted in tests/quantized_test.ts",
  DTypeError: "error class",
  DeviceError: "error class",
  FreedTensorError: "error class",
  LibraryError: "error class",
  SafetensorsError: "error class",
  ShapeError: "error class",
  StateMismatchError: "error class",
  TorchError: "error class",
  Tensor: "class; made only by the library's ops",
  Key: "PRNG key class (rng.ts tests)",
  rng: "PRNG keys, no tensors",
  splitKey: "PRNG keys, no tensors",
  fold: "PRNG keys, no tensors",
  keyFromJSON: "PRNG keys, no tensors",
  namedKeys: "PRNG keys, no tensors",
  assume: "type-level shape assertion",
  formatShape: "string formatting of a shape",
  canonicalDevice: "device-name parsing, no tensors",
  sameDevice: "device-name comparison, no tensors",
  cudaAvailable: "runtime query",
  defaultDevice: "runtime query",
  setDefaultDevice: "changes process-wide state; its refusals are asserted in tests/device_test.ts",
  cudaDeviceCount: "runtime query",
  torchVersion: "runtime query",
  threads: "runtime query",
  setThreads: "changes process-wide state",
  synchronize: "runtime barrier",
  envVar: "environment lookup",
  cacheRoot: "environment lookup",
  memory: "the fuzzer's own leak counter",
  releaseCachedMemory: "takes no arguments (allocator tests)",
  residentMemory: "takes no arguments (allocator tests)",
  resetPeakResident: "takes no arguments (allocator tests)",
  bytesInto: "bytes into a caller's buffer (same native copy); a short buffer is a RangeError (safetensors tests)",
  scope: "memory management (scope/memory tests)",
  keep: "memory management (scope/memory tests)",
  free: "memory management (scope/memory tests)",
  forEachTensor: "tree walk (tree tests)",
  flattenTree: "tree walk (tree tests)",
  flattenTreeWith: "tree walk (tree tests)",
  unflattenTree: "tree walk (tree tests)",
  treeLeaves: "tree walk (tree tests)",
  mapTree: "tree walk (tree tests)",
  replaceLeaves: "tree walk (tree tests)",
  zipTree: "tree walk (tree tests)",
  countParams: "tree walk (tree tests)",
  matchState: "checkpoint-state comparison (tree tests)",
  valueAndGrad: "higher-order: takes a function (grad tests)",
  valueAndGradBy: "higher-order: takes a function (grad tests)",
  grad: "higher-order: takes a function (grad tests)",
  noGrad: "higher-order: takes a function (grad tests)",
  autocast: "higher-order: takes a function (tests/autocast_test.ts)",
  autocastDType: "reads a setting, takes no arguments",
  adamHyper: "config defaults, used by the adamStep entry",
  adamInit: "optimizer state over a tree (optim tests)",
  adamUpdate: "optimizer update over a tree (optim/robustness tests)",
  constant: "learning-rate schedule, numbers only",
  warmupInverseSqrt: "learning-rate schedule, numbers only",
  parseSafetensors: "file format (safetensors tests)",
  parseSafetensorsHeader: "file format (safetensors tests)",
  serializeSafetensors: "file format (safetensors tests)",
  readSafetensors: "file I/O (safetensors tests)",
  readSafetensorsHeader: "file I/O (safetensors tests)",
  writeSafetensors: "file I/O (safetensors tests)",
  allReduceMean: "needs a process group (dist tests)",
  allReduceSum: "needs a process group (dist tests)",
  backendFor: "needs a process group (dist tests)",
  barrier: "needs a process group (dist tests)",
  broadcast: "needs a process group (dist tests)",
  destroyDistributed: "needs a process group (dist tests)",
  distributedBackend: "needs a process group (dist tests)",
  distributedConfigFromEnv: "environment lookup (dist tests)",
  freePort: "opens a socket (dist tests)",
  initDistributed: "needs a process group (dist tests)",
  rank: "needs a process group (dist tests)",
  rankDevice: "needs a process group (dist tests)",
  valueAndGradAllReduced: "needs a process group (dist tests)",
  worldSize: "needs a process group (dist tests)",
  // ---- transforms ----
  // Higher-order: they take a function, which the fuzzer's random tensors and numbers cannot make;
  // their argument checks (the cotangent, tangent and v trees) are tested by hand.
  vjp: "higher-order: takes a function (transforms tests)",
  jvp: "higher-order: takes a function (transforms tests)",
  hessianVectorProduct: "higher-order: takes a function (transforms tests)",
  checkpoint: "higher-order: takes a function (checkpoint tests)",

  // ---- layers and optimizers ----
  sgdInit: "optimizer state over a tree, no tensors made (optim_more tests)",
  sgdUpdate: "optimizer update over a tree of sgdStep calls (optim_more tests)",
  adagradInit: "optimizer state over a tree (optim_more tests)",
  adagradUpdate: "optimizer update over a tree of adagradStep calls (optim_more tests)",
  rmspropInit: "optimizer state over a tree (optim_more tests)",
  rmspropUpdate: "optimizer update over a tree of rmspropStep calls (optim_more tests)",
  lionInit: "optimizer state over a tree (optim_more tests)",
  lionUpdate: "optimizer update over a tree of lionStep calls (optim_more tests)",
  warmupCosine: "learning-rate schedule, numbers only (schedule tests)",
  warmupLinear: "learning-rate schedule, numbers only (schedule tests)",
  stepDecay: "learning-rate schedule, numbers only (schedule tests)",
  oneCycle: "learning-rate schedule, numbers only (schedule tests)",
};
