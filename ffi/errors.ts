/**
 * The binding's own errors: a native failure (`TorchError`) and a library that cannot be loaded
 * (`LibraryError`). The DSL's errors (lib/errors.ts) extend `TorchError`.
 *
 * @module
 */

/**
 * A libtorch (or shim) failure, carrying the op's name and libtorch's own message. It is also the base
 * class of the library's own shape, dtype, device and use-after-free errors, so one
 * `instanceof TorchError` catches every tensor failure.
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
 * The native library could not be found or opened. It is thrown while the package loads, before any
 * tensor exists, so it can only be caught around a dynamic import; its message says where the loader
 * looked and how to build the library (or set `DENO_TORCH_LIB`).
 *
 * @example
 * ```ts
 * try {
 *   await import("@deno-torch/torch");
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
