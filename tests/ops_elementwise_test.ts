/**
 * Elementwise ops: arithmetic with broadcasting and scalars, comparisons, logic, unary math, clamp,
 * where/maskedFill and tril/triu. Every expectation is computed in plain JS (broadcast by hand) or
 * written out; results also have their shape and dtype checked, and inputs are checked unmutated.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert";
import {
  abs,
  add,
  clamp,
  cos,
  div,
  DTypeError,
  eq,
  exp,
  ge,
  gelu,
  gt,
  isFinite,
  isNaN,
  le,
  log,
  logicalAnd,
  logicalNot,
  logicalOr,
  lt,
  maskedFill,
  maximum,
  minimum,
  mul,
  ne,
  neg,
  pow,
  rdiv,
  reciprocal,
  relu,
  rsqrt,
  rsub,
  scope,
  ShapeError,
  sigmoid,
  sin,
  sqrt,
  sub,
  tanh,
  type Tensor,
  tensor,
  TorchError,
  tril,
  triu,
  where,
} from "../mod.ts";
import { assertClose, assertMeta, assertValues, erf, guard, indices, values, zipBroadcast } from "./ops_helpers.ts";

const A_VALS = [1, -2, 3.5, 4, 0.5, -6];
const A_SHAPE = [2, 3];

type Binary = (a: Tensor, b: Tensor | number) => Tensor;

/** Checks `op(a, b)` against `fn` applied elementwise with broadcasting computed in JS. */
function checkBinary(
  name: string,
  op: Binary,
  fn: (x: number, y: number) => number,
  a: { v: number[]; s: number[] },
  b: { v: number[]; s: number[] },
  dtype: string,
): void {
  const ta = tensor(a.v, a.s);
  const tb = tensor(b.v, b.s);
  const check = guard(ta, tb);
  const got = op(ta, tb);
  const want = zipBroadcast(a.v, a.s, b.v, b.s, (x, y) => fn(Math.fround(x), Math.fround(y)));
  assertMeta(got, want.shape, dtype as never, `${name} [${a.s}] with [${b.s}]`);
  assertClose(got, want.values, `${name} [${a.s}] with [${b.s}]`, { rtol: 1e-6, atol: 1e-6 });
  check();
}

const ARITH: [string, Binary, (x: number, y: number) => number][] = [
  ["add", add as Binary, (x, y) => x + y],
  ["sub", sub as Binary, (x, y) => x - y],
  ["mul", mul as Binary, (x, y) => x * y],
  ["div", div as Binary, (x, y) => x / y],
  ["maximum", maximum as Binary, Math.max],
  ["minimum", minimum as Binary, Math.min],
];

Deno.test("add/sub/mul/div/maximum/minimum: tensors with broadcasting", () =>
  scope(() => {
    const a = { v: A_VALS, s: A_SHAPE };
    const cases = [
      { v: [10, -20, 0.25, 3, -1, 2], s: [2, 3] }, // same shape
      { v: [10, -20, 0.25], s: [3] }, // row broadcast
      { v: [100, -0.5], s: [2, 1] }, // column broadcast
      { v: [3], s: [] }, // 0-d tensor
      { v: [2, -3, 0.5, 4, 8, -1], s: [2, 1, 3] }, // adds a leading dim: [2, 2, 3]
    ];
    for (const [name, op, fn] of ARITH) {
      for (const b of cases) {
        checkBinary(name, op, fn, a, b, "f32");
        checkBinary(name, op, fn, b, a, "f32"); // and the other way round
      }
      // [2, 1] with [1, 3]: both sides broadcast (an outer op).
      checkBinary(name, op, fn, { v: [1, 2], s: [2, 1] }, { v: [10, 20, 30], s: [1, 3] }, "f32");
    }
    assert.throws(
      () => add(tensor(A_VALS, [2, 3]) as Tensor, tensor([1, 2], [2]) as Tensor),
      ShapeError,
      "[2, 3] + [2]",
    );
    assert.throws(
      () => mul(tensor([1, 2, 3, 4], [4]) as Tensor, tensor([1, 2, 3], [3]) as Tensor),
      ShapeError,
      "[4] * [3]",
    );
  }));

Deno.test("add/sub/mul/div/pow/maximum/minimum with a number", () =>
  scope(() => {
    const x = tensor(A_VALS, A_SHAPE);
    const check = guard(x);
    const f = A_VALS.map(Math.fround);
    const cases: [string, Tensor, number[]][] = [
      ["add 1.5", add(x, 1.5), f.map((v) => v + 1.5)],
      ["sub 1", sub(x, 1), f.map((v) => v - 1)],
      ["mul -2", mul(x, -2), f.map((v) => v * -2)],
      ["div 4", div(x, 4), f.map((v) => v / 4)],
      ["pow 2", pow(x, 2), f.map((v) => v * v)],
      ["pow 3", pow(x, 3), f.map((v) => v * v * v)],
      ["maximum 0.75", maximum(x, 0.75), f.map((v) => Math.max(v, 0.75))],
      ["minimum 0.75", minimum(x, 0.75), f.map((v) => Math.min(v, 0.75))],
    ];
    for (const [name, t, want] of cases) {
      assertMeta(t, A_SHAPE, "f32", name);
      assertClose(t, want, name, { rtol: 1e-6 });
    }
    const pos = tensor([4, 9, 0.25]);
    assertClose(pow(pos, 0.5), [2, 3, 0.5], "pow 0.5");
    assertClose(pow(pos, -1), [0.25, 1 / 9, 4], "pow -1");
    assertClose(div(x, 0), f.map((v) => v / 0), "div by 0 gives ±inf");
    check();
  }));

Deno.test("pow with a tensor exponent, broadcasting", () =>
  scope(() => {
    const base = tensor([[2, 3, 4], [1, 5, 9]]);
    const e = tensor([3, 2, 0.5]);
    const check = guard(base, e);
    const r = pow(base, e);
    assertMeta(r, [2, 3], "f32");
    assertClose(r, [8, 9, 2, 1, 25, 3], "pow([2,3] ** [3])", { rtol: 1e-6 });
    checkBinary("pow", pow as Binary, Math.pow, { v: [1.5, 2, 0.5], s: [3] }, { v: [2, -1], s: [2, 1] }, "f32");
    check();
  }));

Deno.test("type promotion and integer arithmetic", () =>
  scope(() => {
    const i = tensor([7, -7, 9], [3], { dtype: "i64" });
    const j = tensor([2, 2, 3], [3], { dtype: "i64" });
    const s = add(i, j);
    assertMeta(s, [3], "i64");
    assertValues(s, [9, -5, 12], "i64 + i64");
    const q = div(i, j);
    assertMeta(q, [3], "f32"); // true division, like torch
    assertValues(q, [3.5, -3.5, 3], "i64 / i64 is true division");
    const h = add(i, 0.5);
    assertMeta(h, [3], "f32");
    assertValues(h, [7.5, -6.5, 9.5], "i64 + 0.5 promotes to float");
    const d = add(tensor([1, 2], [2], { dtype: "f64" }), tensor([0.5, 0.25]));
    assertMeta(d, [2], "f64");
    assertValues(d, [1.5, 2.25], "f64 + f32 → f64");
    const mx = maximum(tensor([0, 1, 2], [3], { dtype: "i64" }), 1.5);
    assertValues(mx, [1.5, 1.5, 2], "maximum(int, 1.5) is max(x, 1.5)");
    assertValues(minimum(tensor([0, 1, 2], [3], { dtype: "i64" }), 1), [0, 1, 1], "minimum(int, 1)");
    assertValues(clamp(tensor([-5, 0, 5], [3], { dtype: "i64" }), -2, 2), [-2, 0, 2], "clamp i64");
  }));

// PyTorch keeps an integer tensor's dtype when the other operand is an integral number
// (torch.arange(5) + 1 is int64); only a fractional number promotes to float. Ids and counts
// computed with `add(ids, 1)` must stay usable as indices.
Deno.test("integer tensor with an integral number keeps its integer dtype", () =>
  scope(() => {
    const i = tensor([7, -7, 9], [3], { dtype: "i64" });
    const j = tensor([7, -7, 9], [3], { dtype: "i32" });
    const cases: [string, Tensor, "i64" | "i32", number[]][] = [
      ["add(i64, 1)", add(i, 1), "i64", [8, -6, 10]],
      ["sub(i64, 1)", sub(i, 1), "i64", [6, -8, 8]],
      ["mul(i64, 2)", mul(i, 2), "i64", [14, -14, 18]],
      ["pow(i64, 2)", pow(i, 2), "i64", [49, 49, 81]],
      ["maximum(i64, 0)", maximum(i, 0), "i64", [7, 0, 9]],
      ["minimum(i64, 0)", minimum(i, 0), "i64", [0, -7, 0]],
      ["clamp(i64, -2, 2)", clamp(i, -2, 2), "i64", [2, -2, 2]],
      ["rsub(1, i64)", rsub(1, i), "i64", [-6, 8, -8]],
      ["add(i32, 1)", add(j, 1), "i32", [8, -6, 10]],
      ["mul(i32, 3)", mul(j, 3), "i32", [21, -21, 27]],
      // Going through f32 would also lose exactness above 2^24: 2^24 + 3 is not an f32.
      ["add(i64 2^24+2, 1)", add(tensor([2 ** 24 + 2], [1], { dtype: "i64" }), 1), "i64", [2 ** 24 + 3]],
    ];
    const wrong: string[] = [];
    for (const [name, t, dtype, want] of cases) {
      const got = values(t);
      if (got.some((v, k) => v !== want[k])) wrong.push(`${name} gives [${got}], expected [${want}]`);
      if (t.dtype !== dtype) wrong.push(`${name} is ${t.dtype}, expected ${dtype}`);
    }
    assert.deepStrictEqual(wrong, [], `integer dtype lost:\n  ${wrong.join("\n  ")}`);
  }));

Deno.test("maximum/minimum propagate NaN, both forms", () =>
  scope(() => {
    const x = tensor([NaN, 1, -1]);
    assertClose(maximum(x, 0), [NaN, 1, 0], "maximum(x, 0)");
    assertClose(minimum(x, 0), [NaN, 0, -1], "minimum(x, 0)");
    assertClose(maximum(x, tensor([0, 0, 0])), [NaN, 1, 0], "maximum(x, zeros)");
    assertClose(minimum(x, tensor([0])), [NaN, 0, -1], "minimum(x, [0])");
  }));

Deno.test("comparisons give bool tensors", () =>
  scope(() => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    const b = tensor([3, 2, 1]);
    const check = guard(a, b);
    const av = values(a);
    const bv = values(b);
    const ops: [string, Binary, (x: number, y: number) => boolean][] = [
      ["eq", eq as Binary, (x, y) => x === y],
      ["ne", ne as Binary, (x, y) => x !== y],
      ["lt", lt as Binary, (x, y) => x < y],
      ["le", le as Binary, (x, y) => x <= y],
      ["gt", gt as Binary, (x, y) => x > y],
      ["ge", ge as Binary, (x, y) => x >= y],
    ];
    for (const [name, op, fn] of ops) {
      const t = op(a, b);
      assertMeta(t, [2, 3], "bool", name);
      const want = zipBroadcast(av, [2, 3], bv, [3], (x, y) => fn(x, y) ? 1 : 0);
      assertValues(t, want.values, `${name} tensor`);
      const s = op(a, 3);
      assertMeta(s, [2, 3], "bool", `${name} scalar`);
      assertValues(s, av.map((x) => fn(x, 3) ? 1 : 0), `${name} scalar 3`);
    }
    // Mixed dtypes compare by value.
    assertValues(eq(tensor([1, 2], [2], { dtype: "i64" }), tensor([1, 2.5])), [1, 0], "i64 == f32");
    assertValues(eq(tensor([NaN]), tensor([NaN])), [0], "NaN != NaN");
    assertValues(ne(tensor([NaN]), NaN), [1], "NaN ne NaN");
    check();
  }));

Deno.test("logicalAnd / logicalOr / logicalNot", () =>
  scope(() => {
    const p = tensor([true, true, false, false]);
    const q = tensor([true, false, true, false]);
    const check = guard(p, q);
    const and = logicalAnd(p, q);
    assertMeta(and, [4], "bool");
    assertValues(and, [1, 0, 0, 0], "and");
    const or = logicalOr(p, q);
    assertMeta(or, [4], "bool");
    assertValues(or, [1, 1, 1, 0], "or");
    const not = logicalNot(p);
    assertMeta(not, [4], "bool");
    assertValues(not, [0, 0, 1, 1], "not");
    // With numbers: nonzero is true.
    assertValues(logicalAnd(p, 1), [1, 1, 0, 0], "p and 1");
    assertValues(logicalAnd(p, 0), [0, 0, 0, 0], "p and 0");
    assertValues(logicalOr(p, 0), [1, 1, 0, 0], "p or 0");
    assertValues(logicalOr(p, 1), [1, 1, 1, 1], "p or 1");
    assertMeta(logicalOr(p, 1), [4], "bool");
    // Non-bool inputs: nonzero is true; broadcasting [2, 1] with [2].
    const r = logicalAnd(tensor([[0], [2]]), tensor([1, -0.5]));
    assertMeta(r, [2, 2], "bool");
    assertValues(r, [0, 0, 1, 1], "float logical and");
    assertValues(logicalNot(tensor([0, 3, -1])), [1, 0, 0], "not of floats");
    check();
  }));

Deno.test("rsub / rdiv", () =>
  scope(() => {
    const x = tensor([1, 2, 4, -0.5]);
    const check = guard(x);
    const r = rsub(10, x);
    assertMeta(r, [4], "f32");
    assertValues(r, [9, 8, 6, 10.5], "10 - x");
    const d = rdiv(6, x);
    assertMeta(d, [4], "f32");
    assertClose(d, [6, 3, 1.5, -12], "6 / x");
    assertClose(rdiv(1, tensor([0, -0])), [Infinity, -Infinity], "1 / ±0");
    assertClose(rdiv(2, tensor([4], [1], { dtype: "i64" })), [0.5], "2 / i64 4 is true division");
    check();
  }));

Deno.test("unary math: neg/abs/exp/log/sqrt/rsqrt/tanh/sigmoid/relu/sin/cos/reciprocal", () =>
  scope(() => {
    const xs = [-2.5, -1, -0.25, 0, 0.3, 1, 2, 3.75];
    const x = tensor(xs, [2, 4]);
    const pos = [0.01, 0.25, 1, 2, 4, 9, 100, 0.5];
    const y = tensor(pos, [2, 4]);
    const check = guard(x, y);
    const f = xs.map(Math.fround);
    const fp = pos.map(Math.fround);
    const cases: [string, Tensor, number[]][] = [
      ["neg", neg(x), f.map((v) => -v)],
      ["abs", abs(x), f.map(Math.abs)],
      ["exp", exp(x), f.map(Math.exp)],
      ["log", log(y), fp.map(Math.log)],
      ["sqrt", sqrt(y), fp.map(Math.sqrt)],
      ["rsqrt", rsqrt(y), fp.map((v) => 1 / Math.sqrt(v))],
      ["tanh", tanh(x), f.map(Math.tanh)],
      ["sigmoid", sigmoid(x), f.map((v) => 1 / (1 + Math.exp(-v)))],
      ["relu", relu(x), f.map((v) => v > 0 ? v : 0)],
      ["sin", sin(x), f.map(Math.sin)],
      ["cos", cos(x), f.map(Math.cos)],
      ["reciprocal", reciprocal(y), fp.map((v) => 1 / v)],
    ];
    for (const [name, t, want] of cases) {
      assertMeta(t, [2, 4], "f32", name);
      assertClose(t, want, name, { rtol: 2e-6, atol: 1e-6 });
    }
    assertClose(log(tensor([0, -1])), [-Infinity, NaN], "log(0), log(-1)");
    assertClose(sqrt(tensor([-1])), [NaN], "sqrt(-1)");
    assertClose(reciprocal(tensor([0])), [Infinity], "1/0");
    assertClose(sigmoid(tensor([-100, 100])), [Math.exp(-100) / (1 + Math.exp(-100)), 1], "sigmoid saturates");
    assertClose(exp(tensor([0.5], [1], { dtype: "f64" })), [Math.exp(0.5)], "exp f64", { rtol: 1e-14, atol: 0 });
    const neg64 = neg(tensor([3], [1], { dtype: "i64" }));
    assertMeta(neg64, [1], "i64");
    assertValues(neg64, [-3], "neg i64");
    assertValues(abs(tensor([-4, 5], [2], { dtype: "i32" })), [4, 5], "abs i32");
    assertValues(relu(tensor([-4, 5], [2], { dtype: "i64" })), [0, 5], "relu i64");
    check();
  }));

Deno.test("gelu: exact (erf) and tanh approximation", () =>
  scope(() => {
    const xs = [-3, -2, -1, -0.5, 0, 0.5, 1, 2, 3];
    const x = tensor(xs);
    const check = guard(x);
    const exact = xs.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
    const approx = xs.map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))));
    // The two definitions differ by up to ~5e-4 here, far above the tolerance used below.
    assert.ok(Math.max(...exact.map((e, i) => Math.abs(e - approx[i]))) > 1e-4, "reference modes must differ");
    const g = gelu(x);
    assertMeta(g, [9], "f32");
    assertClose(g, exact, "gelu none", { atol: 2e-6, rtol: 2e-6 });
    assertClose(gelu(x, "none"), exact, "gelu 'none'", { atol: 2e-6, rtol: 2e-6 });
    assertClose(gelu(x, "tanh"), approx, "gelu tanh", { atol: 2e-6, rtol: 2e-6 });
    check();
  }));

Deno.test("isNaN / isFinite", () =>
  scope(() => {
    const x = tensor([NaN, Infinity, -Infinity, 0, -1.5]);
    const n = isNaN(x);
    assertMeta(n, [5], "bool");
    assertValues(n, [1, 0, 0, 0, 0], "isNaN");
    const f = isFinite(x);
    assertMeta(f, [5], "bool");
    assertValues(f, [0, 0, 0, 1, 1], "isFinite");
    assertValues(isFinite(tensor([1, 2], [2], { dtype: "i64" })), [1, 1], "integers are finite");
  }));

Deno.test("clamp: two-sided, min only, max only", () =>
  scope(() => {
    const xs = [-3, -1, -0.5, 0, 0.5, 1, 3];
    const x = tensor(xs);
    const check = guard(x);
    const both = clamp(x, -1, 0.5);
    assertMeta(both, [7], "f32");
    assertValues(both, xs.map((v) => Math.min(Math.max(v, -1), 0.5)), "clamp(-1, 0.5)");
    assertValues(clamp(x, 0), xs.map((v) => Math.max(v, 0)), "clamp(min 0)");
    assertValues(clamp(x, undefined, 0), xs.map((v) => Math.min(v, 0)), "clamp(max 0)");
    assert.throws(() => clamp(x), TorchError, "clamp() needs a bound (as in torch)");
    assertValues(clamp(x, 1, 1), xs.map(() => 1), "clamp(1, 1)");
    assert.throws(() => clamp(x, 1, 0), RangeError);
    check();
  }));

Deno.test("where: broadcast condition and branches", () =>
  scope(() => {
    const cond = tensor([[true], [false]]); // [2, 1]
    const a = tensor([[1, 2, 3], [4, 5, 6]]); // [2, 3]
    const b = tensor(-1); // []
    const check = guard(cond, a, b);
    const r = where(cond, a, b);
    assertMeta(r, [2, 3], "f32");
    assertValues(r, [1, 2, 3, -1, -1, -1], "where([2,1], [2,3], [])");
    const c2 = tensor([true, false, true]);
    const r2 = where(c2, a, tensor([10, 20, 30]));
    assertValues(r2, [1, 20, 3, 4, 20, 6], "where([3], [2,3], [3])");
    const ca = tensor([[true, false]]); // [1, 2] with a [2, 1], b [2, 2]: all broadcast
    const r3 = where(ca, tensor([[1], [2]]), tensor([[10, 20], [30, 40]]));
    assertMeta(r3, [2, 2], "f32");
    assertValues(r3, [1, 20, 2, 40], "three-way broadcast");
    assert.throws(() => where(tensor([1, 0]), tensor([1, 2]), tensor([3, 4])), DTypeError, "non-bool condition");
    assert.throws(() => where(tensor([true, false]), a, b), ShapeError, "[2] does not broadcast with [2, 3]");
    check();
  }));

Deno.test("maskedFill", () =>
  scope(() => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    const mask = tensor([true, false, true]);
    const check = guard(x, mask);
    const r = maskedFill(x, mask, -1);
    assertMeta(r, [2, 3], "f32");
    assertValues(r, [-1, 2, -1, -1, 5, -1], "row mask");
    const full = tensor([[false, true, false], [true, false, false]]);
    assertValues(maskedFill(x, full, -Infinity), [1, -Infinity, 3, -Infinity, 5, 6], "full mask, -inf");
    assertValues(maskedFill(x, tensor([[true], [false]]), 0), [0, 0, 0, 4, 5, 6], "column mask");
    assert.throws(() => maskedFill(tensor([1, 2, 3]), tensor([[true, false, true]]), 0), ShapeError, "mask larger");
    assert.throws(() => maskedFill(x, tensor([1, 0, 1]), 0), DTypeError, "non-bool mask");
    check();
  }));

Deno.test("tril / triu with diagonal offsets, batched", () =>
  scope(() => {
    const rows = 3;
    const cols = 4;
    const xs = Array.from({ length: 2 * rows * cols }, (_, i) => i + 1);
    const x = tensor(xs, [2, rows, cols]);
    const check = guard(x);
    for (const k of [-1, 0, 1, 2]) {
      const lo = tril(x, k);
      const hi = triu(x, k);
      assertMeta(lo, [2, rows, cols], "f32", `tril ${k}`);
      assertMeta(hi, [2, rows, cols], "f32", `triu ${k}`);
      const idx = indices([2, rows, cols]);
      assertValues(lo, idx.map(([, i, j], f) => j <= i + k ? xs[f] : 0), `tril k=${k}`);
      assertValues(hi, idx.map(([, i, j], f) => j >= i + k ? xs[f] : 0), `triu k=${k}`);
    }
    assertValues(tril(tensor([[1, 2], [3, 4]])), [1, 0, 3, 4], "tril default k");
    assertValues(triu(tensor([[1, 2], [3, 4]])), [1, 2, 0, 4], "triu default k");
    const b = tril(tensor([[true, true], [true, true]]));
    assertMeta(b, [2, 2], "bool");
    assertValues(b, [1, 0, 1, 1], "tril of bool (a causal mask)");
    assert.throws(() => tril(tensor([1, 2, 3])), ShapeError);
    assert.throws(() => triu(tensor([1, 2, 3])), ShapeError);
    check();
  }));
