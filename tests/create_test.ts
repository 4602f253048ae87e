/**
 * Creation and transfer: tensor() from flat/nested/typed data in every dtype, constants, ranges,
 * keyed random draws (determinism and statistics), and data/toArray/item/isContiguous/cast/toDevice/
 * clone/detach. Expected values are written out by hand or computed in plain JS.
 */
import { sizesArg } from "../lib/scratch.ts";
import assert from "node:assert";
import {
  arange,
  bernoulli,
  canonicalDevice,
  cast,
  clone,
  cudaAvailable,
  data,
  detach,
  DeviceError,
  DTypeError,
  eye,
  fold,
  full,
  fullLike,
  isContiguous,
  item,
  keyFromJSON,
  ones,
  onesLike,
  rand,
  randint,
  randn,
  rng,
  sameDevice,
  scope,
  ShapeError,
  splitKey,
  tensor,
  toArray,
  toDevice,
  TorchError,
  transpose,
  var_,
  variance_,
  zeros,
  zerosLike,
} from "../mod.ts";
import { assertClose, assertMeta, assertValues, guard, meanStd, nums, values } from "./ops_helpers.ts";

// ---------------------------------------------------------------- tensor()

Deno.test("tensor: flat data with a shape", () =>
  scope(() => {
    const t = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    assertMeta(t, [2, 3], "f32");
    assert.strictEqual(t.device, "cpu");
    assert.strictEqual(t.rank, 2);
    assert.strictEqual(t.size, 6);
    assert.deepStrictEqual(toArray(t), [[1, 2, 3], [4, 5, 6]]);
    assert.throws(() => tensor([1, 2, 3], [2, 2]), ShapeError, "3 values cannot fill [2, 2]");
  }));

Deno.test("tensor: nested arrays infer the shape; scalars are rank 0", () =>
  scope(() => {
    const m = tensor([[1, 2], [3, 4], [5, 6]]);
    assertMeta(m, [3, 2], "f32");
    assertValues(m, [1, 2, 3, 4, 5, 6], "nested 3x2");
    const c = tensor([[[1], [2]], [[3], [4]]]);
    assertMeta(c, [2, 2, 1], "f32");
    assertValues(c, [1, 2, 3, 4], "nested 2x2x1");
    const s = tensor(5.5);
    assertMeta(s, [], "f32");
    assert.strictEqual(s.size, 1);
    assert.strictEqual(item(s), 5.5);
    assert.strictEqual(toArray(s), 5.5);
    const b = tensor([[true, false], [false, true]]);
    assertMeta(b, [2, 2], "bool");
    assertValues(b, [1, 0, 0, 1], "nested booleans");
    const bs = tensor(true);
    assertMeta(bs, [], "bool");
    assert.strictEqual(item(bs), 1);
    assert.throws(() => tensor([[1, 2], [3]]), ShapeError, "ragged rows");
    assert.throws(() => tensor([[1, 2], 3]), ShapeError, "ragged depth");
  }));

Deno.test("tensor: typed arrays keep their dtype (with and without shape)", () =>
  scope(() => {
    const f32 = tensor(new Float32Array([1.5, -2, 3, 4]), [2, 2]);
    assertMeta(f32, [2, 2], "f32");
    assertValues(f32, [1.5, -2, 3, 4], "Float32Array");
    const f64 = tensor(new Float64Array([0.1, 0.2]));
    assertMeta(f64, [2], "f64");
    assert.deepStrictEqual(nums(data(f64)), [0.1, 0.2], "f64 keeps full double precision");
    const i32 = tensor(new Int32Array([-2147483648, 2147483647, 7]));
    assertMeta(i32, [3], "i32");
    assert.deepStrictEqual(nums(data(i32)), [-2147483648, 2147483647, 7]);
    const big = 2n ** 53n + 1n; // not representable as a double: proves i64 data travels as integers
    const i64 = tensor(new BigInt64Array([big, -5n]));
    assertMeta(i64, [2], "i64");
    assert.deepStrictEqual(Array.from(data(i64) as BigInt64Array), [big, -5n]);
    const u8 = tensor(new Uint8Array([1, 0, 1]));
    assertMeta(u8, [3], "bool");
    assertValues(u8, [1, 0, 1], "Uint8Array as bool");
    // A view with a byte offset must be read from its own start, not its buffer's.
    const sub = new Float32Array([9, 1, 2, 3, 4]).subarray(1);
    assertValues(tensor(sub, [2, 2]), [1, 2, 3, 4], "subarray with byteOffset");
    assert.throws(() => tensor(new Float32Array(5), [2, 2]), ShapeError);
  }));

Deno.test("tensor: every dtype via options, values round trip", () =>
  scope(() => {
    const f32 = tensor([0.1, -2.5, 3], [3], { dtype: "f32" });
    assertMeta(f32, [3], "f32");
    assert.ok(data(f32) instanceof Float32Array);
    assert.deepStrictEqual(nums(data(f32)), [Math.fround(0.1), -2.5, 3]);

    const f64 = tensor([0.1, -2.5, 1e300], [3], { dtype: "f64" });
    assertMeta(f64, [3], "f64");
    assert.ok(data(f64) instanceof Float64Array);
    assert.deepStrictEqual(nums(data(f64)), [0.1, -2.5, 1e300]);

    // bf16: 8 significant bits, round to nearest even. 1 + 2^-8 is a tie between 1 and 1 + 2^-7 → 1;
    // 1 + 3·2^-8 ties between 1 + 2^-7 (odd) and 1 + 2^-6 (even) → 1 + 2^-6; 1 + 2^-7 is exact.
    const bf = tensor([1.00390625, 1.01171875, 1.0078125, -3, 256], [5], { dtype: "bf16" });
    assertMeta(bf, [5], "bf16");
    assert.ok(data(bf) instanceof Float32Array, "bf16 data widens to Float32Array");
    assert.deepStrictEqual(nums(data(bf)), [1, 1.015625, 1.0078125, -3, 256]);

    // f16: 11 significant bits; 1 + 2^-11 → 1 (tie to even), 1 + 3·2^-11 → 1 + 2^-9, 65504 is the max,
    // 70000 overflows to +inf, 0.1 rounds to 0.0999755859375.
    const h = tensor([1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, 70000, 0.1], [5], { dtype: "f16" });
    assertMeta(h, [5], "f16");
    assert.deepStrictEqual(nums(data(h)), [1, 1.001953125, 65504, Infinity, 0.0999755859375]);
    const f16round = (Math as unknown as { f16round?: (x: number) => number }).f16round;
    if (f16round) {
      const xs = [0.3, -1.7, 1234.5678, 3.14159];
      assert.deepStrictEqual(values(tensor(xs, [4], { dtype: "f16" })), xs.map(f16round), "f16 vs Math.f16round");
    }

    const i64 = tensor([1, -2, 2 ** 53 - 1], [3], { dtype: "i64" });
    assertMeta(i64, [3], "i64");
    assert.deepStrictEqual(Array.from(data(i64) as BigInt64Array), [1n, -2n, 2n ** 53n - 1n]);
    const i32 = tensor([[1, -2], [3, 4]], undefined, { dtype: "i32" });
    assertMeta(i32, [2, 2], "i32");
    assert.ok(data(i32) instanceof Int32Array);
    assertValues(i32, [1, -2, 3, 4], "i32 from numbers");

    const b = tensor([1, 0, 1], [3], { dtype: "bool" });
    assertMeta(b, [3], "bool");
    assert.ok(data(b) instanceof Uint8Array);
    assertValues(b, [1, 0, 1], "bool from 0/1");
    // Booleans into a float dtype become 1/0.
    assertValues(tensor([true, false], [2], { dtype: "f32" }), [1, 0], "booleans as f32");

    assert.throws(() => tensor([1.5], [1], { dtype: "i64" }), DTypeError, "fractions are not i64");
    assert.throws(() => tensor([2 ** 31], [1], { dtype: "i32" }), DTypeError, "2^31 overflows i32");
    assert.throws(() => tensor([2], [1], { dtype: "bool" }), DTypeError, "2 is not a bool");
    assert.throws(() => tensor([1], [1], { dtype: "u8" as never }), DTypeError, "unknown dtype");
  }));

// ---------------------------------------------------------------- constants and ranges

Deno.test("zeros / ones / full", () =>
  scope(() => {
    const z = zeros([2, 3]);
    assertMeta(z, [2, 3], "f32");
    assertValues(z, [0, 0, 0, 0, 0, 0], "zeros");
    const o = ones([4], { dtype: "i64" });
    assertMeta(o, [4], "i64");
    assertValues(o, [1, 1, 1, 1], "ones i64");
    const f = full([2, 2], -1.25, { dtype: "f64" });
    assertMeta(f, [2, 2], "f64");
    assertValues(f, [-1.25, -1.25, -1.25, -1.25], "full f64");
    assertValues(full([3], 7, { dtype: "i32" }), [7, 7, 7], "full i32");
    assertValues(full([2], 1, { dtype: "bool" }), [1, 1], "full bool");
    assertValues(full([2], Infinity), [Infinity, Infinity], "full +inf f32");
    const s = full([], 3);
    assertMeta(s, [], "f32");
    assert.strictEqual(item(s), 3);
    const empty = zeros([0, 3]);
    assertMeta(empty, [0, 3], "f32");
    assert.strictEqual(data(empty).length, 0);
    assert.throws(() => full([2], NaN, { dtype: "i64" }), DTypeError, "NaN cannot be i64");
    assert.throws(() => zeros([2, -1]), ShapeError, "negative size");
    assert.throws(() => zeros([1.5]), ShapeError, "fractional size");
  }));

Deno.test("fullLike / zerosLike / onesLike follow the model tensor", () =>
  scope(() => {
    const like = tensor([[1, 2, 3]], undefined, { dtype: "i32" });
    const check = guard(like);
    const f = fullLike(like, 9);
    assertMeta(f, [1, 3], "i32");
    assertValues(f, [9, 9, 9], "fullLike");
    const z = zerosLike(like);
    assertMeta(z, [1, 3], "i32");
    assertValues(z, [0, 0, 0], "zerosLike");
    const o = onesLike(like, { dtype: "f64" });
    assertMeta(o, [1, 3], "f64");
    assertValues(o, [1, 1, 1], "onesLike with a dtype override");
    assert.strictEqual(f.device, like.device);
    check();
  }));

Deno.test("arange: integer bounds give i64, fractional give f32", () =>
  scope(() => {
    const a = arange(5);
    assertMeta(a, [5], "i64");
    assertValues(a, [0, 1, 2, 3, 4], "arange(5)");
    assertValues(arange(2, 8, 2), [2, 4, 6], "arange(2, 8, 2)");
    assertValues(arange(5, 0, -2), [5, 3, 1], "negative step");
    const f = arange(0, 1, 0.25);
    assertMeta(f, [4], "f32");
    assertValues(f, [0, 0.25, 0.5, 0.75], "arange(0, 1, 0.25)");
    const g = arange(1.5, 4);
    assertMeta(g, [3], "f32");
    assertValues(g, [1.5, 2.5, 3.5], "arange(1.5, 4)");
    const d = arange(3, undefined, 1, { dtype: "f64" });
    assertMeta(d, [3], "f64");
    assertValues(d, [0, 1, 2], "arange with dtype");
    assertMeta(arange(0), [0], "i64");
    assert.throws(() => arange(0, 5, 0), RangeError);
  }));

Deno.test("eye", () =>
  scope(() => {
    const e = eye(3);
    assertMeta(e, [3, 3], "f32");
    assert.deepStrictEqual(toArray(e), [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    const i = eye(2, { dtype: "i64" });
    assertMeta(i, [2, 2], "i64");
    assertValues(i, [1, 0, 0, 1], "eye i64");
  }));

// ---------------------------------------------------------------- random

Deno.test("randn / rand: same key → same values, other keys → other values", () =>
  scope(() => {
    const k = rng(0);
    const a = values(randn([64], k));
    assert.deepStrictEqual(values(randn([64], rng(0))), a, "same seed, same draws");
    assert.deepStrictEqual(values(randn([64], k)), a, "a key is not consumed by use");
    const differs = (x: number[], y: number[]) => x.some((v, i) => v !== y[i]);
    assert.ok(differs(values(randn([64], rng(1))), a), "seed 1 differs from seed 0");
    const [k1, k2] = splitKey(k);
    const d1 = values(randn([64], k1));
    const d2 = values(randn([64], k2));
    assert.ok(differs(d1, a) && differs(d2, a) && differs(d1, d2), "split keys give distinct streams");
    assert.deepStrictEqual(values(randn([64], splitKey(rng(0))[0])), d1, "split is deterministic");
    assert.ok(differs(values(randn([64], fold(k, 1))), values(randn([64], fold(k, 2)))), "fold by step differs");
    const u = values(rand([64], k));
    assert.deepStrictEqual(values(rand([64], rng(0))), u);
    assert.ok(differs(values(rand([64], rng(1))), u));
    assertMeta(randn([2, 3], k), [2, 3], "f32");
    assertMeta(rand([2, 3], k, { dtype: "f64" }), [2, 3], "f64");
    assertMeta(randn([4], k, { dtype: "bf16" }), [4], "bf16");
    assert.throws(() => randn([2], k, { dtype: "i64" }), DTypeError);
    assert.throws(() => rand([2], k, { dtype: "bool" }), DTypeError);
  }));

Deno.test("randn / rand: statistics of 10k samples", () =>
  scope(() => {
    const n = values(randn([10000], rng(42)));
    const sn = meanStd(n);
    // The sample mean has sd 0.01 and the sample sd about 0.007: 5 sigma bounds.
    assert.ok(Math.abs(sn.mean) < 0.05, `randn mean ${sn.mean} should be ≈ 0`);
    assert.ok(Math.abs(sn.std - 1) < 0.05, `randn std ${sn.std} should be ≈ 1`);
    assert.ok(n.some((x) => x < -2) && n.some((x) => x > 2), "randn reaches both tails");
    const u = values(rand([100, 100], rng(43)));
    assert.ok(u.every((x) => x >= 0 && x < 1), "rand stays in [0, 1)");
    const su = meanStd(u);
    assert.ok(Math.abs(su.mean - 0.5) < 0.015, `rand mean ${su.mean} should be ≈ 0.5`);
    assert.ok(Math.abs(su.variance - 1 / 12) < 0.005, `rand variance ${su.variance} should be ≈ 1/12`);
    // Each decile holds about 10%.
    for (let b = 0; b < 10; b++) {
      const c = u.filter((x) => x >= b / 10 && x < (b + 1) / 10).length;
      assert.ok(Math.abs(c - 1000) < 150, `rand decile ${b} holds ${c} of 10000`);
    }
  }));

Deno.test("randint: range, dtype, determinism, statistics", () =>
  scope(() => {
    const t = randint(0, 10, [10000], rng(7));
    assertMeta(t, [10000], "i64");
    const v = values(t);
    assert.ok(v.every((x) => Number.isInteger(x) && x >= 0 && x < 10), "values in [0, 10)");
    for (let d = 0; d < 10; d++) {
      const c = v.filter((x) => x === d).length;
      assert.ok(Math.abs(c - 1000) < 150, `value ${d} drawn ${c} times of 10000`);
    }
    assert.ok(Math.abs(meanStd(v).mean - 4.5) < 0.15, "mean ≈ 4.5");
    assert.deepStrictEqual(values(randint(0, 10, [10000], rng(7))), v, "same key, same draws");
    assert.ok(values(randint(0, 10, [10000], rng(8))).some((x, i) => x !== v[i]), "other key, other draws");
    const neg = randint(-3, -1, [200], rng(1), { dtype: "i32" });
    assertMeta(neg, [200], "i32");
    const nv = values(neg);
    assert.ok(nv.every((x) => x === -3 || x === -2), "randint(-3, -1) gives -3 or -2");
    assert.ok(nv.includes(-3) && nv.includes(-2));
    assert.throws(() => randint(5, 5, [2], rng(0)), RangeError);
    assert.throws(() => randint(0, 1.5, [2], rng(0)), RangeError);
  }));

Deno.test("bernoulli: shape/dtype of the model, rate p, determinism", () =>
  scope(() => {
    const like = zeros([100, 100]);
    const check = guard(like);
    const b = bernoulli(like, 0.3, rng(5));
    assertMeta(b, [100, 100], "f32");
    const v = values(b);
    assert.ok(v.every((x) => x === 0 || x === 1), "draws are 0 or 1");
    const m = meanStd(v).mean;
    assert.ok(Math.abs(m - 0.3) < 0.025, `rate ${m} should be ≈ 0.3`);
    assert.deepStrictEqual(values(bernoulli(like, 0.3, rng(5))), v, "same key, same draws");
    assert.ok(values(bernoulli(like, 0.3, rng(6))).some((x, i) => x !== v[i]), "other key, other draws");
    assert.ok(values(bernoulli(like, 0, rng(5))).every((x) => x === 0), "p = 0 gives zeros");
    assert.ok(values(bernoulli(like, 1, rng(5))).every((x) => x === 1), "p = 1 gives ones");
    assertMeta(bernoulli(zeros([3], { dtype: "f64" }), 0.5, rng(0)), [3], "f64");
    assert.throws(() => bernoulli(like, 1.5, rng(0)), RangeError);
    assert.throws(() => bernoulli(like, -0.1, rng(0)), RangeError);
    check();
  }));

// ---------------------------------------------------------------- transfer

Deno.test("data / toArray / item", () =>
  scope(() => {
    const t = tensor([[1, 2], [3, 4]]);
    const d = data(t);
    assert.ok(d instanceof Float32Array);
    assert.deepStrictEqual(Array.from(d), [1, 2, 3, 4]);
    d[0] = 100; // a copy: writing it leaves the tensor alone
    assertValues(t, [1, 2, 3, 4], "data() is a copy");
    assert.deepStrictEqual(toArray(t), [[1, 2], [3, 4]]);
    assert.deepStrictEqual(toArray(tensor([1, 0], [2], { dtype: "bool" })), [1, 0], "bool → 0/1");
    assert.deepStrictEqual(toArray(arange(3)), [0, 1, 2], "i64 → numbers");
    assert.deepStrictEqual(toArray(zeros([2, 0])), [[], []], "empty rows");
    // data of a non-contiguous tensor is in logical (row-major) order.
    assert.deepStrictEqual(nums(data(transpose(t, 0, 1))), [1, 3, 2, 4]);
    assert.strictEqual(item(tensor([2.5])), 2.5);
    assert.strictEqual(item(tensor([[-7]], undefined, { dtype: "i64" })), -7);
    assert.strictEqual(item(tensor(false)), 0);
    assert.strictEqual(item(tensor([0.1], [1], { dtype: "f64" })), 0.1);
    assert.throws(() => item(t), TorchError, "item of 4 elements");
  }));

Deno.test("isContiguous: row-major without gaps; transposes are not, their clones are", () =>
  scope(() => {
    const t = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    assert.strictEqual(isContiguous(t), true);
    assert.strictEqual(isContiguous(transpose(t, 0, 1)), false);
    assert.strictEqual(isContiguous(clone(transpose(t, 0, 1))), true);
    assert.strictEqual(isContiguous(zeros([0])), true);
  }));

Deno.test("cast between dtypes", () =>
  scope(() => {
    const x = tensor([1.7, -1.7, 2.5, 0]);
    const check = guard(x);
    const i = cast(x, "i64");
    assertMeta(i, [4], "i64");
    assertValues(i, [1, -1, 2, 0], "float → int truncates toward zero");
    const b = cast(x, "bool");
    assertMeta(b, [4], "bool");
    assertValues(b, [1, 1, 1, 0], "nonzero → true");
    assertValues(cast(b, "f32"), [1, 1, 1, 0], "bool → f32");
    const d = cast(x, "f64");
    assertMeta(d, [4], "f64");
    assertValues(d, [Math.fround(1.7), Math.fround(-1.7), 2.5, 0], "f32 → f64 is exact");
    assertValues(cast(tensor([1.00390625]), "bf16"), [1], "f32 → bf16 rounds");
    assertMeta(cast(x, "i32"), [4], "i32");
    assertMeta(cast(x, "f16"), [4], "f16");
    assert.throws(() => cast(x, "f8" as never), DTypeError);
    check();
  }));

Deno.test("toDevice(cpu), clone, detach", () =>
  scope(() => {
    const x = tensor([[1, 2], [3, 4]]);
    const check = guard(x);
    const c = toDevice(x, "cpu");
    assert.strictEqual(c.device, "cpu");
    assertMeta(c, [2, 2], "f32");
    assertValues(c, [1, 2, 3, 4], "toDevice(cpu)");
    if (cudaAvailable()) {
      const g = toDevice(x, "cuda");
      assert.strictEqual(g.device, "cuda:0");
      assertValues(toDevice(g, "cpu"), [1, 2, 3, 4], "cuda round trip");
    } else {
      assert.throws(() => toDevice(x, "cuda"), DeviceError, "no CUDA here");
    }
    assert.throws(() => toDevice(x, "tpu" as never), DeviceError);
    const k = clone(transpose(x, 0, 1));
    assertMeta(k, [2, 2], "f32");
    assertValues(k, [1, 3, 2, 4], "clone of a transposed view");
    assert.strictEqual(isContiguous(k), true, "clone is contiguous");
    const d = detach(x);
    assertMeta(d, [2, 2], "f32");
    assert.strictEqual(d.requiresGrad, false);
    assertValues(d, [1, 2, 3, 4], "detach keeps values");
    check();
    assertClose(values(x), [1, 2, 3, 4], "x after all of the above");
  }));

Deno.test("keys survive JSON: keyFromJSON(key.toJSON()) replays the same draws", () =>
  scope(() => {
    const k = splitKey(rng(123), 3)[2];
    const json = JSON.parse(JSON.stringify(k));
    const back = keyFromJSON(json);
    assert.deepStrictEqual(values(randn([16], back)), values(randn([16], k)));
    assert.throws(() => keyFromJSON([1]), TypeError);
    assert.throws(() => keyFromJSON([1, -1]), TypeError);
    assert.throws(() => keyFromJSON("k"), TypeError);
    assert.throws(() => rng(-1), RangeError);
    assert.throws(() => rng(0.5), RangeError);
  }));

Deno.test("sameDevice / canonicalDevice / sizesBuffer / var_ alias", () => {
  assert.strictEqual(sameDevice("cuda", "cuda:0"), true);
  assert.strictEqual(sameDevice("cpu", "cpu"), true);
  assert.strictEqual(sameDevice("cpu", "cuda:0"), false);
  assert.strictEqual(sameDevice("cuda:1", "cuda:0"), false);
  assert.strictEqual(canonicalDevice("cuda"), "cuda:0");
  assert.strictEqual(canonicalDevice("cuda:1"), "cuda:1");
  assert.strictEqual(canonicalDevice("cpu"), "cpu");
  assert.deepStrictEqual(Array.from(sizesArg([2, 0, 3], "op").subarray(0, 3)), [2, 0, 3]);
  assert.throws(() => sizesArg([2, -1], "op"), ShapeError);
  assert.strictEqual(var_, variance_);
});
