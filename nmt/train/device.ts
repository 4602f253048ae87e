/** The device the `device` option names: `auto` is CUDA where libtorch sees a GPU, else the CPU. */
import { cudaAvailable, type Device } from "../../lib/device.ts";

/** `requested` with `auto` resolved (the option's other values are devices already). */
export function resolveDevice(requested: string): Device {
  if (requested === "auto") return cudaAvailable() ? "cuda" : "cpu";
  return requested as Device;
}
