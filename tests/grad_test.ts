/**
 * Gradients of every differentiable op, checked against central finite differences in f64
 * (tests/helpers/finite_diff.ts), plus the semantics of valueAndGrad / grad / noGrad: the shape of
 * the gradient tree, untouched inputs, aux outputs, errors, repeatability and memory.
 *
 * Expectations come from finite differences of the forward ops or from formulas derived by hand;
 * no value is copied from the implementation's output.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert";
import {
  abs,
  add,
  bmm,
  cast,
  cat,
  clamp,
  clone,
  contiguous,
  cos,
  crossEntropy,
  detach,
  div,
  dropout,
  embedding,
  exp,
  expand,
  gather,
  gelu,
  grad,
  indexSelect,
  item,
  layerNorm,
  linear,
  log,
  logSoftmax,
  logsumexp,
  maskedFill,
  matmul,
  max,
  maximum,
  mean,
  memory,
  min,
  minimum,
  mul,
  neg,
  noGrad,
  ones,
  permute,
  pow,
  randn,
  rdiv,
  reciprocal,
  relu,
  reshape,
  rng,
  rsqrt,
  rsub,
  scaledDotProductAttention,
  scope,
  sigmoid,
  sin,
  slice,
  softmax,
  sqrt,
  squeeze,
  stack,
  std,
  sub,
  sum,
  tanh,
  Tensor,
  tensor,
  topk,
  TorchError,
  transpose,
  tril,
  triu,
  unsqueeze,
  valueAndGrad,
  var_,
  view,
  where,
} from "../mod.ts";
import {
  assertDistinct,
  awayFromZero,
  checkGradients,
  f64,
  type GradCheckOptions,
  positive,
  randf64,
  values,
} from "./helpers/finite_diff.ts";

/** Runs the finite-difference check inside a scope and asserts it compared every input element. */
function check(name: string, f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], options?: GradCheckOptions): void {
  scope(() => {
    const report = checkGradients(name, f, inputs, options);
    const expected = (options?.wrt ?? inputs.map((_, i) => i)).reduce((n, i) => n + inputs[i].size, 0);
    assert.strictEqual(report.checked, expected, `${name}: compared ${report.checked} of ${expected} elements`);
  });
}

/** Runs a test body inside a scope. */
function gradTest(name: string, body: () => void): void {
  Deno.test(name, () => scope(body));
}

const r = randf64;

/** Keeps values at least `margin` away from each of `points` (for clamp bounds, maximum with a number...). */
function awayFrom(points: number[], margin: number): (v: number) => number {
  return (v) => {
    for (const p of points) if (Math.abs(v - p) < margin) v = v < p ? p - margin : p + margin;
    return v;
  };
}

/** `a` plus a random offset of magnitude ≥ 0.1: a partner for `a` without ties. */
function untied(a: Tensor, seed: number): Tensor {
  const offsets = values(r(a.shape, seed, awayFromZero(0.1)));
  return f64(values(a).map((v, i) => v + offsets[i]), a.shape);
}

/** Rank assertions for ops whose signatures take fixed-rank shapes. */
const rank1 = (t: Tensor) => t as Tensor<[number]>;
const rank2 = (t: Tensor) => t as Tensor<[number, number]>;
const rank3 = (t: Tensor) => t as Tensor<[number, number, number]>;

function i64(xs: number[], shape?: number[]): Tensor {
  return tensor(xs, shape ?? [xs.length], { dtype: "i64" });
}

function bools(xs: boolean[], shape: number[]): Tensor {
  return tensor(xs, shape, { dtype: "bool" });
}

function assertClose(got: number[], want: number[], tol: number, what: string): void {
  assert.strictEqual(got.length, want.length, `${what}: ${got.length} values, expected ${want.length}`);
  got.forEach((g, i) => {
    assert.ok(
      Math.abs(g - want[i]) <= tol * (1 + Math.abs(want[i])),
      `${what}: element ${i} is ${g}, expected ${want[i]}`,
    );
  });
}

gradTest("the finite-difference checker catches a wrong gradient", () => {
  // Treating one factor of x·x as a constant halves the autograd gradient; the forward is unchanged.
  assert.throws(
    () => checkGradients("x·const(x)", (x) => mul(x, noGrad(() => detach(x))), [r([2, 3], 1)]),
    /gradient mismatch/,
  );
  check("x·x", (x) => mul(x, x), [r([2, 3], 1)]);
});

// ---------------------------------------------------------------- elementwise, binary

const BROADCAST_CASES: [string, number[], number[]][] = [
  ["same shape", [2, 3], [2, 3]],
  ["row broadcast", [2, 3], [3]],
  ["outer broadcast", [2, 1], [1, 3]],
  ["rank-0 operand", [2, 3], []],
];

for (
  const [opName, op, mapB] of [
    ["add", add, undefined],
    ["sub", sub, undefined],
    ["mul", mul, undefined],
    ["div", div, awayFromZero(0.5)],
  ] as const
) {
  gradTest(`grad: ${opName} (tensor ⊕ tensor, with broadcasting)`, () => {
    BROADCAST_CASES.forEach(([what, sa, sb], i) => {
      check(`${opName} ${what}`, (a, b) => op(a, b), [r(sa, 10 + i), r(sb, 20 + i, mapB)]);
      check(`${opName} ${what} (swapped)`, (a, b) => op(b, a), [r(sa, 30 + i, mapB), r(sb, 40 + i)]);
    });
  });
  gradTest(`grad: ${opName} (tensor ⊕ number)`, () => {
    check(`${opName} scalar`, (a) => op(a, 1.75), [r([2, 3], 1)]);
    check(`${opName} negative scalar`, (a) => op(a, -0.5), [r([4], 2)]);
  });
}

gradTest("grad: pow with a positive base", () => {
  check("pow tensor^tensor", (a, b) => pow(a, b), [r([2, 3], 1, positive(0.3)), r([2, 3], 2)]);
  check("pow broadcast exponent", (a, b) => pow(a, b), [r([2, 3], 3, positive(0.3)), r([3], 4)]);
  check("pow broadcast base", (a, b) => pow(a, b), [r([3], 5, positive(0.3)), r([2, 3], 6)]);
  check("pow ^2.5", (a) => pow(a, 2.5), [r([2, 3], 7, positive(0.3))]);
  check("pow ^3 (any sign)", (a) => pow(a, 3), [r([2, 3], 8)]);
  check("pow ^-1.5", (a) => pow(a, -1.5), [r([5], 9, positive(0.5))]);
});

gradTest("grad: maximum and minimum (no ties)", () => {
  const a = r([2, 3], 1);
  const b = untied(a, 2);
  check("maximum", (x, y) => maximum(x, y), [a, b]);
  check("minimum", (x, y) => minimum(x, y), [a, b]);
  const c = r([3], 3);
  const big = f64(values(r([2, 3], 4)).map((v, i) => values(c)[i % 3] + (v < 0 ? v - 0.1 : v + 0.1)), [2, 3]);
  check("maximum broadcast", (x, y) => maximum(x, y), [big, c]);
  check("minimum broadcast", (x, y) => minimum(x, y), [big, c]);
  const x = r([2, 4], 5, awayFrom([0.3], 0.05));
  check("maximum with a number", (t) => maximum(t, 0.3), [x]);
  check("minimum with a number", (t) => minimum(t, 0.3), [x]);
});

gradTest("grad: rsub and rdiv", () => {
  check("rsub", (x) => rsub(2.5, x), [r([2, 3], 1)]);
  check("rdiv", (x) => rdiv(3, x), [r([2, 3], 2, awayFromZero(0.4))]);
});

// ---------------------------------------------------------------- elementwise, unary

const UNARY: [string, (x: Tensor) => Tensor, ((v: number) => number) | undefined][] = [
  ["neg", neg, undefined],
  ["abs", abs, awayFromZero(0.1)],
  ["exp", exp, undefined],
  ["log", log, positive(0.3)],
  ["sqrt", sqrt, positive(0.3)],
  ["rsqrt", rsqrt, positive(0.3)],
  ["tanh", tanh, undefined],
  ["sigmoid", sigmoid, undefined],
  ["relu", relu, awayFromZero(0.1)],
  ["gelu (erf)", (x) => gelu(x), undefined],
  ["gelu (tanh approximation)", (x) => gelu(x, "tanh"), undefined],
  ["sin", sin, undefined],
  ["cos", cos, undefined],
  ["reciprocal", reciprocal, awayFromZero(0.4)],
];
UNARY.forEach(([name, fn, map], i) => {
  gradTest(`grad: ${name}`, () => {
    check(name, fn, [r([3, 4], 100 + i, map)]);
  });
});

gradTest("grad: gelu modes differ (the tanh approximation is its own function)", () => {
  // Hand-derived: d/dx gelu(x) = Φ(x) + x φ(x); at x = 1: 0.8413447460685429 + 0.24197072451914337.
  const x = f64([1], [1]);
  const exact = grad((p: Tensor) => sum(gelu(p)))(x);
  assertClose(values(exact), [0.8413447460685429 + 0.24197072451914337], 1e-12, "gelu'(1)");
  // tanh form: 0.5(1+t) + 0.5x(1-t²)·c(1+3·0.044715x²), t = tanh(c(x+0.044715x³)), c = √(2/π).
  const c = Math.sqrt(2 / Math.PI);
  const t = Math.tanh(c * (1 + 0.044715));
  const want = 0.5 * (1 + t) + 0.5 * (1 - t * t) * c * (1 + 3 * 0.044715);
  assertClose(values(grad((p: Tensor) => sum(gelu(p, "tanh")))(x)), [want], 1e-12, "gelu_tanh'(1)");
});

gradTest("grad: clamp (both bounds, min only, max only)", () => {
  const x = r([3, 4], 1, (v) => awayFrom([-0.5, 0.7], 0.05)(1.5 * v));
  check("clamp [-0.5, 0.7]", (t) => clamp(t, -0.5, 0.7), [x]);
  check("clamp min -0.5", (t) => clamp(t, -0.5), [x]);
  check("clamp max 0.7", (t) => clamp(t, undefined, 0.7), [x]);
});

gradTest("grad: where (both branches, broadcast)", () => {
  const cond = bools([true, false, false, true, true, false], [2, 3]);
  check("where", (a, b) => where(cond, a, b), [r([2, 3], 1), r([2, 3], 2)]);
  check("where broadcast b", (a, b) => where(cond, a, b), [r([2, 3], 3), r([3], 4)]);
  check("where broadcast cond", (a, b) => where(bools([true, false, true], [3]), a, b), [r([2, 3], 5), r([2, 3], 6)]);
});

gradTest("grad: maskedFill", () => {
  const mask = bools([true, false, false, true, false, true, false, false, true, true, false, false], [3, 4]);
  check("maskedFill", (x) => maskedFill(x, mask, 7), [r([2, 3, 4], 1)]);
  check("maskedFill negative value", (x) => maskedFill(x, mask, -3), [r([3, 4], 2)]);
});

gradTest("grad: tril and triu (diagonal offsets, batched, non-square)", () => {
  for (const k of [0, 1, -1]) {
    check(`tril k=${k}`, (x) => tril(x, k), [r([2, 4, 4], 10 + k)]);
    check(`triu k=${k}`, (x) => triu(x, k), [r([2, 4, 4], 20 + k)]);
  }
  check("tril 3x5", (x) => tril(x), [r([3, 5], 30)]);
  check("triu 5x3", (x) => triu(x, 1), [r([5, 3], 31)]);
});

// ---------------------------------------------------------------- linear algebra

gradTest("grad: matmul 2-D and with vectors", () => {
  check("matmul [3,4]@[4,2]", (a, b) => matmul(a, b), [r([3, 4], 1), r([4, 2], 2)]);
  check("matmul [4]@[4,2]", (a, b) => matmul(a, b), [r([4], 3), r([4, 2], 4)]);
  check("matmul [3,4]@[4]", (a, b) => matmul(a, b), [r([3, 4], 5), r([4], 6)]);
  check("matmul [4]@[4]", (a, b) => matmul(a, b), [r([4], 7), r([4], 8)]);
});

gradTest("grad: matmul batched with broadcasting", () => {
  check("matmul [2,1,3,4]@[3,4,2]", (a, b) => matmul(a, b), [r([2, 1, 3, 4], 1), r([3, 4, 2], 2)]);
  check("matmul [2,3,4]@[4,5]", (a, b) => matmul(a, b), [r([2, 3, 4], 3), r([4, 5], 4)]);
  check("matmul [3,4]@[2,4,5]", (a, b) => matmul(a, b), [r([3, 4], 5), r([2, 4, 5], 6)]);
  check("matmul [2,3,4]@[4]", (a, b) => matmul(a, b), [r([2, 3, 4], 7), r([4], 8)]);
});

gradTest("grad: bmm", () => {
  check("bmm", (a, b) => bmm(rank3(a), rank3(b)), [r([2, 3, 4], 1), r([2, 4, 5], 2)]);
});

gradTest("grad: linear (x, weight and bias)", () => {
  check("linear 2-D", (x, w, b) => linear(x, w, b), [r([3, 4], 1), r([5, 4], 2), r([5], 3)]);
  check("linear batched", (x, w, b) => linear(x, w, b), [r([2, 3, 4], 4), r([5, 4], 5), r([5], 6)]);
  check("linear without bias", (x, w) => linear(x, w), [r([2, 3, 4], 7), r([2, 4], 8)]);
});

// ---------------------------------------------------------------- shapes

gradTest("grad: reshape and view", () => {
  check("reshape [2,3,4]→[4,-1]", (x) => reshape(x, [4, -1]), [r([2, 3, 4], 1)]);
  check("reshape [2,3,4]→[24]", (x) => reshape(x, [24]), [r([2, 3, 4], 2)]);
  check("reshape of a transpose", (x) => reshape(transpose(x, 0, 1), [12]), [r([3, 4], 3)]);
  check("view [2,3,4]→[6,4]", (x) => view(x, [6, 4]), [r([2, 3, 4], 4)]);
  check("view [2,3,4]→[2,12]", (x) => view(x, [2, -1]), [r([2, 3, 4], 5)]);
});

gradTest("grad: expand", () => {
  check("expand [3,1]→[2,3,4]", (x) => expand(x, [2, 3, 4]), [r([3, 1], 1)]);
  check("expand [1,4]→[3,-1]", (x) => expand(x, [3, -1]), [r([1, 4], 2)]);
});

gradTest("grad: transpose, permute, contiguous", () => {
  check("transpose 0,2", (x) => transpose(x, 0, 2), [r([2, 3, 4], 1)]);
  check("transpose -2,-1", (x) => transpose(x, -2, -1), [r([2, 3, 4], 2)]);
  check("permute [2,0,1]", (x) => permute(x, [2, 0, 1]), [r([2, 3, 4], 3)]);
  check("permute [1,0,3,2]", (x) => permute(x, [1, 0, 3, 2]), [r([2, 1, 3, 2], 4)]);
  check("contiguous of a transpose", (x) => contiguous(transpose(x, 0, 1)), [r([3, 4], 5)]);
  check("contiguous", (x) => contiguous(x), [r([3, 4], 6)]);
});

gradTest("grad: squeeze and unsqueeze", () => {
  check("squeeze 1", (x) => squeeze(x, 1), [r([2, 1, 3], 1)]);
  check("squeeze -1", (x) => squeeze(x, -1), [r([3, 1], 2)]);
  check("unsqueeze 0", (x) => unsqueeze(x, 0), [r([2, 3], 3)]);
  check("unsqueeze -1", (x) => unsqueeze(x, -1), [r([2, 3], 4)]);
});

gradTest("grad: slice", () => {
  check("slice dim 1 [1,4) step 2", (x) => slice(x, 1, 1, 4, 2), [r([2, 5, 3], 1)]);
  check("slice negative start", (x) => slice(x, 0, -2), [r([4, 3], 2)]);
  check("slice last dim", (x) => slice(x, -1, 0, 2), [r([2, 3, 4], 3)]);
});

gradTest("grad: cat and stack", () => {
  check("cat dim 1", (a, b, c) => cat([a, b, c], 1), [r([2, 1, 3], 1), r([2, 3, 3], 2), r([2, 2, 3], 3)]);
  check("cat dim 0", (a, b) => cat([a, b], 0), [r([2, 3], 4), r([1, 3], 5)]);
  check("cat the same tensor twice", (a) => cat([a, a], -1), [r([2, 3], 6)]);
  check("stack dim 0", (a, b, c) => stack([a, b, c], 0), [r([2, 3], 7), r([2, 3], 8), r([2, 3], 9)]);
  check("stack dim -1", (a, b) => stack([a, b], -1), [r([2, 3], 10), r([2, 3], 11)]);
});

gradTest("grad: gather and indexSelect (repeated indices accumulate)", () => {
  const index = i64([0, 2, 2, 1, 3, 3, 0, 0], [2, 4]);
  check("gather dim 1", (x) => gather(x, 1, index), [r([2, 4], 1)]);
  check("gather dim 0", (x) => gather(x, 0, i64([1, 0, 1, 1, 0, 0], [2, 3])), [r([2, 3], 2)]);
  check("indexSelect dim 0", (x) => indexSelect(x, 0, rank1(i64([2, 0, 2, 2]))), [r([3, 4], 3)]);
  check("indexSelect dim 1", (x) => indexSelect(x, 1, rank1(i64([3, 1]))), [r([2, 4, 2], 4)]);
});

// ---------------------------------------------------------------- reductions

gradTest("grad: sum (all, along dims, keepDim)", () => {
  const x = r([2, 3, 4], 1);
  check("sum all", (t) => sum(t), [x]);
  check("sum dim 0", (t) => sum(t, 0), [x]);
  check("sum dim 1", (t) => sum(t, 1), [x]);
  check("sum dim -1 keepDim", (t) => sum(t, -1, true), [x]);
});

gradTest("grad: mean (all, along dims, keepDim)", () => {
  const x = r([2, 3, 4], 2);
  check("mean all", (t) => mean(t), [x]);
  check("mean dim 0", (t) => mean(t, 0), [x]);
  check("mean dim 2", (t) => mean(t, 2), [x]);
  check("mean dim 1 keepDim", (t) => mean(t, 1, true), [x]);
});

gradTest("grad: std and var_ (biased and unbiased, all and along a dim)", () => {
  const x = r([3, 5], 3);
  for (const unbiased of [true, false]) {
    check(`std all unbiased=${unbiased}`, (t) => std(t, undefined, { unbiased }), [x]);
    check(`var all unbiased=${unbiased}`, (t) => var_(t, undefined, { unbiased }), [x]);
    check(`std dim 1 unbiased=${unbiased}`, (t) => std(t, 1, { unbiased }), [x]);
    check(`var dim 0 unbiased=${unbiased}`, (t) => var_(t, 0, { unbiased }), [x]);
    check(`std dim -1 keepDim unbiased=${unbiased}`, (t) => std(t, -1, { unbiased, keepDim: true }), [x]);
    check(`var dim 1 keepDim unbiased=${unbiased}`, (t) => var_(t, 1, { unbiased, keepDim: true }), [x]);
  }
  check("std default (unbiased)", (t) => std(t), [x]);
});

gradTest("grad: std and var_ against hand-derived formulas", () => {
  // var = Σ(x-m)²/(n-c): ∂var/∂x_i = 2(x_i - m)/(n-c); ∂std/∂x_i = (x_i - m)/((n-c)·std).
  const xs = [1, 2, 4, 7];
  const m = 3.5;
  const x = f64(xs, [4]);
  for (const [unbiased, c] of [[true, 1], [false, 0]] as const) {
    const n = xs.length - c;
    const s = Math.sqrt(xs.reduce((acc, v) => acc + (v - m) ** 2, 0) / n);
    const gv = grad((p: Tensor) => var_(p, undefined, { unbiased }))(x);
    assertClose(values(gv), xs.map((v) => 2 * (v - m) / n), 1e-12, `var' unbiased=${unbiased}`);
    const gs = grad((p: Tensor) => std(p, undefined, { unbiased }))(x);
    assertClose(values(gs), xs.map((v) => (v - m) / (n * s)), 1e-12, `std' unbiased=${unbiased}`);
  }
});

gradTest("grad: max and min (all and along a dim, no ties)", () => {
  const x = r([3, 4], 4);
  assertDistinct(x);
  check("max all", (t) => max(t), [x]);
  check("min all", (t) => min(t), [x]);
  check("max dim 1", (t) => max(t, 1), [x]);
  check("min dim 0", (t) => min(t, 0), [x]);
  check("max dim 0 keepDim", (t) => max(t, 0, true), [x]);
  check("min dim -1 keepDim", (t) => min(t, -1, true), [x]);
});

gradTest("grad: logsumexp", () => {
  const x = r([3, 4], 5);
  check("logsumexp dim 1", (t) => logsumexp(t, 1), [x]);
  check("logsumexp dim 0 keepDim", (t) => logsumexp(t, 0, true), [x]);
  check("logsumexp large values", (t) => logsumexp(t, -1), [r([2, 3], 6, (v) => 50 + v)]);
});

gradTest("grad: softmax and logSoftmax", () => {
  const x = r([3, 4], 7);
  check("softmax dim -1", (t) => softmax(t, -1), [x]);
  check("softmax dim 0", (t) => softmax(t, 0), [x]);
  check("logSoftmax dim -1", (t) => logSoftmax(t, -1), [x]);
  check("logSoftmax dim 0", (t) => logSoftmax(t, 0), [r([2, 3, 2], 8)]);
});

gradTest("grad: topk values (largest and smallest, along a dim)", () => {
  const x = r([3, 5], 9);
  assertDistinct(x);
  check("topk 2 largest dim -1", (t) => topk(t, 2).values, [x]);
  check("topk 2 smallest dim -1", (t) => topk(t, 2, -1, { largest: false }).values, [x]);
  check("topk 1 dim 0", (t) => topk(t, 1, 0).values, [x]);
  check("topk unsorted", (t) => topk(t, 3, 1, { sorted: false }).values, [x]);
});

// ---------------------------------------------------------------- neural-network ops

gradTest("grad: embedding (weight gradient, repeated ids)", () => {
  const ids = i64([0, 3, 3, 1, 4, 0, 0, 2], [2, 4]);
  check("embedding 2-D ids", (w) => embedding(rank2(w), ids), [r([6, 3], 1)]);
  check("embedding 1-D ids", (w) => embedding(rank2(w), i64([2, 2, 1])), [r([4, 5], 2)]);
});

gradTest("grad: dropout with a fixed key", () => {
  const key = rng(7);
  const x = r([4, 6], 1);
  check("dropout p=0.3", (t) => dropout(t, 0.3, key), [x]);
  check("dropout p=0.5", (t) => dropout(t, 0.5, rng(8)), [x]);
  check("dropout p=0", (t) => dropout(t, 0, key), [x]);
  // d/dx sum(dropout(x) · W) = W · mask / (1 - p), where mask (0 or 1) is what the key keeps.
  const w = r([4, 6], 2);
  const p = 0.3;
  const g = values(grad((t: Tensor) => sum(mul(dropout(t, p, key), w)))(x));
  const kept = values(dropout(ones([4, 6], { dtype: "f64" }), p, key));
  const ws = values(w);
  kept.forEach((k, i) => {
    assert.ok(k === 0 || Math.abs(k - 1 / (1 - p)) < 1e-12, `dropout of ones gives ${k}, not 0 or 1/(1-p)`);
    const want = k === 0 ? 0 : ws[i] / (1 - p);
    assert.ok(Math.abs(g[i] - want) < 1e-12, `dropout grad element ${i}: ${g[i]}, expected ${want}`);
  });
  const dropped = kept.filter((k) => k === 0).length;
  assert.ok(dropped > 0 && dropped < kept.length, `p=0.3 dropped ${dropped} of ${kept.length}`);
});

gradTest("grad: layerNorm (x, weight, bias)", () => {
  const x = r([2, 3, 5], 1);
  const w = r([5], 2);
  const b = r([5], 3);
  check("layerNorm x, weight, bias", (t, wt, bs) => layerNorm(t, wt, bs), [x, w, b]);
  check("layerNorm without affine", (t) => layerNorm(t), [x]);
  check("layerNorm weight only, eps 1e-3", (t, wt) => layerNorm(t, wt, undefined, 1e-3), [r([4, 3], 4), r([3], 5)]);
});

gradTest("grad: crossEntropy (labelSmoothing 0.1, ignoreIndex, reductions)", () => {
  const logits = r([5, 4], 1);
  const target = i64([1, 3, 2, 0, 3]);
  for (const reduction of ["mean", "sum", "none"] as const) {
    check(`crossEntropy ${reduction}`, (z) => crossEntropy(rank2(z), rank1(target), { reduction }), [logits]);
    check(
      `crossEntropy ${reduction} smoothing 0.1 ignoreIndex 2`,
      (z) => crossEntropy(rank2(z), rank1(target), { reduction, labelSmoothing: 0.1, ignoreIndex: 2 }),
      [logits],
    );
  }
  const withIgnored = i64([1, -100, 2, -100, 3]);
  check("crossEntropy default ignoreIndex -100", (z) => crossEntropy(rank2(z), rank1(withIgnored)), [logits]);
  check(
    "crossEntropy smoothing 0.1 ignoreIndex -100",
    (z) => crossEntropy(rank2(z), rank1(withIgnored), { labelSmoothing: 0.1 }),
    [logits],
  );
});

gradTest("grad: crossEntropy against the hand-derived gradient", () => {
  // mean reduction over the rows whose target is not ignored, with smoothing ε over C classes:
  // ∂L/∂z_ij = (softmax(z_i)_j - ((1-ε)·[j = t_i] + ε/C)) / (number of kept rows); ignored rows get 0.
  const n = 5;
  const classes = 4;
  const eps = 0.1;
  const ignore = 2;
  const targets = [1, 3, 2, 0, 2];
  const logits = r([n, classes], 2);
  const z = values(logits);
  const kept = targets.filter((t) => t !== ignore).length;
  const want: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = z.slice(i * classes, (i + 1) * classes);
    const top = Math.max(...row);
    const e = row.map((v) => Math.exp(v - top));
    const total = e.reduce((a, b) => a + b, 0);
    for (let j = 0; j < classes; j++) {
      const q = (1 - eps) * (j === targets[i] ? 1 : 0) + eps / classes;
      want.push(targets[i] === ignore ? 0 : (e[j] / total - q) / kept);
    }
  }
  const g = grad((p: Tensor) =>
    crossEntropy(rank2(p), rank1(i64(targets)), { labelSmoothing: eps, ignoreIndex: ignore })
  )(logits);
  assertClose(values(g), want, 1e-12, "crossEntropy gradient");
});

gradTest("grad: scaledDotProductAttention, plain path (q, k, v, with a bool mask)", () => {
  const q = r([2, 3, 4], 1);
  const k = r([2, 5, 4], 2);
  const v = r([2, 5, 3], 3);
  // Every query may attend to at least one key.
  const mask = bools(
    [
      [true, false, false, true, false],
      [true, true, false, false, false],
      [false, true, true, true, true],
    ].flat(),
    [3, 5],
  );
  check("sdpa plain", (a, b, c) => scaledDotProductAttention(a, b, c, { fused: false }), [q, k, v]);
  check("sdpa plain masked", (a, b, c) => scaledDotProductAttention(a, b, c, { fused: false, mask }), [q, k, v]);
  check(
    "sdpa plain 4-D causal",
    (a, b, c) => scaledDotProductAttention(a, b, c, { fused: false, mask: causal(3) }),
    [r([1, 2, 3, 4], 4), r([1, 2, 3, 4], 5), r([1, 2, 3, 2], 6)],
  );
});

gradTest("grad: scaledDotProductAttention, fused path (q, k, v, with a bool mask)", () => {
  const q = r([2, 3, 4], 11);
  const k = r([2, 5, 4], 12);
  const v = r([2, 5, 3], 13);
  const mask = bools(
    [
      [true, false, false, true, false],
      [true, true, false, false, false],
      [false, true, true, true, true],
    ].flat(),
    [3, 5],
  );
  check("sdpa fused", (a, b, c) => scaledDotProductAttention(a, b, c), [q, k, v]);
  check("sdpa fused masked", (a, b, c) => scaledDotProductAttention(a, b, c, { mask }), [q, k, v]);
  check(
    "sdpa fused 4-D causal",
    (a, b, c) => scaledDotProductAttention(a, b, c, { mask: causal(3) }),
    [r([1, 2, 3, 4], 14), r([1, 2, 3, 4], 15), r([1, 2, 3, 2], 16)],
  );
});

function causal(n: number): Tensor {
  const xs: boolean[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) xs.push(j <= i);
  return bools(xs, [n, n]);
}

gradTest("grad: cast to f64 passes gradients through", () => {
  check("cast f64→f64", (x) => cast(x, "f64"), [r([2, 3], 1)]);
  check("clone", (x) => clone(x), [r([2, 3], 2)]);
  // Through f32 and back the gradient is still the weight (rounded to f32): d/dx sum(f32(x)·w) = w.
  const w = tensor([0.5, -1.25, 2, 3.5], [4], { dtype: "f32" });
  const g = grad((x: Tensor) => sum(mul(cast(x, "f32"), w)))(r([4], 3));
  assert.strictEqual(g.dtype, "f64");
  assert.deepStrictEqual(values(g), [0.5, -1.25, 2, 3.5]);
});

gradTest("grad: a small network end to end (linear → gelu → layerNorm → linear → crossEntropy)", () => {
  const x = r([4, 3], 1);
  const target = i64([0, 2, 1, 2]);
  check(
    "mlp",
    (w1, b1, g, beta, w2, b2) =>
      crossEntropy(rank2(linear(layerNorm(gelu(linear(x, w1, b1)), g, beta), w2, b2)), rank1(target), {
        labelSmoothing: 0.1,
      }),
    [r([5, 3], 2), r([5], 3), r([5], 4, (v) => 1 + 0.1 * v), r([5], 5), r([3, 5], 6), r([3], 7)],
  );
});

// ---------------------------------------------------------------- autograd semantics

/** Copies of the values and requiresGrad flags of tensors, to prove they are untouched later. */
function snapshot(ts: Tensor[]): [number[][], boolean[]] {
  return [ts.map(values), ts.map((t) => t.requiresGrad)];
}

gradTest("valueAndGrad: the gradient tree has exactly the params' structure", () => {
  const t1 = f64([1, 2, 3], [3]);
  const t2 = f64([0.5, -1, 2, 4], [2, 2]);
  const t3 = f64([7, 8], [2]);
  const unused = f64([1, 1, 1], [3]);
  const params = { a: [t1, { b: t2 }], c: t3, d: { e: unused } };
  // L = Σ 3·a0 + Σ b² + Σ a0·c0 (c0 = c[0], broadcast) ⇒ ∂a0 = 3 + c0, ∂b = 2b, ∂c = [Σ a0, 0], ∂e = 0.
  const { value, grads } = valueAndGrad((p: typeof params) => {
    const [a0, nested] = p.a as [Tensor, { b: Tensor }];
    const c0 = slice(p.c, 0, 0, 1);
    return add(add(sum(mul(a0, 3)), sum(mul(nested.b, nested.b))), sum(mul(a0, c0)));
  })(params);
  assert.deepStrictEqual(Object.keys(grads), ["a", "c", "d"]);
  assert.ok(Array.isArray(grads.a) && grads.a.length === 2);
  const [ga0, gnested] = grads.a as [Tensor, { b: Tensor }];
  assert.ok(ga0 instanceof Tensor && gnested.b instanceof Tensor && grads.c instanceof Tensor);
  assert.deepStrictEqual(Object.keys(gnested), ["b"]);
  assert.deepStrictEqual(Object.keys(grads.d), ["e"]);
  assert.deepStrictEqual([ga0.shape, gnested.b.shape, grads.c.shape, grads.d.e.shape], [[3], [2, 2], [2], [3]]);
  assert.ok([ga0, gnested.b, grads.c, grads.d.e].every((g) => g.dtype === "f64"));
  assert.strictEqual(item(value), 18 + (0.25 + 1 + 4 + 16) + 6 * 7);
  assert.deepStrictEqual(values(ga0), [10, 10, 10]);
  assert.deepStrictEqual(values(gnested.b), [1, -2, 4, 8]);
  assert.deepStrictEqual(values(grads.c), [6, 0]);
  assert.deepStrictEqual(values(grads.d.e), [0, 0, 0], "an unused param gets a zero gradient");
});

gradTest("valueAndGrad: a single tensor and a flat array as params", () => {
  const x = f64([1, -2, 3], [3]);
  const g = valueAndGrad((p: Tensor) => sum(mul(p, p)))(x);
  assert.ok(g.grads instanceof Tensor);
  assert.deepStrictEqual(values(g.grads), [2, -4, 6]);
  const arr = valueAndGrad((ps: Tensor[]) => sum(mul(ps[0], ps[2])))([x, f64([5], [1]), f64([4, 5, 6], [3])]);
  assert.strictEqual(arr.grads.length, 3);
  assert.deepStrictEqual(arr.grads.map(values), [[4, 5, 6], [0], [1, -2, 3]]);
});

gradTest("valueAndGrad: params and args are not mutated and do not start recording gradients", () => {
  const w = r([3, 2], 1);
  const b = r([2], 2);
  const x = r([4, 3], 3);
  const target = r([4, 2], 4);
  const before = snapshot([w, b, x, target]);
  assert.deepStrictEqual(before[1], [false, false, false, false]);
  let sawTracked = false;
  const f = (p: { w: Tensor; b: Tensor }, xs: Tensor, ys: Tensor) => {
    sawTracked = p.w.requiresGrad && p.b.requiresGrad && !xs.requiresGrad;
    assert.ok(p.w !== w, "f must see aliases of the params, not the caller's tensors");
    const d = sub(add(matmul(xs, p.w), p.b), ys);
    return mean(mul(d, d));
  };
  const { grads } = valueAndGrad(f)({ w, b }, x, target);
  assert.ok(sawTracked, "inside f the params record gradients and the args do not");
  assert.deepStrictEqual(snapshot([w, b, x, target]), before);
  assert.ok(!grads.w.requiresGrad && !grads.b.requiresGrad, "gradients come back without a graph");
  // An op on the caller's params afterwards is still untracked.
  assert.strictEqual(mul(w, 2).requiresGrad, false);
});

gradTest("valueAndGrad: hasAux returns [loss, aux]", () => {
  const x = f64([1, 2, 3], [3]);
  const { value, grads } = valueAndGrad(
    (p: Tensor) => {
      const y = mul(p, p);
      return [sum(y), { squares: y, note: "aux", n: 3 }] as [Tensor, { squares: Tensor; note: string; n: number }];
    },
    { hasAux: true },
  )(x);
  assert.ok(Array.isArray(value) && value.length === 2);
  const [loss, aux] = value;
  assert.strictEqual(item(loss), 14);
  assert.deepStrictEqual(loss.shape, []);
  assert.strictEqual(aux.note, "aux");
  assert.strictEqual(aux.n, 3);
  assert.deepStrictEqual(values(aux.squares), [1, 4, 9]);
  assert.deepStrictEqual(values(grads), [2, 4, 6]);
  assert.strictEqual(loss.requiresGrad, false, "the loss comes back detached");
});

gradTest("valueAndGrad: hasAux tensors come back detached (as documented)", () => {
  // lib/autograd.ts: "aux comes back detached in `value`'s place alongside".
  const x = f64([1, 2, 3], [3]);
  const { value } = valueAndGrad((p: Tensor) => [sum(p), mul(p, 2)] as [Tensor, Tensor], { hasAux: true })(x);
  assert.deepStrictEqual(values(value[1]), [2, 4, 6]);
  assert.strictEqual(value[1].requiresGrad, false, "aux tensor still records gradients (not detached)");
});

gradTest("grad(f) gives valueAndGrad's gradients", () => {
  const params = { w: r([3, 4], 1), b: [r([4], 2)] };
  const x = r([2, 3], 3);
  const f = (p: typeof params, xs: Tensor) => sum(tanh(add(matmul(xs, p.w), p.b[0])));
  const g = grad(f)(params, x);
  const vg = valueAndGrad(f)(params, x);
  assert.deepStrictEqual(values(g.w), values(vg.grads.w));
  assert.deepStrictEqual(values(g.b[0]), values(vg.grads.b[0]));
  assert.ok(Array.isArray(g.b) && g.b.length === 1);
});

gradTest("valueAndGrad: calling twice gives identical results", () => {
  const params = [r([3, 3], 1), r([3], 2)];
  const f = (p: Tensor[]) => sum(softmax(matmul(p[0], exp(p[1])), 0));
  const one = valueAndGrad(f)(params);
  const two = valueAndGrad(f)(params);
  const vg = valueAndGrad(f);
  const three = vg(params);
  const four = vg(params);
  for (const other of [two, three, four]) {
    assert.strictEqual(item(other.value), item(one.value));
    assert.deepStrictEqual(other.grads.map(values), one.grads.map(values));
  }
});

gradTest("noGrad: results do not record gradients, and recording resumes afterwards", () => {
  const x = f64([1, 2, 3], [3]);
  // Inside f, a noGrad branch is a constant: L = Σ p · c with c = 3p held fixed ⇒ ∂L/∂p = 3p (not 6p).
  let inner: boolean | undefined;
  let after: boolean | undefined;
  const g = grad((p: Tensor) => {
    const c = noGrad(() => mul(p, 3));
    inner = c.requiresGrad;
    const y = mul(p, c);
    after = y.requiresGrad;
    return sum(y);
  })(x);
  assert.strictEqual(inner, false);
  assert.strictEqual(after, true);
  assert.deepStrictEqual(values(g), [3, 6, 9]);
  // A throw inside noGrad still restores recording.
  assert.throws(() =>
    noGrad(() => {
      throw new Error("boom");
    }), /boom/);
  assert.deepStrictEqual(values(grad((p: Tensor) => sum(mul(p, p)))(x)), [2, 4, 6]);
  // noGrad returns values as they are.
  assert.strictEqual(noGrad(() => 42), 42);
});

gradTest("detach cuts the gradient", () => {
  // L = Σ p·w + Σ detach(p)·w ⇒ ∂L/∂p = w.
  const w = f64([1, -2, 3], [3]);
  const g = grad((p: Tensor) => add(sum(mul(p, w)), sum(mul(detach(p), w))))(f64([4, 5, 6], [3]));
  assert.deepStrictEqual(values(g), [1, -2, 3]);
});

gradTest("valueAndGrad: a non-scalar loss throws a clear TorchError", () => {
  const x = r([2, 3], 1);
  assert.throws(
    () => valueAndGrad((p: Tensor) => mul(p, 2))(x),
    (e: unknown) => e instanceof TorchError && /scalar/.test(e.message) && /\[2, ?3\]/.test(e.message),
  );
  assert.throws(
    () => grad((p: Tensor) => sum(p, 0))(x),
    (e: unknown) => e instanceof TorchError && /scalar/.test(e.message),
  );
});

gradTest("valueAndGrad: a loss that ignores every param throws a TorchError", () => {
  const x = r([2, 3], 1);
  const other = r([2, 3], 2);
  assert.throws(() => valueAndGrad((_p: Tensor) => sum(other))(x), TorchError);
});

gradTest("valueAndGrad: the process keeps working after errors", () => {
  const x = f64([1, 2, 3], [3]);
  const start = memory().tensors;
  for (let i = 0; i < 3; i++) {
    assert.throws(() => valueAndGrad((p: Tensor) => mul(p, p))(x), TorchError);
    assert.throws(() => valueAndGrad((p: Tensor) => sum(matmul(p, f64([1, 2], [2]))))(x), TorchError);
    assert.throws(
      () =>
        valueAndGrad((p: Tensor) => {
          sum(mul(p, p));
          throw new RangeError("user error inside f");
        })(x),
      RangeError,
    );
  }
  assert.strictEqual(memory().tensors, start, "failed calls leave no tensors behind");
  const { value, grads } = valueAndGrad((p: Tensor) => sum(mul(p, p)))(x);
  assert.strictEqual(item(value), 14);
  assert.deepStrictEqual(values(grads), [2, 4, 6]);
  check("after errors", (t) => tanh(t), [r([3], 3)]);
});

Deno.test("valueAndGrad: memory returns to the starting count", () => {
  const params = { w: randn([4, 3], rng(1), { dtype: "f64" }), b: randn([3], rng(2), { dtype: "f64" }) };
  const x = randn([5, 4], rng(3), { dtype: "f64" });
  const f = (p: typeof params, xs: Tensor) => mean(softmax(add(matmul(xs, p.w), p.b), -1));
  const start = memory().tensors;
  scope(() => {
    const { value, grads } = valueAndGrad(f)(params, x);
    assert.ok(Number.isFinite(item(value)) && grads.w.size === 12);
  });
  assert.strictEqual(memory().tensors, start, "a valueAndGrad call inside scope leaks nothing");
  for (let i = 0; i < 5; i++) {
    scope(() => {
      grad(f)(params, x);
    });
  }
  scope(() => {
    valueAndGrad((p: typeof params) => [f(p, x), mul(p.w, 2)] as [Tensor, Tensor], { hasAux: true })(params);
  });
  assert.strictEqual(memory().tensors, start, "repeated grad / hasAux calls leak nothing");
  // The results survive their scope when returned, and are freed with the enclosing one.
  const kept = scope(() => {
    const inner = scope(() => valueAndGrad(f)(params, x));
    assert.strictEqual(memory().tensors, start + 3, "value + two gradients are handed to the enclosing scope");
    return values(inner.grads.b);
  });
  assert.strictEqual(kept.length, 3);
  assert.strictEqual(memory().tensors, start);
  for (const t of [params.w, params.b, x]) t.free();
});
