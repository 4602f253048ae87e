/**
 * `Tensor<S>`: a handle to a libtorch tensor plus its concrete shape, dtype and device. `S` is the
 * compile-time shape (see shape.ts); `shape` is the runtime one. Tensors are immutable values:
 * ops return new tensors and never change their inputs.
 */
import { FreedTensorError } from "./errors.ts";
import { fail, sym } from "../ffi/lib.ts";
import { type DType, dtypeFromCode } from "./dtype.ts";
import { type Device, deviceName } from "./device.ts";
import { adopt, release, type Scope } from "./scope.ts";
import { formatShape, type Shape } from "./shape.ts";

/** The opaque native pointer to a libtorch tensor, as handed back by the FFI binding. */
export type Handle = Deno.PointerObject;

/**
 * An immutable tensor: a native libtorch tensor plus its concrete shape, dtype, device and whether
 * autograd tracks it. The type parameter `S` is the shape as the type checker sees it; `shape` is the
 * real one. Tensors are made by the creation functions and ops (never with `new` by user code), belong
 * to the innermost open `scope`, and are freed when it ends unless returned from it or `keep`-ed.
 *
 * @example
 * ```ts
 * import { randn, rng, scope } from "@deno-torch/torch";
 * scope(() => {
 *   const x = randn([2, 3], rng(0)); // Tensor<[2, 3]>
 *   console.log(x.shape, x.dtype, x.device, x.rank, x.size); // [2, 3] f32 cpu 2 6
 * });
 * ```
 */
export class Tensor<S extends Shape = Shape> {
  /** Compile-time shape only; never set at run time. */
  declare readonly __shape: S;
  /** The native handle, null once freed. */
  handle: Handle | null;
  /** The scope that will free this tensor, or null when it is kept (freed by hand or the GC net). */
  owner: Scope | null = null;

  /**
   * Wraps a native handle with its metadata. Internal: ops build tensors through `wrap`, which also
   * registers them with the current scope; a tensor made directly with `new` is owned by nobody.
   *
   * @param handle the live native tensor
   * @param shape the concrete sizes, outermost first
   * @param dtype the element type
   * @param device where the data lives
   * @param requiresGrad whether autograd records operations on it
   */
  constructor(
    handle: Handle,
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly device: Device,
    readonly requiresGrad: boolean,
  ) {
    this.handle = handle;
  }

  /** The number of dimensions (0 for a scalar). */
  get rank(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get size(): number {
    let n = 1;
    for (const d of this.shape) n *= d;
    return n;
  }

  /** Whether the native tensor has been freed; any op on a freed tensor throws `FreedTensorError`. */
  get freed(): boolean {
    return this.handle === null;
  }

  /** Frees the native tensor now. Idempotent. */
  free(): void {
    release(this);
  }

  /** Frees the native tensor when a `using` declaration goes out of scope (same as `free()`). */
  [Symbol.dispose](): void {
    release(this);
  }

  /** A one-line summary such as `Tensor([2, 3], f32, cpu)`; it never reads the elements. */
  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.dtype}, ${this.device}${this.freed ? ", freed" : ""})`;
  }

  /** Makes `console.log` print the same summary as `toString()` rather than the object's fields. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** The handle of a live tensor; throws `FreedTensorError` naming the op otherwise. */
export function handleOf(t: Tensor, op: string): Handle {
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

/** The handles of `xs` as a u64 buffer, for native calls that take a list of tensors (`T**`). */
export function handleList(xs: readonly Tensor[], op: string): BigUint64Array {
  const out = new BigUint64Array(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = BigInt(Deno.UnsafePointer.value(handleOf(xs[i], op)));
  return out;
}

/**
 * Tensors for the handles a native call wrote into `slots` (ops with several outputs). All or none:
 * when one cannot be wrapped, the tensors already made and the handles not yet wrapped are freed
 * before the error goes on, so the failed call leaves the live count as it found it.
 */
export function wrapAll(slots: BigUint64Array, op: string): Tensor[] {
  const wrapped: Tensor[] = [];
  try {
    for (const p of slots) wrapped.push(wrapDescribed(Deno.UnsafePointer.create(p)!, op));
  } catch (e) {
    for (const t of wrapped) release(t);
    // wrapDescribed freed the one that failed; the ones after it were never wrapped
    for (const p of slots.subarray(wrapped.length + 1)) sym.dt_free(Deno.UnsafePointer.create(p));
    throw e;
  }
  return wrapped;
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
 *
 * @example
 * ```ts
 * import { assume, randn, rng, type Tensor } from "@deno-torch/torch";
 * const x: Tensor = randn([4, 8], rng(0));
 * const typed = assume<["batch", 8]>(x); // Tensor<["batch", 8]>, the same tensor
 * ```
 */
export function assume<S extends Shape>(t: Tensor): Tensor<S> {
  return t as unknown as Tensor<S>;
}
