/**
 * Neural-network ops: embedding, dropout, layerNorm, crossEntropy (reductions, ignoreIndex, label
 * smoothing) and scaledDotProductAttention (fused and plain, masks, dropout), each against its
 * definition computed with loops in the test.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert";
import {
  attentionProbs,
  crossEntropy,
  dropout,
  DTypeError,
  embedding,
  full,
  layerNorm,
  ones,
  randn,
  rng,
  scaledDotProductAttention,
  scope,
  setThreads,
  ShapeError,
  type Tensor,
  tensor,
  threads,
  TorchError,
  tril,
} from "../mod.ts";
import { assertClose, assertMeta, assertValues, at, guard, indices, meanStd, values } from "./ops_helpers.ts";

// ---------------------------------------------------------------- embedding

Deno.test("embedding picks rows by id", () =>
  scope(() => {
    const w = tensor([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5], [4, 2]); // vocab 4, dim 2
    const ids = tensor([[0, 3], [3, 1]], undefined, { dtype: "i64" });
    const check = guard(w, ids);
    const e = embedding(w, ids);
    assertMeta(e, [2, 2, 2], "f32");
    assertValues(e, [0, 0.5, 3, 3.5, 3, 3.5, 1, 1.5], "rows 0, 3, 3, 1");
    const e32 = embedding(w, tensor([2], [1], { dtype: "i32" }));
    assertMeta(e32, [1, 2], "f32");
    assertValues(e32, [2, 2.5], "i32 ids");
    const s = embedding(w, tensor(1, [], { dtype: "i64" }));
    assertMeta(s, [2], "f32", "scalar id");
    assertValues(s, [1, 1.5], "scalar id");
    assert.throws(() => embedding(w, tensor([0, 1])), DTypeError, "float ids");
    assert.throws(() => embedding(w, tensor([4], [1], { dtype: "i64" })), TorchError, "id 4 of vocab 4");
    assert.throws(() => embedding(w, tensor([-1], [1], { dtype: "i64" })), TorchError, "negative id");
    assert.throws(() => embedding(tensor([1, 2]) as never, ids), ShapeError, "1-D weight");
    check();
  }));

// ---------------------------------------------------------------- dropout

Deno.test("dropout: p = 0 is the identity", () =>
  scope(() => {
    const x = tensor([[1, -2, 3], [4, 5, -6]]);
    const check = guard(x);
    const y = dropout(x, 0, rng(0));
    assertMeta(y, [2, 3], "f32");
    assertValues(y, [1, -2, 3, 4, 5, -6], "p = 0");
    check();
  }));

Deno.test("dropout: kept entries are x/(1-p), rate p, same key same mask", () =>
  scope(() => {
    const x = full([100, 100], 3);
    const check = guard(x);
    for (const p of [0.5, 0.2]) {
      const y = dropout(x, p, rng(11));
      assertMeta(y, [100, 100], "f32", `p = ${p}`);
      const v = values(y);
      const kept = Math.fround(3 / (1 - p));
      const bad = v.find((e) => e !== 0 && Math.abs(e - kept) > 1e-6);
      assert.strictEqual(bad, undefined, `p = ${p}: every entry must be 0 or 3/(1-p) = ${kept}, found ${bad}`);
      const dropped = v.filter((e) => e === 0).length / v.length;
      assert.ok(Math.abs(dropped - p) < 0.03, `p = ${p}: dropped fraction ${dropped}`);
      // The expectation is preserved: mean ≈ 3.
      assert.ok(Math.abs(meanStd(v).mean - 3) < 0.2, `p = ${p}: mean ${meanStd(v).mean} ≈ 3`);
      assert.deepStrictEqual(values(dropout(x, p, rng(11))), v, `p = ${p}: same key, same mask`);
      const other = values(dropout(x, p, rng(12)));
      assert.ok(other.some((e, i) => e !== v[i]), `p = ${p}: another key, another mask`);
    }
    // Masks are elementwise: x's values are scaled where kept.
    const z = tensor([1, 2, 3, 4, 5, 6, 7, 8]);
    const d = values(dropout(z, 0.5, rng(3)));
    d.forEach((e, i) => assert.ok(e === 0 || e === (i + 1) * 2, `entry ${i}: ${e} is neither 0 nor ${(i + 1) * 2}`));
    assert.throws(() => dropout(x, 1, rng(0)), RangeError, "p = 1");
    assert.throws(() => dropout(x, -0.1, rng(0)), RangeError, "p < 0");
    check();
  }));

Deno.test("dropout: the mask depends on the key only, not on the thread count; its rate is p", () =>
  scope(() => {
    const x = ones([1000, 1000]); // large enough to be split across threads
    const before = threads();
    try {
      setThreads(1);
      const one = values(dropout(x, 0.1, rng(5)));
      setThreads(2);
      const two = values(dropout(x, 0.1, rng(5)));
      assert.deepStrictEqual(two, one, "1 thread and 2 threads draw the same mask");
      // 10⁶ Bernoulli(0.1) draws: the dropped fraction's standard deviation is 0.0003.
      const dropped = one.filter((e) => e === 0).length / one.length;
      assert.ok(Math.abs(dropped - 0.1) < 0.002, `dropped fraction ${dropped}`);
      // Neighbouring entries are not correlated: P(both dropped) ≈ p².
      let both = 0;
      for (let i = 1; i < one.length; i++) if (one[i] === 0 && one[i - 1] === 0) both++;
      assert.ok(Math.abs(both / (one.length - 1) - 0.01) < 0.001, `pairs dropped together ${both}`);
      const f64 = values(dropout(ones([1000, 1000], { dtype: "f64" }), 0.1, rng(5)));
      assert.deepStrictEqual(f64.map((e) => e === 0), one.map((e) => e === 0), "f64 draws the same mask");
    } finally {
      setThreads(before);
    }
  }));

// ---------------------------------------------------------------- layerNorm

/** Layer norm over the last dimension, from the definition (biased variance). */
function layerNormRef(v: number[], d: number, w?: number[], b?: number[], eps = 1e-5): number[] {
  const out: number[] = [];
  for (let r = 0; r < v.length / d; r++) {
    const row = v.slice(r * d, (r + 1) * d);
    const { mean, variance } = meanStd(row, false);
    row.forEach((x, j) => out.push(((x - mean) / Math.sqrt(variance + eps)) * (w ? w[j] : 1) + (b ? b[j] : 0)));
  }
  return out;
}

Deno.test("layerNorm: plain, with weight and bias, custom eps, 3-D input", () =>
  scope(() => {
    const xs = [1, 2, 3, 4, 2, -1, 0.5, 6];
    const x = tensor(xs, [2, 4]);
    const w = tensor([1, 2, 0.5, -1]);
    const b = tensor([0, 0.1, -0.2, 3]);
    const check = guard(x, w, b);
    const plain = layerNorm(x);
    assertMeta(plain, [2, 4], "f32");
    assertClose(plain, layerNormRef(xs, 4), "layerNorm without affine", { atol: 1e-5 });
    const affine = layerNorm(x, w, b);
    assertClose(affine, layerNormRef(xs, 4, values(w), values(b)), "layerNorm with weight and bias", { atol: 1e-5 });
    assertClose(layerNorm(x, w), layerNormRef(xs, 4, values(w)), "weight only", { atol: 1e-5 });
    assertClose(layerNorm(x, undefined, b), layerNormRef(xs, 4, undefined, values(b)), "bias only", { atol: 1e-5 });
    // eps = 1 changes the result noticeably: proves eps is added inside the sqrt.
    assertClose(layerNorm(x, undefined, undefined, 1), layerNormRef(xs, 4, undefined, undefined, 1), "eps = 1");
    const x3 = randn([2, 3, 5], rng(9));
    const r3 = layerNorm(x3);
    assertMeta(r3, [2, 3, 5], "f32");
    assertClose(r3, layerNormRef(values(x3), 5), "3-D input, last dim", { atol: 1e-5 });
    assert.throws(() => layerNorm(x, tensor([1, 2, 3])), ShapeError, "weight [3] for d = 4");
    assert.throws(() => layerNorm(x, undefined, tensor([[1, 2, 3, 4]])), ShapeError, "2-D bias");
    check();
  }));

// ---------------------------------------------------------------- crossEntropy

const LOGITS = [[1, 2, 3], [1, 0, -1], [0.5, 0.5, 2], [-1, 3, 0.2]];

/** Per-row loss from the definition: (1-ε)·(-log p[y]) + ε·mean_c(-log p[c]); 0 where ignored. */
function ceRef(logits: number[][], target: number[], eps: number, ignore: number): { rows: number[]; valid: number } {
  let valid = 0;
  const rows = logits.map((row, i) => {
    if (target[i] === ignore) return 0;
    valid++;
    const m = Math.max(...row);
    const lz = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    const logp = row.map((v) => v - lz);
    const nll = -logp[target[i]];
    const smooth = -logp.reduce((a, v) => a + v, 0) / row.length;
    return (1 - eps) * nll + eps * smooth;
  });
  return { rows, valid };
}

Deno.test("crossEntropy: mean / sum / none, default ignoreIndex -100", () =>
  scope(() => {
    const logits = tensor(LOGITS.flat(), [4, 3]);
    const t = [2, 0, -100, 1];
    const target = tensor(t, [4], { dtype: "i64" });
    const check = guard(logits, target);
    const ref = ceRef(LOGITS, t, 0, -100);
    const sumRef = ref.rows.reduce((a, b) => a + b, 0);
    const m = crossEntropy(logits, target);
    assertMeta(m, [], "f32");
    assertClose(m, [sumRef / ref.valid], "mean over the 3 non-ignored rows");
    assertClose(crossEntropy(logits, target, { reduction: "mean" }), [sumRef / 3], "explicit mean");
    const s = crossEntropy(logits, target, { reduction: "sum" });
    assertMeta(s, [], "f32");
    assertClose(s, [sumRef], "sum");
    const n = crossEntropy(logits, target, { reduction: "none" });
    assertMeta(n, [4], "f32");
    assertClose(n, ref.rows, "none: per row, 0 where ignored");
    check();
  }));

Deno.test("crossEntropy: custom ignoreIndex", () =>
  scope(() => {
    const logits = tensor(LOGITS.flat(), [4, 3]);
    const t = [2, 0, 1, 1];
    const target = tensor(t, [4], { dtype: "i64" });
    const ref = ceRef(LOGITS, t, 0, 1);
    assert.strictEqual(ref.valid, 2);
    const total = ref.rows.reduce((a, b) => a + b, 0);
    assertClose(crossEntropy(logits, target, { ignoreIndex: 1 }), [total / 2], "mean over rows 0 and 1");
    assertClose(crossEntropy(logits, target, { ignoreIndex: 1, reduction: "none" }), ref.rows, "none");
    assertClose(crossEntropy(logits, target, { ignoreIndex: 1, reduction: "sum" }), [total], "sum");
  }));

Deno.test("crossEntropy: label smoothing 0.1, with and without ignored rows", () =>
  scope(() => {
    const logits = tensor(LOGITS.flat(), [4, 3]);
    for (const t of [[2, 0, 2, 1], [2, 0, -100, 1]]) {
      const target = tensor(t, [4], { dtype: "i64" });
      const ref = ceRef(LOGITS, t, 0.1, -100);
      const total = ref.rows.reduce((a, b) => a + b, 0);
      const what = `targets [${t}]`;
      assertClose(crossEntropy(logits, target, { labelSmoothing: 0.1 }), [total / ref.valid], `${what}: mean`);
      assertClose(crossEntropy(logits, target, { labelSmoothing: 0.1, reduction: "sum" }), [total], `${what}: sum`);
      assertClose(crossEntropy(logits, target, { labelSmoothing: 0.1, reduction: "none" }), ref.rows, `${what}: none`);
    }
    // ε = 1: the target is uniform, so the loss no longer depends on y.
    const a = crossEntropy(logits, tensor([0, 0, 0, 0], [4], { dtype: "i64" }), { labelSmoothing: 1 });
    const b = crossEntropy(logits, tensor([2, 1, 0, 2], [4], { dtype: "i64" }), { labelSmoothing: 1 });
    assertClose(a, values(b), "ε = 1 ignores the labels");
    // f64 logits keep f64.
    const l64 = crossEntropy(
      tensor(LOGITS.flat(), [4, 3], { dtype: "f64" }),
      tensor([2, 0, 2, 1], [4], { dtype: "i64" }),
      {
        labelSmoothing: 0.1,
      },
    );
    assertMeta(l64, [], "f64");
    const r = ceRef(LOGITS, [2, 0, 2, 1], 0.1, -100);
    assertClose(l64, [r.rows.reduce((x, y) => x + y, 0) / 4], "f64 logits", { atol: 1e-12, rtol: 1e-12 });
  }));

Deno.test("crossEntropy: argument errors", () =>
  scope(() => {
    const logits = tensor(LOGITS.flat(), [4, 3]);
    const target = tensor([2, 0, 1, 1], [4], { dtype: "i64" });
    assert.throws(() => crossEntropy(logits, tensor([2, 0, 1, 1], [4], { dtype: "i32" })), DTypeError, "i32 target");
    assert.throws(
      () => crossEntropy(tensor([1, 2], [1, 2], { dtype: "i64" }), tensor([0], [1], { dtype: "i64" })),
      DTypeError,
    );
    assert.throws(() => crossEntropy(logits, tensor([1, 0], [2], { dtype: "i64" }) as never), ShapeError, "n differs");
    assert.throws(() => crossEntropy(logits, target, { labelSmoothing: 1.5 }), RangeError);
    assert.throws(() => crossEntropy(logits, target, { reduction: "avg" as never }), RangeError);
    assert.throws(() => crossEntropy(logits, tensor([3, 0, 1, 1], [4], { dtype: "i64" })), TorchError, "class 3 of 3");
  }));

// ---------------------------------------------------------------- attention

/**
 * softmax(q kᵀ/√d) v by loops over [...batch, L, d] data; masked-out (false) scores are excluded.
 * `mask` is a bool tensor's values and shape, broadcast to [...batch, Lq, Lk]. Also returns probs.
 */
function attentionRef(
  q: number[],
  k: number[],
  v: number[],
  qShape: number[],
  kShape: number[],
  vShape: number[],
  mask?: { v: number[]; s: number[] },
  dropMask?: number[],
): { out: number[]; probs: number[] } {
  const r = qShape.length;
  const batch = qShape.slice(0, -2);
  const [lq, d] = qShape.slice(-2);
  const lk = kShape[r - 2];
  const dv = vShape[r - 1];
  const out: number[] = [];
  const probs: number[] = [];
  for (const bi of indices(batch)) {
    const bOff = bi.reduce((a, x, i) => a * batch[i] + x, 0);
    for (let i = 0; i < lq; i++) {
      const scores: number[] = [];
      for (let j = 0; j < lk; j++) {
        const allowed = mask ? at(mask.v, mask.s, [...bi, i, j]) !== 0 : true;
        let s = 0;
        for (let c = 0; c < d; c++) s += q[(bOff * lq + i) * d + c] * k[(bOff * lk + j) * d + c];
        scores.push(allowed ? s / Math.sqrt(d) : -Infinity);
      }
      const m = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - m));
      const z = e.reduce((a, b) => a + b, 0);
      const p = e.map((x) => x / z);
      probs.push(...p);
      const pd = dropMask ? p.map((x, j) => x * dropMask[(bOff * lq + i) * lk + j]) : p;
      for (let c = 0; c < dv; c++) {
        let s = 0;
        for (let j = 0; j < lk; j++) s += pd[j] * v[(bOff * lk + j) * dv + c];
        out.push(s);
      }
    }
  }
  return { out, probs };
}

function qkv(qs: number[], ks: number[], vs: number[], seed: number) {
  const [k1, k2, k3] = [rng(seed), rng(seed + 1), rng(seed + 2)];
  const q = randn(qs, k1);
  const k = randn(ks, k2);
  const v = randn(vs, k3);
  return { q, k, v, qv: values(q), kv: values(k), vv: values(v) };
}

const TOL = { atol: 1e-5, rtol: 1e-4 };

Deno.test("scaledDotProductAttention: fused and plain agree with a hand loop (no mask)", () =>
  scope(() => {
    const cases: [number[], number[], number[]][] = [
      [[2, 3, 4], [2, 3, 4], [2, 3, 4]],
      [[2, 3, 4], [2, 5, 4], [2, 5, 2]], // cross attention: other key length and value dim
      [[2, 2, 3, 4], [2, 2, 3, 4], [2, 2, 3, 4]], // [batch, heads, seq, d]
    ];
    cases.forEach(([qs, ks, vs], n) => {
      const t = qkv(qs, ks, vs, 100 + 10 * n);
      const check = guard(t.q, t.k, t.v);
      const want = attentionRef(t.qv, t.kv, t.vv, qs, ks, vs).out;
      const outShape = [...qs.slice(0, -1), vs[vs.length - 1]];
      const fused = scaledDotProductAttention(t.q, t.k, t.v);
      assertMeta(fused, outShape, "f32", `fused ${n}`);
      assertClose(fused, want, `fused attention, case ${n}`, TOL);
      const plain = scaledDotProductAttention(t.q, t.k, t.v, { fused: false });
      assertMeta(plain, outShape, "f32", `plain ${n}`);
      assertClose(plain, want, `plain attention, case ${n}`, TOL);
      check();
    });
  }));

Deno.test("scaledDotProductAttention: bool masks (true = attend), causal and padding", () =>
  scope(() => {
    const qs = [2, 2, 4, 3];
    const t = qkv(qs, qs, qs, 200);
    const check = guard(t.q, t.k, t.v);
    const causal = tril(ones([4, 4], { dtype: "bool" }));
    // Key padding: batch 0 sees keys 0..3, batch 1 only keys 0..1. Shape [2, 1, 1, 4].
    const pad = tensor([1, 1, 1, 1, 1, 1, 0, 0], [2, 1, 1, 4], { dtype: "bool" });
    // An arbitrary per-query mask (each row keeps at least one key), shape [4, 4].
    const odd = tensor([1, 0, 1, 0, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1], [4, 4], { dtype: "bool" });
    const masks: [string, Tensor][] = [["causal", causal], ["padding", pad], ["arbitrary", odd]];
    const noMask = attentionRef(t.qv, t.kv, t.vv, qs, qs, qs).out;
    for (const [name, mask] of masks) {
      const want = attentionRef(t.qv, t.kv, t.vv, qs, qs, qs, { v: values(mask), s: [...mask.shape] }).out;
      // The mask must matter, or the comparison below proves nothing.
      assert.ok(want.some((x, i) => Math.abs(x - noMask[i]) > 1e-3), `${name} mask changes the reference`);
      const fused = scaledDotProductAttention(t.q, t.k, t.v, { mask });
      assertMeta(fused, qs, "f32", `fused ${name}`);
      assertClose(fused, want, `fused attention, ${name} mask`, TOL);
      const plain = scaledDotProductAttention(t.q, t.k, t.v, { mask, fused: false });
      assertClose(plain, want, `plain attention, ${name} mask`, TOL);
    }
    // First query under a causal mask sees only the first key: its output is v[0].
    const c = values(scaledDotProductAttention(t.q, t.k, t.v, { mask: causal }));
    assertClose(c.slice(0, 3), t.vv.slice(0, 3), "causal row 0 equals v row 0", TOL);
    assert.throws(
      () => scaledDotProductAttention(t.q, t.k, t.v, { mask: tensor([1, 0, 1, 1], [4], { dtype: "i64" }) }),
      DTypeError,
      "integer mask",
    );
    check();
  }));

Deno.test("scaledDotProductAttention: dropout is keyed and applied to the probabilities", () =>
  scope(() => {
    const qs = [2, 3, 4];
    const t = qkv(qs, qs, qs, 300);
    const check = guard(t.q, t.k, t.v);
    const key = rng(77);
    const p = 0.3;
    const a = scaledDotProductAttention(t.q, t.k, t.v, { dropout: p, key });
    assertMeta(a, qs, "f32");
    const av = values(a);
    assert.deepStrictEqual(values(scaledDotProductAttention(t.q, t.k, t.v, { dropout: p, key })), av, "same key");
    const other = values(scaledDotProductAttention(t.q, t.k, t.v, { dropout: p, key: rng(78) }));
    assert.ok(other.some((x, i) => x !== av[i]), "another key, another result");
    const plain = attentionRef(t.qv, t.kv, t.vv, qs, qs, qs).out;
    assert.ok(av.some((x, i) => Math.abs(x - plain[i]) > 1e-4), "dropout changes the result");
    // The drop mask is the one `dropout` draws with the same key over the [2, 3, 3] probabilities:
    // kept probabilities are scaled by 1/(1-p), dropped ones are 0, then multiplied by v.
    const dropMask = values(dropout(ones([2, 3, 3]), p, key));
    assert.ok(dropMask.every((m) => m === 0 || Math.abs(m - 1 / (1 - p)) < 1e-6), "mask is 0 or 1/(1-p)");
    assert.ok(dropMask.includes(0), "the draw drops something (else this test proves little)");
    const want = attentionRef(t.qv, t.kv, t.vv, qs, qs, qs, undefined, dropMask).out;
    assertClose(a, want, "attention with dropout vs hand loop", TOL);
    // With a causal mask too.
    const causal = tril(ones([3, 3], { dtype: "bool" }));
    const am = scaledDotProductAttention(t.q, t.k, t.v, { mask: causal, dropout: p, key });
    const wantM = attentionRef(t.qv, t.kv, t.vv, qs, qs, qs, { v: values(causal), s: [3, 3] }, dropMask).out;
    assertClose(am, wantM, "masked attention with dropout vs hand loop", TOL);
    assert.throws(() => scaledDotProductAttention(t.q, t.k, t.v, { dropout: 0.1 }), TypeError, "dropout needs a key");
    check();
  }));

Deno.test("scaledDotProductAttention: shape errors", () =>
  scope(() => {
    const q = randn([2, 3, 4], rng(0));
    assert.throws(() => scaledDotProductAttention(q, randn([2, 3, 5], rng(1)), randn([2, 3, 4], rng(2))), ShapeError);
    assert.throws(() => scaledDotProductAttention(q, randn([3, 4], rng(1)), randn([3, 4], rng(2))), ShapeError);
    assert.throws(
      () => scaledDotProductAttention(randn([4], rng(0)), randn([4], rng(1)), randn([4], rng(2))),
      ShapeError,
    );
  }));

Deno.test("attentionProbs: softmax(q kᵀ / √d) by hand, masked scores set to -1e9", () => {
  scope(() => {
    const q = tensor([1, 0, 0, 2], [2, 2]);
    const k = tensor([1, 0, 0, 1, 1, 1], [3, 2]);
    // Row 0's scores are [1, 0, 1] / √2, row 1's [0, 2, 2] / √2; row 1 may not attend to key 2.
    const softmaxRow = (scores: number[]) => {
      const e = scores.map((s) => Math.exp(s / Math.SQRT2));
      return e.map((x) => x / e.reduce((a, b) => a + b));
    };
    const mask = tensor([1, 1, 1, 1, 1, 0], [2, 3], { dtype: "bool" });
    assertClose(attentionProbs(q, k, null), [...softmaxRow([1, 0, 1]), ...softmaxRow([0, 2, 2])], "unmasked", {
      atol: 1e-6,
    });
    assertClose(attentionProbs(q, k, mask), [...softmaxRow([1, 0, 1]), ...softmaxRow([0, 2]), 0], "masked", {
      atol: 1e-6,
    });
  });
});
