/**
 * The device the device-parameterized tests run on, from DENO_TORCH_TEST_DEVICE: "cpu" (the default),
 * "cuda" or "cuda:N". Importing this module first makes it the default device (`setDefaultDevice`),
 * so that the tensors a test creates without naming a device, and every op on them, run there: the
 * same assertions on the CPU in CI and on a GPU in scripts/gpu_check.sh.
 */
import { canonicalDevice, cudaAvailable, type Device, setDefaultDevice } from "../../mod.ts";

function testDevice(): Device {
  const name = Deno.env.get("DENO_TORCH_TEST_DEVICE") ?? "cpu";
  if (!/^(cpu|cuda(:\d+)?)$/.test(name)) {
    throw new Error(`DENO_TORCH_TEST_DEVICE must be cpu, cuda or cuda:N, got ${JSON.stringify(name)}`);
  }
  if (name !== "cpu" && !cudaAvailable()) {
    throw new Error(`DENO_TORCH_TEST_DEVICE=${name}, but the loaded libtorch has no CUDA or sees no GPU`);
  }
  return canonicalDevice(name as Device);
}

/** Where these tests run. */
export const TEST_DEVICE: Device = testDevice();
/** Whether they run on a GPU, where float results agree with the CPU's to rounding, not bit for bit. */
export const ON_GPU = TEST_DEVICE !== "cpu";
setDefaultDevice(TEST_DEVICE);
