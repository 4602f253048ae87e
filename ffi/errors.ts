/** Errors raised by the binding and the DSL. Every native failure becomes a `TorchError`. */

/** A libtorch (or shim) failure, carrying the op's name and libtorch's own message. */
export class TorchError extends Error {
  constructor(readonly op: string, readonly detail: string) {
    super(`${op}: ${detail}`);
    this.name = "TorchError";
  }
}

/** Shapes that do not fit the op, found before calling into libtorch. */
export class ShapeError extends TorchError {
  constructor(op: string, detail: string) {
    super(op, detail);
    this.name = "ShapeError";
  }
}

/** A dtype the op cannot take, or a value the dtype cannot hold. */
export class DTypeError extends TorchError {
  constructor(op: string, detail: string) {
    super(op, detail);
    this.name = "DTypeError";
  }
}

/** An unknown or unavailable device, or tensors on different devices. */
export class DeviceError extends TorchError {
  constructor(op: string, detail: string) {
    super(op, detail);
    this.name = "DeviceError";
  }
}

/** A tensor used after it was freed (by `free`, `using`, or the scope that owned it). */
export class FreedTensorError extends TorchError {
  constructor(op: string) {
    super(op, "tensor was already freed (use after free); keep() it or return it from its scope");
    this.name = "FreedTensorError";
  }
}

/** The native library could not be found or opened. */
export class LibraryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LibraryError";
  }
}
