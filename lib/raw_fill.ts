/**
 * Tensors filled from raw bytes in place: the one way the library writes into a tensor's native
 * memory, kept apart from create.ts so that mod.ts does not export it.
 *
 * @module
 */
import { fail, sym } from "../ffi/lib.ts";
import { zeros } from "./create.ts";
import { bytesPer, type DType } from "./dtype.ts";
import { DTypeError } from "./errors.ts";
import type { Shape, Sizes, Writable } from "./shape.ts";
import { handleOf, type Tensor } from "./tensor.ts";

/**
 * A new CPU tensor of `dtype` and `shape` whose bytes `fill` writes, given a view of the tensor's
 * own memory: how a file's bytes go into a tensor with no buffer between (the safetensors reader).
 * The view is valid only while `fill` runs; it is `fill`'s to write, not to keep. A `fill` that
 * throws leaves no tensor behind. bool is refused (raw bytes could hold values a bool cannot).
 * Internal to the library: mod.ts does not export it.
 */
export function filledOnCpu<const S extends Shape>(
  dtype: DType,
  shape: Sizes<S>,
  fill: (bytes: Uint8Array) => void,
): Tensor<Writable<S>> {
  const op = "filledOnCpu";
  if (dtype === "bool") throw new DTypeError(op, "bool tensors cannot be filled from raw bytes");
  const t = zeros(shape, { dtype, device: "cpu" });
  try {
    const size = t.size * bytesPer(dtype);
    if (size > 0) {
      const at = sym.dt_data_ptr(handleOf(t, op));
      if (at === null) fail(op);
      fill(new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(at, size)));
    }
    return t;
  } catch (e) {
    t.free();
    throw e;
  }
}
