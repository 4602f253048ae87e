/**
 * Finds and opens the native library (see paths.ts for where it may live). Exposes the raw symbols
 * plus `lastError()`; nothing here knows about tensors.
 */
import { LibraryError, TorchError } from "./errors.ts";
import { symbols } from "./symbols.ts";
import { envVar } from "./env.ts";
import { buildCommand, cacheDir, LIBRARY_FILE } from "./paths.ts";

function candidates(): string[] {
  const found: string[] = [];
  const fromEnv = envVar("DENO_TORCH_LIB");
  if (fromEnv) found.push(fromEnv);
  const local = new URL(`../build/${LIBRARY_FILE}`, import.meta.url);
  if (local.protocol === "file:") found.push(decodeURIComponent(local.pathname));
  const cache = cacheDir();
  if (cache) found.push(`${cache}/${LIBRARY_FILE}`);
  return found;
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * libgomp reads its idle policy when libtorch loads it. Its default (spin ~300,000 times before
 * sleeping) competes with OpenBLAS's own threads for the cores and made a training step ~40% slower
 * on 2 cores (measured), so idle workers sleep at once (OMP_WAIT_POLICY=PASSIVE) unless the user
 * chose a policy (OMP_WAIT_POLICY, or GOMP_SPINCOUNT for a bounded spin). A short spin
 * (GOMP_SPINCOUNT=3000) was ~8% faster at small sizes on most runs but 1.7× slower on one in five;
 * sleeping is steady (bench/NOTES.md).
 */
function preferSleepingWorkers(): void {
  try {
    const chosen = ["OMP_WAIT_POLICY", "GOMP_SPINCOUNT"].some((name) => Deno.env.get(name) !== undefined);
    if (!chosen) Deno.env.set("OMP_WAIT_POLICY", "PASSIVE");
  } catch {
    // no --allow-env: keep libgomp's default
  }
}

function open(): Deno.DynamicLibrary<typeof symbols> {
  preferSleepingWorkers();
  const paths = candidates();
  const path = paths.find(exists);
  if (!path) {
    throw new LibraryError(
      `deno-torch: native library not found (looked at: ${paths.join(", ") || "nothing"}).\n` +
        `Build it once (a minute or two; needs g++ and a libtorch) with:\n  ${buildCommand()}\n` +
        `or, in a checkout of the project, run scripts/setup.sh; or point DENO_TORCH_LIB at a built ${LIBRARY_FILE}.`,
    );
  }
  try {
    return Deno.dlopen(path, symbols);
  } catch (e) {
    throw new LibraryError(
      `deno-torch: could not open ${path}: ${(e as Error).message}\n` +
        `Rebuild with scripts/setup.sh; if libtorch lives outside the system library path, the build records its rpath.`,
    );
  }
}

export const lib = open();
export const sym = lib.symbols;

/** The message of the last failed native call on this thread. */
export function lastError(): string {
  const p = sym.dt_last_error();
  return p === null ? "unknown error" : Deno.UnsafePointerView.getCString(p);
}

/** Throws `TorchError(op, libtorch's message)`; call after a native function signalled failure. */
export function fail(op: string): never {
  throw new TorchError(op, lastError());
}
