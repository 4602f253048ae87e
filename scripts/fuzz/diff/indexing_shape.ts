/**
 * The differential fuzzer's indexing and shape ops of issue 17 (group B), spread into `diffOps` by
 * scripts/fuzz/diff_table.ts; their torch readings are the functions of the same names in
 * diff_torch.py. Index tensors hold valid positions only (negative ones too where torch reads them
 * from the end), and distinct ones wherever a repeated position would leave the result to the
 * kernel's write order (scatter with a tensor, indexPut without accumulate). Sums over repeated
 * positions (scatterAdd, scatterReduce, indexAdd, accumulating indexPut) may add in another order, so
 * they compare within float roundings.
 *
 * One difference kept on purpose: `takeAlongDim` without a dim flattens x and the indices whatever
 * their layout, where torch 1.13's `view(-1)` refuses non-contiguous ones; the torch side reshapes.
 */
import * as torch from "../../../mod.ts";
import type { DType, Tensor } from "../../../mod.ts";
import { ALL, type DiffGen, FLOATS, INTS, NUMERIC } from "../diff_gen.ts";
import type { DiffSpec } from "./common.ts";

// deno-lint-ignore no-explicit-any
type Args = Record<string, any>;

const isInt = (d: DType) => d === "i64" || d === "i32";
/** `d` normalized for rank `rank`. */
const norm = (d: number, rank: number) => (d < 0 ? d + rank : d);
/** A shape of rank ≥ `lo` whose sizes are ≥ 1 (so that every dim has a valid index). */
const nonEmpty = (g: DiffGen, lo = 1, hi = 4) => g.shape(lo, hi).map((d) => (d === 0 ? 2 : d));

/** Registers an i64 input holding exactly `values` (row-major, contiguous). */
function exact(g: DiffGen, values: number[], shape: number[], dtype: DType = "i64"): number {
  const data = g.bytesOf(Float64Array.from(values), shape, dtype);
  g.inputs.push({ dtype, base: shape, data, view: { kind: "plain" } });
  return g.inputs.length - 1;
}

/** `k` distinct values from 0..n-1, in random order. */
function distinct(g: DiffGen, n: number, k: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = g.r.int(0, i);
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, k);
}

/** A random subset of the dims of a rank-`rank` tensor, in random order, some negative. */
function someDims(g: DiffGen, rank: number, atLeast = 0): number[] {
  return distinct(g, rank, g.r.int(Math.min(atLeast, rank), rank)).map((d) => (g.r.chance(0.3) ? d - rank : d));
}

/** Sizes that multiply to `n` (one -1 now and then). */
function factors(g: DiffGen, n: number): number[] {
  if (n === 0) return g.r.pick([[0], [0, 3], [2, 0]]);
  const out: number[] = [];
  let left = n;
  while (left > 1) {
    const d = g.r.pick(Array.from({ length: left }, (_, i) => i + 1).filter((v) => v > 1 && left % v === 0));
    out.push(d);
    left /= d;
  }
  if (out.length === 0 || g.r.chance(0.3)) out.splice(g.r.int(0, out.length), 0, 1);
  if (g.r.chance(0.3)) out[g.r.int(0, out.length - 1)] = -1;
  return out;
}

/** The index shape of a scatter-like call: ≤ x's sizes off `axis`, `along` on it. */
function scatterIndexShape(g: DiffGen, shape: number[], axis: number, along: number): number[] {
  return shape.map((d, i) => (i === axis ? along : g.r.int(Math.min(d, 1), d)));
}

/** A scatter-like call on x (i64 index with values in [0, n)); `unique` makes positions distinct per line. */
function scatterCase(g: DiffGen, dtypes: readonly DType[], unique: boolean, withSrc = true): Args {
  const shape = nonEmpty(g);
  const dtype = g.dtype(dtypes);
  g.tensor(shape, dtype);
  const dim = g.dim(shape.length);
  const axis = norm(dim, shape.length);
  const n = shape[axis];
  const along = unique ? g.r.int(0, n) : g.size();
  const ishape = scatterIndexShape(g, shape, axis, along);
  // One line of positions per index element off the axis: distinct along it when `unique`.
  const values = new Array<number>(ishape.reduce((p, q) => p * q, 1));
  const inner = ishape.slice(axis + 1).reduce((p, q) => p * q, 1);
  const outer = ishape.slice(0, axis).reduce((p, q) => p * q, 1);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const line = unique ? distinct(g, n, along) : Array.from({ length: along }, () => g.r.int(0, n - 1));
      line.forEach((v, k) => (values[(o * along + k) * inner + i] = v));
    }
  }
  exact(g, values, ishape);
  if (withSrc) g.tensor(ishape.map((d) => d + g.r.int(0, 1)), dtype);
  return { dim };
}

export const INDEXING_SHAPE_DIFF_OPS: Record<string, DiffSpec> = {
  flatten: {
    make: (g) => {
      const shape = g.shape();
      g.tensor(shape, g.dtype(ALL));
      if (shape.length === 0 || g.r.chance(0.2)) return {};
      const start = g.r.int(0, shape.length - 1), end = g.r.int(start, shape.length - 1);
      const neg = (d: number) => (g.r.chance(0.3) ? d - shape.length : d);
      return { start: neg(start), end: neg(end) };
    },
    ours: (x, a) => torch.flatten(x[0], a.start ?? 0, a.end ?? -1),
    tolerance: "exact",
  },
  unflatten: {
    make: (g) => {
      const shape = g.shape(1);
      g.tensor(shape, g.dtype(ALL));
      const dim = g.dim(shape.length);
      return { dim, sizes: factors(g, shape[norm(dim, shape.length)]) };
    },
    ours: (x, a) => torch.unflatten(x[0], a.dim, a.sizes),
    tolerance: "exact",
  },
  split: {
    make: (g) => {
      const shape = g.shape(1);
      g.tensor(shape, g.dtype(ALL));
      const dim = g.dim(shape.length);
      const n = shape[norm(dim, shape.length)];
      if (g.r.chance(0.5)) return { dim, size: g.r.int(n === 0 ? 0 : 1, 4) };
      const sizes: number[] = [];
      let left = n;
      while (left > 0 || sizes.length === 0) {
        const s = g.r.int(0, left);
        sizes.push(s);
        left -= s;
      }
      return { dim, sizes };
    },
    ours: (x, a) => torch.split(x[0], a.sizes ?? a.size, a.dim) as Tensor[],
    tolerance: "exact",
  },
  chunk: {
    make: (g) => {
      const shape = g.shape(1);
      g.tensor(shape, g.dtype(ALL));
      return { chunks: g.r.int(1, 5), dim: g.dim(shape.length) };
    },
    ours: (x, a) => torch.chunk(x[0], a.chunks, a.dim),
    tolerance: "exact",
  },
  unbind: {
    make: (g) => {
      const shape = g.shape(1);
      g.tensor(shape, g.dtype(ALL));
      return { dim: g.dim(shape.length) };
    },
    ours: (x, a) => torch.unbind(x[0], a.dim),
    tolerance: "exact",
  },
  flip: {
    make: (g) => {
      const shape = g.shape();
      g.tensor(shape, g.dtype(ALL));
      return { dims: someDims(g, shape.length) };
    },
    ours: (x, a) => torch.flip(x[0], a.dims),
    tolerance: "exact",
  },
  roll: {
    make: (g) => {
      const shape = g.shape();
      g.tensor(shape, g.dtype(ALL));
      const shift = () => g.r.int(-6, 6);
      if (shape.length === 0 || g.r.chance(0.3)) return { shifts: shift() };
      const dims = someDims(g, shape.length, 1);
      return { shifts: dims.map(shift), dims };
    },
    ours: (x, a) => torch.roll(x[0], a.shifts, a.dims),
    tolerance: "exact",
  },
  repeat: {
    make: (g) => {
      const shape = g.shape(0, 3);
      g.tensor(shape, g.dtype(ALL));
      const extra = Array.from({ length: g.r.int(0, 2) }, () => g.r.int(0, 3));
      return { repeats: [...extra, ...shape.map(() => g.r.int(0, 3))] };
    },
    ours: (x, a) => torch.repeat(x[0], a.repeats),
    tolerance: "exact",
  },
  tile: {
    make: (g) => {
      const shape = g.shape(0, 3);
      g.tensor(shape, g.dtype(ALL));
      return { reps: Array.from({ length: g.r.int(0, shape.length + 1) }, () => g.r.int(0, 3)) };
    },
    ours: (x, a) => torch.tile(x[0], a.reps),
    tolerance: "exact",
  },
  repeatInterleave: {
    make: (g) => {
      const shape = g.shape();
      g.tensor(shape, g.dtype(ALL));
      const dim = shape.length > 0 && g.r.chance(0.7) ? g.dim(shape.length) : undefined;
      const along = dim === undefined ? shape.reduce((p, q) => p * q, 1) : shape[norm(dim, shape.length)];
      if (g.r.chance(0.4)) return { dim, repeats: g.r.int(0, 3) };
      g.ints([g.r.chance(0.2) ? 1 : along], 0, 3);
      return { dim };
    },
    ours: (x, a) => torch.repeatInterleave(x[0], a.repeats ?? x[1], a.dim),
    tolerance: "exact",
  },
  pad: {
    make: (g) => {
      const mode = g.r.pick(["constant", "constant", "reflect", "replicate", "circular"]);
      if (mode === "constant") {
        const shape = g.shape();
        const dtype = g.dtype(ALL);
        g.tensor(shape, dtype);
        const k = g.r.int(0, shape.length);
        const padding: number[] = [];
        for (let i = 0; i < k; i++) {
          const size = shape[shape.length - 1 - i];
          const side = () => (size >= 2 && g.r.chance(0.2) ? -1 : g.r.int(0, 3));
          padding.push(side(), side());
        }
        const value = dtype === "bool" ? g.r.int(0, 1) : g.num({ integral: isInt(dtype) });
        return { padding, mode, value };
      }
      const k = g.r.int(1, 3);
      const lead = mode === "circular" ? 2 : g.r.int(1, 2); // circular needs a batch and a channel dim
      const shape = [...g.shape(lead, lead).map((d) => d || 1), ...Array.from({ length: k }, () => g.r.int(2, 4))];
      g.tensor(shape, g.dtype(["f32", "f64"]));
      const padding: number[] = [];
      for (let i = 0; i < k; i++) {
        const size = shape[shape.length - 1 - i];
        const most = mode === "reflect" ? size - 1 : mode === "circular" ? size : 3;
        padding.push(g.r.int(0, most), g.r.int(0, most));
      }
      return { padding, mode };
    },
    ours: (x, a) => torch.pad(x[0], a.padding, a.mode, a.value ?? 0),
    tolerance: "exact",
  },
  movedim: {
    make: (g) => {
      const shape = g.shape(1);
      g.tensor(shape, g.dtype(ALL));
      const rank = shape.length;
      if (g.r.chance(0.5)) return { source: g.dim(rank), destination: g.dim(rank) };
      const source = someDims(g, rank, 1);
      const destination = distinct(g, rank, source.length).map((d) => (g.r.chance(0.3) ? d - rank : d));
      return { source, destination };
    },
    ours: (x, a) => torch.movedim(x[0], a.source, a.destination),
    tolerance: "exact",
  },
  narrow: {
    make: (g) => {
      const shape = g.shape(1);
      g.tensor(shape, g.dtype(ALL));
      const dim = g.dim(shape.length);
      const n = shape[norm(dim, shape.length)];
      const from = g.r.int(0, n);
      const length = g.r.int(0, n - from);
      return { dim, start: g.r.chance(0.3) && from < n ? from - n : from, length };
    },
    ours: (x, a) => torch.narrow(x[0], a.dim, a.start, a.length),
    tolerance: "exact",
  },
  diag: {
    make: (g) => {
      const shape = g.shape(1, 2);
      g.tensor(shape, g.dtype(ALL.filter((d) => d !== "f16"))); // libtorch 1.13 has no f16 diag on CPU
      // A matrix's diagonals run from -rows to cols (the outermost ones empty).
      return { k: shape.length === 1 ? g.r.int(-3, 3) : g.r.int(-shape[0], shape[1]) };
    },
    ours: (x, a) => torch.diag(x[0] as never, a.k),
    tolerance: "exact",
  },
  diagonal: {
    make: (g) => {
      const shape = g.shape(2);
      g.tensor(shape, g.dtype(ALL));
      const [d1, d2] = distinct(g, shape.length, 2).map((d) => (g.r.chance(0.3) ? d - shape.length : d));
      return { offset: g.r.int(-3, 3), d1, d2 };
    },
    ours: (x, a) => torch.diagonal(x[0], a.offset, a.d1, a.d2),
    tolerance: "exact",
  },
  broadcastTo: {
    make: (g) => {
      const shape = g.shape(0, 3).map((d) => (g.r.chance(0.5) ? 1 : d));
      g.tensor(shape, g.dtype(ALL));
      const to = shape.map((d) => (d === 1 ? g.r.pick([1, 2, 3, 0, -1]) : g.r.chance(0.3) ? -1 : d));
      return { shape: g.r.chance(0.4) ? [g.r.pick([1, 2, 3]), ...to] : to };
    },
    ours: (x, a) => torch.broadcastTo(x[0], a.shape as never),
    tolerance: "exact",
  },
  meshgrid: {
    make: (g) => {
      const dtype = g.dtype(ALL);
      const count = g.r.int(1, 3);
      for (let i = 0; i < count; i++) g.tensor(g.r.chance(0.15) ? [] : [g.size()], dtype);
      return { indexing: g.r.pick(["ij", "xy"]) };
    },
    ours: (x, a) => torch.meshgrid(x, a.indexing),
    tolerance: "exact",
  },
  scatter: {
    make: (g) => {
      if (g.r.chance(0.5)) return scatterCase(g, ALL, true);
      const dtype = g.dtype(NUMERIC);
      const args = scatterCase(g, [dtype], false, false);
      return { ...args, value: g.num({ integral: isInt(dtype) }) };
    },
    ours: (x, a) => torch.scatter(x[0], a.dim, x[1], a.value ?? x[2]),
    tolerance: "exact",
  },
  scatterAdd: {
    make: (g) => scatterCase(g, [...FLOATS, ...INTS], false),
    ours: (x, a) => torch.scatterAdd(x[0], a.dim, x[1], x[2]),
    tolerance: "float",
  },
  scatterReduce: {
    make: (g) => ({
      ...scatterCase(g, [...FLOATS, ...INTS], false),
      reduce: g.r.pick(["sum", "prod", "mean", "amax", "amin"]),
      includeSelf: g.r.chance(0.6),
    }),
    ours: (x, a) => torch.scatterReduce(x[0], a.dim, x[1], x[2], a.reduce, { includeSelf: a.includeSelf }),
    tolerance: "float",
  },
  indexAdd: {
    make: (g) => {
      const shape = nonEmpty(g);
      const dtype = g.dtype([...FLOATS, ...INTS]);
      g.tensor(shape, dtype);
      const dim = g.dim(shape.length);
      const axis = norm(dim, shape.length);
      const k = g.size();
      g.ints([k], 0, shape[axis] - 1, g.r.pick(INTS));
      g.tensor(shape.map((d, i) => (i === axis ? k : d)), dtype);
      return g.r.chance(0.5) ? { dim } : { dim, alpha: g.num({ integral: isInt(dtype) }) };
    },
    ours: (x, a) => torch.indexAdd(x[0], a.dim, x[1], x[2], a.alpha ?? 1),
    tolerance: "float",
  },
  indexFill: {
    make: (g) => {
      const shape = nonEmpty(g);
      const dtype = g.dtype(ALL);
      g.tensor(shape, dtype);
      const dim = g.dim(shape.length);
      const n = shape[norm(dim, shape.length)];
      g.ints([g.size()], -n, n - 1);
      const value = dtype === "bool" ? g.r.int(0, 1) : g.num({ integral: isInt(dtype) && g.r.chance(0.7) });
      return { dim, value };
    },
    ours: (x, a) => torch.indexFill(x[0], a.dim, x[1], a.value),
    tolerance: "exact",
  },
  indexPut: {
    make: (g) => {
      const shape = nonEmpty(g);
      const accumulate = g.r.chance(0.5);
      const dtype = g.dtype(accumulate ? [...FLOATS, ...INTS] : ALL);
      g.tensor(shape, dtype);
      const m = g.r.int(1, shape.length);
      let picked: number[];
      if (accumulate) {
        // Index tensors that broadcast together (to the first one's shape), positions repeated or not.
        picked = g.shape(0, 2);
        for (let i = 0; i < m; i++) g.ints(i === 0 ? picked : g.broadcastsTo(picked), -shape[i], shape[i] - 1);
      } else {
        // 1-D indices of one length, the first distinct (so no position repeats).
        const k = g.r.int(0, shape[0]);
        exact(g, distinct(g, shape[0], k).map((v) => (g.r.chance(0.3) ? v - shape[0] : v)), [k]);
        for (let i = 1; i < m; i++) g.ints([k], -shape[i], shape[i] - 1);
        picked = [k];
      }
      g.tensor(g.broadcastsTo([...picked, ...shape.slice(m)]), dtype);
      return { accumulate, m };
    },
    ours: (x, a) => torch.indexPut(x[0], x.slice(1, 1 + a.m), x[1 + a.m], a.accumulate),
    tolerance: "float",
  },
  take: {
    make: (g) => {
      const shape = nonEmpty(g, 0);
      g.tensor(shape, g.dtype(ALL));
      const n = shape.reduce((p, q) => p * q, 1);
      g.ints(g.shape(0, 3), -n, n - 1);
      return {};
    },
    ours: (x) => torch.take(x[0], x[1]),
    tolerance: "exact",
  },
  takeAlongDim: {
    make: (g) => {
      const shape = nonEmpty(g);
      g.tensor(shape, g.dtype(ALL));
      if (g.r.chance(0.3)) {
        g.ints(g.shape(0, 2), 0, shape.reduce((p, q) => p * q, 1) - 1);
        return {};
      }
      const dim = g.dim(shape.length);
      const axis = norm(dim, shape.length);
      g.ints(shape.map((d, i) => (i === axis ? g.size() : g.r.chance(0.3) ? 1 : d)), 0, shape[axis] - 1);
      return { dim };
    },
    ours: (x, a) => torch.takeAlongDim(x[0], x[1], a.dim),
    tolerance: "exact",
  },
  nonzero: {
    make: (g) => {
      g.tensor(g.shape(), g.dtype(ALL), { ints: [-1, 1], special: 0.3 });
      return {};
    },
    ours: (x) => torch.nonzero(x[0]),
    tolerance: "exact",
  },
  maskedSelect: {
    make: (g) => {
      const shape = g.shape();
      g.tensor(shape, g.dtype(ALL));
      g.tensor(g.broadcastWith(shape), "bool");
      return {};
    },
    ours: (x) => torch.maskedSelect(x[0], x[1]),
    tolerance: "exact",
  },
  oneHot: {
    make: (g) => {
      const classes = g.r.int(1, 5);
      const shape = g.shape(0, 3);
      g.ints(shape, 0, classes - 1);
      const n = shape.reduce((p, q) => p * q, 1);
      return { numClasses: n > 0 && g.r.chance(0.4) ? -1 : classes + g.r.int(0, 1) };
    },
    ours: (x, a) => torch.oneHot(x[0], a.numClasses),
    tolerance: "exact",
  },
};
