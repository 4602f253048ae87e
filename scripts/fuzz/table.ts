/**
 * How the fuzzer calls each exported function of mod.ts: `ops` builds random (often invalid) arguments
 * for each tensor op; `skipped` names every other exported function and says why it is not fuzzed
 * here. fuzz.ts checks that the two together cover every function that mod.ts exports, so a new export
 * must be put in one of them.
 */
import * as torch from "../../mod.ts";
import type { Tensor } from "../../mod.ts";
import { EDGE_NUMBERS_NOT_ALLOCATABLE, type Inputs } from "./gen.ts";

/** One fuzzed op: `call` makes its arguments from `g` and calls it; `names` are the accepted message prefixes. */
export interface OpSpec {
  call: (g: Inputs) => unknown;
  /** Prefixes a rejection's message may start with (default: the export's name). */
  names?: readonly string[];
}

/** The arguments of the last call made through `T`, for the summary's findings. */
export const lastCall: { args: unknown[] } = { args: [] };

/**
 * mod.ts behind a proxy that records the arguments of each function called through it (nested
 * namespaces too), so that a finding can be reported with the arguments that caused it.
 */
function recording(target: object): unknown {
  return new Proxy(target, {
    get(obj, key) {
      const value = Reflect.get(obj, key);
      if (typeof value === "function") {
        return (...args: unknown[]) => {
          lastCall.args = args;
          return value(...args);
        };
      }
      return value !== null && typeof value === "object" ? recording(value) : value;
    },
  });
}

// deno-lint-ignore no-explicit-any
const T = recording(torch) as any;

const unary = (name: string): OpSpec => ({ call: (g) => T[name](g.tensor()) });

/** Binary ops: tensor ∘ tensor (broadcastable or not), or tensor ∘ number. */
const binary = (name: string): OpSpec => ({
  call: (g) => {
    const a = g.tensor();
    return T[name](a, g.r.chance(0.3) ? g.num() : g.like(a.shape, g.r.chance(0.7) ? a.dtype : g.dtype()));
  },
});

/** sum/mean/max/min: all elements, or along a dim with keepDim. */
const reduction = (name: string): OpSpec => ({
  call: (g) => {
    const x = g.tensor();
    return g.r.chance(0.3) ? T[name](x) : T[name](x, g.dim(x.rank), g.r.chance(0.5));
  },
});

const along = (name: string, names?: string[]): OpSpec => ({
  call: (g) => {
    const x = g.tensor();
    return T[name](x, g.dim(x.rank), g.r.chance(0.5));
  },
  names,
});

const spread = (name: string, prefix: string): OpSpec => ({
  call: (g) => {
    const x = g.tensor();
    const opts = { unbiased: g.r.chance(0.5), keepDim: g.r.chance(0.5) };
    return g.r.chance(0.3) ? T[name](x, undefined, opts) : T[name](x, g.dim(x.rank), opts);
  },
  names: [prefix],
});

/** Creation options: a dtype (any), sometimes a device that does not exist here. */
function options(g: Inputs): torch.TensorOptions | undefined {
  if (g.r.chance(0.3)) return undefined;
  return { dtype: g.dtype(), device: g.r.chance(0.05) ? g.r.pick(["cuda:7", "tpu", "cuda"]) as torch.Device : "cpu" };
}

/** Matrix-ish operands: [.., n, k] @ [.., k, m] most of the time, wrong ranks or inner sizes otherwise. */
function matrices(g: Inputs): [Tensor, Tensor] {
  const [n, k, m] = [g.r.int(0, 3), g.r.int(0, 3), g.r.int(0, 3)];
  const batch = g.r.chance(0.5) ? [] : [g.r.int(1, 2)];
  const a = g.like([...batch, n, k]);
  const b = g.like(g.r.chance(0.8) ? [...batch, k, m] : [k + 1, m]);
  return [a, b];
}

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
  // ---- A: elementwise and reductions/scans (issue 17) ----
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
  // ---- A: end ----

  // ---- B: indexing and shape (issue 17) ----
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
  // ---- B: end ----

  // ---- C: linear algebra, creation and random (issue 17) ----
  // One spread, so that its helpers stay inside this section.
  ...(() => {
    /** Valid equations, and ones with bad letters, repeats, unknown outputs, or not a string at all. */
    const EINSUM_EQUATIONS: unknown[] = [
      "ij,jk->ik",
      "ij,jk",
      "bij,bjk->bik",
      "ii->i",
      "ii",
      "...i,...i->...",
      "i,j->ij",
      "ij->ji",
      "...ij,...jk",
      "ij->k",
      "i1",
      "ij->ii",
      "i...j...",
      "",
      "->",
      "i,",
      "ij-",
      42,
      null,
    ];
    const EINSUM_SHAPES = [[2, 3], [3, 4], [3], [3, 3], [2, 3, 4], [2, 4, 3], [], [0, 3], [1, 3]];
    /** Mostly stacks of square matrices [.., n, n] (any dtype, often singular), sometimes anything. */
    const squareish = (g: Inputs): Tensor => {
      if (g.r.chance(0.2)) return g.tensor();
      const n = g.r.int(0, 3);
      return g.tensor({ shape: [...(g.r.chance(0.3) ? [g.r.int(0, 2)] : []), n, n] });
    };
    const specs: Record<string, OpSpec> = {
      einsum: {
        call: (g) => {
          const eq = g.r.pick(EINSUM_EQUATIONS);
          const n = typeof eq === "string" ? eq.split("->")[0].split(",").length : 1;
          const count = g.r.chance(0.85) ? n : g.r.int(0, 3);
          // Shapes that fit the subscripts half the time (a letter's size drawn once), any shape otherwise.
          const sizes = new Map<string, number>();
          const fitting = (sub: string) =>
            [...sub.replaceAll("...", "")].map((l) => sizes.get(l) ?? (sizes.set(l, g.r.int(0, 3)), sizes.get(l)!));
          const subs = typeof eq === "string" ? eq.split("->")[0].split(",") : [];
          const shape = (i: number) => g.r.chance(0.5) && i < subs.length ? fitting(subs[i]) : g.r.pick(EINSUM_SHAPES);
          return T.einsum(eq, ...Array.from({ length: count }, (_, i) => g.tensor({ shape: shape(i) })));
        },
      },
      outer: { call: (g) => T.outer(g.tensor({ shape: [g.r.int(0, 3)] }), g.like([g.r.int(0, 3)])) },
      addmm: {
        call: (g) => {
          const [a, b] = matrices(g);
          const input = g.like([a.shape[a.rank - 2] ?? 1, b.shape[b.rank - 1] ?? 1]);
          return T.addmm(input, a, b, g.r.chance(0.5) ? {} : { beta: g.num(), alpha: g.num() });
        },
      },
      baddbmm: {
        call: (g) => {
          const [bt, n, k, m] = [g.r.int(0, 2), g.r.int(0, 3), g.r.int(0, 3), g.r.int(0, 3)];
          const a = g.like([bt, n, k]);
          const b = g.like(g.r.chance(0.8) ? [bt, k, m] : [bt, k + 1, m]);
          return T.baddbmm(g.like([1, m]), a, b, g.r.chance(0.5) ? {} : { beta: g.num(), alpha: g.num() });
        },
      },
      tensordot: {
        call: (g) => {
          const a = g.tensor();
          const b = g.tensor();
          const dims = g.r.chance(0.5)
            ? g.num(() => g.r.int(0, 2))
            : [[g.dim(a.rank)], g.r.chance(0.9) ? [g.dim(b.rank)] : [g.dim(b.rank), g.dim(b.rank)]];
          return T.tensordot(a, b, dims);
        },
      },
      kron: { call: (g) => T.kron(g.tensor(), g.tensor()) },
      inverse: { call: (g) => T.inverse(squareish(g)) },
      det: { call: (g) => T.det(squareish(g)) },
      slogdet: { call: (g) => T.slogdet(squareish(g)) },
      solve: {
        call: (g) => {
          const a = squareish(g);
          const n = a.shape[a.rank - 1] ?? 1;
          return T.solve(a, g.like(g.r.chance(0.5) ? [n] : [n, g.r.int(0, 3)], a.dtype));
        },
      },
      cholesky: { call: (g) => T.cholesky(squareish(g), { upper: g.r.chance(0.5) }) },
      qr: { call: (g) => T.qr(g.tensor(), g.r.pick(["reduced", "complete", "r", undefined])) },
      svd: { call: (g) => T.svd(g.tensor(), { fullMatrices: g.r.chance(0.5) }) },
      eigh: { call: (g) => T.eigh(squareish(g), g.r.pick(["L", "U", "X", undefined])) },
      linspace: {
        call: (g) => T.linspace(g.num(), g.num(), g.num(() => g.r.int(0, 5), EDGE_NUMBERS_NOT_ALLOCATABLE), options(g)),
      },
      logspace: {
        call: (g) =>
          T.logspace(g.num(), g.num(), g.num(() => g.r.int(0, 5), EDGE_NUMBERS_NOT_ALLOCATABLE), g.num(), options(g)),
      },
      emptyLike: { call: (g) => T.emptyLike(g.tensor(), options(g)) },
      randperm: {
        call: (g) => T.randperm(g.num(() => g.r.int(0, 6), EDGE_NUMBERS_NOT_ALLOCATABLE), g.key(), options(g)),
      },
      multinomial: {
        call: (g) => {
          const shape = g.r.pick([[3], [2, 3], [0], [2], [], [2, 2, 2]]);
          const raw = g.tensor({ shape });
          const probs = g.r.chance(0.6) && !raw.freed && raw.dtype !== "bool" ? g.own(T.abs(raw)) : raw;
          const n = g.num(() => g.r.int(1, 4), EDGE_NUMBERS_NOT_ALLOCATABLE);
          return T.multinomial(probs, n, { replacement: g.r.chance(0.5) }, g.key());
        },
      },
      normal: {
        call: (g) => T.normal(g.shape(), { mean: g.num(), std: g.num(), ...options(g) }, g.key()),
      },
      uniform: {
        call: (g) => T.uniform(g.shape(), { low: g.num(), high: g.num(() => 4), ...options(g) }, g.key()),
      },
    };
    return specs;
  })(),
  // ---- C: end ----

  // ---- D: neural network (issue 17) ----
  // Helpers inside an IIFE so that the section stays self-contained: sizes, lists and options drawn
  // valid most of the time, with edge numbers, wrong lengths and wrong ranks mixed in.
  ...((): Record<string, OpSpec> => {
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
    return {
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
  })(),
  // ---- D: end ----

  // ---- E: transforms (issue 17) ----
  // ---- E: end ----

  // ---- F: layers and optimizers (issue 17) ----
  // Optimizer steps: mostly sane hyperparameters, sometimes any number (NaN, huge, negative).
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
  // The layers: init with sizes and options mostly valid, now and then an edge number or a wrong
  // list; apply with the layer's tensors of the right shape most of the time (g.like), any options.
  ...((): Record<string, OpSpec> => {
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
    return {
      "nn.conv1d.apply": either(convInit(1), convApply(1), ["conv1d"]),
      "nn.conv2d.apply": either(convInit(2), convApply(2), ["conv2d"]),
      "nn.batchNorm.apply": either(batchNormInit, batchNormApply, ["batchNorm"]),
    };
  })(),
  // ---- F: end ----
};

/** Exported functions that are not tensor ops, with the reason each is left to its own tests. */
export const skipped: Record<string, string> = {
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
  adamHyper: "config defaults, used by the adamStep entry",
  adamInit: "optimizer state over a tree (optim tests)",
  adamUpdate: "optimizer update over a tree (optim/robustness tests)",
  constant: "learning-rate schedule, numbers only",
  warmupInverseSqrt: "learning-rate schedule, numbers only",
  parseSafetensors: "file format (safetensors tests)",
  parseSafetensorsHeader: "file format (safetensors tests)",
  serializeSafetensors: "file format (safetensors tests)",
  readSafetensors: "file I/O (safetensors tests)",
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
  // ---- A: elementwise and reductions/scans (issue 17) ----
  // ---- A: end ----

  // ---- B: indexing and shape (issue 17) ----
  // ---- B: end ----

  // ---- C: linear algebra, creation and random (issue 17) ----
  // ---- C: end ----

  // ---- D: neural network (issue 17) ----
  // ---- D: end ----

  // ---- E: transforms (issue 17) ----
  // Higher-order: they take a function, which the fuzzer's random tensors and numbers cannot make;
  // their argument checks (the cotangent, tangent and v trees) are tested by hand.
  vjp: "higher-order: takes a function (transforms tests)",
  jvp: "higher-order: takes a function (transforms tests)",
  hessianVectorProduct: "higher-order: takes a function (transforms tests)",
  checkpoint: "higher-order: takes a function (checkpoint tests)",
  // ---- E: end ----

  // ---- F: layers and optimizers (issue 17) ----
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
  // ---- F: end ----
};
