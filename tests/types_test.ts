/**
 * Type-level shape tests. `deno test` type-checks this file first: every `@ts-expect-error` line
 * must be a compile error (or the check fails with "unused directive"), and every `Equal` assertion
 * must hold. The runtime tests then confirm the run-time shapes agree with the inferred types.
 */
import assert from "node:assert/strict";
import {
  cat,
  crossEntropy,
  embedding,
  linear,
  matmul,
  mean,
  permute,
  reshape,
  scope,
  type Shape,
  ShapeError,
  slice,
  softmax,
  sum,
  type Tensor,
  transpose,
  unsqueeze,
  zeros,
} from "../mod.ts";
import { add } from "../mod.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function expectType<_T extends true>(): void {}
/** The compile-time shape of a tensor. */
type ShapeOf<T> = T extends Tensor<infer S> ? S : never;

/** A tensor typed with named dimensions but built with concrete sizes (the usual way in a model). */
function named<const S extends Shape>(sizes: number[]): Tensor<S> {
  return zeros(sizes) as unknown as Tensor<S>;
}

Deno.test("types: matmul infers shapes and flows named dimensions", () => {
  scope(() => {
    const x = named<["batch", "seq", 8]>([2, 5, 8]);
    const w = named<[8, 16]>([8, 16]);
    const y = matmul(x, w);
    expectType<Equal<ShapeOf<typeof y>, ["batch", "seq", 16]>>();
    assert.deepEqual(y.shape, [2, 5, 16]);

    const a = zeros([2, 3]);
    const b = zeros([3, 4]);
    const ab = matmul(a, b);
    expectType<Equal<ShapeOf<typeof ab>, [2, 4]>>();
    assert.deepEqual(ab.shape, [2, 4]);

    const v = zeros([3]);
    const av = matmul(a, v);
    expectType<Equal<ShapeOf<typeof av>, [2]>>();
    assert.deepEqual(av.shape, [2]);
  });
});

Deno.test("types: matmul of [2, 3] with [4, 5] is a compile error and a runtime ShapeError", () => {
  scope(() => {
    const a = zeros([2, 3]);
    const b = zeros([4, 5]);
    // @ts-expect-error inner dimensions 3 and 4 differ
    const mismatched = () => matmul(a, b);
    assert.throws(mismatched, (e: Error) => e instanceof ShapeError && /inner dimensions 3 and 4/.test(e.message));

    const x = named<["batch", "d_model"]>([2, 8]);
    const wrongName = named<["vocab", "d_model"]>([8, 8]);
    // @ts-expect-error "d_model" does not match "vocab"
    matmul(x, wrongName);
  });
});

Deno.test("types: broadcasting in elementwise ops", () => {
  scope(() => {
    const x = named<["batch", "seq", 512]>([2, 3, 512]);
    const bias = named<[512]>([512]);
    const y = add(x, bias);
    expectType<Equal<ShapeOf<typeof y>, ["batch", "seq", 512]>>();
    const col = named<["batch", 1, 1]>([2, 1, 1]);
    const z = add(col, x);
    expectType<Equal<ShapeOf<typeof z>, ["batch", "seq", 512]>>();
    const s = add(x, 1);
    expectType<Equal<ShapeOf<typeof s>, ["batch", "seq", 512]>>();
    const bad = named<[256]>([256]);
    // @ts-expect-error 512 and 256 do not broadcast
    assert.throws(() => add(x, bad), ShapeError);
  });
});

Deno.test("types: reshape, transpose and permute of named shapes (split heads)", () => {
  scope(() => {
    const [b, s] = [2, 5];
    const x = named<["batch", "seq", 512]>([b, s, 512]);
    const heads = reshape<["batch", "seq", 8, 64]>(x, [b, s, 8, 64]);
    const t = transpose(heads, 1, 2);
    expectType<Equal<ShapeOf<typeof t>, ["batch", 8, "seq", 64]>>();
    assert.deepEqual(t.shape, [2, 8, 5, 64]);
    const kT = transpose(t, -2, -1);
    expectType<Equal<ShapeOf<typeof kT>, ["batch", 8, 64, "seq"]>>();
    const scores = matmul(t, kT);
    expectType<Equal<ShapeOf<typeof scores>, ["batch", 8, "seq", "seq"]>>();
    assert.deepEqual(scores.shape, [2, 8, 5, 5]);
    const p = permute(t, [0, 2, 1, 3]);
    expectType<Equal<ShapeOf<typeof p>, ["batch", "seq", 8, 64]>>();
    assert.deepEqual(p.shape, [2, 5, 8, 64]);
    const flat = reshape(x, [-1, 512]);
    expectType<Equal<ShapeOf<typeof flat>, [number, 512]>>();
    assert.deepEqual(flat.shape, [10, 512]);
    // @ts-expect-error the sizes must match the requested type's literal dimensions
    assert.throws(() => reshape<["batch", 4]>(x, [b, 5]), ShapeError);
  });
});

Deno.test("types: reductions, slices, unsqueeze and joins", () => {
  scope(() => {
    const x = named<["batch", "seq", 16]>([2, 3, 16]);
    const m = mean(x, -1, true);
    expectType<Equal<ShapeOf<typeof m>, ["batch", "seq", 1]>>();
    assert.deepEqual(m.shape, [2, 3, 1]);
    const s = sum(x, 1);
    expectType<Equal<ShapeOf<typeof s>, ["batch", 16]>>();
    assert.deepEqual(s.shape, [2, 16]);
    const all = sum(x);
    expectType<Equal<ShapeOf<typeof all>, []>>();
    const cut = slice(x, 1, 0, 2);
    expectType<Equal<ShapeOf<typeof cut>, ["batch", number, 16]>>();
    assert.deepEqual(cut.shape, [2, 2, 16]);
    const u = unsqueeze(x, 1);
    expectType<Equal<ShapeOf<typeof u>, ["batch", 1, "seq", 16]>>();
    assert.deepEqual(u.shape, [2, 1, 3, 16]);
    const joined = cat([x, x], 1);
    expectType<Equal<ShapeOf<typeof joined>, ["batch", number, 16]>>();
    assert.deepEqual(joined.shape, [2, 6, 16]);
    const p = softmax(x, -1);
    expectType<Equal<ShapeOf<typeof p>, ["batch", "seq", 16]>>();
  });
});

Deno.test("types: embedding, linear and cross entropy", () => {
  scope(() => {
    const weight = named<["vocab", "d_model"]>([10, 4]);
    const ids = zeros([2, 3], { dtype: "i64" }) as unknown as Tensor<["batch", "seq"]>;
    const e = embedding(weight, ids);
    expectType<Equal<ShapeOf<typeof e>, ["batch", "seq", "d_model"]>>();
    assert.deepEqual(e.shape, [2, 3, 4]);
    const proj = named<["tgt_vocab", "d_model"]>([7, 4]);
    const logits = linear(e, proj);
    expectType<Equal<ShapeOf<typeof logits>, ["batch", "seq", "tgt_vocab"]>>();
    assert.deepEqual(logits.shape, [2, 3, 7]);
    const badProj = named<["tgt_vocab", "d_ff"]>([7, 4]);
    // @ts-expect-error linear: the weight's input dimension "d_ff" is not "d_model"
    linear(e, badProj);
    const flat = reshape<["tokens", "tgt_vocab"]>(logits, [6, 7]);
    const target = zeros([6], { dtype: "i64" }) as unknown as Tensor<["tokens"]>;
    const loss = crossEntropy(flat, target);
    expectType<Equal<ShapeOf<typeof loss>, []>>();
    const perToken = crossEntropy(flat, target, { reduction: "none" });
    expectType<Equal<ShapeOf<typeof perToken>, ["tokens"]>>();
  });
});

Deno.test("types: Tensor<number[]> is the escape hatch", () => {
  scope(() => {
    const loose: Tensor<number[]> = zeros([2, 3]);
    const y = matmul(loose, zeros([3, 2]) as Tensor<number[]>);
    expectType<Equal<ShapeOf<typeof y>, Shape>>();
    assert.deepEqual(y.shape, [2, 2]);
    const typed = zeros([2, 3]);
    // A typed tensor does not silently become another shape.
    // @ts-expect-error [2, 3] is not [3, 2]
    const _wrong: Tensor<[3, 2]> = typed;
  });
});
