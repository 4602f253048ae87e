/**
 * Mixed precision, as torch.autocast does it: inside `autocast("bf16", fn)` the matrix products
 * (`linear`, `matmul`, `bmm`) take their floating-point operands in bf16 and return bf16, and the
 * ops that need range and precision (`softmax`, `logSoftmax`, `crossEntropy`, `layerNorm`) take
 * lower-precision inputs in f32; f64 is left as it is. Every other op runs in the dtypes it is given, and libtorch
 * promotes mixed operands (f32 + bf16 is f32), so a residual stream that starts in f32 stays f32.
 * Parameters stay f32 (the master weights) and so do their gradients: the casts are differentiable.
 *
 * The casts are the op's own: they are made just before the native call and freed just after, so
 * a scope sees only the op's result. Autocast applies to what `fn` runs synchronously; it is not
 * carried across `await`.
 *
 * @module
 */
import { fail, sym } from "../ffi/lib.ts";
import { dtypeCode, type FloatDType, isFloat } from "./dtype.ts";
import type { Shape } from "./shape.ts";
import { type Handle, handleOf, type Tensor, wrap } from "./tensor.ts";

/** The dtypes matrix products can be autocast to. */
export type AutocastDType = "bf16" | "f16";

let active: AutocastDType | null = null;

/**
 * Runs `fn` with matrix products in `dtype` (bf16, or f16 where libtorch has f16 kernels: CUDA) and
 * softmax, log-softmax, cross entropy and layer norm in f32, as torch.autocast(dtype). Nests: an
 * inner call sets the dtype until it returns. `fn` must be synchronous.
 *
 * @example
 * ```ts
 * import { autocast, linear, randn, rng, scope } from "@deno-torch/torch";
 * scope(() => autocast("bf16", () => linear(randn([2, 3], rng(0)), randn([4, 3], rng(1))))); // bf16 [2, 4]
 * ```
 */
export function autocast<R>(dtype: AutocastDType, fn: () => R): R {
  if (dtype !== "bf16" && dtype !== "f16") {
    throw new TypeError(`autocast: dtype must be "bf16" or "f16", got ${String(dtype)}`);
  }
  return withAutocastState(dtype, () => {
    const result = fn();
    if (result instanceof Promise) {
      throw new TypeError("autocast: fn must be synchronous (autocast does not follow an await)");
    }
    return result;
  });
}

/**
 * Runs `fn` with the autocast setting `dtype` (null: none), as `autocast` does; for code that replays
 * recorded work under the setting it was recorded with (checkpointed segments, recomputed in backward).
 */
export function withAutocastState<R>(dtype: AutocastDType | null, fn: () => R): R {
  const outer = active;
  active = dtype;
  try {
    return fn();
  } finally {
    active = outer;
  }
}

/** The dtype matrix products are autocast to here, or null outside `autocast`. */
export function autocastDType(): AutocastDType | null {
  return active;
}

/**
 * Runs the native `call` on the handles of `operands`, each floating-point operand of another dtype
 * cast to `dtype` first (f64 only when `dtype` is f32; absent operands pass null), and frees the
 * casts when it returns.
 */
export function callIn<S extends Shape = Shape>(
  dtype: FloatDType,
  operands: readonly (Tensor | null | undefined)[],
  op: string,
  call: (handles: (Handle | null)[]) => Handle | null,
): Tensor<S> {
  const casts: Handle[] = [];
  try {
    const handles = operands.map((t) => {
      if (!t) return null;
      const h = handleOf(t, op);
      if (!isFloat(t.dtype) || t.dtype === dtype || (t.dtype === "f64" && dtype !== "f32")) return h;
      const cast = sym.dt_to_dtype(h, dtypeCode(dtype));
      if (cast === null) fail(op);
      casts.push(cast);
      return cast;
    });
    return wrap<S>(call(handles), op);
  } finally {
    for (const cast of casts) sym.dt_free(cast);
  }
}

/** Whether a matrix product over these operands runs autocast: inside `autocast`, with a float operand not yet in its dtype. */
export function lowersProduct(operands: readonly (Tensor | null | undefined)[]): AutocastDType | null {
  // f64 is left as it is, as torch.autocast leaves it.
  return active !== null && operands.some((t) => t && isFloat(t.dtype) && t.dtype !== "f64" && t.dtype !== active)
    ? active
    : null;
}

/** Whether an f32-only op over these operands must widen them: inside `autocast`, with a bf16 or f16 operand. */
export function widens(operands: readonly (Tensor | null | undefined)[]): boolean {
  return active !== null && operands.some((t) => t && (t.dtype === "bf16" || t.dtype === "f16"));
}
