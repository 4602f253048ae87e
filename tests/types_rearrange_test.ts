/**
 * Type-level shapes of the indexing and shape ops of issue 17, by tests/types_test.ts's technique:
 * `deno test` type-checks this file first, so every `Equal` assertion must hold and every
 * `@ts-expect-error` line must be a compile error (the comment says which message); the runtime
 * checks then confirm the run-time shapes agree and the same mistakes are named errors.
 */
import assert from "node:assert/strict";
import {
  broadcastTo,
  chunk,
  diag,
  diagonal,
  flatten,
  flip,
  meshgrid,
  movedim,
  narrow,
  nonzero,
  oneHot,
  pad,
  repeat,
  repeatInterleave,
  scatter,
  scope,
  type Shape,
  ShapeError,
  split,
  take,
  takeAlongDim,
  type Tensor,
  tensor,
  tile,
  unbind,
  unflatten,
  zeros,
} from "../mod.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function expectType<_T extends true>(): void {}
type ShapeOf<T> = T extends Tensor<infer S> ? S : never;

function named<const S extends Shape>(sizes: number[]): Tensor<S> {
  return zeros(sizes) as unknown as Tensor<S>;
}

Deno.test("types: flatten multiplies small literal sizes and keeps the other dims", () => {
  scope(() => {
    const x = zeros([2, 3, 4]);
    const f = flatten(x, 1);
    expectType<Equal<ShapeOf<typeof f>, [2, 12]>>();
    assert.deepEqual(f.shape, [2, 12]);
    const all = flatten(x);
    expectType<Equal<ShapeOf<typeof all>, [24]>>();
    const n = named<["batch", "seq", 8, 64]>([2, 5, 8, 64]);
    const merged = flatten(n, 2);
    expectType<Equal<ShapeOf<typeof merged>, ["batch", "seq", 512]>>();
    const rows = flatten(n, 0, 1);
    expectType<Equal<ShapeOf<typeof rows>, [number, 8, 64]>>(); // a name has no product
    assert.deepEqual(rows.shape, [10, 8, 64]);
    const big = flatten(zeros([512, 512]));
    expectType<Equal<ShapeOf<typeof big>, [number]>>(); // too large to multiply at the type level
    const scalarFlat = flatten(zeros([]));
    expectType<Equal<ShapeOf<typeof scalarFlat>, [1]>>();
    const u = unflatten(n, -1, [4, -1]);
    expectType<Equal<ShapeOf<typeof u>, ["batch", "seq", 8, 4, number]>>();
    assert.deepEqual(u.shape, [2, 5, 8, 4, 16]);
  });
});

Deno.test("types: split, chunk and unbind give arrays of typed pieces", () => {
  scope(() => {
    const x = named<["batch", 12]>([2, 12]);
    const [q, k] = split(x, [4, 8], 1);
    expectType<Equal<ShapeOf<typeof q>, ["batch", 4]>>();
    expectType<Equal<ShapeOf<typeof k>, ["batch", 8]>>();
    assert.deepEqual([q.shape, k.shape], [[2, 4], [2, 8]]);
    const pieces = split(x, 5, -1);
    expectType<Equal<typeof pieces, Tensor<["batch", number]>[]>>();
    const c = chunk(x, 3, 1);
    expectType<Equal<typeof c, Tensor<["batch", number]>[]>>();
    const rows = unbind(x);
    expectType<Equal<typeof rows, Tensor<[12]>[]>>();
    assert.equal(rows.length, 2);
  });
});

Deno.test("types: flip, movedim, narrow and repeatInterleave keep the known dims", () => {
  scope(() => {
    const x = named<["batch", "channels", 4, 5]>([2, 3, 4, 5]);
    const f = flip(x, [-1]);
    expectType<Equal<ShapeOf<typeof f>, ["batch", "channels", 4, 5]>>();
    const nhwc = movedim(x, 1, -1);
    expectType<Equal<ShapeOf<typeof nhwc>, ["batch", 4, 5, "channels"]>>();
    assert.deepEqual(nhwc.shape, [2, 4, 5, 3]);
    const back = movedim(nhwc, -1, 1);
    expectType<Equal<ShapeOf<typeof back>, ["batch", "channels", 4, 5]>>();
    const several = movedim(x, [0, 1], [2, 3]);
    expectType<Equal<ShapeOf<typeof several>, [number, number, number, number]>>(); // the rank only
    const n = narrow(x, 2, 1, 2);
    expectType<Equal<ShapeOf<typeof n>, ["batch", "channels", 2, 5]>>();
    assert.deepEqual(n.shape, [2, 3, 2, 5]);
    const r = repeatInterleave(x, 2, 1);
    expectType<Equal<ShapeOf<typeof r>, ["batch", number, 4, 5]>>();
    const flat = repeatInterleave(x, 2);
    expectType<Equal<ShapeOf<typeof flat>, [number]>>();
  });
});

Deno.test("types: repeat, tile and pad compute sizes; too few repeats or pad pairs are compile errors", () => {
  scope(() => {
    const x = zeros([2, 3]);
    const r = repeat(x, [2, 1, 2]);
    expectType<Equal<ShapeOf<typeof r>, [2, 2, 6]>>();
    assert.deepEqual(r.shape, [2, 2, 6]);
    const t = tile(x, [2]);
    expectType<Equal<ShapeOf<typeof t>, [2, 6]>>();
    assert.deepEqual(t.shape, [2, 6]);
    const p = pad(x, [1, 1, 0, 2]);
    expectType<Equal<ShapeOf<typeof p>, [4, 5]>>();
    assert.deepEqual(p.shape, [4, 5]);
    const cropped = pad(x, [-1, 0]);
    expectType<Equal<ShapeOf<typeof cropped>, [2, number]>>();
    const n = named<["batch", 3]>([2, 3]);
    const pn = pad(n, [1, 1]);
    expectType<Equal<ShapeOf<typeof pn>, ["batch", 5]>>();
    // @ts-expect-error repeat: 1 repeats for the 2 dimensions of [2, 3]; needs at least one per dimension
    assert.throws(() => repeat(x, [2]), ShapeError);
    // @ts-expect-error pad: padding needs an even number of entries (before, after per dimension), got 3
    assert.throws(() => pad(x, [1, 1, 1]), ShapeError);
    // @ts-expect-error pad: 6 padding entries for the 2 dimensions of [2, 3]
    assert.throws(() => pad(x, [1, 1, 1, 1, 1, 1]), ShapeError);
  });
});

Deno.test("types: diag, diagonal and broadcastTo, with their compile-time errors", () => {
  scope(() => {
    const v = named<["n"]>([3]);
    const m = diag(v);
    expectType<Equal<ShapeOf<typeof m>, ["n", "n"]>>();
    const shifted = diag(v, 1);
    expectType<Equal<ShapeOf<typeof shifted>, [number, number]>>();
    const d = diag(zeros([3, 4]));
    expectType<Equal<ShapeOf<typeof d>, [number]>>();
    const dd = diagonal(named<["batch", 3, 3]>([2, 3, 3]), 0, 1, 2);
    expectType<Equal<ShapeOf<typeof dd>, ["batch", number]>>();
    const b = broadcastTo(named<[3, 1]>([3, 1]), [2, 3, 4]);
    expectType<Equal<ShapeOf<typeof b>, [2, 3, 4]>>();
    assert.deepEqual(b.shape, [2, 3, 4]);
    // @ts-expect-error diag: x must be 1-D or 2-D, got [2, 2, 2]
    assert.throws(() => diag(zeros([2, 2, 2])), ShapeError);
    // @ts-expect-error broadcastTo: cannot broadcast [3, 2] to [3, 3]
    assert.throws(() => broadcastTo(zeros([3, 2]), [3, 3]), ShapeError);
  });
});

Deno.test("types: meshgrid, the index ops and the data-dependent ones", () => {
  scope(() => {
    const [gy, gx] = meshgrid([named<["h"]>([2]), named<["w"]>([3])]);
    expectType<Equal<ShapeOf<typeof gy>, ["h", "w"]>>();
    expectType<Equal<ShapeOf<typeof gx>, ["h", "w"]>>();
    const [xy] = meshgrid([named<["h"]>([2]), named<["w"]>([3])], "xy");
    expectType<Equal<ShapeOf<typeof xy>, ["w", "h"]>>();
    assert.deepEqual(xy.shape, [3, 2]);
    const x = named<["batch", 5]>([2, 5]);
    const s = scatter(x, 1, tensor([0, 1], [2, 1], { dtype: "i64" }), 1);
    expectType<Equal<ShapeOf<typeof s>, ["batch", 5]>>();
    const idx = tensor([0, 1, 2, 3], [2, 2], { dtype: "i64" }) as unknown as Tensor<["batch", 2]>;
    const picked = takeAlongDim(x, idx, 1);
    expectType<Equal<ShapeOf<typeof picked>, ["batch", 2]>>();
    const tk = take(x, idx);
    expectType<Equal<ShapeOf<typeof tk>, ["batch", 2]>>();
    const nz = nonzero(x);
    expectType<Equal<ShapeOf<typeof nz>, [number, 2]>>();
    const labels = tensor([0, 2], [2], { dtype: "i64" }) as unknown as Tensor<["batch"]>;
    const h = oneHot(labels, 3);
    expectType<Equal<ShapeOf<typeof h>, ["batch", 3]>>();
    const inferred = oneHot(labels);
    expectType<Equal<ShapeOf<typeof inferred>, ["batch", number]>>();
    assert.deepEqual(h.shape, [2, 3]);
  });
});
