/**
 * Shape ops of issue 17: flatten/unflatten, split/chunk/unbind, flip/roll, repeat/tile,
 * repeatInterleave, pad, movedim, narrow, diag/diagonal, broadcastTo, meshgrid. Inputs are aranges,
 * so every expected value is written out by hand (or by index arithmetic in the test); each test
 * also checks that nothing leaks.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert";
import {
  arange,
  broadcastTo,
  cast,
  chunk,
  diag,
  diagonal,
  DTypeError,
  flatten,
  flip,
  memory,
  meshgrid,
  movedim,
  narrow,
  pad,
  repeat,
  repeatInterleave,
  reshape,
  roll,
  scope,
  ShapeError,
  split,
  type Tensor,
  tensor,
  tile,
  unbind,
  unflatten,
  zeros,
} from "../mod.ts";
import { assertMeta, assertValues, values } from "./ops_helpers.ts";

/** 0, 1, ..., n-1 (f32) in `shape`. */
const iota = (shape: number[]): Tensor => reshape(cast(arange(shape.reduce((a, b) => a * b, 1)), "f32"), shape);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Runs `body` in a scope and asserts it left no tensor behind. */
function noLeak(body: () => void): void {
  const before = memory().tensors;
  scope(body);
  assert.strictEqual(memory().tensors, before, "tensors leaked");
}

// deno-lint-ignore no-explicit-any
const throwsNamed = (f: () => unknown, kind: new (...args: any[]) => Error, re: RegExp) =>
  assert.throws(f, (e: Error) => e instanceof kind && re.test(e.message), `expected ${kind.name} matching ${re}`);

Deno.test("flatten and unflatten", () =>
  noLeak(() => {
    const x = iota([2, 3, 4]);
    assertMeta(flatten(x, 1), [2, 12]);
    assertMeta(flatten(x), [24]);
    assertMeta(flatten(x, 0, 1), [6, 4]);
    assertMeta(flatten(x, -2, -2), [2, 3, 4]);
    assertValues(flatten(x, 1), range(24), "row-major order kept");
    assertMeta(flatten(zeros([])), [1]);
    assertMeta(unflatten(iota([2, 12]), 1, [3, 4]), [2, 3, 4]);
    assertMeta(unflatten(iota([2, 12]), -1, [-1, 6]), [2, 2, 6]);
    throwsNamed(() => flatten(x, 2, 1), ShapeError, /^flatten: startDim 2 comes after endDim 1/);
    throwsNamed(() => flatten(x, 3), ShapeError, /^flatten: dimension 3 is out of range/);
    throwsNamed(() => unflatten(x, 2, [3, 2]), ShapeError, /^unflatten: sizes \[3, 2\] do not multiply to .* 4/);
    throwsNamed(() => unflatten(x, 2, [-1, -1]), ShapeError, /^unflatten:/);
    throwsNamed(() => unflatten(x, 2, [1.5]), RangeError, /^unflatten: sizes\[0\]/);
  }));

Deno.test("split, chunk and unbind", () =>
  noLeak(() => {
    const x = iota([5, 2]);
    const [a, b] = split(x, [2, 3]);
    assertValues(a, [0, 1, 2, 3], "split [2, 3] first");
    assertValues(b, [4, 5, 6, 7, 8, 9], "split [2, 3] second");
    assert.deepStrictEqual(split(x, 2).map((t) => t.shape), [[2, 2], [2, 2], [1, 2]]);
    assert.deepStrictEqual(split(x, 1, 1).map((t) => values(t)), [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]);
    assert.deepStrictEqual(split(zeros([0, 2]), 3).map((t) => t.shape), [[0, 2]]);
    // torch.chunk: pieces of ceil(n / chunks); 6 in 4 chunks gives 3 pieces of 2
    assert.deepStrictEqual(chunk(zeros([6]), 4).map((t) => t.shape), [[2], [2], [2]]);
    assert.deepStrictEqual(chunk(x, 3).map((t) => t.shape), [[2, 2], [2, 2], [1, 2]]);
    assert.strictEqual(chunk(zeros([0]), 3).length, 3);
    const rows = unbind(iota([2, 3]), 1);
    assert.deepStrictEqual(rows.map((t) => values(t)), [[0, 3], [1, 4], [2, 5]]);
    throwsNamed(() => split(x, [2, 2]), ShapeError, /^split: sizes \[2, 2\] must .* add up to 5/);
    throwsNamed(() => split(x, 0), RangeError, /^split: splitSize must be positive/);
    throwsNamed(() => split(x, NaN), RangeError, /^split: splitSize must be an integer/);
    throwsNamed(() => chunk(x, 0), RangeError, /^chunk: chunks must be at least 1/);
    throwsNamed(() => unbind(zeros([]), 0), ShapeError, /^unbind: dimension 0 is out of range/);
  }));

Deno.test("flip and roll", () =>
  noLeak(() => {
    const x = iota([2, 3]);
    assertValues(flip(x, [1]), [2, 1, 0, 5, 4, 3], "flip dim 1");
    assertValues(flip(x, [0, 1]), [5, 4, 3, 2, 1, 0], "flip both");
    assertValues(flip(x, []), range(6), "flip nothing");
    assertValues(roll(iota([5]), 2), [3, 4, 0, 1, 2], "roll 2");
    assertValues(roll(x, 1), [5, 0, 1, 2, 3, 4], "roll flattened");
    assertValues(roll(x, [1, -1], [0, 1]), [4, 5, 3, 1, 2, 0], "roll both dims");
    throwsNamed(() => flip(x, [1, -1]), ShapeError, /^flip: dims \[1, -1\] repeats a dimension/);
    throwsNamed(() => roll(x, [1, 2]), ShapeError, /^roll: needs one shift when no dims are given/);
    throwsNamed(() => roll(x, [1], [0, 1]), ShapeError, /^roll: needs one shift per dim/);
    throwsNamed(() => roll(x, Infinity), RangeError, /^roll: shifts\[0\]/);
  }));

Deno.test("repeat, tile and repeatInterleave", () =>
  noLeak(() => {
    const x = iota([2]);
    assertValues(repeat(x, [2, 2]), [0, 1, 0, 1, 0, 1, 0, 1], "repeat [2, 2]");
    assertMeta(repeat(iota([2, 3]), [2, 1, 2]), [2, 2, 6]);
    assertMeta(tile(iota([2, 3]), [2]), [2, 6]);
    assertValues(tile(iota([2, 2]), [2]), [0, 1, 0, 1, 2, 3, 2, 3], "tile [2]");
    assertValues(repeatInterleave(iota([3]), 2), [0, 0, 1, 1, 2, 2], "each twice");
    const counts = tensor([1, 0, 2], [3], { dtype: "i64" });
    assertValues(repeatInterleave(iota([3, 2]), counts, 0), [0, 1, 4, 5, 4, 5], "rows 1, 0 and 2 times");
    assertValues(repeatInterleave(iota([2, 2]), 2, 1), [0, 0, 1, 1, 2, 2, 3, 3], "along dim 1");
    assertMeta(repeatInterleave(iota([2, 2]), 2), [8]);
    throwsNamed(() => repeat(iota([2, 3]), [2] as never), ShapeError, /^repeat: 1 repeats for the 2 dimensions/);
    throwsNamed(() => tile(x, [-1]), RangeError, /^tile: reps\[0\] must be >= 0/);
    throwsNamed(() => repeatInterleave(x, -1), RangeError, /^repeatInterleave: repeats must be >= 0/);
    throwsNamed(() => repeatInterleave(x, x), DTypeError, /^repeatInterleave: repeats must be an i64 tensor/);
    throwsNamed(() => repeatInterleave(x, counts, 0), ShapeError, /^repeatInterleave: repeats \[3\] must hold/);
  }));

Deno.test("pad: constant, reflect, replicate, circular", () =>
  noLeak(() => {
    const row = iota([1, 4]); // [[0, 1, 2, 3]]
    assertValues(pad(row, [1, 2]), [0, 0, 1, 2, 3, 0, 0], "zeros around");
    assertValues(pad(row, [1, 0], "constant", -1), [-1, 0, 1, 2, 3], "value -1");
    assertValues(pad(row, [-1, 1]), [1, 2, 3, 0], "cropping the front");
    assertValues(pad(row, [2, 1], "reflect"), [2, 1, 0, 1, 2, 3, 2], "mirror without the edge");
    assertValues(pad(row, [2, 1], "replicate"), [0, 0, 0, 1, 2, 3, 3], "the edge repeated");
    assertValues(pad(iota([1, 1, 4]), [2, 1], "circular"), [2, 3, 0, 1, 2, 3, 0], "wrapped around");
    // the last dim first, then the one before it: [left, right, top, bottom]
    assertValues(pad(iota([1, 2]), [0, 1, 1, 0]), [0, 0, 0, 0, 1, 0], "a row on top, a column on the right");
    assertMeta(pad(zeros([2, 3]), [1, 1, 2, 2]), [6, 5]);
    throwsNamed(() => pad(row, [1]), ShapeError, /^pad: padding \[1\] needs a \[before, after\] pair/);
    throwsNamed(
      () => pad(row, [4, 0], "reflect"),
      ShapeError,
      /^pad: reflect padding \[4, 0\] must be within \[0, 3\]/,
    );
    throwsNamed(
      () => pad(iota([4]), [1, 1], "reflect"),
      ShapeError,
      /^pad: reflect padding of 1 dims needs a tensor of rank 2 or 3/,
    );
    throwsNamed(() => pad(row, [-5, 0]), ShapeError, /^pad: padding \[-5, 0\] crops dimension 1/);
    throwsNamed(() => pad(row, [1, 1], "edge" as never), RangeError, /^pad: mode must be one of/);
  }));

Deno.test("movedim and narrow", () =>
  noLeak(() => {
    const x = iota([2, 3, 4]);
    assertMeta(movedim(x, 0, -1), [3, 4, 2]);
    assertMeta(movedim(x, [0, 1], [2, 0]), [3, 4, 2]);
    // element [i, j, k] of x (12i + 4j + k) is element [j, k, i] of the result
    const moved = values(movedim(x, 0, 2));
    for (const [i, j, k] of [[1, 2, 3], [0, 1, 2], [1, 0, 0]]) {
      assert.strictEqual(moved[j * 8 + k * 2 + i], 12 * i + 4 * j + k);
    }
    assertValues(narrow(iota([2, 5]), 1, 1, 3), [1, 2, 3, 6, 7, 8], "columns 1..3");
    assertValues(narrow(iota([2, 5]), 1, -2, 2), [3, 4, 8, 9], "the last two columns");
    throwsNamed(
      () => movedim(x, [0, 0], [1, 2]),
      ShapeError,
      /^movedim: source \[0, 0\] repeats a dimension/,
    );
    throwsNamed(() => movedim(x, [0], [1, 2]), ShapeError, /^movedim: source and destination must list as many/);
    throwsNamed(() => narrow(x, 1, 2, 2), RangeError, /^narrow: start 2 and length 2 do not fit dimension 1 of size 3/);
  }));

Deno.test("diag, diagonal and broadcastTo", () =>
  noLeak(() => {
    assertValues(diag(iota([2])), [0, 0, 0, 1], "vector to matrix");
    assertValues(diag(iota([2]), 1), [0, 0, 0, 0, 0, 1, 0, 0, 0], "above the main diagonal");
    assertValues(diag(iota([3, 3])), [0, 4, 8], "matrix to vector");
    assertValues(diag(iota([3, 3]), -1), [3, 7], "below the main diagonal");
    // [2, 3, 3]: the diagonal of each 3 × 3 matrix, offset 1
    assertValues(diagonal(iota([2, 3, 3]), 1, 1, 2), [1, 5, 10, 14], "offset 1 of each matrix");
    assertMeta(diagonal(iota([2, 3, 4]), 0, 0, 2), [3, 2]);
    const b = broadcastTo(iota([3, 1]), [2, 3, 2]);
    assertValues(b, [0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2], "rows stretched, repeated in front");
    assertMeta(broadcastTo(iota([3, 1]), [-1, 4]), [3, 4]);
    throwsNamed(() => diag(zeros([2, 2, 2]) as never), ShapeError, /^diag: x must be 1-D or 2-D/);
    throwsNamed(() => diag(zeros([1, 5]), -2), RangeError, /^diag: diagonal -2 is outside the matrix \[1, 5\]/);
    throwsNamed(() => diagonal(zeros([3, 3]), 0, 1, -1), ShapeError, /^diagonal: dim1 and dim2 must differ/);
    throwsNamed(
      () => broadcastTo(iota([3, 2]), [3, 3] as never),
      ShapeError,
      /^broadcastTo: cannot broadcast \[3, 2\] to \[3, 3\]/,
    );
  }));

Deno.test("meshgrid: ij and xy", () =>
  noLeak(() => {
    const [ys, xs] = meshgrid([iota([2]), iota([3])]);
    assertMeta(ys, [2, 3]);
    assertValues(ys, [0, 0, 0, 1, 1, 1], "ij: the first input down the rows");
    assertValues(xs, [0, 1, 2, 0, 1, 2], "ij: the second along the columns");
    const [gx, gy] = meshgrid([iota([2]), iota([3])], "xy");
    assertMeta(gx, [3, 2]);
    assertValues(gx, [0, 1, 0, 1, 0, 1], "xy: the first along the columns");
    assertValues(gy, [0, 0, 1, 1, 2, 2], "xy: the second down the rows");
    throwsNamed(() => meshgrid([]), ShapeError, /^meshgrid: needs at least one tensor/);
    throwsNamed(() => meshgrid([iota([2, 2])]), ShapeError, /^meshgrid: tensors must be 0-D or 1-D/);
    throwsNamed(() => meshgrid([iota([2]), arange(2)]), DTypeError, /^meshgrid: tensors must share a dtype/);
  }));
