/**
 * The 16×16 add as both micro groups time it (ffi.ts against its target, overhead.ts for the
 * breakdown): through the DSL and through the raw symbols on the same handles, each result freed at
 * once or a scope's worth at a time.
 */
import { sym } from "../../ffi/lib.ts";
import { add, scope, type Tensor } from "../../mod.ts";
import type { Run } from "./harness.ts";

/** Ops per scope in the scoped variants (a training step has thousands; 100 keeps memory small). */
export const PER_SCOPE = 100;

/** Calls `batch(m)` once per PER_SCOPE of the `n` operations (`m` = PER_SCOPE, the last one fewer). */
export function inBatches(n: number, batch: (m: number) => void): void {
  for (let i = 0; i < n; i += PER_SCOPE) batch(Math.min(PER_SCOPE, n - i));
}

/** `add(a, b).free()`: the DSL's op, its result freed at once. */
export function addFreed(a: Tensor, b: Tensor): Run {
  return (n) => {
    for (let i = 0; i < n; i++) add(a, b).free();
  };
}

/** `dt_add` + `dt_free` on the handles of `a` and `b`: the native work of `addFreed`. */
export function rawAddFreed(a: Tensor, b: Tensor): Run {
  const [ha, hb] = [a.handle!, b.handle!];
  return (n) => {
    for (let i = 0; i < n; i++) sym.dt_free(sym.dt_add(ha, hb));
  };
}

/** `add(a, b)` PER_SCOPE times to a scope, which frees the results when it closes. */
export function addInScopes(a: Tensor, b: Tensor): Run {
  return (n) =>
    inBatches(n, (m) =>
      scope(() => {
        for (let j = 0; j < m; j++) add(a, b);
      }));
}

/** `dt_add` PER_SCOPE times, then `dt_free` on each: the native work of `addInScopes`. */
export function rawAddBatched(a: Tensor, b: Tensor): Run {
  const [ha, hb] = [a.handle!, b.handle!];
  const pending: Deno.PointerValue[] = [];
  return (n) =>
    inBatches(n, (m) => {
      for (let j = 0; j < m; j++) pending.push(sym.dt_add(ha, hb));
      for (const p of pending) sym.dt_free(p);
      pending.length = 0;
    });
}
