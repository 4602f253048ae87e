/**
 * The layers of lib/nn: each against values worked out by hand or against the DSL ops it composes,
 * bit for bit where it runs the same ops; attention also over the seed's trained weights (the parity
 * fixture) and in its three key/value variants; and the named key splits the layers draw from.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert/strict";
import {
  cat,
  dropout,
  fold,
  Key,
  layerNorm,
  linear,
  namedKeys,
  nn,
  ones,
  rand,
  randn,
  rng,
  scaledDotProductAttention,
  scope,
  slice,
  type Tensor,
  tensor,
  tril,
  unsqueeze,
} from "../mod.ts";
import { loadModelFolder } from "../nmt/io/folder.ts";
import { assertClose, assertMeta, assertValues, values } from "./ops_helpers.ts";
import { FIXTURES } from "./helpers/reference.ts";

// ---------------------------------------------------------------- named keys

Deno.test("namedKeys: part i is fold(key, i), by name; appending a name keeps the others; null stays null", () => {
  const key = rng(7);
  const keys = namedKeys(key, ["attention", "feedForward"]);
  assert.deepEqual(keys, { attention: fold(key, 0), feedForward: fold(key, 1) });
  assert.deepEqual(namedKeys(key, ["attention", "feedForward", "extra"]).feedForward, keys.feedForward);
  assert.ok(keys.attention instanceof Key);
  assert.deepEqual(namedKeys(null, ["a", "b"]), { a: null, b: null });
});

// ---------------------------------------------------------------- linear

Deno.test("nn.linear: x Wᵀ + b by hand, with and without bias; init draws U(±1/√in) from named keys", () =>
  scope(() => {
    const weight = tensor([[1, 2, 3], [0, -1, 0.5]], [2, 3]); // out 2, in 3
    const bias = tensor([10, -10], [2]);
    const x = tensor([[1, 1, 1], [2, 0, -2]], [2, 3]);
    assertValues(nn.linear.apply({ weight, bias }, x), [16, -10.5, 6, -11], "x Wᵀ + b");
    assertValues(nn.linear.apply({ weight }, x), [6, -0.5, -4, -1], "x Wᵀ");

    const layer = nn.linear.init(rng(0), 64, 32);
    assertMeta(layer.weight, [32, 64], "f32", "weight");
    assertMeta(layer.bias!, [32], "f32", "bias");
    const bound = 1 / Math.sqrt(64);
    for (const [name, t] of Object.entries(layer)) {
      const v = values(t);
      assert.ok(v.every((w) => Math.abs(w) <= bound), `${name} within ±1/√in`);
      assert.ok(Math.max(...v.map(Math.abs)) > 0.9 * bound, `${name} fills the range`);
    }
    const { weight: weightKey } = namedKeys(rng(0), ["weight", "bias"]);
    assertClose(
      layer.weight,
      values(rand([32, 64], weightKey)).map((u) => u * 2 * bound - bound),
      "weight from its key",
      {
        atol: 1e-7,
      },
    );
    assert.equal(nn.linear.init(rng(0), 64, 32, { bias: false }).bias, undefined);
    assert.deepEqual(values(nn.linear.init(rng(0), 64, 32, { bias: false }).weight), values(layer.weight));
  }));

// ---------------------------------------------------------------- embedding

Deno.test("nn.embedding: rows picked by id; init is a standard normal table from the key", () =>
  scope(() => {
    const weight = tensor([0, 0.5, 1, 1.5, 2, 2.5], [3, 2]);
    const ids = tensor([[2, 0], [1, 1]], [2, 2], { dtype: "i64" });
    const e = nn.embedding.apply({ weight }, ids);
    assertMeta(e, [2, 2, 2], "f32");
    assertValues(e, [2, 2.5, 0, 0.5, 1, 1.5, 1, 1.5], "rows 2, 0, 1, 1");
    const table = nn.embedding.init(rng(3), 10, 4);
    assert.deepEqual(values(table.weight), values(randn([10, 4], rng(3))));
  }));

// ---------------------------------------------------------------- layer norm

Deno.test("nn.layerNorm: (x − mean)/√(biased var + eps) · weight + bias, by hand; init is ones and zeros", () =>
  scope(() => {
    const norm = nn.layerNorm.init(4);
    assertValues(norm.weight, [1, 1, 1, 1], "weight");
    assertValues(norm.bias, [0, 0, 0, 0], "bias");
    const rows = [[1, 2, 3, 4], [2, 2, 2, 6]];
    const byHand = (weight: number[], bias: number[], eps: number) =>
      rows.flatMap((row) => {
        const mu = row.reduce((a, b) => a + b) / row.length;
        const variance = row.reduce((a, b) => a + (b - mu) ** 2, 0) / row.length; // biased, as torch.nn.LayerNorm
        return row.map((v, j) => (v - mu) / Math.sqrt(variance + eps) * weight[j] + bias[j]);
      });
    const x = tensor(rows, [2, 4]);
    assertClose(nn.layerNorm.apply(norm, x), byHand([1, 1, 1, 1], [0, 0, 0, 0], 1e-5), "unit weight, zero bias");
    const scaled = { weight: tensor([1, 2, 0, -1], [4]), bias: tensor([0, 1, 5, 0], [4]) };
    assertClose(nn.layerNorm.apply(scaled, x, 0.1), byHand([1, 2, 0, -1], [0, 1, 5, 0], 0.1), "weight, bias, eps");
    assert.deepEqual(values(nn.layerNorm.apply(scaled, x)), values(layerNorm(x, scaled.weight, scaled.bias)));
  }));

// ---------------------------------------------------------------- dropout

Deno.test("nn.dropout: the op's mask from the key itself; x itself without a key or at rate 0", () =>
  scope(() => {
    const x = ones([8, 16]);
    assert.equal(nn.dropout.apply(x, 0.5, null), x, "no key: evaluation");
    assert.equal(nn.dropout.apply(x, 0, rng(1)), x, "rate 0");
    const dropped = values(nn.dropout.apply(x, 0.5, rng(1)));
    assert.deepEqual(dropped, values(dropout(x, 0.5, rng(1))));
    assert.ok(dropped.every((v) => v === 0 || v === 2), "kept elements scale by 1/(1 − rate)");
    assert.ok(dropped.includes(0) && dropped.includes(2));
  }));

// ---------------------------------------------------------------- attention

Deno.test("nn.attention: heads split and merge back; the core is the plain scaled dot-product attention", () =>
  scope(() => {
    const x = tensor(Array.from({ length: 2 * 3 * 4 }, (_, i) => i), [2, 3, 4]);
    const heads = nn.attention.splitHeads(x, 2);
    assertMeta(heads, [2, 2, 3, 2], "f32");
    // Head h of token t holds features 2h, 2h + 1 of token t.
    assertValues(slice(slice(heads, 0, 0, 1), 1, 1, 2), [2, 3, 6, 7, 10, 11], "batch 0, head 1");
    assert.deepEqual(values(nn.attention.mergeHeads(heads)), values(x));

    const q = randn([2, 2, 3, 4], rng(0)), k = randn([2, 2, 5, 4], rng(1)), v = randn([2, 2, 5, 4], rng(2));
    const mask = tensor([[true, true, true, false, false], [true, true, true, true, true]], [2, 5], { dtype: "bool" });
    const padding = unsqueeze(unsqueeze(mask, 1), 1); // [2, 1, 1, 5]
    let observed: Tensor | null = null;
    const out = nn.attention.attend(q, { k, v }, { mask: padding, observe: (p) => observed = p });
    assert.deepEqual(values(out), values(scaledDotProductAttention(q, k, v, { mask: padding, fused: false })));
    assertClose(out, values(scaledDotProductAttention(q, k, v, { mask: padding })), "the fused kernel", { atol: 1e-6 });
    assertMeta(observed!, [2, 2, 3, 5], "f32", "probabilities");
    const probs = values(observed!);
    for (let row = 0; row < 2 * 2 * 3; row++) {
      const p = probs.slice(row * 5, row * 5 + 5);
      assertClose([p.reduce((a, b) => a + b)], [1], `row ${row} sums to 1`, { atol: 1e-6 });
      if (row < 2 * 3) assert.deepEqual(p.slice(3), [0, 0], "padding gets no attention");
    }
    const dropped = nn.attention.attend(q, { k, v }, { mask: padding, dropout: 0.3, key: rng(9) });
    assert.deepEqual(
      values(dropped),
      values(scaledDotProductAttention(q, k, v, { mask: padding, dropout: 0.3, key: rng(9) })),
      "dropout on the probabilities, drawn from the key",
    );
  }));

Deno.test("nn.attention.apply: projections around the core, over the seed's trained weights; dropout from fold(key, 0)", () =>
  scope(() => {
    const { model } = loadModelFolder(`${FIXTURES}/parity/small`);
    const block = model.params.decoder.layers[0].cross_attention_block;
    const layer = { queryProj: block.w_q, keyProj: block.w_k, valueProj: block.w_v, outputProj: block.w_o };
    const { dModel, heads } = model.config;
    const x = randn([2, 3, dModel], rng(0)), memory = randn([2, 5, dModel], rng(1));
    const mask = unsqueeze(unsqueeze(tensor([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]], [2, 5], { dtype: "bool" }), 1), 1);
    const byHand = (options: { dropout?: number; key?: Key }) => {
      const split = (t: Tensor) => nn.attention.splitHeads(t, heads);
      const core = scaledDotProductAttention(
        split(linear(x, block.w_q.weight)),
        split(linear(memory, block.w_k.weight)),
        split(linear(memory, block.w_v.weight)),
        { mask, fused: false, ...options },
      );
      return values(linear(nn.attention.mergeHeads(core), block.w_o.weight));
    };
    const out = nn.attention.apply(layer, x, memory, heads, { mask });
    assertMeta(out, [2, 3, dModel], "f32");
    assert.deepEqual(values(out), byHand({}));
    const train = nn.attention.apply(layer, x, memory, heads, { mask, dropout: 0.2, key: rng(4) });
    assert.deepEqual(values(train), byHand({ dropout: 0.2, key: fold(rng(4), 0) }));
    assert.notDeepEqual(values(train), values(out));
  }));

Deno.test("nn.attention.apply: precomputed and cached keys/values give what projecting the sequence gives", () =>
  scope(() => {
    const layer = nn.attention.init(rng(0), 8);
    const x = randn([2, 4, 8], rng(1)), memory = randn([2, 6, 8], rng(2));
    const heads = 2;
    const kv = nn.attention.keyValues(layer, memory, heads);
    assertMeta(kv.k, [2, 2, 6, 4], "f32", "keys");
    assert.deepEqual(
      values(nn.attention.apply(layer, x, () => kv, heads)),
      values(nn.attention.apply(layer, x, memory, heads)),
      "precomputed",
    );
    // Causal self-attention over the whole sequence, and one token at a time with a growing cache.
    const causal = unsqueeze(unsqueeze(tril(ones([4, 4], { dtype: "bool" })), 0), 0);
    const full = values(nn.attention.apply(layer, x, x, heads, { mask: causal }));
    let cache: nn.attention.KeyValues | null = null;
    const steps: number[] = [];
    for (let t = 0; t < 4; t++) {
      const token = slice(x, 1, t, t + 1);
      const out = nn.attention.apply(layer, token, (project) => {
        const newest = project(token);
        cache = cache === null ? newest : { k: cat([cache.k, newest.k], 2), v: cat([cache.v, newest.v], 2) };
        return cache;
      }, heads);
      steps.push(...values(out));
    }
    // steps is [t][batch][feature]; full is [batch][t][feature].
    const reordered = Array.from({ length: 2 * 4 * 8 }, (_, i) => {
      const [b, t, f] = [Math.floor(i / 32), Math.floor(i / 8) % 4, i % 8];
      return steps[(t * 2 + b) * 8 + f];
    });
    assertClose(reordered, full, "cached steps", { atol: 1e-6 });
  }));

Deno.test("nn.attention.init: four bias-free projections from named keys, biases on request", () =>
  scope(() => {
    const layer = nn.attention.init(rng(5), 8);
    const keys = namedKeys(rng(5), ["queryProj", "keyProj", "valueProj", "outputProj"]);
    for (const name of ["queryProj", "keyProj", "valueProj", "outputProj"] as const) {
      assertMeta(layer[name].weight, [8, 8], "f32", name);
      assert.equal(layer[name].bias, undefined);
      assert.deepEqual(values(layer[name].weight), values(nn.linear.init(keys[name], 8, 8).weight), name);
    }
    assertMeta(nn.attention.init(rng(5), 8, { bias: true }).outputProj.bias!, [8], "f32");
  }));
