/**
 * Matrix products: matmul (2-D, batched with broadcasting, vector operands), bmm and linear (with and
 * without bias), against triple loops written in the test.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert";
import { bmm, linear, matmul, randn, rng, scope, ShapeError, type Tensor, tensor } from "../mod.ts";
import { assertClose, assertMeta, at, broadcastShape, guard, indices, values } from "./ops_helpers.ts";

/** Batched matmul by loops: a [...ba, n, k] @ b [...bb, k, m], batch dims broadcast. */
function refMatmul(
  a: number[],
  aShape: number[],
  b: number[],
  bShape: number[],
): { shape: number[]; values: number[] } {
  const n = aShape[aShape.length - 2];
  const k = aShape[aShape.length - 1];
  const m = bShape[bShape.length - 1];
  const batch = broadcastShape(aShape.slice(0, -2), bShape.slice(0, -2));
  const shape = [...batch, n, m];
  const out = indices(shape).map((idx) => {
    const bi = idx.slice(0, -2);
    const [i, j] = idx.slice(-2);
    let s = 0;
    for (let p = 0; p < k; p++) s += at(a, aShape, [...bi, i, p]) * at(b, bShape, [...bi, p, j]);
    return s;
  });
  return { shape, values: out };
}

function draw(shape: number[], seed: number): { t: Tensor; v: number[] } {
  const t = randn(shape, rng(seed));
  return { t, v: values(t) };
}

Deno.test("matmul: 2-D", () =>
  scope(() => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    const b = tensor([[7, 8], [9, 10], [11, 12]]);
    const check = guard(a, b);
    const c = matmul(a, b);
    assertMeta(c, [2, 2], "f32");
    // [1·7+2·9+3·11, 1·8+2·10+3·12; 4·7+5·9+6·11, 4·8+5·10+6·12]
    assertClose(c, [58, 64, 139, 154], "2x3 @ 3x2");
    const x = draw([5, 7], 1);
    const y = draw([7, 3], 2);
    const want = refMatmul(x.v, [5, 7], y.v, [7, 3]);
    const got = matmul(x.t, y.t);
    assertMeta(got, want.shape, "f32");
    assertClose(got, want.values, "random 5x7 @ 7x3", { atol: 1e-5, rtol: 1e-5 });
    check();
  }));

Deno.test("matmul: batched with broadcasting", () =>
  scope(() => {
    const cases: [number[], number[]][] = [
      [[2, 2, 3], [3, 4]], // batch only on the left
      [[3, 4], [2, 4, 5]], // batch only on the right
      [[2, 3, 4], [2, 4, 2]], // same batch
      [[2, 1, 2, 3], [3, 3, 2]], // [2, 1] with [3] → [2, 3]
    ];
    cases.forEach(([as, bs], i) => {
      const a = draw(as, 10 + i);
      const b = draw(bs, 20 + i);
      const check = guard(a.t, b.t);
      const want = refMatmul(a.v, as, b.v, bs);
      const got = matmul(a.t, b.t as Tensor);
      assertMeta(got, want.shape, "f32", `[${as}] @ [${bs}]`);
      assertClose(got, want.values, `[${as}] @ [${bs}]`, { atol: 1e-5, rtol: 1e-5 });
      check();
    });
    assert.throws(() => matmul(randn([2, 2, 3], rng(0)) as Tensor, randn([3, 3, 4], rng(1)) as Tensor), ShapeError);
  }));

Deno.test("matmul: vector operands", () =>
  scope(() => {
    const v = tensor([1, 2, 3]);
    const m = tensor([[1, 0], [2, 1], [0, 3]]); // [3, 2]
    const mt = tensor([[1, 2, 0], [0, 1, 3]]); // [2, 3]
    const check = guard(v, m, mt);
    const dot = matmul(v, tensor([4, 5, 6]));
    assertMeta(dot, [], "f32");
    assertClose(dot, [32], "vector · vector");
    const mv = matmul(mt, v);
    assertMeta(mv, [2], "f32");
    assertClose(mv, [1 + 4, 2 + 9], "[2, 3] @ [3]");
    const vm = matmul(v, m);
    assertMeta(vm, [2], "f32");
    assertClose(vm, [1 + 4, 2 + 9], "[3] @ [3, 2]");
    const bat = draw([2, 3, 4], 5);
    const vb = matmul(v, bat.t);
    assertMeta(vb, [2, 4], "f32");
    const want = indices([2, 4]).map(([b, j]) => [1, 2, 3].reduce((s, x, p) => s + x * bat.v[b * 12 + p * 4 + j], 0));
    assertClose(vb, want, "[3] @ [2, 3, 4]", { atol: 1e-5, rtol: 1e-5 });
    const left = draw([2, 4, 3], 6);
    const bv = matmul(left.t, v);
    assertMeta(bv, [2, 4], "f32");
    const wantBv = indices([2, 4]).map(([b, i]) =>
      [1, 2, 3].reduce((s, x, p) => s + left.v[b * 12 + i * 3 + p] * x, 0)
    );
    assertClose(bv, wantBv, "[2, 4, 3] @ [3]", { atol: 1e-5, rtol: 1e-5 });
    assert.throws(() => matmul(v, tensor([1, 2]) as Tensor), ShapeError, "3 vs 2");
    assert.throws(() => matmul(tensor(1) as Tensor, v as Tensor), ShapeError, "rank 0");
    check();
  }));

Deno.test("bmm", () =>
  scope(() => {
    const a = draw([3, 2, 4], 30);
    const b = draw([3, 4, 5], 31);
    const check = guard(a.t, b.t);
    type T3 = Tensor<[number, number, number]>;
    const got = bmm(a.t as T3, b.t as T3);
    const want = refMatmul(a.v, [3, 2, 4], b.v, [3, 4, 5]);
    assertMeta(got, [3, 2, 5], "f32");
    assertClose(got, want.values, "bmm [3,2,4] @ [3,4,5]", { atol: 1e-5, rtol: 1e-5 });
    assert.throws(() => bmm(a.t as T3, randn([2, 4, 5], rng(0))), ShapeError, "batch");
    assert.throws(() => bmm(a.t as T3, randn([3, 3, 5], rng(0))), ShapeError, "inner");
    assert.throws(() => bmm(randn([2, 4], rng(0)) as never, b.t as T3), ShapeError, "rank 2");
    check();
  }));

Deno.test("linear: x @ wᵀ + b, batched, with and without bias", () =>
  scope(() => {
    const x = tensor([[1, 2, 3], [-1, 0, 2]]); // [2, 3]
    const w = tensor([[1, 0, 1], [0, 1, 0], [2, -1, 1], [0.5, 0.5, 0.5]]); // [4, 3]: out 4, in 3
    const b = tensor([10, 20, 30, 40]);
    const check = guard(x, w, b);
    const noBias = linear(x, w);
    assertMeta(noBias, [2, 4], "f32");
    // row 0: [1+3, 2, 2-2+3, 3]; row 1: [-1+2, 0, -2+0+2, 0.5]
    assertClose(noBias, [4, 2, 3, 3, 1, 0, 0, 0.5], "linear without bias");
    const withBias = linear(x, w, b);
    assertMeta(withBias, [2, 4], "f32");
    assertClose(withBias, [14, 22, 33, 43, 11, 20, 30, 40.5], "linear with bias");
    const xs = draw([2, 3, 5], 40);
    const ws = draw([4, 5], 41);
    const bs = draw([4], 42);
    const got = linear(xs.t, ws.t, bs.t);
    assertMeta(got, [2, 3, 4], "f32");
    const want = indices([2, 3, 4]).map(([i, j, o]) => {
      let s = bs.v[o];
      for (let p = 0; p < 5; p++) s += xs.v[(i * 3 + j) * 5 + p] * ws.v[o * 5 + p];
      return s;
    });
    assertClose(got, want, "batched linear", { atol: 1e-5, rtol: 1e-5 });
    assert.throws(() => linear(x, tensor([[1, 2]]) as never), ShapeError, "in features differ");
    assert.throws(() => linear(x, w, tensor([1, 2, 3]) as never), ShapeError, "bias size");
    check();
  }));
