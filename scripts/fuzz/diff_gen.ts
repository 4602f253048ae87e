/**
 * Random VALID inputs for the differential fuzzer: shapes (0-dim, size-1 and size-0 dims), shapes
 * that broadcast with a given one, dtypes from an op's supported list, values (normals, small
 * integers, booleans, and now and then 0, -0, large, NaN and ±Infinity), and layouts (plain,
 * transposed, sliced with step 2 along the first or the last dim, expanded). Every input is recorded as a recipe (scripts/fuzz/diff_case.ts)
 * so that torch gets the same bytes in the same layout.
 */
import * as torch from "../../mod.ts";
import type { DType } from "../../mod.ts";
import type { Rand } from "./gen.ts";
import { baseShape, toBase64, type View } from "./diff_case.ts";
import type { TensorRecipe } from "./diff_case.ts";

export const ALL: readonly DType[] = ["f32", "f64", "i64", "i32", "bool", "f16", "bf16"];
/** Floats whose CPU kernels libtorch 1.13 has for most ops (f16 has few there: arithmetic, sums, casts). */
export const FLOATS: readonly DType[] = ["f32", "f64", "bf16"];
export const FLOATS_F16: readonly DType[] = ["f32", "f64", "bf16", "f16"];
export const NUMERIC: readonly DType[] = ["f32", "f64", "i64", "i32", "f16", "bf16"];
export const INTS: readonly DType[] = ["i64", "i32"];

/** Values that arithmetic gets wrong when it is careless: signed zeros, large, not a number, infinite. */
const SPECIAL = [0, -0, 1e4, -1e4, 3e38, NaN, Infinity, -Infinity, 1e-30];

/** Options for one input's values. */
export interface ValueOptions {
  /** Floats: the chance that an element is a special value (default 0.05; 0 for none). */
  special?: number;
  /** Integers: the range [lo, hi] (default [-6, 6]). */
  ints?: [number, number];
  /** Floats: only positive values (|normal| + 0.1), for ops whose domain needs them. */
  positive?: boolean;
  /** The layout: random by default; "plain" where an op needs a contiguous input (view). */
  view?: "plain" | "any";
}

export class DiffGen {
  readonly inputs: TensorRecipe[] = [];
  constructor(readonly r: Rand) {}

  /** A standard normal (Box-Muller), rounded to 4 decimals so that printed cases read well. */
  normal(): number {
    const u = 1 - this.r.next(), v = this.r.next();
    return Math.round(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v) * 1e4) / 1e4;
  }

  /** A size: mostly 1-4, sometimes 0 (an empty tensor) or 5. */
  size(): number {
    return this.r.pick([1, 2, 3, 4, 2, 3, 1, 0, 5]);
  }

  /** A shape of rank `lo`..`hi` (0-dim included when lo is 0). */
  shape(lo = 0, hi = 4): number[] {
    return Array.from({ length: this.r.int(lo, hi) }, () => this.size());
  }

  /** A shape that broadcasts with `shape`: trailing dims equal or 1, sometimes fewer or more dims. */
  broadcastWith(shape: readonly number[]): number[] {
    const drop = this.r.chance(0.3) ? this.r.int(0, shape.length) : 0;
    const out = shape.slice(drop).map((d) => (this.r.chance(0.25) ? 1 : d));
    // A new leading dim only where none was dropped (else it would line up with one of `shape`'s).
    if (drop === 0 && this.r.chance(0.15) && out.length < 4) out.unshift(this.r.pick([1, 2]));
    // Now and then stretch a size-1 dim of `shape` the other way round.
    const offset = shape.length - out.length;
    for (let i = 0; i < out.length; i++) {
      if (i + offset >= 0 && shape[i + offset] === 1 && this.r.chance(0.3)) out[i] = this.r.pick([2, 3]);
    }
    return out;
  }

  /** A shape that broadcasts TO `shape` (the result is `shape` itself): for masks. */
  broadcastsTo(shape: readonly number[]): number[] {
    const drop = this.r.chance(0.3) ? this.r.int(0, shape.length) : 0;
    return shape.slice(drop).map((d) => (this.r.chance(0.3) ? 1 : d));
  }

  dtype(from: readonly DType[] = ALL): DType {
    // f32 is the common case, so it gets drawn more often.
    return this.r.chance(0.3) && from.includes("f32") ? "f32" : this.r.pick(from);
  }

  value(dtype: DType, o: ValueOptions): number {
    if (dtype === "bool") return this.r.chance(0.5) ? 1 : 0;
    if (dtype === "i64" || dtype === "i32") return this.r.int(...(o.ints ?? [-6, 6]));
    if (o.positive) return Math.abs(this.normal()) + 0.1;
    if (this.r.chance(o.special ?? 0.05)) return this.r.pick(SPECIAL);
    return this.normal();
  }

  /** Registers a random input of `shape` and `dtype`; returns its index among the case's inputs. */
  tensor(shape: readonly number[], dtype: DType, o: ValueOptions = {}): number {
    const view = o.view === "plain" ? { kind: "plain" as const } : this.view(shape);
    const base = baseShape(shape, view);
    const n = base.reduce((a, b) => a * b, 1);
    const values = Float64Array.from({ length: n }, () => this.value(dtype, o));
    this.inputs.push({ dtype, base, data: this.bytesOf(values, base, dtype), view });
    return this.inputs.length - 1;
  }

  /** An integer tensor with values in [lo, hi] (indices, targets). */
  ints(shape: readonly number[], lo: number, hi: number, dtype: DType = "i64"): number {
    return this.tensor(shape, dtype, { ints: [lo, hi] });
  }

  view(shape: readonly number[]): View {
    const kind = this.r.pick(["plain", "plain", "plain", "plain", "transpose", "slice", "sliceLast", "expand"]);
    if (kind === "transpose" && shape.length >= 2) return { kind };
    if ((kind === "slice" || kind === "sliceLast") && shape.length >= 1) return { kind, start: this.r.int(0, 1) };
    if (kind === "expand" && shape.length >= 1) return { kind, size: shape[0] };
    return { kind: "plain" };
  }

  /** The base's bytes in its dtype: made from f64 by the library's cast (exact for every value drawn here but f16/bf16 rounding, which both sides then share). */
  bytesOf(values: Float64Array, shape: readonly number[], dtype: DType): string {
    const raw = new Uint8Array(values.buffer);
    if (dtype === "f64") return toBase64(raw);
    const t = torch.fromBytes(raw, "f64", [...shape], { castTo: dtype });
    try {
      return toBase64(torch.bytes(t));
    } finally {
      t.free();
    }
  }

  /** A number argument: small, integral for integer tensors where `integral`, sometimes special. */
  num(opts: { integral?: boolean; special?: boolean } = {}): number {
    if (opts.integral) return this.r.int(-4, 4);
    if (opts.special && this.r.chance(0.1)) return this.r.pick(SPECIAL);
    return this.r.pick([0, 1, 2, -1, 0.5, -2.5, 3, 1e-3, this.normal()]);
  }

  /** A dim of a rank-`rank` tensor, negative half the time. */
  dim(rank: number): number {
    const d = this.r.int(0, Math.max(rank - 1, 0));
    return this.r.chance(0.5) ? d - rank : d;
  }
}
