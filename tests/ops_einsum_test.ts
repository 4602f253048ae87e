/**
 * einsum against values worked out by hand (products, traces, diagonals, sums, outer products) and a
 * loop reference for the batched product; the implicit output's letter order; broadcasting of size-1
 * letters and of `...`; and the errors, whose messages are the compile-time ones (types_matrix_test.ts).
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert/strict";
import {
  einsum,
  FreedTensorError,
  memory,
  randn,
  rng,
  scope,
  ShapeError,
  type Tensor,
  tensor,
  transpose,
} from "../mod.ts";
import { assertClose, assertMeta, at, guard, indices, values } from "./ops_helpers.ts";

/** Runs `f` in a scope and asserts it left no tensor behind. */
function noLeaks(f: () => void): void {
  const before = memory().tensors;
  scope(f);
  assert.equal(memory().tensors, before, "tensors leaked");
}

const m = () => tensor([[1, 2], [3, 4]]);

Deno.test("einsum: products, traces, diagonals and sums of a 2 x 2 matrix", () =>
  noLeaks(() => {
    const a = m();
    const b = tensor([[5, 6], [7, 8]]);
    const check = guard(a, b);
    // [1·5+2·7, 1·6+2·8; 3·5+4·7, 3·6+4·8]
    assertClose(einsum("ij,jk->ik", a, b), [19, 22, 43, 50], "ij,jk->ik");
    assertClose(einsum("ij,jk", a, b), [19, 22, 43, 50], "implicit ij,jk");
    assertClose(einsum("ii", a), [5], "trace 1 + 4");
    assertMeta(einsum("ii", a), [], "f32", "trace");
    assertClose(einsum("ii->i", a), [1, 4], "diagonal");
    assertClose(einsum("ij->ji", a), [1, 3, 2, 4], "transpose");
    assertClose(einsum("ij->", a), [10], "sum of all");
    assertClose(einsum("ij->j", a), [4, 6], "column sums");
    assertClose(einsum("ij,ij->", a, b), [1 * 5 + 2 * 6 + 3 * 7 + 4 * 8], "Frobenius product");
    assertClose(einsum(" i j -> j i ", a), [1, 3, 2, 4], "spaces are ignored");
    check();
  }));

Deno.test("einsum: vectors: dot and outer products", () =>
  noLeaks(() => {
    const u = tensor([1, 2]);
    const v = tensor([3, 4, 5]);
    assertClose(einsum("i,i", u, tensor([3, 4])), [11], "dot 1·3 + 2·4");
    const o = einsum("i,j->ij", u, v);
    assertMeta(o, [2, 3], "f32");
    assertClose(o, [3, 4, 5, 6, 8, 10], "outer");
    assertClose(einsum(",i->i", tensor(2), v), [6, 8, 10], "a 0-dim operand scales");
  }));

Deno.test("einsum: the implicit output lists the letters seen once, A-Z before a-z", () =>
  noLeaks(() => {
    const x = randn([2, 3], rng(0));
    // "ba" implicitly outputs "ab": the transpose.
    assertClose(einsum("ba", x), values(transpose(x, 0, 1)), "ba is the transpose");
    const y = einsum("bA,ba", randn([2, 3], rng(1)), randn([2, 5], rng(2)));
    assertMeta(y, [3, 5], "f32", "A before a");
  }));

Deno.test("einsum: batched product against a loop", () =>
  noLeaks(() => {
    const a = randn([2, 3, 4], rng(3), { dtype: "f64" });
    const b = randn([2, 4, 5], rng(4), { dtype: "f64" });
    const [av, bv] = [values(a), values(b)];
    const want = indices([2, 3, 5]).map(([n, i, k]) => {
      let s = 0;
      for (let j = 0; j < 4; j++) s += at(av, [2, 3, 4], [n, i, j]) * at(bv, [2, 4, 5], [n, j, k]);
      return s;
    });
    const got = einsum("bij,bjk->bik", a, b);
    assertMeta(got, [2, 3, 5], "f64");
    assertClose(got, want, "bij,bjk->bik", { atol: 1e-12, rtol: 1e-12 });
  }));

Deno.test("einsum: size-1 letters and ... broadcast", () =>
  noLeaks(() => {
    const a = m();
    // [[1, 2], [3, 4]] times the row [10, 100], elementwise.
    assertClose(einsum("ij,ij->ij", a, tensor([[10, 100]])), [10, 200, 30, 400], "size-1 letter");
    // Rows of [[1, 2], [3, 4]] dotted with [1, 1] and [2, 0]: ... is [2] against [2, 1] → [2, 2].
    const dots = einsum("...i,...i->...", a, tensor([[[1, 1]], [[2, 0]]]));
    assertMeta(dots, [2, 2], "f32");
    assertClose(dots, [3, 7, 2, 6], "broadcast ...");
    const t = einsum("...ij->...ji", randn([4, 2, 3], rng(5)));
    assertMeta(t, [4, 3, 2], "f32", "batched transpose");
  }));

Deno.test("einsum: mismatches are ShapeErrors naming the subscript; bad arguments are named", () =>
  noLeaks(() => {
    const a: Tensor = m();
    const b: Tensor = tensor([[1, 2, 3]]);
    const expectShape = (f: () => unknown, message: string) =>
      assert.throws(f, (e: Error) => e instanceof ShapeError && e.message === `einsum: ${message}`);
    expectShape(
      () => einsum("ij,jk->ik", a, tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]])),
      `subscript "j" has sizes 2 and 3`,
    );
    expectShape(() => einsum("ij,jk", a), "the equation has 2 operand(s), got 1 tensor(s)");
    expectShape(() => einsum("i", a), `operand 0 has subscripts "i" for 1 dimensions, got shape [2, 2]`);
    expectShape(() => einsum("ij->k", a), `output subscript "k" does not appear in any operand`);
    expectShape(() => einsum("ij->jj", a), `output subscript "j" appears more than once`);
    expectShape(() => einsum("i2", a), `"2" in the equation is not a subscript letter`);
    expectShape(() => einsum("i...j...", a), `operand 0 has more than one "..."`);
    expectShape(
      () => einsum("...ij,...ij", randn([2, 2, 2], rng(0)) as Tensor, randn([3, 2, 2], rng(1))),
      `the "..." dimensions [2] and [3] do not broadcast`,
    );
    expectShape(() => einsum("ij,ij", b, a), `subscript "j" has sizes 3 and 2`);
    const freed = m();
    freed.free();
    assert.throws(() => einsum("ij", freed), FreedTensorError);
    assert.throws(() => einsum(42 as unknown as string, a), (e: Error) =>
      e instanceof TypeError && /^einsum:/.test(e.message));
  }));
