/**
 * Where the native library may live. Three places, first match wins:
 *  1. `DENO_TORCH_LIB`: a built library, anywhere;
 *  2. `build/` next to this module, when it is imported from a checkout (`scripts/setup.sh` builds there);
 *  3. the per-user cache, `$DENO_TORCH_CACHE` or `~/.cache/deno-torch/<version>/`, where
 *     `scripts/build_native.ts` builds when the module is imported by URL.
 */
import { envVar } from "./env.ts";

/** This package's version; the cache folder is per version, so an upgrade never loads a stale library. */
export const VERSION = "0.1.0";

/** The library's file name on this platform. */
export const LIBRARY_FILE = Deno.build.os === "darwin" ? "libdeno_torch.dylib" : "libdeno_torch.so";

/**
 * The per-user folder of everything deno-torch caches (`$XDG_CACHE_HOME/deno-torch`, else
 * `~/.cache/deno-torch`, or `~/Library/Caches/deno-torch` on macOS), or null without a home folder.
 * The native library is cached below it in a folder per version, downloaded models in `hub/`;
 * `$DENO_TORCH_CACHE`, which this function does not read, moves either.
 *
 * @example
 * ```ts
 * import { cacheRoot } from "@deno-torch/torch";
 * console.log(cacheRoot()); // e.g. /home/me/.cache/deno-torch
 * ```
 */
export function cacheRoot(): string | null {
  const home = envVar("HOME");
  const base = envVar("XDG_CACHE_HOME") ??
    (home ? (Deno.build.os === "darwin" ? `${home}/Library/Caches` : `${home}/.cache`) : null);
  return base ? `${base}/deno-torch` : null;
}

/** The per-user cache folder for this version's native library (`$DENO_TORCH_CACHE` replaces it), or null. */
export function cacheDir(): string | null {
  const root = cacheRoot();
  return envVar("DENO_TORCH_CACHE") ?? (root ? `${root}/${VERSION}` : null);
}

/** The command that builds the library into the cache, spelled with the URL this module was loaded from. */
export function buildCommand(): string {
  return `deno run -A ${new URL("../scripts/build_native.ts", import.meta.url).href}`;
}
