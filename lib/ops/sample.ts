/**
 * Random draws beyond lib/create.ts's randn/rand/randint/bernoulli: `randperm`, `multinomial`,
 * `normal`, `uniform`. Randomness is explicit, as everywhere in the library: each draw seeds a fresh
 * generator from its `Key` (lib/rng.ts), so the same key gives the same numbers and nothing hides in
 * global state. The streams are libtorch's, not torch's global generator's: the same seed in Python
 * gives other numbers.
 *
 * @module
 */
import { sym } from "../../ffi/lib.ts";
import { defaultDevice, type Device, deviceCodes } from "../device.ts";
import { DTypeError, ShapeError } from "../errors.ts";
import { type DType, dtypeCode, isFloat } from "../dtype.ts";
import type { Key } from "../rng.ts";
import { type Dim, formatShape, type Shape, type Sizes, type Writable } from "../shape.ts";
import { sizesArg } from "../scratch.ts";
import { handleOf, type Tensor, wrap } from "../tensor.ts";
import type { TensorOptions } from "../create.ts";

function keyArg(key: Key, op: string): Key {
  if (key === null || typeof key !== "object" || typeof key.hi !== "number" || typeof key.lo !== "number") {
    throw new TypeError(`${op}: key must be a Key (rng(seed)), got ${String(key)}`);
  }
  return key;
}

/**
 * A random permutation of 0, 1, …, n - 1, as `torch.randperm` (i64 unless `opts` says otherwise),
 * determined by `key`.
 *
 * @example
 * ```ts
 * const order = randperm(5, rng(0)); // Tensor<[5]>, e.g. [3, 0, 4, 1, 2]
 * ```
 */
export function randperm<const N extends number>(n: N, key: Key, opts?: TensorOptions): Tensor<[N]> {
  const op = "randperm";
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${op}: n must be a non-negative integer, got ${n}`);
  const k = keyArg(key, op);
  const [dev, idx] = deviceCodes(opts?.device ?? defaultDevice(), op);
  return wrap(sym.dt_randperm(n, dtypeCode(opts?.dtype ?? "i64", op), dev, idx, k.hi, k.lo), op);
}

/** The shape of `multinomial(probs, k)`: [k] for one distribution [n], [b, k] for a batch [b, n]. */
export type Multinomial<S extends Shape, K extends number> = S extends readonly [Dim] ? [K]
  : S extends readonly [infer B extends Dim, Dim] ? [B, K]
  : [...Shape, K];

/**
 * `numSamples` category indices (i64) drawn from each distribution of `probs` ([n], or [b, n] for a
 * batch), as `torch.multinomial`. The weights need not sum to 1, only be finite, non-negative and not
 * all 0. Without `replacement` (the default) each index comes at most once, so numSamples ≤ n.
 *
 * @example
 * ```ts
 * const picks = multinomial(tensor([0.1, 0.6, 0.3]), 4, { replacement: true }, rng(0)); // Tensor<[4]>
 * ```
 */
export function multinomial<S extends Shape, const K extends number>(
  probs: Tensor<S>,
  numSamples: K,
  options: { replacement?: boolean },
  key: Key,
): Tensor<Multinomial<S, K>> {
  const op = "multinomial";
  const h = handleOf(probs, op);
  const k = keyArg(key, op);
  if (!isFloat(probs.dtype)) throw new DTypeError(op, `probs must be a float tensor, got ${probs.dtype}`);
  if (probs.rank !== 1 && probs.rank !== 2) {
    throw new ShapeError(op, `probs must be [n] or [batch, n], got ${formatShape(probs.shape)}`);
  }
  const n = probs.shape[probs.rank - 1];
  if (n === 0) throw new ShapeError(op, `probs has no categories (shape ${formatShape(probs.shape)})`);
  const replacement = options?.replacement ?? false;
  if (!Number.isSafeInteger(numSamples) || numSamples < 1) {
    throw new RangeError(`${op}: numSamples must be a positive integer, got ${numSamples}`);
  }
  if (!replacement && numSamples > n) {
    throw new RangeError(`${op}: numSamples ${numSamples} exceeds the ${n} categories (sampling without replacement)`);
  }
  return wrap(sym.dt_multinomial(h, numSamples, replacement ? 1 : 0, k.hi, k.lo), op);
}

/** Options of `normal`: the distribution, and the result's dtype (a float, f32 by default) and device. */
export interface NormalOptions {
  /** Default 0. */
  mean?: number;
  /** The standard deviation, ≥ 0; default 1. */
  std?: number;
  /** The result's dtype, a float; default f32. */
  dtype?: DType;
  /** Where to allocate the result; default `defaultDevice()` ("cpu" unless set). */
  device?: Device;
}

/** Options of `uniform`: the interval [low, high), and the result's dtype (a float, f32 by default) and device. */
export interface UniformOptions {
  /** Default 0. */
  low?: number;
  /** Default 1; at least `low`. */
  high?: number;
  /** The result's dtype, a float; default f32. */
  dtype?: DType;
  /** Where to allocate the result; default `defaultDevice()` ("cpu" unless set). */
  device?: Device;
}

function floatDType(dtype: DType, op: string): number {
  if (!isFloat(dtype)) throw new DTypeError(op, `needs a floating dtype, got ${dtype}`);
  return dtypeCode(dtype, op);
}

function finite(value: number, name: string, op: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new RangeError(`${op}: ${name} must be a finite number, got ${value}`);
  }
  return value;
}

/**
 * Samples of N(mean, std²) shaped `shape`, determined by `key`, as `torch.normal(mean, std, size)`.
 *
 * @example
 * ```ts
 * const noise = normal([2, 3], { mean: 1, std: 0.1 }, rng(0)); // Tensor<[2, 3]>
 * ```
 */
export function normal<const S extends Shape>(shape: Sizes<S>, options: NormalOptions, key: Key): Tensor<Writable<S>> {
  const op = "normal";
  const o = options ?? {};
  const mean = finite(o.mean ?? 0, "mean", op);
  const std = finite(o.std ?? 1, "std", op);
  if (std < 0) throw new RangeError(`${op}: std must be ≥ 0, got ${std}`);
  const code = floatDType(o.dtype ?? "f32", op);
  const [dev, idx] = deviceCodes(o.device ?? defaultDevice(), op);
  const k = keyArg(key, op);
  const sizes = sizesArg(shape as readonly number[], op);
  return wrap(sym.dt_normal(sizes, shape.length, mean, std, code, dev, idx, k.hi, k.lo), op);
}

/**
 * Samples uniform in [low, high) shaped `shape`, determined by `key`, as `torch.Tensor.uniform_`.
 *
 * @example
 * ```ts
 * const w = uniform([4, 4], { low: -0.5, high: 0.5 }, rng(0)); // Tensor<[4, 4]>
 * ```
 */
export function uniform<const S extends Shape>(
  shape: Sizes<S>,
  options: UniformOptions,
  key: Key,
): Tensor<Writable<S>> {
  const op = "uniform";
  const o = options ?? {};
  const low = finite(o.low ?? 0, "low", op);
  const high = finite(o.high ?? 1, "high", op);
  if (low > high) throw new RangeError(`${op}: low must be ≤ high, got [${low}, ${high})`);
  const code = floatDType(o.dtype ?? "f32", op);
  const [dev, idx] = deviceCodes(o.device ?? defaultDevice(), op);
  const k = keyArg(key, op);
  const sizes = sizesArg(shape as readonly number[], op);
  return wrap(sym.dt_uniform(sizes, shape.length, low, high, code, dev, idx, k.hi, k.lo), op);
}
