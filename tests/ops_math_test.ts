/**
 * The elementwise math of issue 17: activations, unary functions, fmod/remainder/atan2, lerp and the
 * closeness tests. Expected values come from the defining formulas in JS (a few from IEEE rules:
 * rounding halves to even, fmod's sign); errors are checked by class and message, and every test
 * ends with as many live tensors as it began with.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert/strict";
import {
  allclose,
  atan2,
  ceil,
  DTypeError,
  elu,
  erf,
  expm1,
  floor,
  fmod,
  hardtanh,
  isclose,
  leakyRelu,
  lerp,
  log1p,
  log2,
  memory,
  mish,
  remainder,
  round,
  scope,
  ShapeError,
  sign,
  silu,
  softplus,
  square,
  type Tensor,
  tensor,
  TorchError,
  trunc,
} from "../mod.ts";
import { assertClose, assertMeta, assertValues, erf as erfRef, values } from "./ops_helpers.ts";

/** Runs `fn` in a scope and checks that it leaves no tensor behind. */
function noLeak(fn: () => void): void {
  const before = memory().tensors;
  scope(fn);
  assert.equal(memory().tensors, before, "tensors leaked");
}

const XS = [-2, -0.5, 0, 0.5, 3];
const f64 = (xs: number[], shape = [xs.length]) => tensor(xs, shape, { dtype: "f64" });
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const softplusRef = (v: number, beta = 1, threshold = 20) =>
  beta * v > threshold ? v : Math.log1p(Math.exp(beta * v)) / beta;

Deno.test("activations: silu, softplus, elu, leakyRelu, mish, hardtanh by their formulas", () => {
  noLeak(() => {
    const x = f64(XS);
    assertClose(silu(x), XS.map((v) => v * sigmoid(v)), "silu", { rtol: 1e-12 });
    assertClose(softplus(x), XS.map((v) => softplusRef(v)), "softplus defaults", { rtol: 1e-12 });
    // beta 2, threshold 1: linear (x itself) where 2x > 1, i.e. at 3 only.
    assertClose(softplus(x, 2, 1), XS.map((v) => softplusRef(v, 2, 1)), "softplus beta 2", { rtol: 1e-12 });
    assertValues(softplus(f64([30]), 1, 20), [30], "softplus above the threshold is x");
    assertClose(elu(x, 0.5), XS.map((v) => (v > 0 ? v : 0.5 * Math.expm1(v))), "elu alpha 0.5", { rtol: 1e-12 });
    assertClose(elu(x), XS.map((v) => (v > 0 ? v : Math.expm1(v))), "elu", { rtol: 1e-12 });
    assertValues(leakyRelu(x, 0.1), XS.map((v) => (v > 0 ? v : 0.1 * v)), "leakyRelu 0.1");
    assertValues(leakyRelu(x), XS.map((v) => (v > 0 ? v : 0.01 * v)), "leakyRelu default 0.01");
    assertClose(mish(x), XS.map((v) => v * Math.tanh(Math.log1p(Math.exp(v)))), "mish", { rtol: 1e-12 });
    assertValues(hardtanh(x), [-1, -0.5, 0, 0.5, 1], "hardtanh [-1, 1]");
    assertValues(hardtanh(x, -0.25, 2), [-0.25, -0.25, 0, 0.5, 2], "hardtanh [-0.25, 2]");
    assertMeta(silu(tensor(XS, [5, 1])), [5, 1], "f32", "silu keeps the shape and dtype");
  });
});

Deno.test("unary math: erf, log1p, expm1, log2 by their formulas; integers promote to f32", () => {
  noLeak(() => {
    const x = f64(XS);
    assertClose(erf(x), XS.map(erfRef), "erf", { rtol: 1e-10, atol: 1e-12 });
    assertClose(log1p(x), XS.map(Math.log1p), "log1p", { rtol: 1e-12 });
    assertClose(expm1(x), XS.map(Math.expm1), "expm1", { rtol: 1e-12 });
    // Accurate where 1 + x rounds: log1p(1e-10) = 1e-10 − 5e-21 (log(1 + 1e-10) would be off in the 8th digit).
    assertClose(log1p(f64([1e-10])), [1e-10 - 5e-21], "log1p of a tiny x", { rtol: 1e-14, atol: 0 });
    assertClose(expm1(f64([1e-10])), [1e-10 + 5e-21], "expm1 of a tiny x", { rtol: 1e-14, atol: 0 });
    assertValues(log2(f64([1, 8, 0.25])), [0, 3, -2], "log2");
    assertClose(log2(f64([0, -1])), [-Infinity, NaN], "log2 of 0 and a negative");
    const ints = log2(tensor([1, 4], [2], { dtype: "i64" }));
    assertMeta(ints, [2], "f32", "log2 of i64");
    assertValues(ints, [0, 2], "log2 of i64");
  });
});

Deno.test("rounding: floor, ceil, round (halves to even), trunc; sign and square", () => {
  noLeak(() => {
    const x = f64([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 1.7, -1.7]);
    assertValues(floor(x), [-3, -2, -1, 0, 1, 2, 1, -2], "floor");
    assertValues(ceil(x), [-2, -1, -0, 1, 2, 3, 2, -1], "ceil");
    assertValues(round(x), [-2, -2, -0, 0, 2, 2, 2, -2], "round, halves to even");
    assertValues(trunc(x), [-2, -1, -0, 0, 1, 2, 1, -1], "trunc");
    assert.ok(Object.is(values(ceil(f64([-0.5])))[0], -0), "ceil(-0.5) is -0");
    const i = tensor([-3, 0, 2], [3], { dtype: "i64" });
    assertMeta(floor(i), [3], "i64", "floor of integers");
    assertValues(floor(i), [-3, 0, 2], "floor of integers is the identity");
    assertValues(sign(f64([-3, 0, 2])), [-1, 0, 1], "sign");
    assertValues(sign(f64([NaN])), [0], "sign of NaN is 0 (as torch 1.13)");
    assertMeta(sign(i), [3], "i64", "sign of i64");
    assertValues(square(f64([-3, 0.5])), [9, 0.25], "square");
    const b = square(tensor([1, 0], [2], { dtype: "bool" }));
    assertMeta(b, [2], "i64", "square of bool gives i64 (as torch)");
    assertValues(b, [1, 0], "square of bool");
  });
});

Deno.test("fmod takes a's sign, remainder b's; both broadcast and take numbers", () => {
  noLeak(() => {
    const a = f64([-3, 3, -3.5, 7]);
    assertValues(fmod(a, 2), [-1, 1, -1.5, 1], "fmod by 2");
    assertValues(remainder(a, 2), [1, 1, 0.5, 1], "remainder by 2");
    assertValues(remainder(a, -2), [-1, -1, -1.5, -1], "remainder by -2");
    const ints = tensor([-7, 7], [2, 1], { dtype: "i64" });
    const by = tensor([3, -3], [2], { dtype: "i64" });
    const f = fmod(ints, by);
    assertMeta(f, [2, 2], "i64", "fmod broadcast");
    assertValues(f, [-1, -1, 1, 1], "fmod of [[-7], [7]] by [3, -3]");
    assertValues(remainder(ints, by), [2, -1, 1, -2], "remainder of [[-7], [7]] by [3, -3]");
    assert.throws(
      () => fmod(ints, 0),
      (e: Error) => e instanceof TorchError && /^fmod: .*ZeroDivisionError/.test(e.message),
    );
    assert.throws(
      () => remainder(f64([1, 2]), f64([1, 2, 3])),
      (e: Error) => e instanceof ShapeError && e.message === "remainder: cannot broadcast [2] with [3]",
    );
  });
});

Deno.test("atan2: the angle of (b, a) in each quadrant; a number b; integers give f32", () => {
  noLeak(() => {
    const ys = [1, 1, -1, -1, 0];
    const xs = [1, -1, -1, 1, -1];
    assertClose(atan2(f64(ys), f64(xs)), ys.map((y, i) => Math.atan2(y, xs[i])), "atan2", { rtol: 1e-14 });
    assertClose(atan2(f64([1, -1]), 0.5), [Math.atan2(1, 0.5), Math.atan2(-1, 0.5)], "atan2 with a number");
    const ints = atan2(tensor([1, -1], [2], { dtype: "i64" }), 1);
    assertMeta(ints, [2], "f32", "atan2 of i64 with a number");
    assertClose(ints, [Math.PI / 4, -Math.PI / 4], "atan2 of i64");
    const col = atan2(f64([1, 2], [2, 1]), f64([1, 2, 3]));
    assertMeta(col, [2, 3], "f64", "atan2 broadcast");
  });
});

Deno.test("lerp: start + weight · (end − start), number or tensor weight, all three broadcast", () => {
  noLeak(() => {
    const start = f64([0, 10]);
    const end = f64([1, 20, 4, 30], [2, 2]);
    const mid = lerp(start, end, 0.25);
    assertMeta(mid, [2, 2], "f64", "lerp broadcast");
    assertValues(mid, [0.25, 12.5, 1, 15], "lerp with weight 0.25");
    const w = f64([0, 1, 0.5], [3, 1, 1]);
    const out = lerp(start, end, w);
    assertMeta(out, [3, 2, 2], "f64", "lerp with a tensor weight");
    assertValues(out, [0, 10, 0, 10, 1, 20, 4, 30, 0.5, 15, 2, 20], "lerp at weights 0, 1, 0.5");
    assert.throws(
      () => lerp(start, tensor([1, 2], [2]), 0.5),
      (e: Error) => e instanceof DTypeError && e.message === "lerp: end must have start's dtype f64, got f32",
    );
    assert.throws(
      () => lerp(tensor([1, 2], [2], { dtype: "i64" }), tensor([1, 2], [2], { dtype: "i64" }), 0.5),
      (e: Error) => e instanceof DTypeError && e.message === "lerp: start must be a floating-point tensor, got i64",
    );
    assert.throws(
      () => lerp(start, start, f64([1, 2, 3])),
      (e: Error) => e instanceof ShapeError && e.message === "lerp: cannot broadcast [2] with [3]",
    );
    assert.throws(
      () => lerp(start, start, tensor([1, 2], [2])),
      (e: Error) =>
        e instanceof DTypeError && /^lerp: a tensor weight must have start's dtype f64, got f32/.test(e.message),
    );
  });
});

Deno.test("isclose and allclose: |a − b| ≤ atol + rtol·|b|, NaN only with equalNan, infinities to themselves", () => {
  noLeak(() => {
    const a = f64([1, 1, 100, NaN, Infinity, -Infinity, 0]);
    const b = f64([1 + 1e-6, 1.1, 100.0005, NaN, Infinity, Infinity, 1e-9]);
    // 1e-6 ≤ 1e-8 + 1e-5·1.000001 yes; 0.1 no; 5e-4 ≤ 1e-8 + 1e-5·100.0005 ≈ 1.00001e-3 yes; NaN no;
    // inf = inf yes; -inf vs inf no; 1e-9 ≤ 1e-8 yes.
    const close = isclose(a, b);
    assertMeta(close, [7], "bool", "isclose");
    assertValues(close, [1, 0, 1, 0, 1, 0, 1], "isclose defaults");
    assertValues(isclose(a, b, { equalNan: true }), [1, 0, 1, 1, 1, 0, 1], "isclose equalNan");
    assertValues(isclose(a, b, { rtol: 0, atol: 0 }), [0, 0, 0, 0, 1, 0, 0], "isclose with no tolerance");
    assertValues(isclose(a, b, { atol: 0.2 }), [1, 1, 1, 0, 1, 0, 1], "isclose atol 0.2");
    assertMeta(isclose(f64([1, 2], [2, 1]), f64([1, 2, 3])), [2, 3], "bool", "isclose broadcast");
    assert.equal(allclose(a, b), false);
    assert.equal(allclose(f64([1, 2]), f64([1 + 1e-9, 2])), true);
    assert.equal(allclose(f64([1, NaN]), f64([1, NaN]), { equalNan: true }), true);
    assert.equal(allclose(f64([1, 2]), f64([[1], [1]].flat(), [2, 1]), { atol: 1 }), true);
    assert.throws(
      () => isclose(f64([1]), tensor([1], [1])),
      (e: Error) => e instanceof DTypeError && e.message === "isclose: a and b must have one dtype, got f64 and f32",
    );
    assert.throws(
      () => allclose(f64([1]), f64([1]), { rtol: -1 }),
      (e: Error) => e instanceof RangeError && e.message === "allclose: rtol must be at least 0, got -1",
    );
    assert.throws(
      () => isclose(f64([1]), f64([1]), { atol: NaN }),
      (e: Error) => e instanceof RangeError && e.message === "isclose: atol must be at least 0, got NaN",
    );
    assert.throws(
      () => allclose(f64([1, 2]), f64([1, 2, 3])),
      (e: Error) => e instanceof ShapeError && e.message === "allclose: cannot broadcast [2] with [3]",
    );
  });
});

Deno.test("math ops: a freed input is a FreedTensorError naming the op; a bad parameter a RangeError", () => {
  noLeak(() => {
    const x: Tensor = tensor([1, 2], [2]);
    x.free();
    for (const [name, f] of [["silu", () => silu(x)], ["softplus", () => softplus(x)], ["fmod", () => fmod(x, 2)]]) {
      assert.throws(
        f as () => unknown,
        (e: Error) => e.name === "FreedTensorError" && e.message.startsWith(`${name}:`),
      );
    }
    const y = tensor([1, 2], [2]);
    assert.throws(
      () => elu(y, "1" as unknown as number),
      (e: Error) => e instanceof RangeError && e.message === "elu: alpha must be a number, got string",
    );
  });
});
