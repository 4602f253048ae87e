/**
 * Indexing ops of issue 17: scatter/scatterAdd/scatterReduce, indexAdd/indexFill/indexPut, take,
 * takeAlongDim, nonzero, maskedSelect, oneHot. Expected values are written out by hand from small
 * inputs; out-of-range indices must be named errors, never garbage; nothing may leak.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert";
import {
  arange,
  cast,
  DTypeError,
  indexAdd,
  indexFill,
  indexPut,
  maskedSelect,
  memory,
  nonzero,
  oneHot,
  ones,
  reshape,
  scatter,
  scatterAdd,
  scatterReduce,
  scope,
  ShapeError,
  take,
  takeAlongDim,
  type Tensor,
  tensor,
  TorchError,
  zeros,
} from "../mod.ts";
import { assertClose, assertMeta, assertValues } from "./ops_helpers.ts";

const iota = (shape: number[]): Tensor => reshape(cast(arange(shape.reduce((a, b) => a * b, 1)), "f32"), shape);
const i64 = (values: number[], shape: number[]) => tensor(values, shape, { dtype: "i64" });
const f32 = (values: number[], shape: number[]) => tensor(values, shape);

function noLeak(body: () => void): void {
  const before = memory().tensors;
  scope(body);
  assert.strictEqual(memory().tensors, before, "tensors leaked");
}

// deno-lint-ignore no-explicit-any
const throwsNamed = (f: () => unknown, kind: new (...args: any[]) => Error, re: RegExp) =>
  assert.throws(f, (e: Error) => e instanceof kind && re.test(e.message), `expected ${kind.name} matching ${re}`);

Deno.test("scatter, scatterAdd, scatterReduce", () =>
  noLeak(() => {
    const x = zeros([2, 3]);
    assertValues(scatter(x, 1, i64([2, 0], [2, 1]), 1), [0, 0, 1, 1, 0, 0], "a number at [0, 2] and [1, 0]");
    const src = f32([1, 2, 3, 4, 5, 6], [2, 3]);
    // out[index[i][j]][j] = src[i][j] along dim 0
    assertValues(scatter(x, 0, i64([1, 0, 1], [1, 3]), src), [0, 2, 0, 1, 0, 3], "src rows along dim 0");
    assertValues(scatterAdd(zeros([3]), 0, i64([0, 2, 2], [3]), ones([3])), [1, 0, 2], "counts");
    const vals = f32([3, 5, 2, 7], [4]);
    const idx = i64([0, 0, 1, 1], [4]);
    const base = f32([4, 1, -1], [3]);
    assertValues(scatterReduce(base, 0, idx, vals, "sum"), [12, 10, -1], "sum with self");
    assertValues(scatterReduce(base, 0, idx, vals, "sum", { includeSelf: false }), [8, 9, -1], "sum without self");
    assertValues(scatterReduce(base, 0, idx, vals, "prod"), [60, 14, -1], "prod with self");
    assertClose(scatterReduce(base, 0, idx, vals, "mean"), [4, 10 / 3, -1], "mean with self");
    assertValues(scatterReduce(base, 0, idx, vals, "amax"), [5, 7, -1], "amax");
    assertValues(scatterReduce(base, 0, idx, vals, "amin", { includeSelf: false }), [3, 2, -1], "amin without self");
    throwsNamed(() => scatter(x, 1, i64([3], [1, 1]), 1), TorchError, /^scatter: index 3 is out of bounds/);
    throwsNamed(() => scatter(x, 1, i64([-1], [1, 1]), 1), TorchError, /^scatter: index -1 is out of bounds/);
    throwsNamed(() => scatterAdd(zeros([3]), 0, i64([5], [1]), ones([1])), TorchError, /^scatterAdd: index 5/);
    throwsNamed(() => scatter(x, 1, cast(i64([0], [1, 1]), "i32"), 1), DTypeError, /^scatter: index must be an i64/);
    throwsNamed(() => scatter(x, 1, i64([0, 0, 0], [3, 1]), 1), ShapeError, /^scatter: index \[3, 1\] must have/);
    throwsNamed(
      () => scatter(x, 0, i64([0], [1, 1]), cast(src, "f64")),
      DTypeError,
      /^scatter: src must have x's dtype/,
    );
    throwsNamed(() => scatterReduce(base, 0, idx, vals, "max" as never), RangeError, /^scatterReduce: reduce must be/);
  }));

Deno.test("indexAdd, indexFill, indexPut", () =>
  noLeak(() => {
    const x = zeros([3, 2]);
    const rows = f32([1, 2, 3, 4], [2, 2]);
    assertValues(indexAdd(x, 0, i64([0, 2], [2]), rows), [1, 2, 0, 0, 3, 4], "rows 0 and 2");
    assertValues(indexAdd(x, 0, i64([1, 1], [2]), rows, 2), [0, 0, 8, 12, 0, 0], "row 1 twice, alpha 2");
    assertValues(indexAdd(x, 0, cast(i64([2], [1]), "i32"), f32([5, 6], [1, 2])), [0, 0, 0, 0, 5, 6], "an i32 index");
    assertValues(indexFill(iota([2, 3]), 1, i64([0, -1], [2]), 7), [7, 1, 7, 7, 4, 7], "columns 0 and -1");
    const y = iota([2, 2]);
    assertValues(indexPut(y, [i64([0, 1], [2]), i64([1, 0], [2])], f32([9, 8], [2])), [0, 9, 8, 3], "x[[0,1],[1,0]]");
    assertValues(indexPut(y, [i64([-1], [1])], f32([5], [1])), [0, 1, 5, 5], "the last row, broadcast value");
    assertValues(indexPut(y, [i64([0, 0], [2])], f32([1, 2, 3, 4], [2, 2]), true), [4, 7, 2, 3], "row 0 twice, added");
    throwsNamed(() => indexAdd(x, 0, i64([3], [1]), f32([1, 1], [1, 2])), TorchError, /^indexAdd: index out of range/);
    throwsNamed(() => indexFill(x, 1, i64([2], [1]), 0), TorchError, /^indexFill: index 2 is out of bounds/);
    throwsNamed(() => indexPut(y, [i64([2], [1])], f32([1], [1])), TorchError, /^indexPut: index 2 is out of bounds/);
    throwsNamed(() => indexAdd(x, 0, i64([0], [1]), rows), ShapeError, /^indexAdd: source must be \[1, 2\]/);
    throwsNamed(() => indexFill(x, 0, i64([0], [1, 1]), 0), ShapeError, /^indexFill: index must be 1-D/);
    throwsNamed(() => indexPut(y, [], f32([1], [1])), ShapeError, /^indexPut: needs 1 to 2 index tensors/);
    throwsNamed(
      () => indexPut(y, [i64([0], [1])], f32([1, 2, 3], [3])),
      ShapeError,
      /^indexPut: cannot broadcast \[3\] with \[1, 2\]/,
    );
  }));

Deno.test("take and takeAlongDim", () =>
  noLeak(() => {
    const x = iota([2, 3]);
    const t = take(x, i64([0, 5, -1, 3], [2, 2]));
    assertMeta(t, [2, 2]);
    assertValues(t, [0, 5, 5, 3], "flat positions, -1 the last");
    const along = takeAlongDim(x, i64([2, 0, 1, 1], [2, 2]), 1);
    assertValues(along, [2, 0, 4, 4], "per row");
    assertValues(takeAlongDim(x, i64([1, 0, 1], [1, 3]), 0), [3, 1, 5], "per column");
    // indices of one row broadcast over both rows of x
    assertValues(takeAlongDim(x, i64([2, 1], [1, 2]), 1), [2, 1, 5, 4], "broadcast indices");
    assertValues(takeAlongDim(x, i64([4, 1], [2])), [4, 1], "flattened");
    throwsNamed(() => take(x, i64([6], [1])), TorchError, /^take: out of range/);
    throwsNamed(() => takeAlongDim(x, i64([3], [1, 1]), 1), TorchError, /^takeAlongDim: index 3 is out of bounds/);
    throwsNamed(() => takeAlongDim(x, i64([0], [1]), 1), ShapeError, /^takeAlongDim: indices \[1\] must have the rank/);
    throwsNamed(() => take(x, f32([0], [1])), DTypeError, /^take: index must be an i64 tensor, got f32/);
  }));

Deno.test("nonzero, maskedSelect, oneHot", () =>
  noLeak(() => {
    const nz = nonzero(f32([0, 3, 0, 4, 5, 0], [2, 3]));
    assertMeta(nz, [3, 2], "i64");
    assertValues(nz, [0, 1, 1, 0, 1, 1], "positions [0, 1], [1, 0], [1, 1]");
    assertMeta(nonzero(zeros([2, 2])), [0, 2], "i64");
    const x = iota([2, 3]);
    assertValues(maskedSelect(x, tensor([1, 0, 1], [3], { dtype: "bool" })), [0, 2, 3, 5], "a broadcast mask");
    assertMeta(maskedSelect(x, zeros([2, 3], { dtype: "bool" })), [0]);
    const h = oneHot(i64([0, 2], [2]), 3);
    assertMeta(h, [2, 3], "i64");
    assertValues(h, [1, 0, 0, 0, 0, 1], "classes 0 and 2");
    assertMeta(oneHot(i64([1, 3, 0, 2], [2, 2])), [2, 2, 4], "i64");
    throwsNamed(() => oneHot(i64([3], [1]), 3), TorchError, /^oneHot: index out of range/);
    throwsNamed(() => oneHot(i64([-1], [1])), TorchError, /^oneHot: Class values must be non-negative/);
    throwsNamed(() => oneHot(i64([], [0])), ShapeError, /^oneHot: cannot infer numClasses from an empty tensor/);
    throwsNamed(() => oneHot(f32([1], [1]), 2), DTypeError, /^oneHot: class indices must be an i64 tensor/);
    throwsNamed(() => maskedSelect(x, x), DTypeError, /^maskedSelect: mask must be a bool tensor/);
    throwsNamed(() => maskedSelect(x, zeros([4], { dtype: "bool" })), ShapeError, /^maskedSelect: cannot broadcast/);
  }));
