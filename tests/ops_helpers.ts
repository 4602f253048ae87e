/**
 * Shared helpers for the op tests (not a test file itself): reading tensors back as plain numbers,
 * float comparison with a tolerance and a clear message, and small reference implementations in
 * plain JS (broadcasting, index arithmetic) used to compute expected values independently.
 */
import assert from "node:assert";
import { data, type DType, memory, scope, type Tensor } from "../mod.ts";

export type NestedNumbers = number | boolean | readonly NestedNumbers[];

/** The tensor's elements as plain JS numbers (row-major; bool gives 0/1, i64 converts to number). */
export function values(t: Tensor): number[] {
  const d = data(t);
  return d instanceof BigInt64Array ? Array.from(d, Number) : Array.from(d as ArrayLike<number>);
}

/** Flattens nested arrays of numbers/booleans to a flat number list. */
export function flat(x: NestedNumbers | ArrayLike<number>): number[] {
  if (typeof x === "number") return [x];
  if (typeof x === "boolean") return [x ? 1 : 0];
  if (Array.isArray(x)) return (x as NestedNumbers[]).flatMap((v) => flat(v));
  return Array.from(x as ArrayLike<number>);
}

export interface Tolerance {
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance, times |expected| (default 1e-5). */
  rtol?: number;
}

/**
 * Asserts |actual - expected| <= atol + rtol·|expected| elementwise. NaN matches only NaN and an
 * infinity only the same infinity. The message names what is compared, the first bad element and
 * the tolerance, so a failure reads on its own.
 */
export function assertClose(
  actual: Tensor | NestedNumbers | ArrayLike<number>,
  expected: NestedNumbers | ArrayLike<number>,
  what: string,
  tol: Tolerance = {},
): void {
  const { atol = 1e-5, rtol = 1e-5 } = tol;
  const got = isTensor(actual) ? values(actual) : flat(actual);
  const want = flat(expected);
  if (got.length !== want.length) {
    assert.fail(
      `${what}: got ${got.length} elements, expected ${want.length}\n  got:      [${got}]\n  expected: [${want}]`,
    );
  }
  for (let i = 0; i < want.length; i++) {
    const a = got[i];
    const e = want[i];
    let ok: boolean;
    if (Number.isNaN(e)) ok = Number.isNaN(a);
    else if (!Number.isFinite(e)) ok = a === e;
    else ok = Number.isFinite(a) && Math.abs(a - e) <= atol + rtol * Math.abs(e);
    if (!ok) {
      assert.fail(
        `${what}: element ${i} is ${a}, expected ${e} (|diff| ${
          Math.abs(a - e)
        } > atol ${atol} + rtol ${rtol}·|expected|)` +
          `\n  got:      [${got.slice(0, 32).join(", ")}${got.length > 32 ? ", ..." : ""}]` +
          `\n  expected: [${want.slice(0, 32).join(", ")}${want.length > 32 ? ", ..." : ""}]`,
      );
    }
  }
}

/** Exact comparison of a tensor's elements (as numbers) with the expected values. */
export function assertValues(t: Tensor, expected: NestedNumbers | ArrayLike<number>, what: string): void {
  assert.deepStrictEqual(values(t), flat(expected), `${what}: values differ`);
}

/** Asserts a tensor's runtime shape (and dtype, when given). */
export function assertMeta(t: Tensor, shape: readonly number[], dtype?: DType, what = "result"): void {
  assert.deepStrictEqual(
    [...t.shape],
    [...shape],
    `${what}: shape ${JSON.stringify(t.shape)} != ${JSON.stringify(shape)}`,
  );
  if (dtype !== undefined) assert.strictEqual(t.dtype, dtype, `${what}: dtype ${t.dtype} != ${dtype}`);
}

/**
 * Snapshots the inputs' values and dtype/shape; the returned function asserts they are unchanged
 * (ops must never mutate their inputs).
 */
export function guard(...inputs: Tensor[]): () => void {
  const before = inputs.map((t) => ({ shape: [...t.shape], dtype: t.dtype, values: values(t) }));
  return () => {
    inputs.forEach((t, i) => {
      const b = before[i];
      assert.deepStrictEqual([...t.shape], b.shape, `input ${i} changed shape`);
      assert.strictEqual(t.dtype, b.dtype, `input ${i} changed dtype`);
      assert.deepStrictEqual(values(t), b.values, `input ${i} was mutated`);
    });
  };
}

function isTensor(x: unknown): x is Tensor {
  return typeof x === "object" && x !== null && "handle" in x && "shape" in x && "dtype" in x;
}

/** Row-major strides of a shape. */
export function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i];
  }
  return out;
}

/** Every multi-index of a shape, in row-major order. */
export function indices(shape: readonly number[]): number[][] {
  const out: number[][] = [];
  const n = shape.reduce((a, b) => a * b, 1);
  for (let f = 0; f < n; f++) {
    const idx = new Array<number>(shape.length);
    let r = f;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = r % shape[d];
      r = Math.floor(r / shape[d]);
    }
    out.push(idx);
  }
  return out;
}

/** Reads element `idx` of a row-major flat array of shape `shape`, broadcasting size-1 / missing dims. */
export function at(vals: readonly number[], shape: readonly number[], idx: readonly number[]): number {
  const st = strides(shape);
  const off = idx.length - shape.length;
  let p = 0;
  for (let d = 0; d < shape.length; d++) p += (shape[d] === 1 ? 0 : idx[off + d]) * st[d];
  return vals[p];
}

/** NumPy/PyTorch broadcasting of two shapes, by hand. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`reference: ${a} and ${b} do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Elementwise `fn` over two broadcast operands, computed in JS: the expected shape and values. */
export function zipBroadcast(
  a: readonly number[],
  aShape: readonly number[],
  b: readonly number[],
  bShape: readonly number[],
  fn: (x: number, y: number) => number,
): { shape: number[]; values: number[] } {
  const shape = broadcastShape(aShape, bShape);
  return { shape, values: indices(shape).map((i) => fn(at(a, aShape, i), at(b, bShape, i))) };
}

/** erf by its Maclaurin series (accurate to ~1e-15 for |x| <= 3, which is all the tests use). */
export function erf(x: number): number {
  if (Math.abs(x) > 3.5) return Math.sign(x) * (1 - 1e-7);
  let sum = 0;
  let term = x; // (-1)^n x^(2n+1) / n!
  for (let n = 0; n < 100; n++) {
    sum += term / (2 * n + 1);
    term *= -x * x / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** Mean and standard deviation (biased or unbiased) of a list, from the formula. */
export function meanStd(xs: readonly number[], unbiased = true): { mean: number; variance: number; std: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const ss = xs.reduce((a, b) => a + (b - mean) ** 2, 0);
  const variance = ss / (unbiased ? n - 1 : n);
  return { mean, variance, std: Math.sqrt(variance) };
}

/** A typed array from data() as plain numbers (bigint converts with Number). */
export function nums(d: Float32Array | Float64Array | BigInt64Array | Int32Array | Int8Array | Uint8Array): number[] {
  return d instanceof BigInt64Array ? Array.from(d, Number) : Array.from(d as ArrayLike<number>);
}

/** Throws `cls` with a message that starts with `op:` and matches `pattern`. */
export function rejects(f: () => unknown, cls: new (...args: never[]) => Error, op: string, pattern: RegExp): void {
  assert.throws(f, (e: Error) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e.constructor.name}: ${e.message}`);
    assert.ok(e.message.startsWith(`${op}:`), `message should start with "${op}:": ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

/** A test body run in a scope, asserting that no tensor outlives it. */
export function noLeaks(body: () => void): () => void {
  return () => {
    const before = memory().tensors;
    scope(body);
    assert.equal(memory().tensors, before, "tensors leaked");
  };
}
