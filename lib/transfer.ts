/**
 * Moving data out of tensors (always as copies: see `isContiguous` for why there is no zero-copy
 * view) and between dtypes and devices.
 *
 * @module
 */
import { DTypeError } from "./errors.ts";
import { fail, sym } from "../ffi/lib.ts";
import { canonicalDevice, type Device, deviceCodes } from "./device.ts";
import { bytesPer, type DType, dtypeCode } from "./dtype.ts";
import type { Shape } from "./shape.ts";
import { handleOf, type Tensor, wrap } from "./tensor.ts";
import { scope } from "./scope.ts";
import { scalarOut } from "./scratch.ts";

/**
 * The typed array that holds elements of dtype `D` once read out: Float64Array for f64, BigInt64Array
 * for i64, Int32Array for i32, Int8Array for i8, Uint8Array (0/1) for bool, and Float32Array for f32,
 * bf16 and f16.
 */
export type DataOf<D extends DType> = D extends "f64" ? Float64Array
  : D extends "i64" ? BigInt64Array
  : D extends "i32" ? Int32Array
  : D extends "i8" ? Int8Array
  : D extends "bool" ? Uint8Array
  : Float32Array;

function typedArray(dtype: DType, buffer: ArrayBuffer, length: number) {
  switch (dtype) {
    case "f64":
      return new Float64Array(buffer, 0, length);
    case "i64":
      return new BigInt64Array(buffer, 0, length);
    case "i32":
      return new Int32Array(buffer, 0, length);
    case "i8":
      return new Int8Array(buffer, 0, length);
    case "bool":
      return new Uint8Array(buffer, 0, length);
    case "f32":
      return new Float32Array(buffer, 0, length);
    default:
      throw new DTypeError("data", `no typed array holds ${dtype}`);
  }
}

/**
 * A copy of the elements in row-major order, as the matching typed array (bf16 and f16 widen to
 * Float32Array, bool is Uint8Array of 0/1, i64 is BigInt64Array).
 */
export function data(t: Tensor): Float32Array | Float64Array | BigInt64Array | Int32Array | Int8Array | Uint8Array {
  return dataAs("data", t);
}

/** `data` under the name of the reader that called it (`values`, `toArray`), so that its errors name that reader. */
function dataAs(
  op: string,
  t: Tensor,
): Float32Array | Float64Array | BigInt64Array | Int32Array | Int8Array | Uint8Array {
  handleOf(t, op);
  if (t.dtype === "bf16" || t.dtype === "f16") return scope(() => dataAs(op, cast(t, "f32")));
  const n = t.size;
  const buffer = new ArrayBuffer(n * bytesPer(t.dtype));
  const out = typedArray(t.dtype, buffer, n);
  if (sym.dt_copy_to(handleOf(t, op), out, buffer.byteLength) !== 0) fail(op);
  return out;
}

/**
 * A copy of the raw element bytes of `t`'s own dtype, row-major and contiguous whatever `t`'s strides
 * (little-endian on the hosts libtorch runs on). Works for every dtype, bf16 and f16 included; bool is
 * one byte per element, 0 or 1. The inverse of `fromBytes`.
 */
export function bytes(t: Tensor): Uint8Array {
  return bytesInto(t, new Uint8Array(t.size * bytesPer(t.dtype)));
}

/**
 * `bytes(t)` written into the front of `scratch` (which must hold them), returned as that view: for
 * writers that stream many tensors through one buffer instead of leaving a copy of each to the GC.
 */
export function bytesInto(t: Tensor, scratch: Uint8Array): Uint8Array {
  const out = scratch.subarray(0, t.size * bytesPer(t.dtype));
  if (out.byteLength !== t.size * bytesPer(t.dtype)) {
    throw new RangeError(
      `bytesInto: the scratch buffer holds ${scratch.byteLength} bytes, the tensor ${t.size * bytesPer(t.dtype)}`,
    );
  }
  if (sym.dt_copy_to(handleOf(t, "bytes"), out, out.byteLength) !== 0) fail("bytes");
  return out;
}

/** The elements as a flat array of numbers, row-major (i64 beyond 2^53 loses precision; bool gives 0/1). */
export function values(t: Tensor): number[] {
  return valuesAs("values", t);
}

function valuesAs(op: string, t: Tensor): number[] {
  const flat = dataAs(op, t);
  return flat instanceof BigInt64Array ? Array.from(flat, Number) : Array.from(flat);
}

/** A tensor's elements as nested JS arrays, one level per dimension (a bare number for a scalar). */
export type Nested = number | Nested[];

/** The elements as nested JS arrays of numbers (i64 beyond 2^53 loses precision; bool gives 0/1). */
export function toArray(t: Tensor): Nested {
  const flat = valuesAs("toArray", t);
  if (t.rank === 0) return flat[0];
  let pos = 0;
  const build = (d: number): Nested[] => {
    const out: Nested[] = [];
    for (let i = 0; i < t.shape[d]; i++) out.push(d === t.rank - 1 ? flat[pos++] : build(d + 1));
    return out;
  };
  return build(0);
}

/** The value of a one-element tensor. */
export function item(t: Tensor): number {
  if (sym.dt_item(handleOf(t, "item"), scalarOut) !== 0) fail("item");
  return scalarOut[0];
}

/**
 * Whether `t`'s elements lie in its memory in row-major order without gaps (a transpose or a
 * strided slice is a view that does not; `contiguous` or `clone` makes a tensor that does).
 *
 * There is deliberately no zero-copy view of a tensor's memory (the former `rawView`): an
 * ArrayBuffer over native memory cannot be detached when the tensor is freed, so it would outlive
 * it (reads of recycled memory, writes into live tensors), and writes through it would change an
 * immutable tensor and all its aliases. `data` and `bytes` copy, and are the way out.
 */
export function isContiguous(t: Tensor): boolean {
  const r = sym.dt_is_contiguous(handleOf(t, "isContiguous"));
  if (r < 0) fail("isContiguous");
  return r === 1;
}

/** The tensor as another dtype (a new tensor; gradients flow through float casts). */
export function cast<S extends Shape>(t: Tensor<S>, dtype: DType): Tensor<S> {
  return wrap(sym.dt_to_dtype(handleOf(t, "cast"), dtypeCode(dtype, "cast")), "cast");
}

/** The tensor on another device (a new tensor). */
export function toDevice<S extends Shape>(t: Tensor<S>, device: Device): Tensor<S> {
  const [dev, idx] = deviceCodes(device, "toDevice");
  return wrap(sym.dt_to_device(handleOf(t, "toDevice"), dev, idx), "toDevice");
}

/** Same device? ("cuda" and "cuda:0" are the same.) */
export function sameDevice(a: Device, b: Device): boolean {
  return canonicalDevice(a) === canonicalDevice(b);
}

/** A copy with its own contiguous storage. */
export function clone<S extends Shape>(t: Tensor<S>): Tensor<S> {
  return wrap(sym.dt_clone(handleOf(t, "clone")), "clone");
}

/** The same values cut from the autograd graph. */
export function detach<S extends Shape>(t: Tensor<S>): Tensor<S> {
  return wrap(sym.dt_detach(handleOf(t, "detach")), "detach");
}
