/**
 * Where the time goes: runs a function with the native shim timing each of its exported calls, and
 * splits the wall time into native work (ATen kernels and their allocations), freeing (handles
 * released by scopes, which returns memory) and the rest, which is JS and the FFI crossings.
 *
 *   const { result, report } = profile(() => trainStep(...));
 *   console.log(formatProfile(report));
 */
import { fail, sym } from "../ffi/lib.ts";
import { memory } from "./scope.ts";

export interface ProfiledCall {
  /** The shim function, e.g. "dt_matmul". */
  name: string;
  calls: number;
  ms: number;
}

export interface ProfileReport {
  wallMs: number;
  /** Inside the shim, freeing excluded. */
  nativeMs: number;
  /** Inside dt_free: destroying handles and returning their memory. */
  freeMs: number;
  /** wall − native − free: JS (the DSL, scopes, autograd bookkeeping) and the FFI crossings. */
  jsMs: number;
  /** Native calls made. */
  calls: number;
  /** Native calls, slowest total first. */
  byCall: ProfiledCall[];
  /** Live tensors before and after (equal when `fn` leaks nothing). */
  tensors: { before: number; after: number };
}

/** Runs `fn` with native timing on. Nested use is not supported: the inner call would reset the counters. */
export function profile<R>(fn: () => R): { result: R; report: ProfileReport } {
  const before = memory().tensors;
  if (sym.dt_profile(1) < 0) fail("profile");
  const t0 = performance.now();
  let result: R;
  try {
    result = fn();
  } finally {
    sym.dt_profile(0);
  }
  const wallMs = performance.now() - t0;
  const byCall: ProfiledCall[] = [];
  const out = new Float64Array(2);
  for (let i = 0;; i++) {
    const name = sym.dt_profile_entry(i, out);
    if (name === null) break;
    byCall.push({ name: Deno.UnsafePointerView.getCString(name), calls: out[0], ms: out[1] / 1e6 });
  }
  byCall.sort((a, b) => b.ms - a.ms);
  const freeMs = byCall.find((c) => c.name === "dt_free")?.ms ?? 0;
  const nativeMs = byCall.reduce((s, c) => s + c.ms, 0) - freeMs;
  return {
    result,
    report: {
      wallMs,
      nativeMs,
      freeMs,
      jsMs: wallMs - nativeMs - freeMs,
      calls: byCall.reduce((s, c) => s + c.calls, 0),
      byCall,
      tensors: { before, after: memory().tensors },
    },
  };
}

/** A short table: the split of wall time, then the `top` costliest native calls. */
export function formatProfile(r: ProfileReport, top = 12): string {
  const pct = (ms: number) => `${(100 * ms / r.wallMs).toFixed(1).padStart(5)}%`;
  const ms = (v: number) => `${v.toFixed(2).padStart(10)} ms`;
  const lines = [
    `wall            ${ms(r.wallMs)}`,
    `native ops      ${ms(r.nativeMs)} ${pct(r.nativeMs)}  (ATen kernels and their allocations)`,
    `freeing         ${ms(r.freeMs)} ${pct(r.freeMs)}  (dt_free: handles dropped by scopes)`,
    `JS + FFI        ${ms(r.jsMs)} ${pct(r.jsMs)}  (${r.calls} native calls, ${
      (1e6 * r.jsMs / Math.max(1, r.calls)).toFixed(0)
    } ns each)`,
    "",
    "native call                       calls          total   share",
  ];
  for (const c of r.byCall.slice(0, top)) {
    lines.push(`${c.name.padEnd(30)} ${String(c.calls).padStart(8)} ${ms(c.ms)} ${pct(c.ms)}`);
  }
  return lines.join("\n");
}
