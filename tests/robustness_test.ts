/**
 * Robustness regressions of issue #16: tied parameters get their summed gradient, integer arguments
 * that native code casts to int64 are checked first, and optimizer updates are all or nothing.
 * Every failing call leaves the live-tensor count as it was.
 */
import assert from "node:assert";
import {
  add,
  expand,
  initDistributed,
  item,
  memory,
  mul,
  scope,
  slice,
  sum,
  type Tensor,
  tensor,
  valueAndGrad,
  valueAndGradAllReduced,
} from "../mod.ts";
import { assertClose, values } from "./ops_helpers.ts";

/** Asserts that `fn` throws `kind` with a message matching `message`, and leaks no tensor. */
function assertThrowsClean(fn: () => unknown, kind: new (...a: never[]) => Error, message: RegExp): void {
  const before = memory().tensors;
  assert.throws(fn, (e: unknown) => e instanceof kind && message.test((e as Error).message));
  assert.strictEqual(memory().tensors, before, "a failing call must leave the live-tensor count unchanged");
}

// ---- tied parameters ----

Deno.test("valueAndGrad: a tensor at two paths gets the sum of its gradients at both (tied weights)", () =>
  scope(() => {
    const w = tensor([1, 2], [2]);
    const { value, grads } = valueAndGrad((p: { a: typeof w; b: typeof w }) => sum(mul(p.a, p.b)))({ a: w, b: w });
    // sum(w * w) = 1 + 4; d/dw = 2w = [2, 4] (by hand)
    assert.strictEqual(item(value), 5);
    assert.deepStrictEqual(values(grads.a), [2, 4]);
    assert.deepStrictEqual(values(grads.b), [2, 4]);
  }));

Deno.test("valueAndGrad: tied gradients match the hand value and finite differences (uneven uses)", () =>
  scope(() => {
    const w0 = [0.5, -1.25, 2];
    const u = [3, -1, 0.25];
    // f(a, b) = sum(a² u) + sum(b u); with a and b tied to w: df/dw = 2 w u + u.
    type P = { a: Tensor; b: Tensor };
    const f = (p: P) => {
      const ut = tensor(u, [3], { dtype: "f64" });
      return add(sum(mul(mul(p.a, p.a), ut)), sum(mul(p.b, ut)));
    };
    const w = tensor(w0, [3], { dtype: "f64" });
    const { grads } = valueAndGrad(f)({ a: w, b: w });
    const byHand = w0.map((wi, i) => 2 * wi * u[i] + u[i]);
    assertClose(grads.a, byHand, "tied gradient at a (by hand)", { atol: 1e-12, rtol: 0 });
    assertClose(grads.b, byHand, "tied gradient at b (by hand)", { atol: 1e-12, rtol: 0 });
    // Central differences of f(w) with both paths moved together: exact to O(h²) here.
    const h = 1e-6;
    const at = (ws: number[]) =>
      scope(() => {
        const t = tensor(ws, [3], { dtype: "f64" });
        return item(f({ a: t, b: t }));
      });
    const numeric = w0.map((_, i) => {
      const plus = w0.map((v, j) => j === i ? v + h : v), minus = w0.map((v, j) => j === i ? v - h : v);
      return (at(plus) - at(minus)) / (2 * h);
    });
    assertClose(grads.a, numeric, "tied gradient (finite differences)", { atol: 1e-6, rtol: 1e-6 });
  }));

// ---- integer arguments that native code casts to int64 ----

Deno.test("slice: start and end must be safe integers (NaN, ±Infinity, 1e300 are RangeErrors naming them)", () =>
  scope(() => {
    const x = tensor([1, 2, 3, 4], [4]);
    for (const bad of [NaN, Infinity, -Infinity, 1e300, 1.5]) {
      assertThrowsClean(() => slice(x, 0, bad), RangeError, /slice: start must be an integer/);
      assertThrowsClean(() => slice(x, 0, 0, bad), RangeError, /slice: end must be an integer/);
    }
    assert.deepStrictEqual(values(slice(x, 0, 1, 3)), [2, 3], "valid bounds still slice");
    assert.deepStrictEqual(values(slice(x, 0, -2)), [3, 4], "negative start counts from the end");
  }));

Deno.test("expand: sizes must be safe integers (a RangeError naming the size and the op)", () =>
  scope(() => {
    const x = tensor([1, 2], [1, 2]);
    for (const bad of [NaN, Infinity, 1e300, 2.5]) {
      assertThrowsClean(() => expand(x, [bad, 2]), RangeError, /expand: sizes\[0\] must be an integer/);
      assertThrowsClean(() => expand(x, [3, bad, 2]), RangeError, /expand: sizes\[1\] must be an integer/);
    }
    assert.deepStrictEqual(values(expand(x, [2, 2])), [1, 2, 1, 2], "a valid expand still works");
    assert.deepStrictEqual(values(expand(x, [-1, 2])), [1, 2], "-1 keeps a size");
  }));

Deno.test("initDistributed: timeoutMs must be a positive finite number of ms", () => {
  for (const bad of [NaN, Infinity, -1, 0, 1e300]) {
    assertThrowsClean(
      () => initDistributed({ rank: 0, worldSize: 1, masterAddr: "127.0.0.1", masterPort: 29_999, timeoutMs: bad }),
      RangeError,
      /initDistributed: timeoutMs must be/,
    );
  }
});

Deno.test("valueAndGradAllReduced: bucketMb must be positive, finite and within int64 bytes", () => {
  const f = (p: { w: Tensor }) => sum(p.w);
  for (const bad of [NaN, Infinity, 1e300, 2 ** 34, -1]) {
    assertThrowsClean(() => valueAndGradAllReduced(f, { bucketMb: bad }), RangeError, /bucketMb must be/);
  }
  assert.strictEqual(typeof valueAndGradAllReduced(f, { bucketMb: 0.5 }), "function", "a fraction of a MB is fine");
});
