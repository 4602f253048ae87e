/**
 * `Tensor<S>`: a handle to a libtorch tensor plus its concrete shape, dtype and device. `S` is the
 * compile-time shape (see shape.ts); `shape` is the runtime one. Tensors are immutable values:
 * ops return new tensors and never change their inputs.
 */
import { FreedTensorError } from "../ffi/errors.ts";
import { fail, sym } from "../ffi/lib.ts";
import { type DType, dtypeFromCode } from "./dtype.ts";
import { type Device, deviceName } from "./device.ts";
import { adopt, release, type Scope } from "./scope.ts";
import { formatShape, type Shape } from "./shape.ts";

export type Handle = Deno.PointerObject;

export class Tensor<S extends Shape = Shape> {
  /** Compile-time shape only; never set at run time. */
  declare readonly __shape: S;
  /** The native handle, null once freed. */
  handle: Handle | null;
  /** The scope that will free this tensor, or null when it is kept (freed by hand or the GC net). */
  owner: Scope | null = null;

  constructor(
    handle: Handle,
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly device: Device,
    readonly requiresGrad: boolean,
  ) {
    this.handle = handle;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get size(): number {
    let n = 1;
    for (const d of this.shape) n *= d;
    return n;
  }

  get freed(): boolean {
    return this.handle === null;
  }

  /** Frees the native tensor now. Idempotent. */
  free(): void {
    release(this);
  }

  [Symbol.dispose](): void {
    release(this);
  }

  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.dtype}, ${this.device}${this.freed ? ", freed" : ""})`;
  }

  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** The handle of a live tensor; throws `FreedTensorError` naming the op otherwise. */
export function h(t: Tensor, op: string): Handle {
  const p = t.handle;
  if (p === null) throw new FreedTensorError(op);
  return p;
}

const META_HEADER = 5;
const meta = new Float64Array(
  Deno.UnsafePointerView.getArrayBuffer(sym.dt_meta()!, sym.dt_meta_capacity() * 8),
);

/**
 * Turns a handle returned by a native op into a Tensor registered in the current scope; a null
 * handle raises the op's native error. Reads the metadata the op left in the shared buffer.
 */
export function wrap<S extends Shape = Shape>(p: Handle | null, op: string): Tensor<S> {
  if (p === null) fail(op);
  return fromMeta<S>(p);
}

/** Wraps a handle that did not come straight from an op (e.g. one of several outputs). */
export function wrapDescribed<S extends Shape = Shape>(p: Handle, op: string): Tensor<S> {
  if (sym.dt_describe(p) !== 0) {
    sym.dt_free(p);
    fail(op);
  }
  return fromMeta<S>(p);
}

function fromMeta<S extends Shape>(p: Handle): Tensor<S> {
  const rank = meta[3];
  const shape = new Array<number>(rank);
  for (let i = 0; i < rank; i++) shape[i] = meta[META_HEADER + i];
  const t = new Tensor<S>(p, shape, dtypeFromCode(meta[0]), deviceName(meta[1], meta[2]), meta[4] === 1);
  adopt(t);
  return t;
}

/**
 * Names the shape of a tensor for the type checker where inference cannot follow (inside generic
 * layers, after ops typed with `number[]`). A claim only: nothing is checked at run time.
 */
export function assume<S extends Shape>(t: Tensor): Tensor<S> {
  return t as unknown as Tensor<S>;
}
