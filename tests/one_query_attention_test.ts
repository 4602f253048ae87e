/**
 * One query per head, a cached decoding step's attention: in f32 on the CPU, scaledDotProductAttention
 * runs a native kernel of its own (native/one_query_attention.cpp). It is held to hand-worked values,
 * and to the plain composition computed in f64 from the same f32 numbers (the kernel sums in another
 * order and has its own exp, so it agrees to float rounding, not bit for bit).
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import * as assert from "node:assert/strict";
import {
  attentionProbs,
  cast,
  defaultDevice,
  matmul,
  nn,
  rand,
  randn,
  rng,
  scaledDotProductAttention,
  slice,
  sum,
  type Tensor,
  tensor,
  transpose,
  valueAndGrad,
} from "../mod.ts";
import { assertClose, assertMeta, noLeaks, values } from "./ops_helpers.ts";

const { LN2, log } = Math;

/** softmax(q kᵀ / √d, masked) v by the composition, in f64 from the same (f32) numbers. */
function inF64(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null): number[] {
  const [q64, k64, v64] = [q, k, v].map((t) => cast(t, "f64"));
  return values(matmul(attentionProbs(q64, k64, mask), v64));
}

/** Largest |got - want| over max(1, |want|): the error relative to the values' own size. */
function worstError(got: number[], want: number[]): number {
  return got.reduce((worst, g, i) => Math.max(worst, Math.abs(g - want[i]) / Math.max(1, Math.abs(want[i]))), 0);
}

Deno.test(
  "one query: weights worked out by hand, with padding masked out and a row masked whole",
  noLeaks(() => {
    // d = 1: the scores are the keys, 0, ln 2, ln 3, so the weights are 1, 2, 3 over 6.
    const q = tensor([1, 1], [2, 1, 1]), k = tensor([0, LN2, log(3), 0, LN2, log(3)], [2, 3, 1]);
    const v = tensor([10, 20, 30, 1, 2, 4], [2, 3, 1]);
    const out = scaledDotProductAttention(q, k, v);
    assertMeta(out, [2, 1, 1], "f32", "one query per batch row");
    assertClose(out, [(10 + 40 + 90) / 6, (1 + 4 + 12) / 6], "weights 1, 2, 3", { atol: 0, rtol: 3e-7 });
    // Row 0 may not see its last key (weights 1, 2 over 3); row 1 sees none, and averages its values,
    // as the reference's -1e9 fill gives.
    const mask = tensor([1, 1, 0, 0, 0, 0], [2, 1, 3], { dtype: "bool" });
    const masked = scaledDotProductAttention(q, k, v, { mask });
    assertClose(masked, [(10 + 40) / 3, 7 / 3], "masked", { atol: 0, rtol: 3e-7 });
  }),
);

Deno.test(
  "one query agrees with the composition in f64 over head sizes, key counts, views and masks",
  noLeaks(() => {
    if (defaultDevice() !== "cpu") return; // the kernel is the CPU's; other devices take libtorch's
    let seed = 0;
    for (const d of [1, 5, 8, 64, 67]) {
      for (const keys of [1, 7, 64]) {
        const batch = 3, heads = 2;
        const q = randn([batch, heads, 1, d], rng(seed++));
        // Keys and values as splitHeads leaves them: [batch, keys, heads, d] seen as [batch, heads, keys, d].
        const k = transpose(randn([batch, keys, heads, d], rng(seed++)), 1, 2);
        const v = transpose(randn([batch, keys, heads, d + 3], rng(seed++)), 1, 2);
        // A padding mask [batch, 1, 1, keys]: row b may see its first keys - b keys (at least one).
        const allowed = Array.from(
          { length: batch * keys },
          (_, i) => (i % keys) < Math.max(1, keys - Math.floor(i / keys)),
        );
        const mask = tensor(allowed.map(Number), [batch, 1, 1, keys], { dtype: "bool" });
        for (const m of [null, mask]) {
          const got = scaledDotProductAttention(q, k, v, m ? { mask: m } : {});
          assertMeta(got, [batch, heads, 1, d + 3], "f32", `d ${d}, keys ${keys}`);
          const error = worstError(values(got), inF64(q, k, v, m));
          assert.ok(error < 2e-6, `d ${d}, keys ${keys}, mask ${m !== null}: error ${error} against f64`);
        }
      }
    }
  }),
);

Deno.test(
  "one query: scores past f32's range and NaN give what the composition gives",
  noLeaks(() => {
    // Scores 0 and -200: e^-200 is no f32 number, so the second weight is 0 on both paths.
    const q = tensor([1], [1, 1]), v = tensor([3, 5], [2, 1]);
    assertClose(scaledDotProductAttention(q, tensor([0, -200], [2, 1]), v), [3], "an underflowing weight", { atol: 0 });
    // An infinite score (1e30 · 1e30 overflows): the composition's softmax is NaN, and so is ours.
    const huge = tensor([1e30], [1, 1]), k = tensor([1e30, 0], [2, 1]);
    const composed = values(scaledDotProductAttention(huge, k, v, { fused: false }));
    assert.ok(Number.isNaN(composed[0]), `the composition gives NaN (${composed})`);
    assert.ok(Number.isNaN(values(scaledDotProductAttention(huge, k, v))[0]), "an infinite score gives NaN");
    // A NaN query: NaN.
    assert.ok(Number.isNaN(values(scaledDotProductAttention(tensor([NaN], [1, 1]), k, v))[0]), "a NaN query");
    // Every score -inf: NaN on both paths, as softmax over -inf gives.
    const far = tensor([1e30, 1e30], [2, 1]), negative = tensor([-1e30], [1, 1]);
    assert.ok(Number.isNaN(values(scaledDotProductAttention(negative, far, v, { fused: false }))[0]), "composition");
    assert.ok(Number.isNaN(values(scaledDotProductAttention(negative, far, v))[0]), "every score -inf");
  }),
);

Deno.test(
  "one query with gradients to record takes libtorch's differentiable path: gradients match the composition",
  noLeaks(() => {
    const k = randn([2, 5, 4], rng(1)), v = randn([2, 5, 3], rng(2));
    const fused = valueAndGrad((q: Tensor) => sum(scaledDotProductAttention(q, k, v)));
    const plain = valueAndGrad((q: Tensor) => sum(scaledDotProductAttention(q, k, v, { fused: false })));
    const q = randn([2, 1, 4], rng(0));
    assertClose(fused(q).grads, values(plain(q).grads), "d/dq", { atol: 1e-6, rtol: 1e-6 });
  }),
);

Deno.test(
  "nn.attention.apply over a key/value cache, one query at a time, agrees with attending all queries at once",
  noLeaks(() => {
    const layer = nn.attention.init(rng(0), 16);
    const x = randn([2, 5, 16], rng(1)), memory = rand([2, 7, 16], rng(2));
    const kv = nn.attention.keyValues(layer, memory, 4);
    const all = values(nn.attention.apply(layer, x, () => kv, 4)); // [2, 5, 16]: the composition
    for (let position = 0; position < 5; position++) {
      const row = slice(x, 1, position, position + 1);
      const one = values(nn.attention.apply(layer, row, () => kv, 4)); // [2, 1, 16]: the kernel
      const want = [0, 1].flatMap((b) => all.slice((b * 5 + position) * 16, (b * 5 + position + 1) * 16));
      assert.ok(worstError(one, want) < 1e-6, `position ${position}: ${worstError(one, want)}`);
    }
  }),
);
