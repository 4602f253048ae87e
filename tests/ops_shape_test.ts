/**
 * Shape ops: reshape/view/expand/transpose/permute/contiguous/squeeze/unsqueeze/slice/cat/stack/
 * gather/indexSelect. Expected values come from index arithmetic written in the test.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert";
import {
  arange,
  cast,
  cat,
  contiguous,
  data,
  DTypeError,
  expand,
  gather,
  indexSelect,
  isContiguous,
  permute,
  reshape,
  scope,
  ShapeError,
  slice,
  squeeze,
  stack,
  type Tensor,
  tensor,
  TorchError,
  transpose,
  unsqueeze,
  view,
} from "../mod.ts";
import { assertMeta, assertValues, guard, indices, nums, strides } from "./ops_helpers.ts";

/** 0, 1, ..., n-1 as f32 in the given shape, and the same numbers as a JS array. */
function iota(shape: number[]): { t: Tensor; v: number[] } {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, (_, i) => i);
  return { t: tensor(v, shape), v };
}

/** Row-major offset of a multi-index. */
function offset(shape: number[], idx: number[]): number {
  const st = strides(shape);
  return idx.reduce((p, i, d) => p + i * st[d], 0);
}

Deno.test("reshape, with -1 inferred", () =>
  scope(() => {
    const { t, v } = iota([2, 3, 4]);
    const check = guard(t);
    const r = reshape(t, [6, 4]);
    assertMeta(r, [6, 4], "f32");
    assertValues(r, v, "reshape keeps row-major order");
    assertMeta(reshape(t, [2, -1, 4]), [2, 3, 4], "f32", "[2, -1, 4]");
    assertMeta(reshape(t, [-1]), [24], "f32", "[-1]");
    assertMeta(reshape(t, [4, -1]), [4, 6], "f32", "[4, -1]");
    // A non-contiguous input: reshape reads it in logical order.
    const tr = reshape(transpose(t, 0, 2), [-1]);
    const tshape = [4, 3, 2];
    assertValues(tr, indices(tshape).map(([a, b, c]) => v[offset([2, 3, 4], [c, b, a])]), "reshape of a transpose");
    const i = reshape(arange(6), [3, 2]);
    assertMeta(i, [3, 2], "i64");
    assertMeta(reshape(tensor([7]), []), [], "f32", "to a scalar");
    assert.throws(() => reshape(t, [5, -1]), ShapeError, "24 is not a multiple of 5");
    assert.throws(() => reshape(t, [-1, -1]), ShapeError, "two -1");
    assert.throws(() => reshape(t, [5, 5]), ShapeError, "25 != 24");
    check();
  }));

Deno.test("view: like reshape on contiguous memory, fails on incompatible layouts", () =>
  scope(() => {
    const { t, v } = iota([3, 4]);
    const check = guard(t);
    const w = view(t, [2, -1]);
    assertMeta(w, [2, 6], "f32");
    assertValues(w, v, "view values");
    assert.throws(() => view(transpose(t, 0, 1), [12]), TorchError, "view of a transpose");
    assert.throws(() => view(t, [5, -1]), ShapeError);
    check();
  }));

Deno.test("expand: size-1 and new leading dims, -1 keeps", () =>
  scope(() => {
    const col = tensor([[1], [2], [3]]);
    const check = guard(col);
    const e = expand(col, [3, 4]);
    assertMeta(e, [3, 4], "f32");
    assertValues(e, [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3], "[3, 1] → [3, 4]");
    assertMeta(expand(col, [-1, 2]), [3, 2], "f32", "-1 keeps 3");
    const row = tensor([1, 2, 3]);
    const r = expand(row, [2, 3]);
    assertMeta(r, [2, 3], "f32");
    assertValues(r, [1, 2, 3, 1, 2, 3], "[3] → [2, 3]");
    assertValues(expand(tensor([[5]]), [2, 2, 2]), [5, 5, 5, 5, 5, 5, 5, 5], "[1, 1] → [2, 2, 2]");
    assert.throws(() => expand(col, [4, 4]), ShapeError, "3 cannot become 4");
    assert.throws(() => expand(col, [4]), ShapeError, "fewer dims");
    check();
  }));

Deno.test("transpose, including negative dims", () =>
  scope(() => {
    const shape = [2, 3, 4];
    const { t, v } = iota(shape);
    const check = guard(t);
    const a = transpose(t, -1, -2);
    assertMeta(a, [2, 4, 3], "f32");
    assertValues(a, indices([2, 4, 3]).map(([i, j, k]) => v[offset(shape, [i, k, j])]), "transpose(-1, -2)");
    const b = transpose(t, 0, 2);
    assertMeta(b, [4, 3, 2], "f32");
    assertValues(b, indices([4, 3, 2]).map(([i, j, k]) => v[offset(shape, [k, j, i])]), "transpose(0, 2)");
    assertValues(transpose(t, 1, 1), v, "transpose(1, 1) is the identity");
    assertValues(transpose(tensor([[1, 2, 3], [4, 5, 6]]), 0, -1), [1, 4, 2, 5, 3, 6], "2-D transpose");
    assert.throws(() => transpose(t, 0, 3), ShapeError);
    assert.throws(() => transpose(t, -4, 0), ShapeError);
    check();
  }));

Deno.test("permute", () =>
  scope(() => {
    const shape = [2, 3, 4];
    const { t, v } = iota(shape);
    const check = guard(t);
    const p = permute(t, [2, 0, 1]);
    assertMeta(p, [4, 2, 3], "f32");
    // out[i][j][k] = x[j][k][i]
    assertValues(p, indices([4, 2, 3]).map(([i, j, k]) => v[offset(shape, [j, k, i])]), "permute [2, 0, 1]");
    const q = permute(t, [-2, -1, 0]);
    assertMeta(q, [3, 4, 2], "f32");
    assertValues(q, indices([3, 4, 2]).map(([i, j, k]) => v[offset(shape, [k, i, j])]), "permute [-2, -1, 0]");
    assert.throws(() => permute(t, [0, 0, 1]), ShapeError, "repeated dim");
    assert.throws(() => permute(t, [0, 1]), ShapeError, "too few dims");
    assert.throws(() => permute(t, [0, 1, 3]), ShapeError, "out of range");
    check();
  }));

Deno.test("contiguous lays out a transposed view row-major", () =>
  scope(() => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    const check = guard(x);
    const t = transpose(x, 0, 1);
    assert.strictEqual(isContiguous(t), false, "the transpose itself is not contiguous");
    const c = contiguous(t);
    assertMeta(c, [3, 2], "f32");
    assert.strictEqual(isContiguous(c), true, "contiguous after contiguous");
    assert.deepStrictEqual(nums(data(c)), [1, 4, 2, 5, 3, 6], "memory order after contiguous (row-major)");
    assert.deepStrictEqual(nums(data(contiguous(x))), [1, 2, 3, 4, 5, 6], "already contiguous");
    check();
  }));

Deno.test("squeeze / unsqueeze", () =>
  scope(() => {
    const x = tensor([[[1, 2, 3]], [[4, 5, 6]]]); // [2, 1, 3]
    const check = guard(x);
    const s = squeeze(x, 1);
    assertMeta(s, [2, 3], "f32");
    assertValues(s, [1, 2, 3, 4, 5, 6], "squeeze(1)");
    assertMeta(squeeze(x, -2), [2, 3], "f32", "squeeze(-2)");
    assert.throws(() => squeeze(x, 0), ShapeError, "dim 0 has size 2");
    assert.throws(() => squeeze(x, 3), ShapeError, "out of range");
    const y = tensor([[1, 2, 3], [4, 5, 6]]);
    assertMeta(unsqueeze(y, 0), [1, 2, 3], "f32", "unsqueeze(0)");
    assertMeta(unsqueeze(y, 1), [2, 1, 3], "f32", "unsqueeze(1)");
    assertMeta(unsqueeze(y, 2), [2, 3, 1], "f32", "unsqueeze(2)");
    assertMeta(unsqueeze(y, -1), [2, 3, 1], "f32", "unsqueeze(-1)");
    assertMeta(unsqueeze(y, -3), [1, 2, 3], "f32", "unsqueeze(-3)");
    assertValues(unsqueeze(y, 1), [1, 2, 3, 4, 5, 6], "unsqueeze keeps values");
    assertMeta(unsqueeze(tensor(3), 0), [1], "f32", "unsqueeze a scalar");
    assert.throws(() => unsqueeze(y, 3), ShapeError);
    assert.throws(() => unsqueeze(y, -4), ShapeError);
    check();
  }));

Deno.test("slice: start/end/step, negative start and end, other dims", () =>
  scope(() => {
    const x = arange(10);
    const check = guard(x);
    const a = slice(x, 0, 2, 7);
    assertMeta(a, [5], "i64");
    assertValues(a, [2, 3, 4, 5, 6], "[2:7]");
    assertValues(slice(x, 0, -3), [7, 8, 9], "[-3:]");
    assertValues(slice(x, 0, 1, 8, 3), [1, 4, 7], "[1:8:3]");
    assertValues(slice(x, 0, -5, -1, 2), [5, 7], "[-5:-1:2]");
    assertValues(slice(x, -1, 0, 100, 4), [0, 4, 8], "end past the size clamps");
    assertMeta(slice(x, 0, 5, 5), [0], "i64", "empty slice");
    const m = tensor([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]);
    const c = slice(m, 1, 1, 3);
    assertMeta(c, [3, 2], "f32");
    assertValues(c, [2, 3, 6, 7, 10, 11], "columns 1:3");
    const r = slice(m, -2, -2);
    assertMeta(r, [2, 4], "f32");
    assertValues(r, [5, 6, 7, 8, 9, 10, 11, 12], "last two rows via dim -2");
    assertValues(slice(m, -1, 0, 4, 2), [1, 3, 5, 7, 9, 11], "every other column");
    assert.throws(() => slice(x, 0, 0, 5, 0), RangeError, "step 0");
    assert.throws(() => slice(x, 0, 0, 5, -1), RangeError, "negative step");
    assert.throws(() => slice(x, 1, 0), ShapeError, "dim out of range");
    check();
  }));

Deno.test("cat along existing dims", () =>
  scope(() => {
    const a = tensor([[1, 2], [3, 4]]);
    const b = tensor([[5, 6]]);
    const c = tensor([[7], [8]]);
    const check = guard(a, b, c);
    const r0 = cat([a, b], 0);
    assertMeta(r0, [3, 2], "f32");
    assertValues(r0, [1, 2, 3, 4, 5, 6], "cat dim 0");
    const r1 = cat([a, c, a], 1);
    assertMeta(r1, [2, 5], "f32");
    assertValues(r1, [1, 2, 7, 1, 2, 3, 4, 8, 3, 4], "cat dim 1");
    assertValues(cat([a, c], -1), [1, 2, 7, 3, 4, 8], "cat dim -1");
    assertValues(cat([a], 0), [1, 2, 3, 4], "one tensor");
    assertValues(cat([arange(2), arange(3)], 0), [0, 1, 0, 1, 2], "i64 vectors");
    assert.throws(() => cat([a, b], 1), ShapeError, "rows differ");
    assert.throws(() => cat([a, tensor([1, 2])], 0), ShapeError, "ranks differ");
    assert.throws(() => cat([], 0), ShapeError, "empty list");
    check();
  }));

Deno.test("stack along new dims", () =>
  scope(() => {
    const a = tensor([1, 2, 3]);
    const b = tensor([4, 5, 6]);
    const check = guard(a, b);
    const s0 = stack([a, b], 0);
    assertMeta(s0, [2, 3], "f32");
    assertValues(s0, [1, 2, 3, 4, 5, 6], "stack 0");
    const s1 = stack([a, b], 1);
    assertMeta(s1, [3, 2], "f32");
    assertValues(s1, [1, 4, 2, 5, 3, 6], "stack 1");
    assertValues(stack([a, b], -1), [1, 4, 2, 5, 3, 6], "stack -1");
    const m = tensor([[1, 2], [3, 4]]);
    const n = tensor([[5, 6], [7, 8]]);
    const s = stack([m, n, m], 1);
    assertMeta(s, [2, 3, 2], "f32");
    assertValues(s, [1, 2, 5, 6, 1, 2, 3, 4, 7, 8, 3, 4], "stack 2-D along 1");
    assert.throws(() => stack([a, tensor([1, 2])], 0), ShapeError, "sizes differ");
    assert.throws(() => stack([], 0), ShapeError, "empty list");
    check();
  }));

Deno.test("gather along dim 1 and dim 0", () =>
  scope(() => {
    const x = tensor([[10, 11, 12], [20, 21, 22]]);
    const idx = tensor([[2, 0], [1, 1]], undefined, { dtype: "i64" });
    const check = guard(x, idx);
    const g = gather(x, 1, idx);
    assertMeta(g, [2, 2], "f32");
    assertValues(g, [12, 10, 21, 21], "out[i][j] = x[i][idx[i][j]]");
    const i0 = tensor([[1, 0, 1]], undefined, { dtype: "i64" });
    const g0 = gather(x, 0, i0);
    assertMeta(g0, [1, 3], "f32");
    assertValues(g0, [20, 11, 22], "out[i][j] = x[idx[i][j]][j]");
    assertValues(gather(x, -1, idx), [12, 10, 21, 21], "dim -1");
    assert.throws(() => gather(x, 1, cast(idx, "i32")), DTypeError, "i32 indices");
    assert.throws(() => gather(x, 1, tensor([[0.0]])), DTypeError, "float indices");
    assert.throws(() => gather(x, 1, tensor([0], [1], { dtype: "i64" })), ShapeError, "rank differs");
    assert.throws(() => gather(x, 1, tensor([[3]], undefined, { dtype: "i64" })), TorchError, "out of range");
    check();
  }));

Deno.test("indexSelect with repeats, i64 and i32 indices", () =>
  scope(() => {
    const x = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    const rows = tensor([2, 0, 2], [3], { dtype: "i64" });
    const check = guard(x, rows);
    const r = indexSelect(x, 0, rows);
    assertMeta(r, [3, 3], "f32");
    assertValues(r, [7, 8, 9, 1, 2, 3, 7, 8, 9], "rows 2, 0, 2");
    const c = indexSelect(x, 1, tensor([1, 1], [2], { dtype: "i32" }));
    assertMeta(c, [3, 2], "f32");
    assertValues(c, [2, 2, 5, 5, 8, 8], "column 1 twice (i32 index)");
    assertValues(indexSelect(x, -1, tensor([2], [1], { dtype: "i64" })), [3, 6, 9], "dim -1");
    assertMeta(indexSelect(x, 0, tensor([], [0], { dtype: "i64" })), [0, 3], "f32", "empty index");
    assert.throws(() => indexSelect(x, 0, tensor([3], [1], { dtype: "i64" })), TorchError, "out of range");
    assert.throws(() => indexSelect(x, 0, tensor([-1], [1], { dtype: "i64" })), TorchError, "negative index");
    assert.throws(() => indexSelect(x, 0, tensor([0], [1])), DTypeError, "float index");
    assert.throws(
      () => indexSelect(x, 0, tensor([[0]], undefined, { dtype: "i64" }) as Tensor as Tensor<[number]>),
      ShapeError,
      "2-D index",
    );
    check();
  }));
