/**
 * The DSL's own errors, raised by its checks rather than by libtorch: shapes that do not fit an op, a
 * dtype or device it cannot take, a tensor used after it was freed. Each extends the binding's `TorchError`
 * (re-exported here), so one `instanceof TorchError` catches every tensor failure.
 *
 * @module
 */
import { TorchError } from "../ffi/errors.ts";

export { TorchError };

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
 * import { DTypeError, scope, tensor } from "@deno-torch/torch";
 * scope(() => {
 *   try {
 *     tensor([1.5], [1], { dtype: "i64" });
 *   } catch (e) {
 *     console.log(e instanceof DTypeError); // true: an i64 holds no 1.5
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
