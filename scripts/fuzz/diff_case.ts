/**
 * The differential fuzzer's cases and their comparison: an input tensor is a recipe (dtype, the shape
 * of a contiguous base, the base's raw little-endian bytes, and a view taken of it), which this side
 * builds with the library and scripts/fuzz/diff_torch.py builds with torch from the same bytes; a
 * result is its dtype, shape and raw bytes; `compareResults` decides whether two results agree.
 */
import * as torch from "../../mod.ts";
import type { DType, Tensor } from "../../mod.ts";
import { bytesPer } from "../../lib/dtype.ts";

/**
 * How an input is laid out: the base itself, its first and last dimensions swapped (`transpose`),
 * every second element of its first dimension from `start` (`slice`, a stride-2 view), the same
 * along its last dimension (`sliceLast`: the innermost stride is 2, which vectorized kernels must
 * handle apart), or a size-1 first dimension broadcast to `size` (`expand`, a stride-0 view). Each
 * is applied the same way on both sides.
 */
export type View =
  | { kind: "plain" }
  | { kind: "transpose" }
  | { kind: "slice"; start: number }
  | { kind: "sliceLast"; start: number }
  | { kind: "expand"; size: number };

/** One input tensor: the base's dtype, shape and bytes (base64), and the view taken of it. */
export interface TensorRecipe {
  dtype: DType;
  base: number[];
  data: string;
  view: View;
}

/** One call, as written for the Python side: the op's name, its tensor inputs and its other arguments. */
export interface WireCase {
  id: number;
  op: string;
  inputs: TensorRecipe[];
  args: Record<string, unknown>;
}

/** A result tensor as both sides report it: dtype, shape and row-major little-endian bytes (base64). */
export interface WireTensor {
  dtype: DType;
  shape: number[];
  data: string;
}

/** One side's outcome of a case: its output tensors, or the error it raised. */
export type Outcome = { ok: true; outputs: WireTensor[] } | { ok: false; error: string };

/** How closely two results must agree: bit for bit (`exact`), or within the dtype's float tolerance. */
export type Tolerance = "exact" | "float";

// ---- bytes and base64 ----

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A result tensor on the wire: its dtype, shape and bytes (any layout reads out row-major). */
export function wireTensor(t: Tensor): WireTensor {
  return { dtype: t.dtype, shape: [...t.shape], data: toBase64(torch.bytes(t)) };
}

// ---- building inputs on this side ----

/** The shape the base must have so that `view` of it has `shape`. */
export function baseShape(shape: readonly number[], view: View): number[] {
  const base = [...shape];
  const n = base.length;
  if (view.kind === "transpose") [base[0], base[n - 1]] = [base[n - 1], base[0]];
  if (view.kind === "slice") base[0] = shape[0] * 2 + view.start;
  if (view.kind === "sliceLast") base[n - 1] = shape[n - 1] * 2 + view.start;
  if (view.kind === "expand") base[0] = 1;
  return base;
}

/** The library's tensor for a recipe: the base from its bytes, then the view. The caller frees what it returns. */
export function buildInput(r: TensorRecipe): { input: Tensor; made: Tensor[] } {
  const base = torch.fromBytes(fromBase64(r.data), r.dtype, r.base);
  const v = r.view;
  const n = r.base.length;
  const input = v.kind === "transpose"
    ? torch.transpose(base, 0, n - 1)
    : v.kind === "slice"
    ? torch.slice(base, 0, v.start, r.base[0], 2)
    : v.kind === "sliceLast"
    ? torch.slice(base, n - 1, v.start, r.base[n - 1], 2)
    : v.kind === "expand"
    ? torch.expand(base, [v.size, ...r.base.slice(1)])
    : base;
  return { input, made: input === base ? [base] : [base, input] };
}

// ---- decoding results ----

/** f16 bits to a number (IEEE binary16: 1 sign, 5 exponent, 10 fraction bits). */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** A result's elements as numbers (i64 as bigint, so that no integer rounds). */
export function decode(t: WireTensor): (number | bigint)[] {
  const b = fromBase64(t.data);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: (number | bigint)[] = [];
  const per = bytesPer(t.dtype);
  for (let i = 0; i + per <= b.length; i += per) {
    switch (t.dtype) {
      case "f64":
        out.push(view.getFloat64(i, true));
        break;
      case "f32":
        out.push(view.getFloat32(i, true));
        break;
      case "i64":
        out.push(view.getBigInt64(i, true));
        break;
      case "i32":
        out.push(view.getInt32(i, true));
        break;
      case "bool":
        out.push(view.getUint8(i));
        break;
      case "f16":
        out.push(halfToNumber(view.getUint16(i, true)));
        break;
      case "bf16": {
        // bf16 is the high half of an f32.
        const f = new DataView(new ArrayBuffer(4));
        f.setUint16(0, view.getUint16(i, true));
        out.push(f.getFloat32(0));
        break;
      }
    }
  }
  return out;
}

// ---- comparing ----

/**
 * Machine epsilon (the gap above 1) per float dtype. The float tolerance is 8 of them, relative and
 * absolute: both sides run the same libtorch, so ops usually agree bit for bit, and where the paths
 * differ (the fused attention kernel against the plain composition, a reduction in another order)
 * the difference is a few roundings of the result's dtype.
 */
const EPS: Partial<Record<DType, number>> = { f64: 2 ** -52, f32: 2 ** -23, bf16: 2 ** -7, f16: 2 ** -10 };
export const ULPS = 8;

/** The relative (= absolute) tolerance a float result of `dtype` gets under `tolerance`. */
export function floatTolerance(dtype: DType, tolerance: Tolerance = "float"): number {
  return tolerance === "exact" ? 0 : ULPS * (EPS[dtype] ?? 0);
}

function agree(a: number | bigint, b: number | bigint, tol: number): boolean {
  if (typeof a === "bigint" || typeof b === "bigint") return a === b;
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (tol === 0) return Object.is(a, b); // exact: -0 and 0 differ too
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= tol * (1 + Math.abs(b));
}

const show = (x: number | bigint) => typeof x === "number" && Object.is(x, -0) ? "-0" : String(x);

/** Why result `ours` differs from `theirs` (torch's), or null when they agree. */
export function compareTensor(ours: WireTensor, theirs: WireTensor, tolerance: Tolerance): string | null {
  if (ours.dtype !== theirs.dtype) return `dtype ${ours.dtype}, torch ${theirs.dtype}`;
  if (ours.shape.join() !== theirs.shape.join()) return `shape [${ours.shape}], torch [${theirs.shape}]`;
  const a = decode(ours), b = decode(theirs);
  if (a.length !== b.length) return `${a.length} elements, torch ${b.length}`;
  const tol = floatTolerance(ours.dtype, tolerance);
  for (let i = 0; i < a.length; i++) {
    if (!agree(a[i], b[i], tol)) {
      const bad = a.filter((x, j) => !agree(x, b[j], tol)).length;
      return `element ${i}: ${show(a[i])}, torch ${show(b[i])} (${bad} of ${a.length} differ, tolerance ${
        tol === 0 ? "exact" : tol.toExponential(2)
      })`;
    }
  }
  return null;
}

/** Why two outcomes of one case disagree, or null when they agree (both rejecting counts as agreeing). */
export function compareOutcomes(ours: Outcome, theirs: Outcome, tolerance: Tolerance): string | null {
  if (!ours.ok && !theirs.ok) return null;
  if (!ours.ok) return `ours threw (${ours.error}); torch returned a result`;
  if (!theirs.ok) return `torch raised (${theirs.error}); ours returned a result`;
  if (ours.outputs.length !== theirs.outputs.length) {
    return `${ours.outputs.length} outputs, torch ${theirs.outputs.length}`;
  }
  for (let i = 0; i < ours.outputs.length; i++) {
    const why = compareTensor(ours.outputs[i], theirs.outputs[i], tolerance);
    if (why !== null) return ours.outputs.length > 1 ? `output ${i}: ${why}` : why;
  }
  return null;
}
