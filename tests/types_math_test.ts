/**
 * Type-level shape tests of issue 17's elementwise and reduction/scan/sort ops, by tests/types_test.ts's
 * technique: `deno test` type-checks this file first, so every `@ts-expect-error` line must be a
 * compile error and every `Equal` assertion must hold; the runtime checks then confirm that the
 * run-time shapes agree with the inferred types and that the same mistakes are a `ShapeError`.
 */
import assert from "node:assert/strict";
import {
  allclose,
  atan2,
  cumsum,
  fmod,
  isclose,
  lerp,
  median,
  mode,
  norm,
  prod,
  remainder,
  scope,
  type Shape,
  ShapeError,
  silu,
  softplus,
  sort,
  type Tensor,
  unique,
  zeros,
} from "../mod.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function expectType<_T extends true>(): void {}
type ShapeOf<T> = T extends Tensor<infer S> ? S : never;

function named<const S extends Shape>(sizes: number[]): Tensor<S> {
  return zeros(sizes, { dtype: "f64" }) as unknown as Tensor<S>;
}

Deno.test("types: elementwise math keeps or broadcasts named shapes", () => {
  scope(() => {
    const x = named<["batch", "seq", 512]>([2, 3, 512]);
    const y = silu(x);
    expectType<Equal<ShapeOf<typeof y>, ["batch", "seq", 512]>>();
    const s = softplus(x, 2);
    expectType<Equal<ShapeOf<typeof s>, ["batch", "seq", 512]>>();
    const bias = named<[512]>([512]);
    const f = fmod(x, bias);
    expectType<Equal<ShapeOf<typeof f>, ["batch", "seq", 512]>>();
    const col = named<["batch", 1, 1]>([2, 1, 1]);
    const a = atan2(col, x);
    expectType<Equal<ShapeOf<typeof a>, ["batch", "seq", 512]>>();
    assert.deepEqual(a.shape, [2, 3, 512]);
    const r = remainder(x, 3);
    expectType<Equal<ShapeOf<typeof r>, ["batch", "seq", 512]>>();
    const l = lerp(bias, x, col);
    expectType<Equal<ShapeOf<typeof l>, ["batch", "seq", 512]>>();
    assert.deepEqual(l.shape, [2, 3, 512]);
    const c = isclose(x, bias);
    expectType<Equal<ShapeOf<typeof c>, ["batch", "seq", 512]>>();
  });
});

Deno.test("types: shapes that do not broadcast are compile errors and runtime ShapeErrors", () => {
  scope(() => {
    const x = named<["batch", 512]>([2, 512]);
    const bad = named<[256]>([256]);
    // @ts-expect-error 512 and 256 do not broadcast
    const f = () => fmod(x, bad);
    assert.throws(f, (e: Error) => e instanceof ShapeError && /^fmod: cannot broadcast/.test(e.message));
    // @ts-expect-error 512 and 256 do not broadcast
    const a = () => atan2(x, bad);
    assert.throws(a, ShapeError);
    // @ts-expect-error end [256] does not broadcast with start ["batch", 512]
    const l = () => lerp(x, bad, 0.5);
    assert.throws(l, (e: Error) => e instanceof ShapeError && /^lerp:/.test(e.message));
    // @ts-expect-error the weight [256] does not broadcast with ["batch", 512]
    const w = () => lerp(x, x, bad);
    assert.throws(w, ShapeError);
    // @ts-expect-error 512 and 256 do not broadcast
    const c = () => isclose(x, bad);
    assert.throws(c, (e: Error) => e instanceof ShapeError && /^isclose:/.test(e.message));
    // @ts-expect-error 512 and 256 do not broadcast
    const ac = () => allclose(x, bad);
    assert.throws(ac, ShapeError);
  });
});

Deno.test("types: reductions, norms and scans compute their shapes", () => {
  scope(() => {
    const x = named<["batch", "seq", 8]>([2, 3, 8]);
    const p = prod(x, 1);
    expectType<Equal<ShapeOf<typeof p>, ["batch", 8]>>();
    const all = prod(x);
    expectType<Equal<ShapeOf<typeof all>, []>>();
    const n = norm(x);
    expectType<Equal<ShapeOf<typeof n>, []>>();
    const kept = norm(x, "fro", undefined, true);
    expectType<Equal<ShapeOf<typeof kept>, [1, 1, 1]>>();
    assert.deepEqual(kept.shape, [1, 1, 1]);
    const rows = norm(x, 2, -1, true);
    expectType<Equal<ShapeOf<typeof rows>, ["batch", "seq", 1]>>();
    assert.deepEqual(rows.shape, [2, 3, 1]);
    const two = norm(x, 1, [0, -1]);
    expectType<Equal<ShapeOf<typeof two>, ["seq"]>>();
    assert.deepEqual(two.shape, [3]);
    const twoKept = norm(x, Infinity, [-2, 2], true);
    expectType<Equal<ShapeOf<typeof twoKept>, ["batch", 1, 1]>>();
    assert.deepEqual(twoKept.shape, [2, 1, 1]);
    const c = cumsum(x, 1);
    expectType<Equal<ShapeOf<typeof c>, ["batch", "seq", 8]>>();
  });
});

Deno.test("types: sort, median, mode and unique give typed values and indices", () => {
  scope(() => {
    const x = named<["batch", 5]>([2, 5]);
    const s = sort(x, 1);
    expectType<Equal<ShapeOf<typeof s.values>, ["batch", 5]>>();
    expectType<Equal<ShapeOf<typeof s.indices>, ["batch", 5]>>();
    const m = median(x);
    expectType<Equal<ShapeOf<typeof m>, []>>();
    const md = median(x, 1, true);
    expectType<Equal<ShapeOf<typeof md.values>, ["batch", 1]>>();
    assert.deepEqual(md.indices.shape, [2, 1]);
    const mo = mode(x);
    expectType<Equal<ShapeOf<typeof mo.values>, ["batch"]>>();
    assert.deepEqual(mo.values.shape, [2]);
    const u = unique(x, { inverse: true });
    expectType<Equal<ShapeOf<typeof u.values>, [number]>>();
    expectType<Equal<ShapeOf<typeof u.inverse>, ["batch", 5]>>();
    const plain = unique(x);
    // @ts-expect-error no inverse unless asked for
    plain.inverse;
  });
});
