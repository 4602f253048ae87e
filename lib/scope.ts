/**
 * Memory scopes. Every new tensor belongs to the innermost open scope; when `scope(fn)` ends it frees
 * what `fn` created except the tensors reachable from its result, which move to the enclosing scope.
 * Outside any scope a tensor is "kept": freed by `free()`/`using`, or at last by the GC safety net.
 * `memory()` counts live native tensors, so tests can prove a loop leaks nothing.
 *
 * @module
 */
import { sym } from "../ffi/lib.ts";
import { Tensor } from "./tensor.ts";

/**
 * One open `scope(fn)` call: the tensors created while it runs, which it frees (or hands on) when it
 * ends. `Tensor.owner` points at the scope that will free a tensor; user code never makes one.
 */
export class Scope {
  /** The tensors registered while this scope was innermost, in creation order (some may be freed or kept since). */
  readonly tensors: Tensor[] = [];
  /**
   * Opens a scope nested in `parent`; `scope(fn)` does this, user code has no need to.
   *
   * @param parent the enclosing scope, which receives the survivors, or null at the outermost level
   */
  constructor(readonly parent: Scope | null) {}
}

let current: Scope | null = null;

// The safety net: a kept tensor that becomes unreachable is freed by the GC (eventually).
const net = new FinalizationRegistry<Deno.PointerObject>((p) => sym.dt_free(p));

/** Registers a fresh tensor with the current scope (or the GC net when none is open). */
export function adopt(t: Tensor): void {
  if (current === null) keepHandle(t);
  else {
    t.owner = current;
    current.tensors.push(t);
  }
}

function keepHandle(t: Tensor): void {
  t.owner = null;
  net.register(t, t.handle!, t);
}

/** Frees `t` now (idempotent). */
export function release(t: Tensor): void {
  const p = t.handle;
  if (p === null) return;
  t.handle = null;
  if (t.owner === null) net.unregister(t);
  t.owner = null;
  sym.dt_free(p);
}

/** Lifts tensors (or whole trees of them) out of every scope: they live until freed by hand. */
export function keep<T>(tree: T): T {
  forEachTensor(tree, (t) => {
    if (t.owner !== null) keepHandle(t);
  });
  return tree;
}

/** Frees every tensor in a tree (params, optimizer state, ...). */
export function free(tree: unknown): void {
  forEachTensor(tree, release);
}

/**
 * Runs `fn` and frees every tensor it created, except those reachable from its result (walked
 * through plain objects, arrays and Maps), which are handed to the enclosing scope.
 * `fn` must be synchronous: an async function would let other code run inside this scope.
 */
export function scope<R>(fn: () => R): R {
  const s = new Scope(current);
  current = s;
  let result: R;
  try {
    result = fn();
  } catch (e) {
    current = s.parent;
    close(s, new Set());
    throw e;
  }
  current = s.parent;
  if (result instanceof Promise) {
    close(s, new Set());
    throw new TypeError("scope(fn): fn returned a Promise; scopes take synchronous functions");
  }
  const survivors = new Set<Tensor>();
  forEachTensor(result, (t) => survivors.add(t));
  close(s, survivors);
  return result;
}

function close(s: Scope, survivors: Set<Tensor>): void {
  const parent = s.parent;
  for (const t of s.tensors) {
    if (t.owner !== s) continue; // freed or kept meanwhile
    if (!survivors.has(t)) release(t);
    else if (parent === null) keepHandle(t);
    else {
      t.owner = parent;
      parent.tensors.push(t);
    }
  }
}

/** Calls `fn` on each tensor in a tree of plain objects, arrays and Maps. */
export function forEachTensor(tree: unknown, fn: (t: Tensor) => void): void {
  if (tree instanceof Tensor) fn(tree);
  else if (Array.isArray(tree)) { for (const x of tree) forEachTensor(x, fn); }
  else if (tree instanceof Map) { for (const x of tree.values()) forEachTensor(x, fn); }
  else if (tree !== null && typeof tree === "object" && Object.getPrototypeOf(tree) === Object.prototype) {
    for (const k in tree) forEachTensor((tree as Record<string, unknown>)[k], fn);
  }
}

/** Counts of the native tensors alive right now, as `memory()` returns them. */
export interface MemoryReport {
  /** Live native tensor handles (all of them, whoever owns them). */
  tensors: number;
  /** Bytes those handles address (views of one storage count each time). */
  bytes: number;
  /**
   * Bytes of freed large CPU buffers (1 MiB and up) kept mapped for the next ones, so that they do
   * not fault their pages in again (0 under `DENO_TORCH_MALLOC=system`). Bounded: these and the live
   * large buffers together never pass 1.25× the most bytes ever live in large buffers at once
   * (`DENO_TORCH_CACHE_SLACK` sets the factor; see `native/allocator.cpp`).
   */
  cachedBytes: number;
}

/**
 * Counts the native tensors alive in the process and the bytes they address, whoever owns them
 * (scopes, kept tensors, the GC net). Compare two reports to check that code frees what it makes.
 *
 * @example
 * ```ts
 * import { matmul, memory, randn, rng, scope } from "@deno-torch/torch";
 * const before = memory().tensors;
 * scope(() => {
 *   matmul(randn([8, 8], rng(0)), randn([8, 8], rng(1))); // result unused: not returned
 * });
 * console.log(memory().tensors === before); // true: the scope freed all three tensors
 * ```
 */
export function memory(): MemoryReport {
  sym.dt_allocator_stats(allocatorStats);
  return { tensors: sym.dt_live_tensors(), bytes: sym.dt_live_bytes(), cachedBytes: allocatorStats[1] };
}

const allocatorStats = new Float64Array(5);

/**
 * Returns the CPU allocator's cached free buffers (`memory().cachedBytes`) to the operating system,
 * e.g. when a program moves from training to serving, and has malloc give back the free pages of its
 * heaps (`malloc_trim`). Live tensors are untouched; the next large buffers are mapped afresh.
 *
 * @example
 * ```ts
 * import { memory, releaseCachedMemory } from "@deno-torch/torch";
 * releaseCachedMemory();
 * console.log(memory().cachedBytes); // 0
 * ```
 */
export function releaseCachedMemory(): void {
  sym.dt_allocator_release_cache();
}

/** The process's resident memory, as Linux reports it; `undefined` where the system does not. */
export interface ResidentMemory {
  /** Resident bytes now (VmRSS). */
  bytes: number;
  /** The most bytes resident at once since the process started or `resetPeakResident` (VmHWM). */
  peakBytes: number;
}

const residentFigures = new Float64Array(2);

/**
 * The process's resident set now and at its peak (Linux; `undefined` elsewhere). Read through the
 * native library, since Deno grants /proc/self only with --allow-all.
 *
 * @example
 * ```ts
 * import { residentMemory, resetPeakResident } from "@deno-torch/torch";
 * resetPeakResident();
 * // ... one training step ...
 * console.log(residentMemory()?.peakBytes); // the step's own peak
 * ```
 */
export function residentMemory(): ResidentMemory | undefined {
  if (sym.dt_resident_memory(residentFigures) !== 0) return undefined;
  return { bytes: residentFigures[0], peakBytes: residentFigures[1] };
}

/**
 * Starts a new peak at the current resident set, so that `residentMemory().peakBytes` tells the most
 * held during what follows (Linux ≥ 4.0; elsewhere it does nothing and returns false).
 */
export function resetPeakResident(): boolean {
  return sym.dt_reset_peak_resident() === 0;
}
