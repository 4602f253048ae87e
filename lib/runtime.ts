/**
 * Process-wide runtime settings of the loaded libtorch (threads, version, CUDA), and the process's
 * surroundings as the library reads them: environment variables and the per-user cache folder.
 *
 * @module
 */
import { fail, sym } from "../ffi/lib.ts";
import { envVar } from "../ffi/env.ts";
import { cudaAvailable, cudaDeviceCount, type Device, deviceCodes } from "./device.ts";

/** Sets libtorch's intra-op thread count; returns the count now in force. */
export function setThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setThreads: need a positive integer, got ${n}`);
  const got = sym.dt_set_threads(n);
  if (got < 0) fail("setThreads");
  return got;
}

/**
 * libtorch's intra-op thread count now in force: every core at load time (or `DENO_TORCH_THREADS`),
 * until `setThreads` changes it.
 *
 * @example
 * ```ts
 * import { setThreads, threads } from "@deno-torch/torch";
 * const before = threads();
 * setThreads(1); // e.g. for a reproducible timing
 * setThreads(before);
 * ```
 */
export function threads(): number {
  return sym.dt_get_threads();
}

/** libtorch's version as "major.minor.patch". */
export function torchVersion(): string {
  const v = sym.dt_torch_version();
  return `${Math.floor(v / 10000)}.${Math.floor(v / 100) % 100}.${v % 100}`;
}

/** Waits for queued work on a device (a no-op on CPU); use before reading wall-clock times. */
export function synchronize(device: Device = "cpu"): void {
  const [type, index] = deviceCodes(device, "synchronize");
  if (sym.dt_synchronize(type, index) !== 0) fail("synchronize");
}

export { cudaAvailable, cudaDeviceCount };

// The library's own way of reading its surroundings, for code built on it (the translator's hub cache).
export { envVar } from "../ffi/env.ts";
export { cacheRoot } from "../ffi/paths.ts";

// libtorch starts with one intra-op thread when loaded this way; use every core unless told otherwise.
function initialThreads(): number {
  const fromEnv = envVar("DENO_TORCH_THREADS");
  const n = fromEnv ? Number(fromEnv) : navigator.hardwareConcurrency;
  return Number.isInteger(n) && n > 0 ? n : 1;
}
setThreads(initialThreads());

// Large buffers come from a bounded cache of mapped blocks, so that each training step reuses the
// last one's resident pages (native/allocator.cpp); DENO_TORCH_MALLOC=system leaves them to malloc.
if (envVar("DENO_TORCH_MALLOC") !== "system") sym.dt_use_caching_allocator(cacheSlack());

/** DENO_TORCH_CACHE_SLACK: how far the allocator's mapped bytes may exceed the most ever live (default 1.25). */
function cacheSlack(): number {
  const text = envVar("DENO_TORCH_CACHE_SLACK");
  const slack = text === undefined ? 1.25 : Number(text);
  if (!(slack >= 1 && slack <= 16)) {
    throw new RangeError(`DENO_TORCH_CACHE_SLACK must be a number within [1, 16], got "${text}"`);
  }
  return slack;
}
