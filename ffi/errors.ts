/**
 * Errors raised by the binding and the DSL. Every native failure becomes a `TorchError`.
 *
 * @module
 */

/**
 * A libtorch (or shim) failure, carrying the op's name and libtorch's own message. It is also the base
 * class of the DSL's own shape, dtype, device and use-after-free errors, so one `instanceof TorchError`
 * catches every tensor failure.
 *
 * @example
 * ```ts
 * import { matmul, randn, rng, scope, type Tensor, TorchError } from "@deno-torch/torch";
 * scope(() => {
 *   const a: Tensor = randn([2, 3], rng(0));
 *   const b: Tensor = randn([4, 5], rng(1));
 *   try {
 *     matmul(a, b);
 *   } catch (e) {
 *     if (e instanceof TorchError) console.log(e.op, e.detail); // matmul inner dimensions 3 and 4 differ ...
 *   }
 * });
 * ```
 */
export class TorchError extends Error {
  /**
   * Makes the error; the message is `"<op>: <detail>"`.
   *
   * @param op the name of the op that failed
   * @param detail what went wrong, without the op's name
   */
  constructor(readonly op: string, readonly detail: string) {
    super(`${op}: ${detail}`);
    this.name = "TorchError";
  }
}

/**
 * Shapes that do not fit the op, found before calling into libtorch.
 *
 * @example
 * ```ts
 * import { add, randn, rng, scope, ShapeError, type Tensor } from "@deno-torch/torch";
 * scope(() => {
 *   const a: Tensor = randn([2, 3], rng(0));
 *   const b: Tensor = randn([4], rng(1));
 *   try {
 *     add(a, b);
 *   } catch (e) {
 *     console.log(e instanceof ShapeError); // true: [2, 3] and [4] do not broadcast
 *   }
 * });
 * ```
 */
export class ShapeError extends TorchError {
  /**
   * Makes the error; the message is `"<op>: <detail>"`.
   *
   * @param op the name of the op that rejected the shapes
   * @param detail which shapes and why they do not fit
   */
  constructor(op: string, detail: string) {
    super(op, detail);
    this.name = "ShapeError";
  }
}

/**
 * A dtype the op cannot take, or a value the dtype cannot hold.
 *
 * @example
 * ```ts
 * import { DTypeError, rawView, scope, zeros } from "@deno-torch/torch";
 * scope(() => {
 *   try {
 *     rawView(zeros([2], { dtype: "bf16" }));
 *   } catch (e) {
 *     console.log(e instanceof DTypeError); // true: no typed array can view bf16 memory
 *   }
 * });
 * ```
 */
export class DTypeError extends TorchError {
  /**
   * Makes the error; the message is `"<op>: <detail>"`.
   *
   * @param op the name of the op that rejected the dtype
   * @param detail which dtype or value and why it is refused
   */
  constructor(op: string, detail: string) {
    super(op, detail);
    this.name = "DTypeError";
  }
}

/**
 * An unknown or unavailable device, or tensors on different devices.
 *
 * @example
 * ```ts
 * import { cudaAvailable, DeviceError, scope, zeros } from "@deno-torch/torch";
 * if (!cudaAvailable()) {
 *   try {
 *     scope(() => zeros([2], { device: "cuda" }));
 *   } catch (e) {
 *     console.log(e instanceof DeviceError); // true: this libtorch sees no GPU
 *   }
 * }
 * ```
 */
export class DeviceError extends TorchError {
  /**
   * Makes the error; the message is `"<op>: <detail>"`.
   *
   * @param op the name of the op that rejected the device
   * @param detail which device and why it cannot be used
   */
  constructor(op: string, detail: string) {
    super(op, detail);
    this.name = "DeviceError";
  }
}

/**
 * A tensor used after it was freed (by `free`, `using`, or the scope that owned it).
 *
 * @example
 * ```ts
 * import { FreedTensorError, item, zeros } from "@deno-torch/torch";
 * const x = zeros([]);
 * x.free();
 * try {
 *   item(x);
 * } catch (e) {
 *   console.log(e instanceof FreedTensorError); // true
 * }
 * ```
 */
export class FreedTensorError extends TorchError {
  /**
   * Makes the error, with a message that says how to keep a tensor alive.
   *
   * @param op the name of the op that was given the freed tensor
   */
  constructor(op: string) {
    super(op, "tensor was already freed (use after free); keep() it or return it from its scope");
    this.name = "FreedTensorError";
  }
}

/**
 * The native library could not be found or opened. It is thrown while the package loads, before any
 * tensor exists, so it can only be caught around a dynamic import; its message says where the loader
 * looked and how to build the library (or set `DENO_TORCH_LIB`).
 *
 * @example
 * ```ts
 * try {
 *   await import("@deno-torch/nmt");
 * } catch (e) {
 *   if (e instanceof Error && e.name === "LibraryError") console.error(e.message);
 *   else throw e;
 * }
 * ```
 */
export class LibraryError extends Error {
  /**
   * Makes the error.
   *
   * @param message what could not be loaded and from where
   */
  constructor(message: string) {
    super(message);
    this.name = "LibraryError";
  }
}
