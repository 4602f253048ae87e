/**
 * Devices: "cpu", "cuda" (= "cuda:0") or "cuda:N". CUDA availability is asked of the loaded libtorch.
 *
 * @module
 */
import { DeviceError } from "./errors.ts";
import { sym } from "../ffi/lib.ts";

/**
 * Where a tensor's data lives: `"cpu"`, `"cuda"` (the first GPU, the same as `"cuda:0"`) or `"cuda:N"`.
 * Tensors report their device in the `"cuda:N"` form.
 */
export type Device = "cpu" | "cuda" | `cuda:${number}`;

/** Native (type, index) codes, shared with native/core.cpp (`dt::device`). */
export function deviceCodes(device: Device, op = "device"): [number, number] {
  if (device === "cpu") return [0, 0];
  const m = /^cuda(?::(\d+))?$/.exec(device);
  if (!m) throw new DeviceError(op, `unknown device ${JSON.stringify(device)}; expected "cpu", "cuda" or "cuda:N"`);
  const index = m[1] === undefined ? 0 : Number(m[1]);
  const count = cudaDeviceCount();
  if (count === 0) {
    throw new DeviceError(
      op,
      `CUDA was requested (${device}) but the loaded libtorch has no CUDA support or sees no GPU; use "cpu"`,
    );
  }
  if (index >= count) throw new DeviceError(op, `${device} does not exist: ${count} CUDA device(s) visible`);
  return [1, index];
}

export function deviceName(type: number, index: number): Device {
  return type === 0 ? "cpu" : `cuda:${index}`;
}

let fallback: Device = "cpu";

/**
 * The device tensors are created on when their options name none: `"cpu"` unless
 * {@link setDefaultDevice} changed it. Ops on existing tensors follow their inputs, whatever this is.
 *
 * @example
 * ```ts
 * import { defaultDevice } from "@deno-torch/torch";
 * console.log(defaultDevice()); // "cpu"
 * ```
 */
export function defaultDevice(): Device {
  return fallback;
}

/**
 * Makes `device` the one tensors are created on when their options name none (creation functions,
 * layer inits, safetensors reads), as torch.set_default_device does, and returns the previous default.
 * A device that does not exist here is refused with a DeviceError, and the default is left as it was.
 *
 * @example
 * ```ts
 * import { cudaAvailable, setDefaultDevice, zeros } from "@deno-torch/torch";
 * const previous = setDefaultDevice(cudaAvailable() ? "cuda" : "cpu");
 * const z = zeros([2, 3]); // on cuda:0 where there is a GPU
 * setDefaultDevice(previous);
 * ```
 */
export function setDefaultDevice(device: Device): Device {
  deviceCodes(device, "setDefaultDevice");
  const previous = fallback;
  fallback = canonicalDevice(device);
  return previous;
}

let cudaCount: number | undefined;
/**
 * Number of CUDA devices libtorch can use (0 on CPU-only builds). Asked once, then remembered.
 *
 * @example
 * ```ts
 * import { cudaDeviceCount } from "@deno-torch/torch";
 * console.log(`${cudaDeviceCount()} GPU(s)`);
 * ```
 */
export function cudaDeviceCount(): number {
  return cudaCount ??= sym.dt_cuda_device_count();
}

/**
 * Whether the loaded libtorch was built with CUDA and sees at least one GPU, i.e. whether `"cuda"` is a
 * usable device.
 *
 * @example
 * ```ts
 * import { cudaAvailable, type Device } from "@deno-torch/torch";
 * const device: Device = cudaAvailable() ? "cuda" : "cpu";
 * ```
 */
export function cudaAvailable(): boolean {
  return cudaDeviceCount() > 0;
}

/**
 * Normalizes "cuda" to "cuda:0" so devices compare as strings.
 *
 * @example
 * ```ts
 * import { canonicalDevice } from "@deno-torch/torch";
 * canonicalDevice("cuda"); // "cuda:0"
 * canonicalDevice("cpu"); // "cpu"
 * ```
 */
export function canonicalDevice(device: Device): Device {
  return device === "cuda" ? "cuda:0" : device;
}
