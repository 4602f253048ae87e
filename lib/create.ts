/** Creating tensors: from JS data, constants, ranges and random draws (with an explicit `Key`). */
import { DTypeError, ShapeError } from "./errors.ts";
import { fail, sym } from "../ffi/lib.ts";
import { defaultDevice, type Device, deviceCodes } from "./device.ts";
import { bytesPer, type DType, dtypeCode, isFloat, isInteger, U8_CODE } from "./dtype.ts";
import type { Key } from "./rng.ts";
import { formatShape, type Shape, type Sizes, type Writable } from "./shape.ts";
import { handleOf, type Tensor, wrap } from "./tensor.ts";
import { int32Arg, sizesArg } from "./scratch.ts";

/** Element type and device of a newly created tensor. */
export interface TensorOptions {
  /** Element type; when omitted, each creator picks its own default (usually f32). */
  dtype?: DType;
  /** Where to allocate the tensor; default `defaultDevice()` ("cpu" unless set). */
  device?: Device;
}

/** Nested JS arrays of numbers or booleans. */
export type NestedArray = number | boolean | readonly NestedArray[];
/**
 * Typed arrays accepted as flat data by `tensor`; each gives its own dtype by default (f32, f64, i32,
 * i64, and bool for Uint8Array).
 */
export type TypedData = Float32Array | Float64Array | Int32Array | Int8Array | BigInt64Array | Uint8Array;

function device(opts: TensorOptions | undefined, op: string): [number, number] {
  return deviceCodes(opts?.device ?? defaultDevice(), op);
}

/**
 * A tensor from data: flat (numbers, booleans or a typed array, with `shape`) or nested arrays
 * (shape inferred). The default dtype follows the data: f32 for numbers, bool for booleans, and the
 * typed array's own type otherwise.
 */
export function tensor<const S extends Shape = number[]>(
  data: NestedArray | TypedData,
  shape?: Sizes<S>,
  opts?: TensorOptions,
): Tensor<Writable<S>> {
  const op = "tensor";
  let flat: ArrayLike<number | boolean | bigint>;
  let dims: number[];
  if (ArrayBuffer.isView(data)) {
    flat = data;
    dims = shape ? [...shape] : [data.length];
  } else if (Array.isArray(data) || typeof data === "number" || typeof data === "boolean") {
    const inferred = inferShape(data);
    flat = Array.isArray(data) ? data.flat(Infinity) as (number | boolean)[] : [data as number | boolean];
    dims = shape ? [...shape] : inferred;
  } else {
    throw new DTypeError(op, `data must be a number, boolean, nested array or typed array, got ${typeof data}`);
  }
  const n = dims.reduce((a, b) => a * b, 1);
  if (n !== flat.length) {
    throw new ShapeError(op, `shape ${formatShape(dims)} holds ${n} elements but the data has ${flat.length}`);
  }
  const dtype = opts?.dtype ?? defaultDType(data, flat);
  const [buffer, srcCode] = encode(flat, dtype, op);
  const [dev, idx] = device(opts, op);
  return wrap(
    sym.dt_from_data(buffer, srcCode, sizesArg(dims, op), dims.length, dtypeCode(dtype, op), dev, idx),
    op,
  );
}

/** Options for `fromBytes`. */
export interface FromBytesOptions {
  /** Device the tensor is moved to after it is built on the CPU; default `defaultDevice()`. */
  device?: Device;
  /** The result's dtype, when it should differ from the bytes' (converted on the CPU copy, before the move). */
  castTo?: DType;
}

/**
 * A tensor copied from raw little-endian element bytes of `dtype`, row-major: the bytes go in unchanged
 * (bf16, f16, i64 beyond 2^53 and f64 keep every bit). `bytes` may be a view into a larger buffer (a
 * subarray of a whole file); only `numel * bytesPer(dtype)` bytes are read, and any alignment is fine.
 * For bool, any non-zero byte is true.
 */
export function fromBytes<const S extends Shape = number[]>(
  bytes: Uint8Array,
  dtype: DType,
  shape: Sizes<S>,
  opts?: FromBytesOptions,
): Tensor<Writable<S>> {
  const op = "fromBytes";
  const code = dtypeCode(dtype, op);
  const dims = shape as readonly number[];
  const sizes = sizesArg(dims, op);
  const n = dims.reduce((a, b) => a * b, 1);
  const per = bytesPer(dtype);
  if (bytes.length !== n * per) {
    throw new ShapeError(
      op,
      `shape ${formatShape(dims)} of ${dtype} needs ${n * per} bytes (${n} elements x ${per}), got ${bytes.length}`,
    );
  }
  const target = dtypeCode(opts?.castTo ?? dtype, op);
  const [dev, idx] = device(opts, op);
  // bool goes over as u8, which the native cast turns into 0/1 (a raw byte 2 would be an invalid bool);
  // cast to another dtype, it goes through bool first, or a byte 2 would come out as 2, not as true's 1.
  const src = dtype === "bool" ? U8_CODE : code;
  const bool = dtypeCode("bool");
  if (dtype !== "bool" || target === bool) {
    return wrap(sym.dt_from_data(bytes as BufferSource, src, sizes, dims.length, target, dev, idx), op);
  }
  const flags = sym.dt_from_data(bytes as BufferSource, src, sizes, dims.length, bool, dev, idx);
  if (flags === null) fail(op);
  try {
    return wrap(sym.dt_to_dtype(flags, target), op);
  } finally {
    sym.dt_free(flags);
  }
}

function inferShape(data: NestedArray): number[] {
  const dims: number[] = [];
  let x: NestedArray = data;
  while (Array.isArray(x)) {
    dims.push(x.length);
    x = x[0];
  }
  const check = (v: NestedArray, depth: number): void => {
    if (depth === dims.length) {
      if (Array.isArray(v)) throw new ShapeError("tensor", "nested arrays are ragged (deeper at some positions)");
      return;
    }
    if (!Array.isArray(v) || v.length !== dims[depth]) {
      throw new ShapeError("tensor", `nested arrays are ragged: expected length ${dims[depth]} at depth ${depth}`);
    }
    for (const c of v) check(c, depth + 1);
  };
  check(data, 0);
  return dims;
}

function defaultDType(data: unknown, flat: ArrayLike<unknown>): DType {
  if (data instanceof Float64Array) return "f64";
  if (data instanceof Int32Array) return "i32";
  if (data instanceof Int8Array) return "i8";
  if (data instanceof BigInt64Array) return "i64";
  if (data instanceof Uint8Array) return "bool";
  if (!ArrayBuffer.isView(data) && flat.length > 0 && typeof flat[0] === "boolean") return "bool";
  return "f32";
}

/** Packs data as the buffer the native copy reads, with that buffer's dtype code. */
function encode(flat: ArrayLike<number | boolean | bigint>, dtype: DType, op: string): [BufferSource, number] {
  if (flat instanceof Float32Array) return [flat as BufferSource, 0];
  if (flat instanceof Float64Array) return [flat as BufferSource, 1];
  if (flat instanceof BigInt64Array) return [flat as BufferSource, 4];
  if (flat instanceof Int32Array) return [flat as BufferSource, 5];
  if (flat instanceof Int8Array) return [flat as BufferSource, 8];
  if (flat instanceof Uint8Array) return [flat as BufferSource, U8_CODE];
  if (dtype === "bool") {
    const out = new Uint8Array(flat.length);
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i];
      if (typeof v !== "boolean" && v !== 0 && v !== 1) {
        throw new DTypeError(op, `bool data must be true/false or 0/1, got ${String(v)} at index ${i}`);
      }
      out[i] = v ? 1 : 0;
    }
    return [out, U8_CODE];
  }
  const out = new Float64Array(flat.length);
  const integer = isInteger(dtype);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (typeof v !== "number" && typeof v !== "boolean") {
      throw new DTypeError(op, `data must hold numbers, got ${typeof v} at index ${i}`);
    }
    const x = Number(v);
    if (integer && !Number.isSafeInteger(x)) {
      throw new DTypeError(op, `${dtype} data must be (safe) integers, got ${x} at index ${i}`);
    }
    if (dtype === "i32" && (x < -2147483648 || x > 2147483647)) {
      throw new DTypeError(op, `${x} at index ${i} does not fit in i32`);
    }
    if (dtype === "i8" && (x < -128 || x > 127)) throw new DTypeError(op, `${x} at index ${i} does not fit in i8`);
    out[i] = x;
  }
  // f32 data goes over as f32 (what the caller asked for); other floats round once from f64.
  return dtype === "f32" ? [new Float32Array(out), 0] : [out, 1];
}

/**
 * A tensor of `shape` with every element equal to `value`, f32 on the CPU unless `opts` says otherwise.
 * Throws a `DTypeError` when `value` is NaN or infinite and the dtype is not floating point.
 *
 * @example
 * ```ts
 * const sevens = full([2, 3], 7); // Tensor<[2, 3]>
 * const ids = full([4], -1, { dtype: "i64" }); // Tensor<[4]> of i64
 * ```
 */
export function full<const S extends Shape>(shape: Sizes<S>, value: number, opts?: TensorOptions): Tensor<Writable<S>> {
  return fill("full", shape, value, opts);
}

/** `full` under the name of the creator that called it, so that its errors name that creator. */
function fill<const S extends Shape>(
  op: string,
  shape: Sizes<S>,
  value: number,
  opts?: TensorOptions,
): Tensor<Writable<S>> {
  const dtype = opts?.dtype ?? "f32";
  if (!Number.isFinite(value) && !isFloat(dtype)) throw new DTypeError(op, `${value} cannot be stored as ${dtype}`);
  const [dev, idx] = device(opts, op);
  return wrap(
    sym.dt_full(sizesArg(shape as readonly number[], op), shape.length, value, dtypeCode(dtype, op), dev, idx),
    op,
  );
}

/**
 * A tensor of `shape` filled with 0, f32 on the CPU unless `opts` says otherwise.
 *
 * @example
 * ```ts
 * const z = zeros([2, 3]); // Tensor<[2, 3]>
 * ```
 */
export function zeros<const S extends Shape>(shape: Sizes<S>, opts?: TensorOptions): Tensor<Writable<S>> {
  return fill("zeros", shape, 0, opts);
}

/**
 * A tensor of `shape` filled with 1, f32 on the CPU unless `opts` says otherwise.
 *
 * @example
 * ```ts
 * const mask = ones([4, 4], { dtype: "bool" }); // Tensor<[4, 4]>, all true
 * ```
 */
export function ones<const S extends Shape>(shape: Sizes<S>, opts?: TensorOptions): Tensor<Writable<S>> {
  return fill("ones", shape, 1, opts);
}

/** Same shape, dtype and device as `like`, filled with `value`. */
export function fullLike<S extends Shape>(like: Tensor<S>, value: number, opts?: TensorOptions): Tensor<S> {
  return fillLike("fullLike", like, value, opts);
}

/** `fullLike` under the name of the creator that called it; a freed `like` is refused, as every op refuses it. */
function fillLike<S extends Shape>(op: string, like: Tensor<S>, value: number, opts?: TensorOptions): Tensor<S> {
  handleOf(like, op);
  return fill(op, like.shape as Sizes<S>, value, { dtype: like.dtype, device: like.device, ...opts });
}

/**
 * Zeros with the shape, dtype and device of `like`; `opts` overrides the dtype or device.
 *
 * @example
 * ```ts
 * const grad = zerosLike(weight); // same shape, dtype and device as weight
 * ```
 */
export function zerosLike<S extends Shape>(like: Tensor<S>, opts?: TensorOptions): Tensor<S> {
  return fillLike("zerosLike", like, 0, opts);
}

/**
 * Ones with the shape, dtype and device of `like`; `opts` overrides the dtype or device.
 *
 * @example
 * ```ts
 * const keep = onesLike(x, { dtype: "bool" }); // x's shape, all true
 * ```
 */
export function onesLike<S extends Shape>(like: Tensor<S>, opts?: TensorOptions): Tensor<S> {
  return fillLike("onesLike", like, 1, opts);
}

/** [start, end) in steps of `step`; i64 by default when all bounds are integers, like PyTorch. */
export function arange(start: number, end?: number, step = 1, opts?: TensorOptions): Tensor<[number]> {
  const op = "arange";
  if (end === undefined) [start, end] = [0, start];
  if (step === 0) throw new RangeError("arange: step must not be 0");
  const ints = Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step);
  const dtype = opts?.dtype ?? (ints ? "i64" : "f32");
  const [dev, idx] = device(opts, op);
  return wrap(sym.dt_arange(start, end, step, dtypeCode(dtype, op), dev, idx), op);
}

/**
 * The n × n identity matrix, f32 on the CPU unless `opts` says otherwise.
 *
 * @example
 * ```ts
 * const i = eye(3); // Tensor<[3, 3]>
 * ```
 */
export function eye<const N extends number>(n: N, opts?: TensorOptions): Tensor<[N, N]> {
  const op = "eye";
  const [dev, idx] = device(opts, op);
  if (!(int32Arg(n, "n", op) >= 0)) throw new RangeError(`${op}: n must be ≥ 0, got ${n}`);
  return wrap(sym.dt_eye(n, dtypeCode(opts?.dtype ?? "f32", op), dev, idx), op);
}

function random<S extends Shape>(kind: 0 | 1, op: string, shape: Sizes<S>, key: Key, opts?: TensorOptions): Tensor<S> {
  const dtype = opts?.dtype ?? "f32";
  if (!isFloat(dtype)) throw new DTypeError(op, `needs a floating dtype, got ${dtype}`);
  const [dev, idx] = device(opts, op);
  const sizes = sizesArg(shape as readonly number[], op);
  return wrap(sym.dt_random(sizes, shape.length, kind, dtypeCode(dtype, op), dev, idx, key.hi, key.lo), op);
}

/** Standard normal samples, determined by `key`. */
export function randn<const S extends Shape>(shape: Sizes<S>, key: Key, opts?: TensorOptions): Tensor<Writable<S>> {
  return random(1, "randn", shape, key, opts);
}

/** Uniform samples in [0, 1), determined by `key`. */
export function rand<const S extends Shape>(shape: Sizes<S>, key: Key, opts?: TensorOptions): Tensor<Writable<S>> {
  return random(0, "rand", shape, key, opts);
}

/** Uniform integers in [low, high), i64 unless `dtype` says otherwise. */
export function randint<const S extends Shape>(
  low: number,
  high: number,
  shape: Sizes<S>,
  key: Key,
  opts?: TensorOptions,
): Tensor<Writable<S>> {
  const op = "randint";
  if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || high <= low) {
    throw new RangeError(`randint: need integers low < high, got [${low}, ${high})`);
  }
  const [dev, idx] = device(opts, op);
  const sizes = sizesArg(shape as readonly number[], op);
  const dtype = dtypeCode(opts?.dtype ?? "i64", op);
  return wrap(sym.dt_randint(low, high, sizes, shape.length, dtype, dev, idx, key.hi, key.lo), op);
}

/** Bernoulli(p) draws shaped like `like` (as its dtype), determined by `key`. */
export function bernoulli<S extends Shape>(like: Tensor<S>, p: number, key: Key): Tensor<S> {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulli: p must be in [0, 1], got ${p}`);
  return wrap(sym.dt_bernoulli(handleOf(like, "bernoulli"), p, key.hi, key.lo), "bernoulli");
}
