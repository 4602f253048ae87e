/**
 * What the differential fuzzer's tables share (scripts/fuzz/diff_table.ts and the groups in this
 * folder): the DiffSpec type and the spec builders and draw helpers that several groups use.
 */
import * as torch from "../../../mod.ts";
import type { DType, Tensor } from "../../../mod.ts";
import type { Tolerance } from "../diff_case.ts";
import { ALL, type DiffGen, FLOATS_F16 } from "../diff_gen.ts";

// deno-lint-ignore no-explicit-any
export type Args = Record<string, any>;

/** One compared op: draws a valid call, runs it here; diff_torch.py runs it with torch under the same name. */
export interface DiffSpec {
  make: (g: DiffGen) => Args;
  ours: (x: Tensor[], a: Args) => Tensor | Tensor[];
  tolerance: Tolerance;
}

export const isInt = (d: DType) => d === "i64" || d === "i32";

/** The shape two broadcastable shapes broadcast to. */
export function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const x = a[a.length - n + i] ?? 1, y = b[b.length - n + i] ?? 1;
    return x === 1 ? y : x;
  });
}

// ---- elementwise ----

/** A binary op: tensor ∘ broadcastable tensor (any two dtypes from `dtypes`), or tensor ∘ number. */
export function binary(
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

export function unary(name: string, dtypes: readonly DType[], tolerance: Tolerance): DiffSpec {
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
export function reduction(name: string, dtypes: readonly DType[], tolerance: Tolerance, nonEmpty = false): DiffSpec {
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
export function along(name: string, dtypes: readonly DType[], tolerance: Tolerance, nonEmpty: boolean): DiffSpec {
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

export function spread(name: "std" | "var_"): DiffSpec {
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
export function reshaped(g: DiffGen, shape: readonly number[]): number[] {
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
export function permutation(g: DiffGen, n: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = g.r.int(0, i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order.map((d) => (g.r.chance(0.3) ? d - n : d));
}

/** Several tensors whose shapes agree except along `dim` (cat) or not at all (stack). */
export function joined(g: DiffGen, exceptDim: boolean): Args {
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
export function matmulShapes(g: DiffGen): [number[], number[]] {
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
export function attentionMask(
  g: DiffGen,
  scores: number[],
  dtype: DType,
): { mask: "bool" | "float" | null; isCausal: boolean } {
  const kind = g.r.pick(["none", "bool", "float", "causal"] as const);
  if (kind === "bool") g.tensor(g.broadcastsTo(scores), "bool");
  if (kind === "float") g.tensor(g.broadcastsTo(scores), dtype);
  return { mask: kind === "bool" || kind === "float" ? kind : null, isCausal: kind === "causal" };
}
