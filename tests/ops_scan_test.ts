/**
 * The reductions, scans and sorting of issue 17: prod, all/any, norm, cumsum/cumprod/logcumsumexp,
 * sort/argsort, median, mode and unique. Expected values are worked out by hand (or by a formula in
 * JS) on small inputs; ties follow torch 1.13 (a stable sort keeps them in order; mode gives the
 * smallest of the most frequent values). Every test ends with as many live tensors as it began with.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert/strict";
import {
  all,
  any,
  argsort,
  cumprod,
  cumsum,
  DTypeError,
  expand,
  logcumsumexp,
  median,
  memory,
  mode,
  norm,
  prod,
  scope,
  ShapeError,
  sort,
  tensor,
  TorchError,
  unique,
} from "../mod.ts";
import { assertClose, assertMeta, assertValues } from "./ops_helpers.ts";

function noLeak(fn: () => void): void {
  const before = memory().tensors;
  scope(fn);
  assert.equal(memory().tensors, before, "tensors leaked");
}

const f64 = (xs: number[], shape = [xs.length]) => tensor(xs, shape, { dtype: "f64" });
const i64 = (xs: number[], shape = [xs.length]) => tensor(xs, shape, { dtype: "i64" });

// [[1, 2, 3], [4, 5, 6]]
const M = [1, 2, 3, 4, 5, 6];

Deno.test("prod: all elements or along a dim with keepDim; integers and bool give i64", () => {
  noLeak(() => {
    const x = f64(M, [2, 3]);
    assertValues(prod(x), [720], "prod of all");
    assertMeta(prod(x), [], "f64");
    assertValues(prod(x, 1), [6, 120], "prod along 1");
    assertMeta(prod(x, 0, true), [1, 3], "f64", "prod along 0, keepDim");
    assertValues(prod(x, -2, true), [4, 10, 18], "prod along -2");
    const ints = prod(tensor(M, [2, 3], { dtype: "i32" }), 1);
    assertMeta(ints, [2], "i64", "prod of i32");
    assertMeta(prod(tensor([1, 1, 0], [3], { dtype: "bool" })), [], "i64", "prod of bool");
    assertValues(prod(f64([], [0])), [1], "the empty product is 1");
    assert.throws(
      () => prod(x, 2),
      (e: Error) =>
        e instanceof ShapeError && e.message === "prod: dimension 2 is out of range for a tensor of shape [2, 3]",
    );
  });
});

Deno.test("all/any: bool results over all elements or along a dim", () => {
  noLeak(() => {
    const x = f64([1, 0, 2, 3, 4, 5], [2, 3]);
    assertValues(all(x), [0], "all");
    assertMeta(all(x), [], "bool");
    assertValues(any(x), [1], "any");
    assertValues(all(x, 1), [0, 1], "all along 1");
    assertValues(all(x, 0, true), [1, 0, 1], "all along 0");
    assertMeta(all(x, 0, true), [1, 3], "bool");
    assertValues(any(f64([0, 0, 0, 1], [2, 2]), -1), [0, 1], "any along -1");
    assertValues(all(f64([], [0])), [1], "all of nothing is true");
    assertValues(any(f64([], [0])), [0], "any of nothing is false");
  });
});

Deno.test("norm: Frobenius by default, p-norms, ±Infinity, several dims, keepDim", () => {
  noLeak(() => {
    const x = f64([3, -4, 0, 12], [2, 2]);
    assertClose(norm(x), [13], "fro of all: √(9 + 16 + 144)", { rtol: 1e-15 });
    assertMeta(norm(x), [], "f64");
    assertMeta(norm(x, "fro", undefined, true), [1, 1], "f64", "keepDim over all");
    assertClose(norm(x, 1), [19], "1-norm");
    assertClose(norm(x, Infinity), [12], "∞-norm");
    assertClose(norm(x, -Infinity), [0], "−∞-norm: the smallest |x|");
    assertClose(norm(x, 0), [3], "0-'norm': the count of non-zeros");
    assertClose(norm(x, 2, 1), [5, 12], "2-norm of each row");
    assertClose(norm(x, 1, 0, true), [3, 16], "1-norm of each column");
    assertMeta(norm(x, 1, 0, true), [1, 2], "f64");
    assertClose(norm(x, 3, -1), [Math.cbrt(27 + 64), 12], "3-norm of each row");
    const cube = f64([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
    const over = norm(cube, "fro", [1, 2]);
    assertClose(over, [Math.sqrt(1 + 4 + 9 + 16), Math.sqrt(25 + 36 + 49 + 64)], "fro over [1, 2]");
    assertMeta(norm(cube, 2, [0, -1], true), [1, 2, 1], "f64", "2-norm over [0, -1], keepDim");
    assert.throws(
      () => norm(cube, "fro", [0, 1, 2]),
      (e: Error) =>
        e instanceof ShapeError && e.message === 'norm: p "fro" reduces at most 2 dimensions, got [0, 1, 2]',
    );
    assert.throws(
      () => norm(cube, 2, [0, -3]),
      (e: Error) => e instanceof ShapeError && e.message === "norm: dimensions [0, -3] name one dimension twice",
    );
    assert.throws(
      () => norm(i64([1, 2])),
      (e: Error) => e instanceof DTypeError && e.message === "norm: needs a floating-point tensor, got i64",
    );
    assert.throws(
      () => norm(x, "nuc" as "fro"),
      (e: Error) => e instanceof RangeError && e.message === 'norm: p must be a number or "fro", got nuc',
    );
  });
});

Deno.test("scans: cumsum, cumprod (integers to i64) and logcumsumexp along a dim", () => {
  noLeak(() => {
    const x = f64(M, [2, 3]);
    assertValues(cumsum(x, 1), [1, 3, 6, 4, 9, 15], "cumsum along 1");
    assertValues(cumsum(x, 0), [1, 2, 3, 5, 7, 9], "cumsum along 0");
    assertValues(cumprod(x, -1), [1, 2, 6, 4, 20, 120], "cumprod along -1");
    assertMeta(cumsum(tensor([1, 1, 0], [3], { dtype: "bool" }), 0), [3], "i64", "cumsum of bool");
    assertMeta(cumprod(tensor([1, 2], [2], { dtype: "i32" }), 0), [2], "i64", "cumprod of i32");
    const l = logcumsumexp(f64([0, 0, Math.log(2)]), 0);
    assertClose(l, [0, Math.log(2), Math.log(4)], "logcumsumexp", { rtol: 1e-15 });
    // Stable far past exp's range: log(e^1000 + e^1000) = 1000 + log 2.
    assertClose(logcumsumexp(f64([1000, 1000]), 0), [1000, 1000 + Math.log(2)], "logcumsumexp large");
    assert.throws(
      () => logcumsumexp(i64([1, 2]), 0),
      (e: Error) => e instanceof DTypeError && e.message === "logcumsumexp: needs a floating-point tensor, got i64",
    );
    assert.throws(
      () => cumsum(f64([1]), 1),
      (e: Error) => e instanceof ShapeError && /^cumsum: dimension 1 is out of range/.test(e.message),
    );
  });
});

Deno.test("sort/argsort: ascending, descending, stable ties in order, NaN last", () => {
  noLeak(() => {
    const { values, indices } = sort(f64([3, 1, 2]));
    assertValues(values, [1, 2, 3], "sorted");
    assertValues(indices, [1, 2, 0], "where they came from");
    assertMeta(indices, [3], "i64");
    const ties = i64([2, 1, 2, 1, 3]);
    const down = sort(ties, 0, { descending: true, stable: true });
    assertValues(down.values, [3, 2, 2, 1, 1], "descending");
    assertValues(down.indices, [4, 0, 2, 1, 3], "stable: equal elements in their order");
    assertValues(argsort(ties, 0, { stable: true }), [1, 3, 0, 2, 4], "argsort, stable");
    const m = sort(f64([3, 1, 2, 0, 5, 4], [2, 3]), 0);
    assertValues(m.values, [0, 1, 2, 3, 5, 4], "sort along 0");
    assertValues(m.indices, [1, 0, 0, 0, 1, 1], "indices along 0");
    assertValues(argsort(f64([3, 1, 2, 0, 5, 4], [2, 3]), -1, { descending: true }), [0, 2, 1, 1, 2, 0], "rows");
    assertClose(sort(f64([NaN, 1, -Infinity])).values, [-Infinity, 1, NaN], "NaN sorts as the largest");
    assert.throws(
      () => sort(f64([1]), 1),
      (e: Error) =>
        e instanceof ShapeError && e.message === "sort: dimension 1 is out of range for a tensor of shape [1]",
    );
  });
});

Deno.test("median: the lower median of all elements, or values and indices along a dim", () => {
  noLeak(() => {
    assertValues(median(f64([4, 1, 3, 2])), [2], "lower median of four");
    assertValues(median(f64([5, 1, 3])), [3], "median of three");
    assertMeta(median(f64(M, [2, 3])), [], "f64");
    assertClose(median(f64([], [0])), [NaN], "median of nothing is NaN");
    const { values, indices } = median(f64([1, 5, 3, 2, 0, -1, 4, 7], [2, 4]), 1);
    assertValues(values, [2, 0], "lower median of each row");
    assertValues(indices, [3, 0], "where each median sits");
    assertMeta(median(f64(M, [2, 3]), 0, true).values, [1, 3], "f64", "keepDim");
    // Along a stride-0 (expanded) dim: libtorch 1.13 alone would read garbage here with keepDim.
    const e = expand(f64([3], [1]), [5]);
    assertValues(median(e, 0, true).values, [3], "median of an expanded tensor");
    assert.throws(
      () => median(f64([], [2, 0]), 1),
      (e: Error) => e instanceof ShapeError && e.message === "median: dimension 1 of [2, 0] is empty: it has no median",
    );
  });
});

Deno.test("mode: the most frequent value per slice (the smallest of equally frequent ones)", () => {
  noLeak(() => {
    const x = i64([1, 2, 2, 3, 3, 4, 4, 1, 1, 5], [2, 5]);
    const { values, indices } = mode(x);
    assertValues(values, [2, 1], "modes of each row: 2 and 3 tie in row 0, 4 and 1 in row 1");
    assertValues(indices, [2, 3], "the last position of the mode");
    assertMeta(indices, [2], "i64");
    assertValues(
      mode(i64([7, 7, 1, 1, 7, 1], [3, 2]), 0, true).values,
      [7, 1],
      "along 0: columns [7, 1, 7] and [7, 1, 1]",
    );
    assertMeta(mode(x, 0, true).values, [1, 5], "i64", "keepDim");
    assertValues(mode(f64([0.5, -2, 3])).values, [-2], "all distinct: the smallest");
    assert.throws(
      () => mode(f64([], [0])),
      (e: Error) => e instanceof ShapeError && e.message === "mode: dimension 0 of [0] is empty: it has no mode",
    );
  });
});

Deno.test("unique: sorted values with counts, and the inverse when asked", () => {
  noLeak(() => {
    const x = f64([2, 1, 2, 5], [2, 2]);
    const r = unique(x);
    assertValues(r.values, [1, 2, 5], "values");
    assertValues(r.counts, [1, 2, 1], "counts");
    assertMeta(r.counts, [3], "i64");
    assert.ok(!("inverse" in r), "no inverse unless asked");
    const w = unique(x, { inverse: true });
    assertValues(w.inverse, [1, 0, 1, 2], "inverse");
    assertMeta(w.inverse, [2, 2], "i64", "inverse has x's shape");
    const b = unique(tensor([1, 0, 1], [3], { dtype: "bool" }));
    assertValues(b.values, [0, 1], "bool values");
    assertMeta(b.values, [2], "bool");
    const empty = unique(f64([], [0]), { inverse: true });
    assertMeta(empty.values, [0], "f64", "unique of nothing");
    assert.throws(
      () => unique(tensor([1], [1], { dtype: "f16" })),
      (e: Error) => e instanceof TorchError && /^unique: .*Half/.test(e.message),
    );
  });
});
