/**
 * Creation and random ops. linspace/logspace against their formulas; emptyLike's shape, dtype and
 * device for every dtype (its values are unspecified); fullLike for every dtype. The random draws are
 * not compared with torch's numbers (another generator) but tested statistically, with bounds of a
 * few standard errors (means, variances, category frequencies), for validity (permutations, ranges,
 * no repeats without replacement), and for determinism in the key: the same key gives the same
 * numbers, different keys different ones.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert/strict";
import {
  type DType,
  DTypeError,
  emptyLike,
  FreedTensorError,
  fullLike,
  linspace,
  logspace,
  memory,
  multinomial,
  normal,
  randperm,
  rng,
  scope,
  ShapeError,
  tensor,
  TorchError,
  uniform,
  zeros,
} from "../mod.ts";
import { assertClose, assertMeta, meanStd, values } from "./ops_helpers.ts";

function noLeaks(f: () => void): void {
  const before = memory().tensors;
  scope(f);
  assert.equal(memory().tensors, before, "tensors leaked");
}
const ALL: DType[] = ["f32", "f64", "bf16", "f16", "i64", "i32", "bool"];
/** |got - want| within k standard errors. */
function within(got: number, want: number, se: number, what: string, k = 5): void {
  assert.ok(Math.abs(got - want) <= k * se, `${what}: ${got}, expected ${want} ± ${k}·${se}`);
}

Deno.test("linspace: evenly spaced, both ends included", () =>
  noLeaks(() => {
    const xs = linspace(0, 1, 5);
    assertMeta(xs, [5], "f32");
    assertClose(xs, [0, 0.25, 0.5, 0.75, 1], "0..1 in 5");
    assertClose(linspace(2, -2, 3, { dtype: "f64" }), [2, 0, -2], "descending, f64");
    assertClose(linspace(7, 9, 1), [7], "one step is the start");
    assertMeta(linspace(0, 1, 0), [0], "f32", "no steps");
    // 0, 2.5, 5, 7.5, 10 truncated toward zero, as torch does for integer dtypes.
    assertClose(linspace(0, 10, 5, { dtype: "i64" }), [0, 2, 5, 7, 10], "i64");
    assert.throws(() => linspace(0, 1, -1), /linspace: steps must be a non-negative integer, got -1/);
    assert.throws(() => linspace(0, 1, 2.5), RangeError);
    assert.throws(() => linspace(NaN, 1, 3, { dtype: "i32" }), /linspace: start must be finite/);
    assertClose(linspace(NaN, 1, 2), [NaN, NaN], "floats take NaN as torch does");
  }));

Deno.test("logspace: base^linspace", () =>
  noLeaks(() => {
    assertClose(logspace(0, 3, 4), [1, 10, 100, 1000], "decades", { rtol: 1e-6 });
    assertClose(logspace(0, 4, 5, 2), [1, 2, 4, 8, 16], "base 2");
    assertClose(logspace(-1, 1, 3, 10, { dtype: "f64" }), [0.1, 1, 10], "negative exponents", { atol: 1e-15 });
    assert.throws(() => logspace(0, 1, -2), RangeError);
  }));

Deno.test("emptyLike: the shape, dtype and device of its input, for every dtype", () =>
  noLeaks(() => {
    for (const dtype of ALL) {
      const like = zeros([2, 3], { dtype });
      const e = emptyLike(like);
      assertMeta(e, [2, 3], dtype, `emptyLike ${dtype}`);
      assert.equal(e.device, "cpu");
      assertMeta(emptyLike(like, { dtype: "f64" }), [2, 3], "f64", "dtype override");
    }
    assertMeta(emptyLike(zeros([0, 4])), [0, 4], "f32", "empty");
    const freed = zeros([1]);
    freed.free();
    assert.throws(() => emptyLike(freed), FreedTensorError);
  }));

Deno.test("fullLike: every dtype", () =>
  noLeaks(() => {
    for (const dtype of ALL) {
      const like = zeros([2, 2], { dtype });
      const value = dtype === "bool" ? 1 : dtype === "i64" || dtype === "i32" ? -3 : 2.5;
      const t = fullLike(like, value);
      assertMeta(t, [2, 2], dtype, `fullLike ${dtype}`);
      assertClose(t, [value, value, value, value], `fullLike ${dtype}`);
    }
    assert.throws(() => fullLike(zeros([1], { dtype: "i64" }), NaN), DTypeError);
    assertClose(fullLike(zeros([1], { dtype: "f16" }), Infinity), [Infinity], "inf in f16");
  }));

Deno.test("randperm: a permutation, determined by the key", () =>
  noLeaks(() => {
    const p = randperm(50, rng(1));
    assertMeta(p, [50], "i64");
    assert.deepEqual([...values(p)].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i), "0..49 once each");
    assert.deepEqual(values(randperm(50, rng(1))), values(p), "same key, same permutation");
    assert.notDeepEqual(values(randperm(50, rng(2))), values(p), "another key, another permutation");
    assertMeta(randperm(5, rng(0), { dtype: "i32" }), [5], "i32");
    assertMeta(randperm(0, rng(0)), [0], "i64", "n = 0");
    // Uniform: each value lands first with probability 1/4 over 4000 draws (keys 0..3999).
    const firsts = [0, 0, 0, 0];
    for (let k = 0; k < 4000; k++) scope(() => firsts[values(randperm(4, rng(k)))[0]]++);
    for (const c of firsts) within(c, 1000, Math.sqrt(4000 * 0.25 * 0.75), "first element counts");
    assert.throws(() => randperm(-1, rng(0)), /randperm: n must be a non-negative integer, got -1/);
    assert.throws(() => randperm(3, rng(0), { dtype: "bool" }), TorchError);
  }));

Deno.test("multinomial: frequencies, no repeats without replacement, batches", () =>
  noLeaks(() => {
    const probs = tensor([0.2, 0.5, 0.3]);
    const n = 20000;
    const draws = multinomial(probs, n, { replacement: true }, rng(3));
    assertMeta(draws, [n], "i64");
    const counts = [0, 0, 0];
    for (const v of values(draws)) counts[v]++;
    [0.2, 0.5, 0.3].forEach((p, i) => within(counts[i], n * p, Math.sqrt(n * p * (1 - p)), `category ${i}`));
    // Weights need not sum to 1; a zero weight is never drawn.
    const skewed = values(multinomial(tensor([0, 2, 0, 6]), 1000, { replacement: true }, rng(4)));
    assert.ok(skewed.every((v) => v === 1 || v === 3), "zero-weight categories never drawn");
    within(skewed.filter((v) => v === 3).length, 750, Math.sqrt(1000 * 0.75 * 0.25), "weight 6 of 8");
    const all = values(multinomial(tensor([1, 1, 1, 1, 1]), 5, {}, rng(5)));
    assert.deepEqual([...all].sort(), [0, 1, 2, 3, 4], "without replacement, n draws are a permutation");
    const batch = multinomial(tensor([[1, 0], [0, 1]]), 3, { replacement: true }, rng(6));
    assertMeta(batch, [2, 3], "i64");
    assert.deepEqual(values(batch), [0, 0, 0, 1, 1, 1], "one-hot rows");
    const again = () => values(multinomial(probs, 100, { replacement: true }, rng(11)));
    assert.deepEqual(again(), again(), "same key, same draws");
    assert.notDeepEqual(again(), values(multinomial(probs, 100, { replacement: true }, rng(12))), "keys differ");
    assert.throws(() => multinomial(probs, 4, {}, rng(0)), /multinomial: numSamples 4 exceeds the 3 categories/);
    assert.throws(() => multinomial(probs, 0, {}, rng(0)), /multinomial: numSamples must be a positive integer/);
    assert.throws(() => multinomial(tensor([1, 2], undefined, { dtype: "i64" }), 1, {}, rng(0)), DTypeError);
    assert.throws(() => multinomial(zeros([2, 2, 2]), 1, {}, rng(0)), ShapeError);
    assert.throws(() => multinomial(tensor([-1, 2]), 1, {}, rng(0)), (e: Error) =>
      e instanceof TorchError && /^multinomial:/.test(e.message));
    assert.throws(() =>
      multinomial(tensor([0, 0]), 1, {}, rng(0)), TorchError);
  }));

Deno.test("normal: mean and variance within a few standard errors, determined by the key", () =>
  noLeaks(() => {
    const n = 40000;
    const x = normal([n], { mean: 1, std: 2 }, rng(7));
    assertMeta(x, [n], "f32");
    const s = meanStd(values(x));
    within(s.mean, 1, 2 / Math.sqrt(n), "mean");
    within(s.variance, 4, 4 * Math.sqrt(2 / n), "variance");
    assert.deepEqual(values(normal([n], { mean: 1, std: 2 }, rng(7))), values(x), "same key, same numbers");
    assert.notDeepEqual(values(normal([5], {}, rng(8))), values(normal([5], {}, rng(9))), "keys differ");
    assertMeta(normal([2, 3], { dtype: "f64" }, rng(0)), [2, 3], "f64");
    assertClose(normal([3], { mean: 5, std: 0 }, rng(0)), [5, 5, 5], "std 0");
    assert.throws(() => normal([2], { std: -1 }, rng(0)), /normal: std must be ≥ 0, got -1/);
    assert.throws(() => normal([2], { mean: NaN }, rng(0)), /normal: mean must be a finite number/);
    assert.throws(() => normal([2], { dtype: "i64" }, rng(0)), /normal: needs a floating dtype, got i64/);
    assert.throws(() => normal([-1], {}, rng(0)), ShapeError);
  }));

Deno.test("uniform: inside [low, high), mean and variance of the interval", () =>
  noLeaks(() => {
    const n = 40000;
    const [lo, hi] = [-2, 4];
    const x = values(uniform([n], { low: lo, high: hi }, rng(10)));
    assert.ok(x.every((v) => v >= lo && v < hi), "every sample in [low, high)");
    const s = meanStd(x);
    const width = hi - lo;
    within(s.mean, 1, width / Math.sqrt(12 * n), "mean");
    // The variance of U(a, b) is w²/12; its estimate's standard error is w²/√(180 n) (fourth central moment w⁴/80).
    within(s.variance, width ** 2 / 12, width ** 2 / Math.sqrt(180 * n), "variance");
    assert.deepEqual(values(uniform([n], { low: lo, high: hi }, rng(10))), x, "same key, same numbers");
    assert.notDeepEqual(values(uniform([4], {}, rng(1))), values(uniform([4], {}, rng(2))), "keys differ");
    assertClose(uniform([2], { low: 3, high: 3 }, rng(0)), [3, 3], "an empty interval gives low");
    assert.throws(() => uniform([2], { low: 1, high: 0 }, rng(0)), /uniform: low must be ≤ high, got \[1, 0\)/);
    assert.throws(() => uniform([2], { high: Infinity }, rng(0)), /uniform: high must be a finite number/);
    assert.throws(() => uniform([2], { dtype: "bool" }, rng(0)), DTypeError);
  }));
