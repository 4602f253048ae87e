/**
 * Robustness regressions of issue #16: tied parameters get their summed gradient, integer arguments
 * that native code casts to int64 are checked first, and optimizer updates are all or nothing.
 * Every failing call leaves the live-tensor count as it was.
 */
import assert from "node:assert";
import {
  adamInit,
  adamUpdate,
  add,
  crossEntropy,
  DTypeError,
  expand,
  eye,
  flattenTree,
  free,
  FreedTensorError,
  initDistributed,
  item,
  Key,
  memory,
  mul,
  rng,
  scope,
  ShapeError,
  slice,
  sum,
  type Tensor,
  tensor,
  tril,
  triu,
  valueAndGrad,
  valueAndGradAllReduced,
} from "../mod.ts";
import { initTransformer, padBatch, trainStep } from "../nmt/mod.ts";
import { decoderMask, paddingMask } from "../nmt/model/transformer.ts";
import { assertClose, values } from "./ops_helpers.ts";

/** Asserts that `fn` throws `kind` with a message matching `message`, and leaks no tensor. */
// deno-lint-ignore no-explicit-any
type ErrorClass = new (...args: any[]) => Error;

function assertThrowsClean(fn: () => unknown, kind: ErrorClass, message: RegExp): void {
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
      assertThrowsClean(() => slice(x, 0, 0, 4, bad), RangeError, /slice: step must be/);
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

Deno.test("tril/triu: the diagonal k must be an int32 (not truncated, NaN not read as 0)", () =>
  scope(() => {
    const x = tensor([[1, 2], [3, 4]]);
    for (const bad of [NaN, Infinity, 0.5, 2 ** 31]) {
      assertThrowsClean(() => tril(x, bad), RangeError, /tril: k must be an integer/);
      assertThrowsClean(() => triu(x, bad), RangeError, /triu: k must be an integer/);
    }
    assert.deepStrictEqual(values(tril(x, -1)), [0, 0, 3, 0], "a valid diagonal still works");
    assert.deepStrictEqual(values(triu(x, 1)), [0, 2, 0, 0]);
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

// ---- optimizer updates: all or nothing ----

/** Parameters, gradients and a state of two parameters; `bad` breaks the second one's inputs. */
function adamCase(bad: (g: Tensor, m: Tensor, v: Tensor) => [Tensor, Tensor, Tensor]) {
  const params = { a: tensor([1, 2], [2]), b: tensor([1, 2, 3], [3]) };
  const state = adamInit(params);
  const [gb, mb, vb] = bad(tensor([0.5, 0.5, 0.5], [3]), state.m.b, state.v.b);
  const grads = { a: tensor([0.5, -0.5], [2]), b: gb };
  return { params, grads, state: { step: state.step, m: { a: state.m.a, b: mb }, v: { a: state.v.a, b: vb } } };
}

Deno.test("adamUpdate (donate): a bad input at the second parameter changes nothing, the first included", () =>
  scope(() => {
    const cases: [string, (g: Tensor, m: Tensor, v: Tensor) => [Tensor, Tensor, Tensor], ErrorClass, RegExp][] = [
      ["gradient of another shape", (_g, m, v) => [tensor([1, 2], [2]), m, v], ShapeError, /adam \(b\).*shape/],
      ["moment of another shape", (g, _m, v) => [g, tensor([0, 0], [2]), v], ShapeError, /second|first moment/],
      ["gradient of another dtype", (_g, m, v) => [tensor([1, 2, 3], [3], { dtype: "f64" }), m, v], DTypeError, /f64/],
      ["freed gradient", (g, m, v) => (free(g), [g, m, v]), FreedTensorError, /adam \(b\)/],
    ];
    for (const [what, bad, kind, message] of cases) {
      scope(() => {
        const { params, grads, state } = adamCase(bad);
        assertThrowsClean(
          () => adamUpdate(params, grads, state, { lr: 0.1 }, { donate: true }),
          kind,
          message,
        );
        assert.deepStrictEqual(values(params.a), [1, 2], `${what}: the first parameter is not stepped`);
        assert.deepStrictEqual(values(state.m.a), [0, 0], `${what}: nor its first moment`);
        assert.deepStrictEqual(values(state.v.a), [0, 0], `${what}: nor its second moment`);
        assert.strictEqual(state.step, 0, `${what}: the step count stays`);
      });
    }
  }));

Deno.test("adamUpdate: a missing moment at the second parameter is a TypeError before any update", () =>
  scope(() => {
    const params = { a: tensor([1, 2], [2]), b: tensor([1, 2, 3], [3]) };
    const state = adamInit(params);
    const grads = { a: tensor([0.5, -0.5], [2]), b: tensor([1, 1, 1], [3]) };
    const broken = { step: 0, m: { a: state.m.a }, v: state.v } as unknown as typeof state;
    assertThrowsClean(() => adamUpdate(params, grads, broken, { lr: 0.1 }, { donate: true }), TypeError, /"b"/);
    assert.deepStrictEqual(values(params.a), [1, 2], "the first parameter is not stepped");
  }));

// ---- a training step with non-finite gradients is skipped ----

const tiny = {
  srcVocabSize: 6,
  tgtVocabSize: 5,
  srcSeqLen: 8,
  tgtSeqLen: 8,
  dModel: 4,
  layers: 1,
  heads: 2,
  dropout: 0,
  dFF: 8,
};
const PAD = 1, SOS = 2, EOS = 3, TARGET = 4;
const S = 3e38; // near f32's largest: finite, but two of them sum to Infinity

/**
 * A model whose loss is finite but whose gradients are not: the decoder's final norm outputs the
 * constant h = [c, -c, c, -c] (alpha 0, bias h), the projection's rows are +S for the one target
 * token and -S for the others, and its bias is 0. The logits S·(c - c + c - c) are exactly 0, so the
 * loss is log(5); but d loss/d h_d = Σ_v W_vd (p_v - y_v) = -S(1 - 1/5) - S(4/5) = -1.6·S overflows
 * to -Infinity (every term is negative), and through alpha = 0 it turns into NaN further back.
 */
function overflowingModel() {
  const model = initTransformer(tiny, rng(0));
  const c = 2 ** -10; // a power of two: S·c is exact, so the logits cancel to 0 whatever the summation order or FMA
  const rows = Array.from({ length: 5 }, (_, v) => Array(4).fill(v === TARGET ? S : -S)).flat();
  const params = {
    ...model.params,
    decoder: { ...model.params.decoder, norm: { alpha: tensor([0, 0, 0, 0], [4]), bias: tensor([c, -c, c, -c], [4]) } },
    projection_layer: { proj: { weight: tensor(rows, [5, 4]), bias: tensor([0, 0, 0, 0, 0], [5]) } },
  } as unknown as typeof model.params;
  return { ...model, params };
}

function oneTokenBatch() {
  const src = padBatch<"src">([[SOS, 5, EOS]], PAD);
  const tgt = padBatch<"tgt">([[SOS]], PAD);
  const label = padBatch<"tgt">([[TARGET]], PAD);
  return { src, tgt, label, srcMask: paddingMask(src, PAD), tgtMask: decoderMask(tgt, PAD) };
}

for (const clip of [1, 0]) {
  Deno.test(`trainStep: non-finite gradients with a finite loss skip the step (clip ${clip}, donating)`, () =>
    scope(() => {
      const model = overflowingModel();
      const opt = adamInit(model.params);
      const before = flattenTree(model.params).map(([path, t]) => [path, values(t)]);
      const result = trainStep(model, opt, oneTokenBatch(), rng(1), {
        adam: { lr: 1e-3 },
        clip,
        labelSmoothing: 0,
        pad: PAD,
        donate: true,
      });
      assertClose([result.loss], [Math.log(5)], "the loss is finite: log(5), the logits all being 0", {
        atol: 1e-6,
        rtol: 0,
      });
      assert.strictEqual(result.skipped, true, "the step says it was skipped");
      assert.strictEqual(result.params, model.params, "the parameters handed back are the inputs");
      assert.strictEqual(result.optState.step, 0, "Adam's step count does not advance");
      assert.deepStrictEqual(flattenTree(model.params).map(([path, t]) => [path, values(t)]), before, "no NaN written");
      assert.ok(flattenTree(opt.m).every(([, t]) => values(t).every((x) => x === 0)), "the moments stay zero");
    }));
}

Deno.test("trainStep: a normal step is not skipped and updates the parameters", () =>
  scope(() => {
    const model = initTransformer(tiny, rng(0));
    const result = trainStep(model, adamInit(model.params), oneTokenBatch(), rng(1), {
      adam: { lr: 1e-3 },
      clip: 0,
      labelSmoothing: 0,
      pad: PAD,
    });
    assert.strictEqual(result.skipped, false);
    assert.strictEqual(result.optState.step, 1);
    assert.ok(Number.isFinite(result.loss));
  }));

// ---- no view of a tensor's memory outlives the tensor ----

Deno.test("rawView is gone: what leaves a tensor is a copy, valid after free and never aliasing it", async () => {
  const torch = await import("../mod.ts");
  assert.strictEqual("rawView" in torch, false, "no export hands out a view of a tensor's memory");
  const t = tensor([1, 2, 3], [3]);
  const copy = torch.data(t) as Float32Array;
  copy[0] = 42; // writing the copy leaves the tensor as it was
  assert.deepStrictEqual(values(t), [1, 2, 3], "the tensor is immutable through what data() returned");
  free(t);
  scope(() => tensor([7, 7, 7], [3])); // memory recycled for another tensor
  assert.deepStrictEqual(Array.from(copy), [42, 2, 3], "the copy stays valid after the tensor is freed");
});

Deno.test("integer arguments: eye's n, crossEntropy's ignoreIndex, Key halves, initDistributed's ranks and port", () => {
  const before = memory().tensors;
  for (const n of [1.5, -1, NaN, 2 ** 31]) assert.throws(() => eye(n), RangeError, `eye(${n})`);
  assert.throws(() => eye(1.5), /eye: n must be an integer/);
  scope(() => {
    const logits = tensor([0, 1, 2, 3], [2, 2]);
    const target = tensor([0, 1], [2], { dtype: "i64" });
    assert.throws(
      () => crossEntropy(logits, target, { ignoreIndex: 0.5 }),
      /crossEntropy: ignoreIndex must be an integer/,
    );
    assert.throws(() => crossEntropy(logits, target, { ignoreIndex: Infinity }), RangeError);
  });
  for (const [hi, lo] of [[NaN, 1], [1.5, 0], [-1, 0], [0, 2 ** 32]]) {
    assert.throws(() => new Key(hi, lo), /Key: hi and lo must be uint32 integers/, `Key(${hi}, ${lo})`);
  }
  assert.equal(new Key(0xffff_ffff, 0).hi, 0xffff_ffff);
  const base = { rank: 0, worldSize: 1, masterAddr: "127.0.0.1", masterPort: 29_999, timeoutMs: 1000 };
  const cases: [Partial<typeof base> & { localRank?: number }, RegExp][] = [
    [{ rank: 1.5 }, /initDistributed: rank must be an integer/],
    [{ worldSize: NaN }, /initDistributed: worldSize must be an integer/],
    [{ rank: 1, worldSize: 1 }, /needs 0 ≤ rank < worldSize/],
    [{ worldSize: 0 }, /needs 0 ≤ rank < worldSize/],
    [{ localRank: -1 }, /needs 0 ≤ rank < worldSize and localRank ≥ 0/],
    [{ masterPort: 70_000 }, /masterPort must be in \[1, 65535\]/],
    [{ masterPort: 80.5 }, /masterPort must be an integer/],
  ];
  for (const [over, message] of cases) {
    assert.throws(() => initDistributed({ ...base, ...over }), message, JSON.stringify(over));
  }
  assert.equal(memory().tensors, before);
});
