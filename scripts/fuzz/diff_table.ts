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
 */
import * as torch from "../../mod.ts";
import type { DType, Tensor } from "../../mod.ts";
import { fromBase64, toBase64, type Tolerance } from "./diff_case.ts";
import { ALL, type DiffGen, FLOATS, FLOATS_F16, INTS, NUMERIC } from "./diff_gen.ts";

// deno-lint-ignore no-explicit-any
type Args = Record<string, any>;

/** One compared op: draws a valid call, runs it here; diff_torch.py runs it with torch under the same name. */
export interface DiffSpec {
  make: (g: DiffGen) => Args;
  ours: (x: Tensor[], a: Args) => Tensor | Tensor[];
  tolerance: Tolerance;
}

const isInt = (d: DType) => d === "i64" || d === "i32";

/** The shape two broadcastable shapes broadcast to. */
function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const x = a[a.length - n + i] ?? 1, y = b[b.length - n + i] ?? 1;
    return x === 1 ? y : x;
  });
}

// ---- elementwise ----

/** A binary op: tensor ∘ broadcastable tensor (any two dtypes from `dtypes`), or tensor ∘ number. */
function binary(
  name: string,
  dtypes: readonly DType[],
  tolerance: Tolerance,
  o: { sameDType?: boolean } = {},
): DiffSpec {
  return {
    make: (g) => {
      const shape = g.shape();
      const dtype = g.dtype(dtypes);
      g.tensor(shape, dtype);
      if (g.r.chance(0.3)) return { scalar: g.num({ integral: isInt(dtype) && g.r.chance(0.7), special: true }) };
      const other = o.sameDType || g.r.chance(0.5) ? dtype : g.dtype(dtypes);
      g.tensor(g.broadcastWith(shape), other);
      return {};
    },
    // deno-lint-ignore no-explicit-any
    ours: (x, a) => (torch as any)[name](x[0], "scalar" in a ? a.scalar : x[1]),
    tolerance,
  };
}

function unary(name: string, dtypes: readonly DType[], tolerance: Tolerance): DiffSpec {
  return {
    make: (g) => {
      g.tensor(g.shape(), g.dtype(dtypes));
      return {};
    },
    // deno-lint-ignore no-explicit-any
    ours: (x) => (torch as any)[name](x[0]),
    tolerance,
  };
}

// ---- reductions ----

/** A reduction over all elements or along a random dim (keepDim either way). */
function reduction(name: string, dtypes: readonly DType[], tolerance: Tolerance, nonEmpty = false): DiffSpec {
  return {
    make: (g) => {
      const shape = g.shape(nonEmpty ? 1 : 0).map((d) => (nonEmpty && d === 0 ? 2 : d));
      g.tensor(shape, g.dtype(dtypes));
      // A 0-dim tensor has no dim to reduce along here (see the header): all elements then.
      return g.r.chance(0.3) || shape.length === 0 ? {} : { dim: g.dim(shape.length), keepDim: g.r.chance(0.5) };
    },
    // deno-lint-ignore no-explicit-any
    ours: (x, a) => "dim" in a ? (torch as any)[name](x[0], a.dim, a.keepDim) : (torch as any)[name](x[0]),
    tolerance,
  };
}

/** argmax/argmin/logsumexp: along a dim of a tensor of rank ≥ 1. */
function along(name: string, dtypes: readonly DType[], tolerance: Tolerance, nonEmpty: boolean): DiffSpec {
  return {
    make: (g) => {
      const shape = g.shape(1).map((d) => (nonEmpty && d === 0 ? 3 : d));
      g.tensor(shape, g.dtype(dtypes));
      return { dim: g.dim(shape.length), keepDim: g.r.chance(0.5) };
    },
    // deno-lint-ignore no-explicit-any
    ours: (x, a) => (torch as any)[name](x[0], a.dim, a.keepDim),
    tolerance,
  };
}

function spread(name: "std" | "var_"): DiffSpec {
  return {
    make: (g) => {
      const shape = g.shape();
      g.tensor(shape, g.dtype(FLOATS_F16));
      const opts = { unbiased: g.r.chance(0.5), keepDim: g.r.chance(0.5) };
      return g.r.chance(0.3) || shape.length === 0 ? { opts } : { dim: g.dim(shape.length), opts };
    },
    ours: (x, a) => torch[name](x[0], a.dim, a.opts),
    tolerance: "float",
  };
}

// ---- shapes ----

/** A random shape with the same number of elements as `shape` (a -1 now and then). */
function reshaped(g: DiffGen, shape: readonly number[]): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n === 0) return g.r.pick([[0], [0, 3], [2, 0, 1], [...shape].reverse()]);
  const out: number[] = [];
  let left = n;
  while (left > 1) {
    const divisors = Array.from({ length: left }, (_, i) => i + 1).filter((d) => d > 1 && left % d === 0);
    const d = g.r.pick(divisors);
    out.push(d);
    left /= d;
  }
  if (g.r.chance(0.3)) out.splice(g.r.int(0, out.length), 0, 1);
  if (out.length > 0 && g.r.chance(0.3)) out[g.r.int(0, out.length - 1)] = -1;
  return out;
}

/** A random permutation of 0..n-1, some entries negative. */
function permutation(g: DiffGen, n: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = g.r.int(0, i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order.map((d) => (g.r.chance(0.3) ? d - n : d));
}

/** Several tensors whose shapes agree except along `dim` (cat) or not at all (stack). */
function joined(g: DiffGen, exceptDim: boolean): Args {
  const shape = g.shape(exceptDim ? 1 : 0);
  const dtype = g.dtype(ALL);
  const dim = exceptDim ? g.dim(shape.length) : g.dim(shape.length + 1);
  const axis = ((dim % Math.max(shape.length, 1)) + shape.length) % Math.max(shape.length, 1);
  const count = g.r.int(1, 3);
  for (let i = 0; i < count; i++) {
    const s = [...shape];
    if (exceptDim) s[axis] = g.size();
    // Now and then another dtype: torch promotes, as it does for add.
    g.tensor(s, g.r.chance(0.8) ? dtype : g.dtype(ALL));
  }
  return { dim, count };
}

/** A matmul operand pair with PyTorch's rules: 1-D operands, batch dims that broadcast. */
function matmulShapes(g: DiffGen): [number[], number[]] {
  const [n, k, m] = [g.size(), g.size(), g.size()];
  const batch = g.shape(0, 2);
  const a = g.r.chance(0.15) ? [k] : [...batch, n, k];
  const b = g.r.chance(0.15) ? [k] : [...g.broadcastWith(batch), k, m];
  return [a, b];
}

/**
 * Attention's masks, one kind per call: none, bool (true = attend), float of the scores' dtype (added
 * to them; now and then a special value: -Infinity bans a key, and a row banned whole gives NaN on
 * both sides, as NaN and +Infinity do), or isCausal. The mask, when drawn, is the next tensor; `mask` names its kind.
 */
function attentionMask(
  g: DiffGen,
  scores: number[],
  dtype: DType,
): { mask: "bool" | "float" | null; isCausal: boolean } {
  const kind = g.r.pick(["none", "bool", "float", "causal"] as const);
  if (kind === "bool") g.tensor(g.broadcastsTo(scores), "bool");
  if (kind === "float") g.tensor(g.broadcastsTo(scores), dtype);
  return { mask: kind === "bool" || kind === "float" ? kind : null, isCausal: kind === "causal" };
}
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
      const n = shape.reduce((p, q) => p * q, 1) * { f64: 8, i64: 8, f32: 4, i32: 4, f16: 2, bf16: 2, bool: 1 }[dtype];
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
  // ---- A: elementwise and reductions/scans (issue 17) ----
  // This group's helpers live inside its markers: an IIFE whose entries spread into the table.
  ...((): Record<string, DiffSpec> => {
    /** Float normals only, to 4 decimals: ties are rare. */
    const untied = { special: 0, view: "plain" } as const;
    /** fmod/remainder: like `binary`, but integer divisors are drawn from 1..4 mostly (0 is an error in torch too). */
    const modulo = (name: "fmod" | "remainder", tolerance: Tolerance): DiffSpec => ({
      make: (g) => {
        const shape = g.shape();
        const dtype = g.dtype(NUMERIC);
        g.tensor(shape, dtype);
        const zeroOk = g.r.chance(0.1);
        if (g.r.chance(0.3)) {
          const s = isInt(dtype) ? g.r.int(zeroOk ? 0 : 1, 4) * g.r.pick([1, -1]) : g.num({ special: true });
          return { scalar: s };
        }
        const other = g.r.chance(0.5) ? dtype : g.dtype(NUMERIC);
        g.tensor(g.broadcastWith(shape), other, { ints: zeroOk ? [-3, 3] : [1, 4] });
        return {};
      },
      ours: (x, a) => torch[name](x[0], "scalar" in a ? a.scalar : x[1]),
      tolerance,
    });
    /** isclose/allclose's b: x[1] itself, or x[0] + x[1] · scale (near x[0]) when `scale` is drawn. */
    /** The values of a values-and-indices result, its indices freed. */
    const valuesOnly = (r: { values: Tensor; indices: Tensor }): Tensor => {
      r.indices.free();
      return r.values;
    };
    const nearby = (x: Tensor[], a: Args): Tensor => ("scale" in a ? torch.add(x[0], torch.mul(x[1], a.scale)) : x[1]);
    const closeness = (ours: DiffSpec["ours"]): DiffSpec => ({
      make: (g) => {
        const shape = g.shape();
        const dtype = g.dtype(ALL);
        g.tensor(shape, dtype);
        // b broadcasts with a; `nearby` broadcasts a against it, so for a near b it must broadcast TO a.
        const near = isFloatDType(dtype) && g.r.chance(0.6);
        g.tensor(near ? g.broadcastsTo(shape) : g.broadcastWith(shape), dtype);
        const opts = {
          rtol: g.r.pick([undefined, 1e-5, 0, 1e-2]),
          atol: g.r.pick([undefined, 1e-8, 0, 1e-3]),
          equalNan: g.r.pick([undefined, true, false]),
        };
        return near ? { opts, scale: g.r.pick([1e-9, 1e-6, 1e-4, 1e-2]) } : { opts };
      },
      ours,
      tolerance: "exact",
    });
    const isFloatDType = (d: DType) => d === "f32" || d === "f64" || d === "f16" || d === "bf16";
    /** A scan along a dim of a tensor of rank ≥ 1. */
    const scanSpec = (
      name: "cumsum" | "cumprod" | "logcumsumexp",
      dtypes: readonly DType[],
      tolerance: Tolerance,
    ): DiffSpec => ({
      make: (g) => {
        const shape = g.shape(1);
        g.tensor(shape, g.dtype(dtypes));
        return { dim: g.dim(shape.length) };
      },
      ours: (x, a) => torch[name](x[0], a.dim),
      tolerance,
    });
    return {
      // Activations: a random parameter from a few telling values (0 and negatives where torch takes them).
      silu: unary("silu", FLOATS, "float"),
      mish: unary("mish", FLOATS, "float"),
      softplus: {
        make: (g) => {
          g.tensor(g.shape(), g.dtype(FLOATS));
          return { beta: g.r.pick([1, 2, 0.5, -1]), threshold: g.r.pick([20, 1, 0, -2]) };
        },
        ours: (x, a) => torch.softplus(x[0], a.beta, a.threshold),
        tolerance: "float",
      },
      elu: {
        make: (g) => {
          g.tensor(g.shape(), g.dtype(FLOATS));
          return { alpha: g.r.pick([1, 0.5, 2, 0]) };
        },
        ours: (x, a) => torch.elu(x[0], a.alpha),
        tolerance: "float",
      },
      leakyRelu: {
        make: (g) => {
          g.tensor(g.shape(), g.dtype(FLOATS));
          return { slope: g.r.pick([0.01, 0.2, 0, -0.5, 1.5]) };
        },
        ours: (x, a) => torch.leakyRelu(x[0], a.slope),
        tolerance: "exact",
      },
      hardtanh: {
        make: (g) => {
          g.tensor(g.shape(), g.dtype(FLOATS));
          // Now and then min > max, which torch takes (every element is then max).
          const [lo, hi] = [g.num(), g.num()].sort((p, q) => p - q);
          return g.r.chance(0.8) ? { min: lo, max: hi } : { min: hi, max: lo };
        },
        ours: (x, a) => torch.hardtanh(x[0], a.min, a.max),
        tolerance: "exact",
      },
      // Unary math: integer and bool inputs promote to float, as in torch.
      erf: unary("erf", [...FLOATS, ...INTS, "bool"], "float"),
      log1p: unary("log1p", [...FLOATS, ...INTS, "bool"], "float"),
      expm1: unary("expm1", [...FLOATS, ...INTS, "bool"], "float"),
      log2: unary("log2", [...FLOATS, ...INTS, "bool"], "float"),
      floor: unary("floor", [...FLOATS, ...INTS], "exact"),
      ceil: unary("ceil", [...FLOATS, ...INTS], "exact"),
      round: unary("round", [...FLOATS, ...INTS], "exact"),
      trunc: unary("trunc", [...FLOATS, ...INTS], "exact"),
      sign: unary("sign", ALL, "exact"),
      square: unary("square", ALL, "exact"),
      // fmod/remainder: integer divisors are drawn non-zero mostly (a zero one is an error on both sides).
      fmod: modulo("fmod", "exact"),
      remainder: modulo("remainder", "float"),
      atan2: binary("atan2", [...FLOATS, ...INTS], "float"),
      lerp: {
        make: (g) => {
          const dtype = g.dtype(FLOATS);
          const shape = g.shape();
          const end = g.broadcastWith(shape);
          g.tensor(shape, dtype);
          g.tensor(end, dtype);
          if (g.r.chance(0.4)) return { weight: g.num({ special: true }) };
          g.tensor(g.broadcastWith(broadcast(shape, end)), dtype);
          return {};
        },
        ours: (x, a) => torch.lerp(x[0], x[1], "weight" in a ? a.weight : x[2]),
        tolerance: "float",
      },
      // isclose/allclose: b is a random tensor or, for floats, a (broadcast) plus a tiny multiple of one.
      // In a scope: nearby's sum and product are freed with it.
      isclose: closeness((x, a) => torch.scope(() => torch.isclose(x[0], nearby(x, a), a.opts))),
      allclose: closeness((x, a) =>
        torch.full([], torch.scope(() => torch.allclose(x[0], nearby(x, a), a.opts)) ? 1 : 0, { dtype: "bool" })
      ),
      // ---- reductions and scans ----
      prod: reduction("prod", ALL, "float"),
      all: reduction("all", ALL, "exact"),
      any: reduction("any", ALL, "exact"),
      cumsum: scanSpec("cumsum", ALL, "float"),
      cumprod: scanSpec("cumprod", ALL, "float"),
      logcumsumexp: scanSpec("logcumsumexp", FLOATS, "float"),
      norm: {
        make: (g) => {
          const shape = g.shape();
          g.tensor(shape, g.dtype(FLOATS));
          const p = g.r.pick(["fro", "fro", 1, 2, 3, 0.5, 0, Infinity, -Infinity]);
          const keepDim = g.r.chance(0.5);
          // A 0-dim tensor has no dims to name (see the header): all elements then.
          if (g.r.chance(0.3) || shape.length === 0) return { p, keepDim };
          if (g.r.chance(0.5)) return { p, dim: g.dim(shape.length), keepDim };
          // Distinct dims, negative now and then; "fro" takes at most 2 (torch refuses more, as ours).
          const count = g.r.int(1, p === "fro" ? Math.min(2, shape.length) : shape.length);
          const dims = permutation(g, shape.length).slice(0, count);
          return { p, dim: dims, keepDim };
        },
        ours: (x, a) => torch.norm(x[0], a.p, a.dim, a.keepDim),
        tolerance: "float",
      },
      // Sorting: ties make the order of equal elements an implementation detail unless `stable`, so
      // unstable draws are f32/f64 normals (no special values: 0 and -0 tie too) in a plain layout (an
      // expanded one repeats values), and unstable sorts compare their values only.
      sort: {
        make: (g) => {
          const stable = g.r.chance(0.5);
          const shape = g.shape(1);
          g.tensor(shape, stable ? g.dtype(NUMERIC) : g.dtype(["f32", "f64"]), stable ? {} : untied);
          return { dim: g.dim(shape.length), descending: g.r.chance(0.5), stable };
        },
        ours: (x, a) => {
          const r = torch.sort(x[0], a.dim, { descending: a.descending, stable: a.stable });
          if (a.stable) return [r.values, r.indices];
          r.indices.free();
          return [r.values];
        },
        tolerance: "exact",
      },
      argsort: {
        make: (g) => {
          const stable = g.r.chance(0.5);
          const shape = g.shape(1);
          g.tensor(shape, stable ? g.dtype(NUMERIC) : g.dtype(["f32", "f64"]), stable ? {} : untied);
          return { dim: g.dim(shape.length), descending: g.r.chance(0.5), stable };
        },
        ours: (x, a) => torch.argsort(x[0], a.dim, { descending: a.descending, stable: a.stable }),
        tolerance: "exact",
      },
      // median/mode: values only along a dim (which of equal elements' indices comes back is the kernel's
      // choice); ints tie often, floats have no special values (0 and -0 tie but differ in their bits).
      // torch's median along a dim runs on a contiguous copy (diff_torch.py): torch 1.13 reads garbage
      // along a stride-0 dim with keepdim, which ours avoids by copying too (native/sort.cpp).
      median: {
        make: (g) => {
          const shape = g.shape(1).map((d) => (d === 0 ? 3 : d));
          g.tensor(shape, g.dtype(["f32", "f64", "bf16", "i64", "i32"]), { special: 0 });
          return g.r.chance(0.3) ? {} : { dim: g.dim(shape.length), keepDim: g.r.chance(0.5) };
        },
        ours: (x, a) => ("dim" in a ? valuesOnly(torch.median(x[0], a.dim, a.keepDim)) : torch.median(x[0])),
        tolerance: "exact",
      },
      mode: {
        make: (g) => {
          const shape = g.shape(1).map((d) => (d === 0 ? 3 : d));
          g.tensor(shape, g.dtype(NUMERIC), { special: 0, ints: [-2, 2] });
          return { dim: g.dim(shape.length), keepDim: g.r.chance(0.5) };
        },
        ours: (x, a) => valuesOnly(torch.mode(x[0], a.dim, a.keepDim)),
        tolerance: "exact",
      },
      unique: {
        make: (g) => {
          g.tensor(g.shape(), g.dtype(ALL), { special: 0, ints: [-3, 3] });
          return { inverse: g.r.chance(0.5) };
        },
        ours: (x, a) => {
          const r = torch.unique(x[0], { inverse: a.inverse });
          return "inverse" in r ? [r.values, r.counts, r.inverse as Tensor] : [r.values, r.counts];
        },
        tolerance: "exact",
      },
    };
  })(),
  // ---- A: end ----

  // ---- B: indexing and shape (issue 17) ----
  // In a file of their own, with their helpers (an import up here would touch the shared list).
  ...(await import("./diff_table_indexing_shape.ts")).B_DIFF_OPS,
  // ---- B: end ----

  // ---- C: linear algebra, creation and random (issue 17) ----
  // One spread, so that its helpers stay inside this section. Random draws (randperm, multinomial,
  // normal, uniform) are not compared: their streams are the library's keys, not torch's generator.
  ...(() => {
    /** Equations as torch users write them; each letter gets a size, now and then 1 (it broadcasts). */
    const EQUATIONS = [
      "ij,jk->ik",
      "ij,jk",
      "bij,bjk->bik",
      "ii->i",
      "ii",
      "i,i",
      "i,j->ij",
      "ij->ji",
      "ij->",
      "...ij,...jk->...ik",
      "...i,...i",
      "bhqd,bhkd->bhqk",
      "ijk->kji",
      "Ab,bC",
      "i,i->i",
      ",i->i",
      "i...->...",
      "ab,cd->dacb",
    ];
    /** Stacks of matrices [batch?, m, n] of f32/f64 (and now and then a dtype both sides refuse). */
    const matrixInput = (g: DiffGen, square: boolean): void => {
      const n = g.r.int(0, 4);
      const m = square ? n : g.r.int(0, 4);
      const dtype = g.r.chance(0.05) ? g.dtype(["i64", "bf16"]) : g.dtype(["f32", "f64"]);
      g.tensor([...g.shape(0, 1), m, n], dtype, { special: 0 });
    };
    const single = (square: boolean, f: (x: Tensor[], a: Args) => Tensor | Tensor[]): DiffSpec => ({
      make: (g) => {
        matrixInput(g, square);
        return {};
      },
      ours: f,
      tolerance: "float",
    });
    const specs: Record<string, DiffSpec> = {
      einsum: {
        make: (g) => {
          const equation = g.r.pick(EQUATIONS);
          const sizes = new Map<string, number>();
          const size = (l: string) => sizes.get(l) ?? (sizes.set(l, g.r.int(1, 4)), sizes.get(l)!);
          const ellipsis = g.shape(0, 2);
          const dtype = g.dtype([...FLOATS, ...INTS]);
          const subs = equation.split("->")[0].split(",");
          for (const sub of subs) {
            const dims = sub.split("...").map((part) => [...part].map((l) => (g.r.chance(0.1) ? 1 : size(l))));
            const shape = dims.length === 2 ? [...dims[0], ...g.broadcastsTo(ellipsis), ...dims[1]] : dims[0];
            g.tensor(shape, dtype, { special: 0.01 });
          }
          return { equation };
        },
        ours: (x, a) => torch.einsum(a.equation as string, ...x),
        tolerance: "float",
      },
      outer: {
        make: (g) => {
          const dtype = g.dtype(NUMERIC);
          g.tensor([g.size()], dtype);
          g.tensor([g.size()], g.r.chance(0.8) ? dtype : g.dtype(NUMERIC));
          return {};
        },
        ours: (x) => torch.outer(x[0] as Tensor<[number]>, x[1] as Tensor<[number]>),
        tolerance: "float",
      },
      addmm: {
        make: (g) => {
          const dtype = g.dtype([...FLOATS, ...INTS]);
          const [n, k, m] = [g.size(), g.size(), g.size()];
          g.tensor(g.broadcastsTo([n, m]), dtype);
          g.tensor([n, k], dtype);
          g.tensor([k, m], dtype);
          const integral = isInt(dtype);
          return g.r.chance(0.3) ? {} : { beta: g.num({ integral }), alpha: g.num({ integral }) };
        },
        ours: (x, a) => torch.addmm(x[0], x[1], x[2] as never, { beta: a.beta, alpha: a.alpha }),
        tolerance: "float",
      },
      // beta = 0 is compared with torch's baddbmm at beta = 1 over zeros: torch 1.13's own beta = 0 reads
      // uninitialized memory (native/linalg.cpp says how; the torch side hit it too, seed 3 call 114).
      baddbmm: {
        make: (g) => {
          const dtype = g.dtype([...FLOATS, ...INTS]);
          const [b, n, k, m] = [g.size(), g.size(), g.size(), g.size()];
          g.tensor(g.broadcastsTo([b, n, m]), dtype);
          g.tensor([b, n, k], dtype);
          g.tensor([b, k, m], dtype);
          const integral = isInt(dtype);
          return g.r.chance(0.3) ? {} : { beta: g.num({ integral }), alpha: g.num({ integral }) };
        },
        ours: (x, a) => torch.baddbmm(x[0], x[1], x[2] as never, { beta: a.beta, alpha: a.alpha }),
        tolerance: "float",
      },
      tensordot: {
        make: (g) => {
          const dtype = g.dtype([...FLOATS, ...INTS]);
          const contracted = g.shape(0, 2);
          const [freeA, freeB] = [g.shape(0, 2), g.shape(0, 2)];
          if (g.r.chance(0.5)) {
            g.tensor([...freeA, ...contracted], dtype);
            g.tensor([...contracted, ...freeB], dtype);
            return { dims: contracted.length };
          }
          // Lists: b holds the contracted dims after its free ones, in a random order (some given negative).
          const k = contracted.length;
          const order = Array.from({ length: k }, (_, i) => i);
          for (let i = k - 1; i > 0; i--) {
            const j = g.r.int(0, i);
            [order[i], order[j]] = [order[j], order[i]];
          }
          const b = [...freeB, ...order.map((i) => contracted[i])];
          g.tensor([...freeA, ...contracted], dtype);
          g.tensor(b, dtype);
          const da = order.map((i) => freeA.length + i);
          const db = order.map((_, j) => freeB.length + j - (g.r.chance(0.3) ? b.length : 0));
          return { dims: [da, db] };
        },
        ours: (x, a) => torch.tensordot(x[0], x[1] as never, a.dims),
        tolerance: "float",
      },
      kron: {
        make: (g) => {
          const dtype = g.dtype(NUMERIC);
          g.tensor(g.shape(0, 3), dtype);
          g.tensor(g.shape(0, 3), g.r.chance(0.8) ? dtype : g.dtype(NUMERIC));
          return {};
        },
        ours: (x) => torch.kron(x[0], x[1]),
        tolerance: "float",
      },
      inverse: single(true, (x) => torch.inverse(x[0] as never)),
      det: single(true, (x) => torch.det(x[0] as never)),
      slogdet: single(true, (x) => {
        const r = torch.slogdet(x[0] as never);
        return [r.sign, r.logAbsDet];
      }),
      solve: {
        make: (g) => {
          const n = g.r.int(1, 4);
          const batch = g.shape(0, 1);
          const dtype = g.dtype(["f32", "f64"]);
          g.tensor([...batch, n, n], dtype, { special: 0 });
          const kind = g.r.pick(["vector", "batchedVector", "matrix"]);
          const b = kind === "vector"
            ? [n]
            : kind === "batchedVector"
            ? [...batch, n]
            : [...g.broadcastWith(batch), n, g.size()];
          g.tensor(b, dtype, { special: 0 });
          return {};
        },
        ours: (x) => torch.solve(x[0], x[1] as never),
        tolerance: "float",
      },
      // Half the inputs made symmetric positive-definite (a aᵀ + n I, composed the same way on both sides).
      cholesky: {
        make: (g) => {
          matrixInput(g, true);
          return { spd: g.r.chance(0.6), upper: g.r.chance(0.5) };
        },
        ours: (x, a) =>
          torch.scope(() => {
            const n = x[0].shape[x[0].rank - 1] ?? 0;
            const input = a.spd
              ? torch.add(
                torch.matmul(x[0], torch.transpose(x[0], -2, -1) as never),
                torch.mul(torch.eye(n, { dtype: x[0].dtype }), n),
              )
              : x[0];
            return torch.cholesky(input as never, { upper: a.upper });
          }),
        tolerance: "float",
      },
      qr: {
        make: (g) => {
          matrixInput(g, false);
          return { mode: g.r.pick(["reduced", "complete"]) };
        },
        ours: (x, a) => {
          const r = torch.qr(x[0] as never, a.mode);
          return [r.q, r.r];
        },
        tolerance: "float",
      },
      svd: {
        make: (g) => {
          matrixInput(g, false);
          return { fullMatrices: g.r.chance(0.5) };
        },
        ours: (x, a) => {
          const r = torch.svd(x[0] as never, { fullMatrices: a.fullMatrices });
          return [r.u, r.s, r.vh];
        },
        tolerance: "float",
      },
      eigh: {
        make: (g) => {
          matrixInput(g, true);
          return { UPLO: g.r.pick(["L", "U"]) };
        },
        ours: (x, a) => {
          const r = torch.eigh(x[0] as never, a.UPLO);
          return [r.eigenvalues, r.eigenvectors];
        },
        tolerance: "float",
      },
      linspace: {
        make: (g) => {
          const dtype = g.r.chance(0.3) ? undefined : g.dtype([...FLOATS, ...INTS]);
          return { start: g.num(), end: g.num(), steps: g.r.int(0, 6), ...(dtype ? { dtype } : {}) };
        },
        ours: (_, a) => torch.linspace(a.start, a.end, a.steps, a.dtype ? { dtype: a.dtype } : undefined),
        tolerance: "float",
      },
      logspace: {
        make: (g) => {
          const dtype = g.r.chance(0.3) ? undefined : g.dtype(FLOATS);
          const base = g.r.pick([10, 2, 0.5, 3]);
          return { start: g.num(), end: g.num(), steps: g.r.int(0, 6), base, ...(dtype ? { dtype } : {}) };
        },
        ours: (_, a) => torch.logspace(a.start, a.end, a.steps, a.base, a.dtype ? { dtype: a.dtype } : undefined),
        tolerance: "float",
      },
      // Its values are unspecified, so what is compared is the shape and dtype it takes from its input.
      emptyLike: {
        make: (g) => {
          g.tensor(g.shape(), g.dtype(ALL));
          return {};
        },
        ours: (x) => torch.scope(() => torch.zerosLike(torch.emptyLike(x[0]))),
        tolerance: "exact",
      },
    };
    return specs;
  })(),
  // ---- C: end ----

  // ---- D: neural network (issue 17) ----
  // The helpers live in this IIFE so that the section stays self-contained. Inputs keep special
  // values out (special: 0) where a window or a reduction would spread one NaN over many outputs;
  // optional tensor inputs travel as their index in `x` (null when absent). Deliberate differences
  // from torch (never drawn): a loss's input and target of two dtypes (torch promotes some pairs) is
  // a DTypeError, and so are integer inputs to a loss (torch computes a few, such as l1Loss's sum).
  ...((): Record<string, DiffSpec> => {
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
    return {
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
  })(),
  // ---- D: end ----

  // ---- E: transforms (issue 17) ----
  // ---- E: end ----

  // ---- F: layers and optimizers (issue 17) ----
  // Optimizer steps against torch.optim's functional single-tensor code (lion-pytorch's formula for
  // Lion), bit for bit on a contiguous parameter, as adamStep. `kw` is the config as torch's keywords,
  // every default filled in; `config` may leave some out, to test our defaults are torch's.
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
  "nn.multiHeadAttention.apply": {
    make: (g) => diffOps["nn.attention.apply"].make(g),
    // The very same function (tests/nn_more_test.ts checks nn.multiHeadAttention.apply === nn.attention.apply).
    ours: (x, a) => diffOps["nn.attention.apply"].ours(x, a),
    tolerance: "float",
  },
  // The layers' apply against torch.nn.functional with the layer's tensors as inputs: x[0] is x,
  // then the weight and (when a.bias) the bias; batch norm's are x, weight?, bias?, mean, var.
  ...((): Record<string, DiffSpec> => {
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
    return {
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
  })(),
  // ---- F: end ----
};
