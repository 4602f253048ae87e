/**
 * Type-level shapes of the linear algebra ops (einsum's equation parsed by the type checker, the
 * products and decompositions): every `@ts-expect-error` line must be a compile error, and every
 * `Equal` assertion must hold; the run-time shapes and errors are checked alongside.
 */
import assert from "node:assert/strict";
import {
  add,
  addmm,
  baddbmm,
  det,
  eigh,
  einsum,
  eye,
  inverse,
  kron,
  linspace,
  multinomial,
  outer,
  qr,
  randperm,
  rng,
  scope,
  type Shape,
  ShapeError,
  slogdet,
  solve,
  svd,
  type Tensor,
  tensordot,
  zeros,
} from "../mod.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function expectType<_T extends true>(): void {}
type ShapeOf<T> = T extends Tensor<infer S> ? S : never;

/** A tensor typed with named dimensions but built with concrete sizes. */
function named<const S extends Shape>(sizes: number[]): Tensor<S> {
  return zeros(sizes) as unknown as Tensor<S>;
}

Deno.test("types: einsum computes the result shape from a literal equation", () => {
  scope(() => {
    const a = zeros([2, 3]);
    const b = zeros([3, 4]);
    const ab = einsum("ij,jk->ik", a, b);
    expectType<Equal<ShapeOf<typeof ab>, [2, 4]>>();
    assert.deepEqual(ab.shape, [2, 4]);

    const implicit = einsum("ij,jk", a, b);
    expectType<Equal<ShapeOf<typeof implicit>, [2, 4]>>();
    const t = einsum("ij->ji", a);
    expectType<Equal<ShapeOf<typeof t>, [3, 2]>>();
    const trace = einsum("ii", zeros([3, 3]));
    expectType<Equal<ShapeOf<typeof trace>, []>>();
    assert.deepEqual(trace.shape, []);
    const spaced = einsum(" i j -> j ", a);
    expectType<Equal<ShapeOf<typeof spaced>, [3]>>();

    const q = named<["batch", "heads", "seq", 64]>([2, 4, 5, 64]);
    const k = named<["batch", "heads", "kv", 64]>([2, 4, 7, 64]);
    const scores = einsum("bhqd,bhkd->bhqk", q, k);
    expectType<Equal<ShapeOf<typeof scores>, ["batch", "heads", "seq", "kv"]>>();
    assert.deepEqual(scores.shape, [2, 4, 5, 7]);

    // Ellipsis: broadcast batch dims in front; uppercase sorts before lowercase in the implicit output.
    const e = einsum("...ij,jk", zeros([5, 1, 2, 3]), zeros([3, 4]));
    expectType<Equal<ShapeOf<typeof e>, [5, 1, 2, 4]>>();
    const bc = einsum("...i,...i->...", zeros([1, 3, 4]), zeros([2, 1, 4]));
    expectType<Equal<ShapeOf<typeof bc>, [2, 3]>>();
    assert.deepEqual(bc.shape, [2, 3]);
    const order = einsum("bA,ba", zeros([2, 3]), zeros([2, 5]));
    expectType<Equal<ShapeOf<typeof order>, [3, 5]>>();
    assert.deepEqual(order.shape, [3, 5]);
    // A size-1 dimension broadcasts against its letter's other size.
    const ones = einsum("ij,ij->ij", zeros([2, 3]), zeros([1, 3]));
    expectType<Equal<ShapeOf<typeof ones>, [2, 3]>>();

    // A `string` equation gives a plain Tensor.
    const eq: string = "ij->j";
    const loose = einsum(eq, a);
    expectType<Equal<ShapeOf<typeof loose>, Shape>>();
    assert.deepEqual(loose.shape, [3]);
  });
});

Deno.test("types: einsum mismatches are compile errors and run-time ShapeErrors with the same words", () => {
  scope(() => {
    const a = zeros([2, 3]);
    const b = zeros([4, 5]);
    // @ts-expect-error einsum: subscript "j" has sizes 3 and 4
    const sizes = () => einsum("ij,jk->ik", a, b);
    assert.throws(sizes, (e: Error) => e instanceof ShapeError && /subscript "j" has sizes 3 and 4/.test(e.message));
    // @ts-expect-error einsum: the equation has 2 operand(s), got 1 tensor(s)
    assert.throws(() => einsum("ij,jk->ik", a), /einsum: the equation has 2 operand\(s\), got 1 tensor\(s\)/);
    // @ts-expect-error einsum: operand 0 has subscripts "ijk" for 3 dimensions, got shape [2, 3]
    const rank = () => einsum("ijk->k", a);
    assert.throws(rank, /einsum: operand 0 has subscripts "ijk" for 3 dimensions, got shape \[2, 3\]/);
    // @ts-expect-error einsum: output subscript "z" does not appear in any operand
    assert.throws(() => einsum("ij->z", a), /einsum: output subscript "z" does not appear in any operand/);
    // @ts-expect-error einsum: output subscript "i" appears more than once
    assert.throws(() => einsum("ij->ii", a), /einsum: output subscript "i" appears more than once/);
    // @ts-expect-error einsum: "1" in the equation is not a subscript letter
    assert.throws(() => einsum("i1->i", a), /einsum: "1" in the equation is not a subscript letter/);
    // @ts-expect-error einsum: operand 0 has subscripts "ijk..." for at least 3 dimensions, got shape [2, 3]
    assert.throws(() => einsum("ijk...", a), /for at least 3 dimensions/);
    const x = named<["batch", "d"]>([2, 8]);
    const y = named<["vocab", "d"]>([8, 8]);
    // @ts-expect-error einsum: subscript "i" has sizes "batch" and "vocab"
    const names = () => einsum("id,id->i", x, y);
    assert.throws(names, /einsum: subscript "i" has sizes 2 and 8/);
  });
});

Deno.test("types: products and decompositions", () => {
  scope(() => {
    const o = outer(zeros([2]), zeros([3]));
    expectType<Equal<ShapeOf<typeof o>, [2, 3]>>();
    const mm = addmm(zeros([4]), zeros([2, 3]), zeros([3, 4]));
    expectType<Equal<ShapeOf<typeof mm>, [2, 4]>>();
    // @ts-expect-error addmm: inner dimensions 3 and 5 differ
    assert.throws(() => addmm(zeros([4]), zeros([2, 3]), zeros([5, 4])), ShapeError);
    // @ts-expect-error addmm: input [3] does not broadcast to [2, 4]
    assert.throws(() => addmm(zeros([3]), zeros([2, 3]), zeros([3, 4])), ShapeError);
    const bmm = baddbmm(zeros([1, 4]), zeros([5, 2, 3]), zeros([5, 3, 4]));
    expectType<Equal<ShapeOf<typeof bmm>, [5, 2, 4]>>();
    const td = tensordot(zeros([2, 3, 4]), zeros([3, 4, 5]));
    expectType<Equal<ShapeOf<typeof td>, [2, 5]>>();
    const td1 = tensordot(zeros([2, 3, 4]), zeros([4, 3, 5]), [[1, 2], [1, 0]]);
    expectType<Equal<ShapeOf<typeof td1>, [2, 5]>>();
    assert.deepEqual(td1.shape, [2, 5]);
    const td0 = tensordot(zeros([2]), zeros([3]), 0);
    expectType<Equal<ShapeOf<typeof td0>, [2, 3]>>();
    // @ts-expect-error tensordot: contracted sizes 4 and 5 differ
    assert.throws(() => tensordot(zeros([2, 4]), zeros([5, 3]), 1), ShapeError);
    const kr = kron(zeros([1, 3]), zeros([2, 1]));
    expectType<Equal<ShapeOf<typeof kr>, [2, 3]>>();
    const kr2 = kron(zeros([2, 3]), zeros([4]));
    expectType<Equal<ShapeOf<typeof kr2>, [2, number]>>();
    assert.deepEqual(kr2.shape, [2, 12]);

    const m = add(named<["batch", 3, 3]>([2, 3, 3]), eye(3));
    const inv = inverse(m);
    expectType<Equal<ShapeOf<typeof inv>, ["batch", 3, 3]>>();
    const d = det(m);
    expectType<Equal<ShapeOf<typeof d>, ["batch"]>>();
    const { sign } = slogdet(m);
    expectType<Equal<ShapeOf<typeof sign>, ["batch"]>>();
    // @ts-expect-error inverse: the matrices must be square, got shape [2, 3]
    assert.throws(() => inverse(zeros([2, 3])), /inverse: the matrices must be square/);
    // @ts-expect-error det: needs matrices [..., n, n], got shape [3]
    assert.throws(() => det(zeros([3])), ShapeError);
    const sv = solve(eye(3), zeros([3]));
    expectType<Equal<ShapeOf<typeof sv>, [3]>>();
    const sm = solve(m, zeros([3, 2]));
    expectType<Equal<ShapeOf<typeof sm>, ["batch", 3, 2]>>();
    const sb = solve(add(zeros([2, 3, 3]), eye(3)), zeros([2, 3]));
    expectType<Equal<ShapeOf<typeof sb>, [2, 3]>>();
    // @ts-expect-error solve: b has 4 rows, a's matrices are 3 x 3
    assert.throws(() => solve(eye(3), zeros([4, 2])), /solve: b has 4 rows/);

    const { q, r } = qr(zeros([4, 3]), "complete");
    expectType<Equal<ShapeOf<typeof q>, [4, 4]>>();
    expectType<Equal<ShapeOf<typeof r>, [4, 3]>>();
    const reduced = qr(zeros([3, 3]));
    expectType<Equal<ShapeOf<typeof reduced.q>, [3, 3]>>();
    const { u, s, vh } = svd(zeros([2, 5, 5]));
    expectType<Equal<ShapeOf<typeof u>, [2, 5, 5]>>();
    expectType<Equal<ShapeOf<typeof s>, [2, 5]>>();
    expectType<Equal<ShapeOf<typeof vh>, [2, 5, 5]>>();
    const full = svd(zeros([4, 3]), { fullMatrices: true });
    expectType<Equal<ShapeOf<typeof full.u>, [4, 4]>>();
    expectType<Equal<ShapeOf<typeof full.vh>, [3, 3]>>();
    assert.deepEqual(full.u.shape, [4, 4]);
    const { eigenvalues } = eigh(m);
    expectType<Equal<ShapeOf<typeof eigenvalues>, ["batch", 3]>>();
    // @ts-expect-error eigh: the matrices must be square, got shape [2, 3]
    assert.throws(() => eigh(zeros([2, 3])), ShapeError);
  });
});

Deno.test("types: ranks that cannot fit are compile errors and run-time ShapeErrors", () => {
  scope(() => {
    // @ts-expect-error outer: needs two vectors, got [2, 2] and [2]
    assert.throws(() => outer(zeros([2, 2]), zeros([2])), /outer: needs two vectors/);
    // @ts-expect-error qr: needs matrices [..., m, n], got shape [3]
    assert.throws(() => qr(zeros([3])), /qr: the input must be matrices/);
    // @ts-expect-error svd: needs matrices [..., m, n], got shape [3]
    assert.throws(() => svd(zeros([3])), /svd: the input must be matrices/);
    // @ts-expect-error tensordot: a has 1 dimension(s), fewer than dims = 2
    assert.throws(() => tensordot(zeros([3]), zeros([3, 3])), RangeError);
    // @ts-expect-error tensordot: the two dimension lists have different lengths
    assert.throws(() => tensordot(zeros([2, 3]), zeros([3, 2]), [[0, 1], [1]]), ShapeError);
    // @ts-expect-error baddbmm: batch sizes 2 and 3 differ
    assert.throws(() => baddbmm(zeros([1]), zeros([2, 2, 2]), zeros([3, 2, 2])), ShapeError);
    // Unknown ranks type-check and are left to the run-time checks.
    const [left, right]: Tensor[] = [zeros([2, 3]), zeros([3, 4])];
    const unknown = einsum("ij,jk->ik", left, right);
    expectType<Equal<ShapeOf<typeof unknown>, Shape>>();
    assert.deepEqual(unknown.shape, [2, 4]);
  });
});

Deno.test("types: creation and random shapes", () => {
  scope(() => {
    const xs = linspace(0, 1, 5);
    expectType<Equal<ShapeOf<typeof xs>, [5]>>();
    const p = randperm(4, rng(0));
    expectType<Equal<ShapeOf<typeof p>, [4]>>();
    const one = multinomial(linspace(1, 2, 3), 2, {}, rng(0));
    expectType<Equal<ShapeOf<typeof one>, [2]>>();
    const batch = multinomial(add(named<["batch", 3]>([2, 3]), 1), 2, { replacement: true }, rng(0));
    expectType<Equal<ShapeOf<typeof batch>, ["batch", 2]>>();
  });
});
