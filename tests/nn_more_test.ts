/** nn.mlp, nn.sequential, nn.rmsNorm and nn.multiHeadAttention: init as torch.nn draws, apply by hand, errors. */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert/strict";
import {
  DTypeError,
  flattenTree,
  gelu,
  memory,
  nn,
  relu,
  rng,
  scope,
  type Shape,
  ShapeError,
  type Sizes,
  type Tensor,
  tensor,
  values,
} from "../mod.ts";

const f64 = <const S extends Shape>(data: number[], shape: Sizes<S>) => tensor(data, shape, { dtype: "f64" });
const close = (got: number[], want: number[], what: string, tol = 1e-12) =>
  got.forEach((x, i) => assert.ok(Math.abs(x - want[i]) < tol, `${what}: ${got} vs ${want}`));

/** Uniform in ±bound: inside it, reaching near its ends, with the uniform's variance bound²/3. */
function assertUniform(t: Tensor, bound: number, what: string) {
  const xs = values(t);
  assert.ok(xs.every((x) => Math.abs(x) <= bound), `${what}: inside ±${bound}`);
  assert.ok(Math.max(...xs.map(Math.abs)) > 0.95 * bound, `${what}: reaches near ±${bound}`);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  assert.ok(Math.abs(mean) < 0.05 * bound, `${what}: mean ${mean}`);
  assert.ok(Math.abs(variance / (bound * bound / 3) - 1) < 0.1, `${what}: variance ${variance}`);
}

Deno.test("nn.mlp.init: torch.nn.Linear's draw per layer, state-dict paths layers.i.weight/bias", () => {
  scope(() => {
    const mlp = nn.mlp.init(rng(0), [64, 128, 10]);
    const paths = flattenTree(mlp).map(([p, t]) => `${p} ${t.shape}`);
    assert.deepEqual(paths, [
      "layers.0.weight 128,64",
      "layers.0.bias 128",
      "layers.1.weight 10,128",
      "layers.1.bias 10",
    ]);
    assertUniform(mlp.layers[0].weight, 1 / 8, "layers.0.weight");
    assertUniform(mlp.layers[1]!.weight, 1 / Math.sqrt(128), "layers.1.weight");
    const bias = values(mlp.layers[0].bias!);
    assert.ok(bias.every((x) => Math.abs(x) <= 1 / 8), "bias inside ±1/√fan-in");
    assert.notDeepEqual(values(mlp.layers[0].weight).slice(0, 8), values(mlp.layers[1]!.weight).slice(0, 8));
    const bare = nn.mlp.init(rng(0), [2, 3], { bias: false });
    assert.deepEqual(flattenTree(bare).map(([p]) => p), ["layers.0.weight"]);
    assert.throws(() => nn.mlp.init(rng(0), [3]), /^RangeError: mlp: sizes must have at least two entries/);
    assert.throws(() => nn.mlp.init(rng(0), [3, 0]), /^RangeError: mlp: sizes must be positive integers, got 0/);
  });
});

Deno.test("nn.mlp.apply: linear, GELU, linear by hand; another activation; no GELU after the last layer", () => {
  const before = memory().tensors;
  scope(() => {
    const mlp = {
      layers: [
        { weight: f64([1, 0, 0, -1], [2, 2]), bias: f64([0, 0.5], [2]) },
        { weight: f64([1, 1], [1, 2]), bias: f64([-2], [1]) },
      ] as [nn.linear.Linear<number, number>, nn.linear.Linear<number, number>],
    };
    const x = f64([1, 2], [1, 2]);
    // h = [1, −1.5]; gelu(h) = h·Φ(h) = [0.8413447460685429, −1.5 · 0.06680720126885807]; y = sum − 2 (no GELU).
    const y = nn.mlp.apply(mlp, x);
    assert.deepEqual(y.shape, [1, 1]);
    close(values(y), [0.8413447460685429 - 1.5 * 0.06680720126885807 - 2], "gelu");
    close(values(nn.mlp.apply(mlp, x, { activation: relu })), [1 - 2], "relu");
  });
  assert.equal(memory().tensors, before, "intermediates freed");
});

Deno.test("nn.sequential: the tuple is the model (torch.nn.Sequential's paths), steps applied in turn", () => {
  const before = memory().tensors;
  scope(() => {
    const model = nn.sequential.init(nn.linear.init(rng(0), 3, 4), null, nn.linear.init(rng(1), 4, 2));
    assert.deepEqual(flattenTree(model).map(([p]) => p), ["0.weight", "0.bias", "2.weight", "2.bias"]);
    const layers = nn.sequential.init(
      { weight: f64([2, 0, 0, 1], [2, 2]) },
      null,
      { weight: f64([1, -1], [1, 2]), bias: f64([0.5], [1]) },
    );
    const steps = [nn.linear.apply, nn.sequential.fn(relu), nn.linear.apply] as const;
    // [1, −3] → [2, −3] → relu [2, 0] → 2 − 0 + 0.5
    close(values(nn.sequential.apply(layers, steps, f64([1, -3], [1, 2]))), [2.5], "linear, relu, linear");
    close(values(nn.sequential.apply([null], [nn.sequential.fn(gelu)], f64([1], [1]))), [0.8413447460685429], "gelu");
    assert.throws(
      () => nn.sequential.apply(layers, steps.slice(1) as never, f64([1, -3], [1, 2])),
      /^RangeError: sequential: 3 layers need as many steps, got 2$/,
    );
    const x = f64([1, -3], [1, 2]);
    assert.throws(() =>
      // @ts-expect-error a linear layer's step where the tuple has a weightless one
      nn.sequential.apply(layers, [nn.linear.apply, nn.linear.apply, nn.linear.apply], x)
    );
  });
  assert.equal(memory().tensors, before, "intermediates freed");
});

Deno.test("nn.rmsNorm: weight ones at init, x · rsqrt(mean(x²) + eps) · weight by hand, errors", () => {
  const before = memory().tensors;
  scope(() => {
    const norm = nn.rmsNorm.init(3);
    assert.deepEqual(flattenTree(norm).map(([p, t]) => `${p} ${t.shape}`), ["weight 3"]);
    assert.deepEqual(values(norm.weight), [1, 1, 1]);
    const layer = { weight: f64([1, 2], [2]) };
    // rows [3, 4] (mean square 12.5) and [0, 1] (0.5)
    const y = nn.rmsNorm.apply(layer, f64([3, 4, 0, 1], [2, 2]), 0);
    assert.deepEqual(y.shape, [2, 2]);
    close(values(y), [3 / Math.sqrt(12.5), 8 / Math.sqrt(12.5), 0, 2 / Math.sqrt(0.5)], "eps 0");
    close(values(nn.rmsNorm.apply(layer, f64([3, 4], [2]), 0.5)), [3 / Math.sqrt(13), 8 / Math.sqrt(13)], "eps 0.5");
    // The default eps is torch.finfo(dtype).eps: 2⁻⁵² for f64, 2⁻²³ for f32.
    const tiny = nn.rmsNorm.apply({ weight: f64([1], [1]) }, f64([1e-9], [1]));
    close(values(tiny), [1e-9 / Math.sqrt(1e-18 + 2 ** -52)], "default eps f64", 1e-20);
    const tiny32 = nn.rmsNorm.apply(nn.rmsNorm.init(1), tensor([1e-4], [1]));
    close(values(tiny32), [1e-4 / Math.sqrt(1e-8 + 2 ** -23)], "default eps f32", 1e-6);

    assert.throws(() => nn.rmsNorm.apply(layer, f64([1, 2, 3], [3])), ShapeError);
    assert.throws(() => nn.rmsNorm.apply(layer, f64([1, 2, 3], [3])), /^ShapeError: rmsNorm: weight \[2\]/);
    assert.throws(() => nn.rmsNorm.apply(layer, tensor([1, 2], [2], { dtype: "i64" })), DTypeError);
    assert.throws(() => nn.rmsNorm.apply(layer, f64([1, 2], [2]), -1), /^RangeError: rmsNorm: eps must be ≥ 0/);
    assert.throws(() => nn.rmsNorm.init(-1), /^RangeError: rmsNorm: features/);
  });
  assert.equal(memory().tensors, before, "no tensor leaked");
});

Deno.test("nn.multiHeadAttention is nn.attention under torch's name", () => {
  assert.equal(nn.multiHeadAttention.apply, nn.attention.apply);
  assert.equal(nn.multiHeadAttention.init, nn.attention.init);
  scope(() => {
    const layer = nn.multiHeadAttention.init(rng(0), 64);
    assert.deepEqual(flattenTree(layer).map(([p]) => p), [
      "queryProj.weight",
      "keyProj.weight",
      "valueProj.weight",
      "outputProj.weight",
    ]);
    assertUniform(layer.queryProj.weight, 1 / 8, "queryProj.weight");
  });
});
