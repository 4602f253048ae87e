/**
 * The differential fuzzer's elementwise ops and reductions/scans of issue 17 (group A), spread into
 * `diffOps` by scripts/fuzz/diff_table.ts; their torch readings are the functions of the same names in
 * diff_torch.py.
 */
import * as torch from "../../../mod.ts";
import type { DType, Tensor } from "../../../mod.ts";
import type { Tolerance } from "../diff_case.ts";
import { ALL, FLOATS, INTS, NUMERIC } from "../diff_gen.ts";
import { type Args, binary, broadcast, type DiffSpec, isInt, permutation, reduction, unary } from "./common.ts";

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

export const ELEMENTWISE_SCANS_DIFF_OPS: Record<string, DiffSpec> = {
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
