/**
 * Reductions: sum/mean/std/var_/max/min/argmax/argmin/logsumexp/softmax/logSoftmax/topk, along all
 * elements or one (possibly negative) dim, with keepDim. Expectations come from formulas in JS.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert";
import {
  argmax,
  argmin,
  DTypeError,
  logSoftmax,
  logsumexp,
  max,
  mean,
  min,
  scope,
  ShapeError,
  softmax,
  std,
  sum,
  type Tensor,
  tensor,
  topk,
  var_,
} from "../mod.ts";
import { assertClose, assertMeta, assertValues, guard, meanStd } from "./ops_helpers.ts";

// A [2, 3, 4] tensor with distinct values (no ties for argmax/argmin/topk).
const SHAPE = [2, 3, 4];
const XS = [
  3,
  -1,
  4,
  1.5,
  -5,
  9,
  2,
  6,
  5,
  -3,
  5.5,
  8,
  9.5,
  -7,
  0,
  2.5,
  -2,
  7,
  1,
  -8,
  2.25,
  3.5,
  -4,
  0.5,
];

/** Reduces dimension `dim` of the row-major XS-like data with `fn`, by loops; returns the values. */
function reduceRef(v: number[], shape: number[], dim: number, fn: (xs: number[]) => number): number[] {
  const outer = shape.slice(0, dim).reduce((a, b) => a * b, 1);
  const n = shape[dim];
  const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const xs: number[] = [];
      for (let k = 0; k < n; k++) xs.push(v[(o * n + k) * inner + i]);
      out.push(fn(xs));
    }
  }
  return out;
}

/** Applies `fn` to each line along `dim` (same length in and out), by loops. */
function alongRef(v: number[], shape: number[], dim: number, fn: (xs: number[]) => number[]): number[] {
  const outer = shape.slice(0, dim).reduce((a, b) => a * b, 1);
  const n = shape[dim];
  const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const out = new Array<number>(v.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const xs: number[] = [];
      for (let k = 0; k < n; k++) xs.push(v[(o * n + k) * inner + i]);
      fn(xs).forEach((y, k) => out[(o * n + k) * inner + i] = y);
    }
  }
  return out;
}

const dropDim = (s: number[], d: number) => s.filter((_, i) => i !== d);
const keepDim = (s: number[], d: number) => s.map((x, i) => i === d ? 1 : x);
const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

Deno.test("sum: all, each dim (incl. negative), keepDim, integer and bool inputs", () =>
  scope(() => {
    const x = tensor(XS, SHAPE);
    const check = guard(x);
    const all = sum(x);
    assertMeta(all, [], "f32");
    assertClose(all, [total(XS)], "sum all");
    for (const d of [0, 1, 2]) {
      const want = reduceRef(XS, SHAPE, d, total);
      const r = sum(x, d);
      assertMeta(r, dropDim(SHAPE, d), "f32", `sum dim ${d}`);
      assertClose(r, want, `sum dim ${d}`);
      const k = sum(x, d, true);
      assertMeta(k, keepDim(SHAPE, d), "f32", `sum dim ${d} keepDim`);
      assertClose(k, want, `sum dim ${d} keepDim`);
      assertClose(sum(x, d - 3), want, `sum dim ${d - 3}`);
    }
    const i = sum(tensor([[1, 2], [3, 4]], undefined, { dtype: "i64" }), 1);
    assertMeta(i, [2], "i64");
    assertValues(i, [3, 7], "i64 sum");
    const b = sum(tensor([true, false, true, true]));
    assertMeta(b, [], "i64");
    assertValues(b, [3], "bool sum counts trues");
    assert.throws(() => sum(x, 3), ShapeError);
    check();
  }));

Deno.test("mean: all, dims, keepDim", () =>
  scope(() => {
    const x = tensor(XS, SHAPE);
    const check = guard(x);
    const m = mean(x);
    assertMeta(m, [], "f32");
    assertClose(m, [total(XS) / XS.length], "mean all");
    for (const d of [0, 1, 2]) {
      const want = reduceRef(XS, SHAPE, d, (xs) => total(xs) / xs.length);
      assertClose(mean(x, d), want, `mean dim ${d}`);
      const k = mean(x, d - 3, true);
      assertMeta(k, keepDim(SHAPE, d), "f32", `mean dim ${d - 3} keepDim`);
      assertClose(k, want, `mean dim ${d - 3} keepDim`);
    }
    assertMeta(mean(tensor([1, 2], [2], { dtype: "f64" })), [], "f64");
    check();
  }));

Deno.test("std / var_: unbiased (default) and biased, all and per dim, keepDim", () =>
  scope(() => {
    const x = tensor(XS, SHAPE);
    const check = guard(x);
    for (const unbiased of [true, false]) {
      const ref = meanStd(XS, unbiased);
      const opts = { unbiased };
      assertClose(std(x, undefined, opts), [ref.std], `std all unbiased=${unbiased}`);
      assertClose(var_(x, undefined, opts), [ref.variance], `var all unbiased=${unbiased}`);
      assertMeta(std(x, undefined, opts), [], "f32");
      for (const d of [0, 1, 2]) {
        const wantStd = reduceRef(XS, SHAPE, d, (xs) => meanStd(xs, unbiased).std);
        const wantVar = reduceRef(XS, SHAPE, d, (xs) => meanStd(xs, unbiased).variance);
        const s = std(x, d, opts);
        assertMeta(s, dropDim(SHAPE, d), "f32", `std dim ${d}`);
        assertClose(s, wantStd, `std dim ${d} unbiased=${unbiased}`);
        const v = var_(x, d - 3, { unbiased, keepDim: true });
        assertMeta(v, keepDim(SHAPE, d), "f32", `var dim ${d - 3} keepDim`);
        assertClose(v, wantVar, `var dim ${d - 3} unbiased=${unbiased}`);
      }
    }
    // The default is unbiased: [1, 2, 3, 4] has unbiased variance 5/3 and biased 5/4.
    const y = tensor([1, 2, 3, 4]);
    assertClose(var_(y), [5 / 3], "default var is unbiased");
    assertClose(std(y), [Math.sqrt(5 / 3)], "default std is unbiased");
    assertClose(var_(y, 0, { unbiased: false }), [5 / 4], "biased var");
    assertClose(std(y, -1, { keepDim: true }), [Math.sqrt(5 / 3)], "std keepDim");
    assertMeta(std(y, -1, { keepDim: true }), [1], "f32");
    check();
  }));

Deno.test("max / min: all and along dims", () =>
  scope(() => {
    const x = tensor(XS, SHAPE);
    const check = guard(x);
    assertMeta(max(x), [], "f32");
    assertValues(max(x), [9.5], "max all");
    assertValues(min(x), [-8], "min all");
    for (const d of [0, 1, 2]) {
      const mx = max(x, d);
      assertMeta(mx, dropDim(SHAPE, d), "f32", `max dim ${d}`);
      assertValues(mx, reduceRef(XS, SHAPE, d, (xs) => Math.max(...xs)), `max dim ${d}`);
      const mn = min(x, d - 3, true);
      assertMeta(mn, keepDim(SHAPE, d), "f32", `min dim ${d - 3} keepDim`);
      assertValues(mn, reduceRef(XS, SHAPE, d, (xs) => Math.min(...xs)), `min dim ${d}`);
    }
    const i = max(tensor([3, 9, -2], [3], { dtype: "i64" }));
    assertMeta(i, [], "i64");
    assertValues(i, [9], "max i64");
    assertValues(max(tensor([1, NaN, 3])), [NaN], "max propagates NaN");
    check();
  }));

Deno.test("argmax / argmin: i64 positions, keepDim", () =>
  scope(() => {
    const x = tensor(XS, SHAPE);
    const check = guard(x);
    const pos = (xs: number[], better: (a: number, b: number) => boolean) =>
      xs.reduce((bi, v, i) => better(v, xs[bi]) ? i : bi, 0);
    for (const d of [0, 1, 2]) {
      const am = argmax(x, d);
      assertMeta(am, dropDim(SHAPE, d), "i64", `argmax dim ${d}`);
      assertValues(am, reduceRef(XS, SHAPE, d, (xs) => pos(xs, (a, b) => a > b)), `argmax dim ${d}`);
      const an = argmin(x, d - 3, true);
      assertMeta(an, keepDim(SHAPE, d), "i64", `argmin dim ${d - 3} keepDim`);
      assertValues(an, reduceRef(XS, SHAPE, d, (xs) => pos(xs, (a, b) => a < b)), `argmin dim ${d}`);
    }
    assert.throws(() => argmax(x, 3), ShapeError);
    check();
  }));

Deno.test("logsumexp: stable for large values, dims, keepDim", () =>
  scope(() => {
    const x = tensor(XS, SHAPE);
    const check = guard(x);
    const lse = (xs: number[]) => {
      const m = Math.max(...xs);
      return m + Math.log(xs.reduce((a, v) => a + Math.exp(v - m), 0));
    };
    for (const d of [0, 1, 2]) {
      const r = logsumexp(x, d);
      assertMeta(r, dropDim(SHAPE, d), "f32", `logsumexp dim ${d}`);
      assertClose(r, reduceRef(XS, SHAPE, d, lse), `logsumexp dim ${d}`);
      assertMeta(logsumexp(x, d - 3, true), keepDim(SHAPE, d), "f32", `logsumexp dim ${d - 3} keepDim`);
    }
    // exp(1000) overflows f32 (and f64): a naive log(sum(exp)) would give inf.
    const big = logsumexp(tensor([[1000, 1000], [-1000, -1001]]), 1);
    assertClose(big, [1000 + Math.log(2), -1000 + Math.log(1 + Math.exp(-1))], "large magnitudes", { atol: 1e-4 });
    check();
  }));

Deno.test("softmax / logSoftmax along each dim", () =>
  scope(() => {
    const x = tensor(XS, SHAPE);
    const check = guard(x);
    const sm = (xs: number[]) => {
      const m = Math.max(...xs);
      const e = xs.map((v) => Math.exp(v - m));
      const z = total(e);
      return e.map((v) => v / z);
    };
    const lsm = (xs: number[]) => {
      const m = Math.max(...xs);
      const lz = m + Math.log(xs.reduce((a, v) => a + Math.exp(v - m), 0));
      return xs.map((v) => v - lz);
    };
    for (const d of [0, 1, 2]) {
      const s = softmax(x, d);
      assertMeta(s, SHAPE, "f32", `softmax dim ${d}`);
      assertClose(s, alongRef(XS, SHAPE, d, sm), `softmax dim ${d}`, { atol: 1e-6 });
      assertClose(sum(s, d), reduceRef(XS, SHAPE, d, () => 1), `softmax dim ${d} sums to 1`);
      const l = logSoftmax(x, d - 3);
      assertMeta(l, SHAPE, "f32", `logSoftmax dim ${d - 3}`);
      assertClose(l, alongRef(XS, SHAPE, d, lsm), `logSoftmax dim ${d}`, { atol: 1e-5 });
    }
    // Large logits: no overflow, no NaN.
    const big = tensor([1000, 1001, 999]);
    assertClose(softmax(big, 0), sm([1000, 1001, 999]), "softmax of large logits", { atol: 1e-6 });
    assertClose(logSoftmax(big, 0), lsm([1000, 1001, 999]), "logSoftmax of large logits", { atol: 1e-4 });
    const f64 = softmax(tensor([0.5, 1.5], [2], { dtype: "f64" }), 0);
    assertMeta(f64, [2], "f64");
    assertClose(f64, sm([0.5, 1.5]), "softmax f64", { atol: 1e-14, rtol: 1e-14 });
    assert.throws(() => softmax(tensor([1, 2], [2], { dtype: "i64" }), 0), DTypeError);
    assert.throws(() => logSoftmax(tensor([1, 2], [2], { dtype: "i32" }), 0), DTypeError);
    assert.throws(() => softmax(x, 3), ShapeError);
    check();
  }));

Deno.test("topk: largest and smallest, along dims, k = 0", () =>
  scope(() => {
    const x = tensor([[1, 5, 3, 4], [9, 2, 8, 0]]);
    const check = guard(x);
    const t = topk(x, 2);
    assertMeta(t.values, [2, 2], "f32", "topk values");
    assertMeta(t.indices, [2, 2], "i64", "topk indices");
    assertValues(t.values, [5, 4, 9, 8], "largest 2 per row, sorted");
    assertValues(t.indices, [1, 3, 0, 2], "their positions");
    const s = topk(x, 3, -1, { largest: false });
    assertValues(s.values, [1, 3, 4, 0, 2, 8], "smallest 3 per row, ascending");
    assertValues(s.indices, [0, 2, 3, 3, 1, 2], "their positions");
    const c = topk(x, 1, 0);
    assertMeta(c.values, [1, 4], "f32", "topk along dim 0");
    assertValues(c.values, [9, 5, 8, 4], "column maxima");
    assertValues(c.indices, [1, 0, 1, 0], "column argmax");
    const z = topk(x, 0);
    assertMeta(z.values, [2, 0], "f32", "k = 0");
    assertMeta(z.indices, [2, 0], "i64", "k = 0");
    // Against a sort by hand on a larger row.
    const row = [0.3, -2, 7, 1.25, 7.5, -0.5, 3, 4];
    const order = row.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]);
    const big = topk(tensor(row), 5);
    assertValues(big.values, order.slice(0, 5).map(([v]) => Math.fround(v)), "top 5 of 8");
    assertValues(big.indices, order.slice(0, 5).map(([, i]) => i), "top 5 positions");
    assert.throws(() => topk(x, 5), RangeError, "k > size");
    assert.throws(() => topk(x, -1), RangeError, "negative k");
    assert.throws(() => topk(x as Tensor, 1, 2), ShapeError, "dim out of range");
    check();
  }));
