/**
 * The other linear algebra ops against values worked out by hand (small matrices whose inverses,
 * determinants, factors and eigenvalues are known in closed form) and, for the factors only defined
 * up to sign (qr, svd, eigh), against torch 1.13's output on the same input written in below (the
 * same LAPACK gives the same signs), plus the identities they must satisfy. Errors: singular and
 * non-positive-definite inputs are TorchErrors with LAPACK's reason, shapes and dtypes are named.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert/strict";
import {
  addmm,
  baddbmm,
  cholesky,
  det,
  DTypeError,
  eigh,
  eye,
  inverse,
  kron,
  matmul,
  memory,
  mul,
  outer,
  qr,
  randn,
  rng,
  scope,
  ShapeError,
  slogdet,
  solve,
  svd,
  type Tensor,
  tensor,
  tensordot,
  TorchError,
  transpose,
  unsqueeze,
} from "../mod.ts";
import { assertClose, assertMeta, guard, values } from "./ops_helpers.ts";

function noLeaks(f: () => void): void {
  const before = memory().tensors;
  scope(f);
  assert.equal(memory().tensors, before, "tensors leaked");
}
const f64 = (rows: number[][]) => tensor(rows, undefined, { dtype: "f64" });
const tight = { atol: 1e-12, rtol: 1e-12 };

Deno.test("outer: a[i] · b[j]", () =>
  noLeaks(() => {
    const o = outer(tensor([1, 2]), tensor([1, 10, 100]));
    assertMeta(o, [2, 3], "f32");
    assertClose(o, [1, 10, 100, 2, 20, 200], "outer");
    assert.throws(() => outer(tensor([[1]]), tensor([1])), /outer: needs two vectors, got \[1, 1\] and \[1\]/);
  }));

Deno.test("addmm and baddbmm: beta · input + alpha · a @ b", () =>
  noLeaks(() => {
    const c = tensor([[1, 1], [1, 1]]);
    const a = tensor([[1, 2], [3, 4]]);
    const check = guard(c, a);
    // 0.5 · 1 + 2 · a, since b is the identity.
    assertClose(addmm(c, a, eye(2), { beta: 0.5, alpha: 2 }), [2.5, 4.5, 6.5, 8.5], "beta 0.5, alpha 2");
    // The input [10, 20] broadcasts over the rows.
    assertClose(addmm(tensor([10, 20]), a, eye(2)), [11, 22, 13, 24], "broadcast input");
    // beta 0 ignores the input, NaNs included (as torch documents).
    assertClose(addmm(tensor([NaN, NaN]), a, eye(2), { beta: 0 }), [1, 2, 3, 4], "beta 0");
    check();
    const batch = tensor([[[1, 2], [3, 4]], [[0, 1], [1, 0]]]);
    const r = baddbmm(tensor([[1, 1]]), batch, batch, { beta: 2, alpha: 1 });
    assertMeta(r, [2, 2, 2], "f32");
    // [[1,2],[3,4]]² = [[7,10],[15,22]]; [[0,1],[1,0]]² = I; plus 2.
    assertClose(r, [9, 12, 17, 24, 3, 2, 2, 3], "baddbmm");
    assertClose(baddbmm(tensor([NaN]), batch, batch, { beta: 0 }), [7, 10, 15, 22, 1, 0, 0, 1], "baddbmm beta 0");
    assert.throws(() => addmm(tensor([1, 2, 3]), a, eye(2)), /addmm: input \[3\] does not broadcast to \[2, 2\]/);
    assert.throws(() => addmm(c, a, eye(3) as never), /addmm: needs a \[n, k\] @ b \[k, m\], got \[2, 2\] @ \[3, 3\]/);
    assert.throws(() => baddbmm(c, a as never, a), ShapeError);
    assert.throws(() => addmm(c, a, eye(2), { beta: "1" as never }), TypeError);
  }));

Deno.test("tensordot: dims as a count or two lists", () =>
  noLeaks(() => {
    const a = tensor([[1, 2], [3, 4]]);
    assertClose(tensordot(a, a), [30], "all dims: 1 + 4 + 9 + 16");
    assertMeta(tensordot(a, a), [], "f32");
    assertClose(tensordot(a, a, 1), [7, 10, 15, 22], "dims 1 is the matrix product");
    assertMeta(tensordot(a, a, 0), [2, 2, 2, 2], "f32", "dims 0 is the outer product");
    // aᵀ a: sum over the first dims of both.
    assertClose(tensordot(a, a, [[0], [0]]), [10, 14, 14, 20], "lists [[0], [0]]");
    assertClose(tensordot(a, a, [[-1], [-1]]), [5, 11, 11, 25], "a aᵀ with negative dims");
    assert.throws(() => tensordot(a, tensor([[1, 2, 3]]), [[1], [1]]), /tensordot: contracted sizes 2 and 3 differ/);
    assert.throws(() => tensordot(a, a, 3 as never), RangeError);
    assert.throws(() => tensordot(a, a, [[0, 0], [0, 1]]), /tensordot: a dimension of a appears twice/);
    assert.throws(
      () => tensordot(a, a, [[0], [0, 1]] as never),
      /tensordot: the two dimension lists have different lengths/,
    );
  }));

Deno.test("kron: each element of a times b", () =>
  noLeaks(() => {
    const k = kron(tensor([[1, 2], [3, 4]]), tensor([[0, 1], [1, 0]]));
    assertMeta(k, [4, 4], "f32");
    assertClose(k, [0, 1, 0, 2, 1, 0, 2, 0, 0, 3, 0, 4, 3, 0, 4, 0], "kron");
    assertClose(kron(tensor([1, 2]), tensor([[1], [10]])), [1, 2, 10, 20], "ranks differ: [2] is [1, 2]");
  }));

Deno.test("inverse, det, slogdet: closed forms for 2 x 2 matrices", () =>
  noLeaks(() => {
    const a = f64([[4, 7], [2, 6]]); // det 10
    assertClose(inverse(a), [0.6, -0.7, -0.2, 0.4], "inverse = [[6, -7], [-2, 4]] / 10", tight);
    assertClose(det(a), [10], "det", tight);
    const batch = tensor([[[1, 2], [3, 4]], [[2, 0], [0, 3]]]);
    assertMeta(det(batch), [2], "f32");
    assertClose(det(batch), [-2, 6], "batched det");
    const { sign, logAbsDet } = slogdet(batch);
    assertClose(sign, [-1, 1], "signs");
    assertClose(logAbsDet, [Math.log(2), Math.log(6)], "log |det|");
    const singular = tensor([[1, 2], [2, 4]]);
    assert.throws(() => inverse(singular), (e: Error) =>
      e instanceof TorchError && /^inverse: .*singular/.test(e.message));
    assertClose(det(singular), [0], "singular det");
    assertClose(slogdet(singular).logAbsDet, [-Infinity], "singular log |det|");
    assert.throws(() =>
      inverse(tensor([[1, 2, 3]]) as never), /inverse: the matrices must be square, got shape \[1, 3\]/);
    assert.throws(() =>
      det(tensor([[1, 2], [3, 4]], undefined, { dtype: "i64" })), (e: Error) =>
      e instanceof DTypeError && e.message === "det: the input must be f32 or f64, got i64");
    assert.throws(() =>
      det(tensor([1, 2]) as never), /det: the input must be matrices/);
  }));

Deno.test("solve: a x = b for vectors and matrices", () =>
  noLeaks(() => {
    const a = f64([[3, 1], [1, 2]]);
    // 3·2 + 3 = 9, 2 + 2·3 = 8.
    assertClose(solve(a, tensor([9, 8], undefined, { dtype: "f64" })), [2, 3], "vector", tight);
    const x = solve(a, f64([[9, 3], [8, 1]]));
    assertMeta(x, [2, 2], "f64");
    assertClose(x, [2, 1, 3, 0], "matrix right-hand side", tight);
    const batchVector = solve(tensor([[[2, 0], [0, 4]], [[1, 0], [0, 1]]]), tensor([[2, 8], [5, 6]]));
    assertMeta(batchVector, [2, 2], "f32", "b shaped like a without its last dim is a batch of vectors");
    assertClose(batchVector, [1, 2, 5, 6], "batched vectors");
    assert.throws(
      () => solve(a, tensor([1, 2, 3], undefined, { dtype: "f64" })),
      /solve: b has 3 rows, a's matrices are 2 x 2/,
    );
    assert.throws(() => solve(a, tensor([1, 2])), /solve: a and b must have one dtype, got f64 and f32/);
    assert.throws(() => solve(f64([[1, 2], [2, 4]]), tensor([1, 2], undefined, { dtype: "f64" })), (e: Error) =>
      e instanceof TorchError && /^solve: .*singular/.test(e.message));
  }));

Deno.test("cholesky: L Lᵀ = a, lower by default, upper on request", () =>
  noLeaks(() => {
    const a = f64([[4, 2], [2, 5]]);
    assertClose(cholesky(a), [2, 0, 1, 2], "L = [[2, 0], [1, 2]]", tight);
    assertClose(cholesky(a, { upper: true }), [2, 1, 0, 2], "U = Lᵀ", tight);
    assert.throws(() => cholesky(f64([[1, 2], [2, 1]])), (e: Error) =>
      e instanceof TorchError && /^cholesky: .*positive-definite/.test(e.message));
  }));

Deno.test("qr: torch's factors of [[1, 2], [3, 4], [5, 6]], and q r = a", () =>
  noLeaks(() => {
    const a = f64([[1, 2], [3, 4], [5, 6]]);
    const { q, r } = qr(a);
    assertMeta(q, [3, 2], "f64");
    assertMeta(r, [2, 2], "f64");
    // The first column is -[1, 3, 5]/√35 (LAPACK's sign); r[0][0] = -√35; the rest from torch 1.13.
    const s = Math.sqrt(35);
    assertClose(q, [-1 / s, 0.897085227145, -3 / s, 0.276026223737, -5 / s, -0.345032779671], "q", { atol: 1e-11 });
    assertClose(r, [-s, -44 / s, 0, 0.828078671211], "r", { atol: 1e-11 });
    assertClose(matmul(q, r), values(a), "q r", tight);
    const complete = qr(a, "complete");
    assertMeta(complete.q, [3, 3], "f64");
    assertMeta(complete.r, [3, 2], "f64");
    assertClose(matmul(transpose(complete.q, 0, 1), complete.q), values(eye(3)), "q orthogonal", tight);
    assert.throws(() => qr(a, "r" as never), /qr: mode must be "reduced" or "complete", got r/);
  }));

Deno.test("svd: singular values, torch's vectors, and u diag(s) vh = a", () =>
  noLeaks(() => {
    const diag = svd(f64([[3, 0], [0, -4]]));
    assertClose(diag.s, [4, 3], "singular values of diag(3, -4), descending", tight);
    const a = f64([[1, 2], [3, 4]]);
    const { u, s, vh } = svd(a);
    // s² are the eigenvalues of aᵀa = [[10, 14], [14, 20]]: 15 ± √221.
    assertClose(s, [Math.sqrt(15 + Math.sqrt(221)), Math.sqrt(15 - Math.sqrt(221))], "s", tight);
    assertClose(u, [-0.404553584834, -0.914514295677, -0.914514295677, 0.404553584834], "u", { atol: 1e-11 });
    assertClose(vh, [-0.576048436766, -0.817415560470, 0.817415560470, -0.576048436766], "vh", { atol: 1e-11 });
    assertClose(matmul(mul(u, unsqueeze(s, 0)), vh), values(a), "u diag(s) vh", tight);
    const full = svd(randn([4, 2], rng(0)), { fullMatrices: true });
    assertMeta(full.u, [4, 4], "f32");
    assertMeta(full.s, [2], "f32");
    assertMeta(full.vh, [2, 2], "f32");
    const reduced = svd(randn([4, 2], rng(0)));
    assertMeta(reduced.u, [4, 2], "f32");
  }));

Deno.test("eigh: eigenvalues ascending, torch's eigenvectors, one triangle read", () =>
  noLeaks(() => {
    const { eigenvalues, eigenvectors } = eigh(f64([[2, 1], [1, 2]]));
    assertClose(eigenvalues, [1, 3], "2 ∓ 1", tight);
    const h = Math.SQRT1_2;
    assertClose(eigenvectors, [-h, h, h, h], "eigenvectors", tight);
    // Only the named triangle is read: 99 sits in the other one.
    assertClose(eigh(f64([[2, 1], [99, 2]]), "U").eigenvalues, [1, 3], "upper", tight);
    assertClose(eigh(f64([[2, 1], [99, 2]])).eigenvalues, [-97, 101], "lower: 2 ∓ 99", tight);
    assert.throws(() => eigh(f64([[1]]), "X" as never), /eigh: UPLO must be "L" or "U", got X/);
  }));

Deno.test("decompositions of random batches satisfy their identities", () =>
  noLeaks(() => {
    const a: Tensor = randn([3, 4, 4], rng(7), { dtype: "f64" });
    const { q, r } = qr(a);
    assertClose(matmul(q, r), values(a), "q r", { atol: 1e-12 });
    const sym = matmul(a, transpose(a, -2, -1));
    const l = cholesky(sym as never);
    assertClose(matmul(l, transpose(l, -2, -1)), values(sym), "L Lᵀ", { atol: 1e-10 });
    assertClose(
      matmul(a, inverse(a as never)),
      values(mul(eye(4, { dtype: "f64" }), tensor([[[1]], [[1]], [[1]]]))),
      "a a⁻¹",
      {
        atol: 1e-9,
      },
    );
  }));
