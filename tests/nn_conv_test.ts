/**
 * nn.conv1d, nn.conv2d and nn.batchNorm: torch.nn's draws and state-dict paths at init, apply against
 * values worked out by hand, the running statistics as a separate state (never mutated), errors by
 * class and message, compile-time shapes, and no leaked tensors.
 */
import assert from "node:assert/strict";
import {
  DTypeError,
  flattenTree,
  memory,
  mul,
  nn,
  parseSafetensors,
  parseSafetensorsHeader,
  randn,
  rng,
  scope,
  serializeSafetensors,
  type Shape,
  ShapeError,
  type Sizes,
  sum,
  type Tensor,
  tensor,
  valueAndGrad,
  values,
  zeros,
} from "../mod.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function expectType<_T extends true>(): void {}
type ShapeOf<T> = T extends Tensor<infer S> ? S : never;

const f64 = <const S extends Shape>(data: number[], shape: Sizes<S>) => tensor(data, shape, { dtype: "f64" });
const close = (got: number[], want: number[], what: string, tol = 1e-12) => {
  assert.equal(got.length, want.length, `${what}: ${got} vs ${want}`);
  got.forEach((x, i) => assert.ok(Math.abs(x - want[i]) < tol, `${what}: ${got} vs ${want}`));
};
const paths = (tree: unknown) => flattenTree(tree).map(([p, t]) => `${p} ${t.shape} ${t.dtype}`);

/** Uniform in ±bound: inside it, reaching near its ends, mean ≈ 0 and variance ≈ bound²/3. */
function assertUniform(t: Tensor, bound: number, what: string) {
  const xs = values(t);
  assert.ok(xs.every((x) => Math.abs(x) <= bound), `${what}: inside ±${bound}`);
  assert.ok(Math.max(...xs.map(Math.abs)) > 0.95 * bound, `${what}: reaches near ±${bound}`);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  assert.ok(Math.abs(mean) < 0.05 * bound, `${what}: mean ${mean}`);
  assert.ok(Math.abs(variance / (bound * bound / 3) - 1) < 0.1, `${what}: variance ${variance}`);
}

/** Runs `f` in a scope and checks that it leaves no tensor behind. */
function noLeaks(f: () => void) {
  const before = memory().tensors;
  scope(f);
  assert.equal(memory().tensors, before, "tensors leaked");
}

Deno.test("nn.conv2d.init: torch.nn.Conv2d's paths and draw, U(±1/√fan_in) for weight and bias", () => {
  noLeaks(() => {
    const conv = nn.conv2d.init(rng(0), 8, 64, 3);
    assert.deepEqual(paths(conv), ["weight 64,8,3,3 f32", "bias 64 f32"]);
    assertUniform(conv.weight, 1 / Math.sqrt(8 * 9), "weight");
    const bias = values(conv.bias!);
    assert.ok(bias.every((b) => Math.abs(b) <= 1 / Math.sqrt(72)), "bias inside ±1/√fan_in");
    assert.ok(Math.max(...bias.map(Math.abs)) > 0.5 / Math.sqrt(72), "bias spread over its range");
    // Groups divide the input channels of each kernel, and fan_in with them; [kh, kw] may differ.
    const grouped = nn.conv2d.init(rng(1), 4, 6, [2, 3], { groups: 2, dtype: "f64", stride: 2, padding: 1 });
    assert.deepEqual(paths(grouped), ["weight 6,2,2,3 f64", "bias 6 f64"]);
    assertUniform(nn.conv2d.init(rng(2), 64, 64, [2, 3], { groups: 2 }).weight, 1 / Math.sqrt(32 * 6), "grouped");
    assert.deepEqual(paths(nn.conv2d.init(rng(0), 3, 4, 1, { bias: false })), ["weight 4,3,1,1 f32"]);
    // The same key draws the same layer; weight and bias come from keys of their own.
    assert.deepEqual(values(nn.conv2d.init(rng(0), 8, 64, 3).weight), values(conv.weight));
    assert.notDeepEqual(values(conv.bias!).slice(0, 8), values(conv.weight).slice(0, 8));
  });
});

Deno.test("nn.conv1d.init: weight [out, in/groups, kernel], bias [out], U(±1/√(in/groups · kernel))", () => {
  noLeaks(() => {
    const conv = nn.conv1d.init(rng(0), 16, 32, 5);
    assert.deepEqual(paths(conv), ["weight 32,16,5 f32", "bias 32 f32"]);
    assertUniform(conv.weight, 1 / Math.sqrt(80), "weight");
    assert.deepEqual(paths(nn.conv1d.init(rng(0), 6, 3, [2], { groups: 3, bias: false })), ["weight 3,2,2 f32"]);
  });
});

Deno.test("nn.conv2d.apply: by hand, with bias, stride and padding; unbatched; the types", () => {
  noLeaks(() => {
    const x = f64([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    const layer = { weight: f64([1, 2, 3, 4], [1, 1, 2, 2]), bias: f64([0.5], [1]) };
    // out[i, j] = x[i, j] + 2·x[i, j+1] + 3·x[i+1, j] + 4·x[i+1, j+1] + 0.5
    const y = nn.conv2d.apply(layer, x);
    expectType<Equal<ShapeOf<typeof y>, [1, 1, number, number]>>();
    assert.deepEqual(y.shape, [1, 1, 2, 2]);
    close(values(y), [37.5, 47.5, 67.5, 77.5], "valid");
    // Padded with a ring of zeros and stepped by 2: the windows at (0, 0), (0, 2), (2, 0), (2, 2).
    close(values(nn.conv2d.apply({ weight: layer.weight }, x, { stride: 2, padding: 1 })), [4, 18, 36, 77], "strided");
    const unbatched = nn.conv2d.apply(layer, f64([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3]));
    expectType<Equal<ShapeOf<typeof unbatched>, [1, number, number]>>();
    close(values(unbatched), [37.5, 47.5, 67.5, 77.5], "unbatched");
  });
});

Deno.test("nn.conv1d.apply: by hand, channels summed, groups kept apart, dilation", () => {
  noLeaks(() => {
    const x = f64([1, 2, 3, 4, 0, 1, 0, -1], [1, 2, 4]);
    // One output channel: x0[j] + x0[j+1] + 2·x1[j] − x1[j+1].
    close(values(nn.conv1d.apply({ weight: f64([1, 1, 2, -1], [1, 2, 2]) }, x)), [2, 7, 8], "summed");
    // Two groups: channel 0 sees x0 through [1, 1], channel 1 sees x1 through [2, −1].
    const grouped = nn.conv1d.apply({ weight: f64([1, 1, 2, -1], [2, 1, 2]), bias: f64([0, 10], [2]) }, x, {
      groups: 2,
    });
    assert.deepEqual(grouped.shape, [1, 2, 3]);
    close(values(grouped), [3, 5, 7, 9, 12, 11], "groups");
    // Dilation 2: x[j] − x[j+2].
    close(values(nn.conv1d.apply({ weight: f64([1, -1], [1, 1, 2]) }, f64([1, 2, 3, 5], [1, 1, 4]), { dilation: 2 })), [
      -2,
      -3,
    ], "dilated");
  });
});

Deno.test("nn.conv*: a layer is a tensors-only tree: gradients, and the same options object for init and apply", () => {
  noLeaks(() => {
    const options = { stride: 2, padding: 1, groups: 2 } as const;
    const conv = nn.conv2d.init(rng(0), 4, 6, 3, options);
    const x = randn([2, 4, 5, 5], rng(1));
    const { value, grads } = valueAndGrad((p: typeof conv) => sum(nn.conv2d.apply(p, x, options)))(conv);
    assert.equal(value.shape.length, 0);
    assert.deepEqual(paths(grads), ["weight 6,2,3,3 f32", "bias 6 f32"]);
    // d(sum)/d(bias) is the number of output positions per channel: 2 · 3 · 3.
    close(values(grads.bias!), Array(6).fill(18), "bias gradient", 1e-4);
  });
});

Deno.test("nn.conv*: errors name the op and the argument", () => {
  noLeaks(() => {
    const conv = nn.conv2d.init(rng(0), 3, 4, 3);
    assert.throws(() => nn.conv2d.apply(conv, zeros([1, 2, 5, 5]) as never), ShapeError);
    assert.throws(() => nn.conv2d.apply(conv, zeros([1, 2, 5, 5]) as never), /^ShapeError: conv2d: x has 2 channels/);
    assert.throws(
      () => nn.conv2d.apply(conv, zeros([1, 3, 2, 2])),
      /^ShapeError: conv2d: x \[1, 3, 2, 2\] is too small/,
    );
    assert.throws(
      () => nn.conv2d.apply(conv, zeros([3, 5]) as never),
      /^ShapeError: conv2d: x must be \[batch, channels/,
    );
    assert.throws(() => nn.conv2d.apply(conv, zeros([1, 3, 5, 5]), { stride: 0 }), /^RangeError: conv2d: stride/);
    assert.throws(() => nn.conv2d.apply(conv, zeros([1, 3, 5, 5]), null as never), /^TypeError: conv2d: options/);
    assert.throws(() => nn.conv2d.apply(null as never, zeros([1, 3, 5, 5])), /^TypeError: conv2d: layer must be/);
    assert.throws(() => nn.conv1d.apply(nn.conv1d.init(rng(0), 2, 2, 1), zeros([1, 3, 4]) as never), ShapeError);
    assert.throws(() => nn.conv2d.init(rng(0), 4, 6, 3, { groups: 3 }), /^RangeError: conv2d: groups 3 must divide/);
    assert.throws(() => nn.conv2d.init(rng(0), 0, 6, 3), /^RangeError: conv2d: inChannels must be an integer/);
    assert.throws(() => nn.conv2d.init(rng(0), 3, 1.5, 3), /^RangeError: conv2d: outChannels must be an integer/);
    assert.throws(() => nn.conv2d.init(rng(0), 3, 4, [3]), /^RangeError: conv2d: kernelSize must be/);
    assert.throws(() => nn.conv1d.init(rng(0), 3, 4, 0), /^RangeError: conv1d: kernelSize must be an integer ≥ 1/);
    assert.throws(() => nn.conv2d.init(rng(0), 3, 4, 3, { stride: [1, 0] }), /^RangeError: conv2d: stride/);
    assert.throws(() => nn.conv2d.init(rng(0), 3, 4, 3, { padding: -1 }), /^RangeError: conv2d: padding/);
    assert.throws(() => nn.conv2d.init(rng(0), 3, 4, 3, { dilation: NaN }), /^RangeError: conv2d: dilation/);
    assert.throws(
      () => nn.conv2d.init(rng(0), 3, 4, 3, { padding: "same", stride: 2 }),
      /^RangeError: conv2d: padding "same" needs stride 1/,
    );
    assert.throws(() => nn.conv2d.init(rng(0), 3, 4, 3, { bias: 1 as never }), /^TypeError: conv2d: bias must be/);
    assert.throws(() => nn.conv2d.init(rng(0), 3, 4, 3, { dtype: "i64" as never }), DTypeError);
  });
});

Deno.test("nn.conv2d.apply: compile-time channel check", () => {
  scope(() => {
    const layer = nn.conv2d.init(rng(0), 3, 16, 3) as nn.conv2d.Conv2d<16, 3>;
    const y = nn.conv2d.apply(layer, zeros([2, 3, 8, 8]), { padding: 1 });
    expectType<Equal<ShapeOf<typeof y>, [2, 16, number, number]>>();
    // @ts-expect-error conv2d: x has 4 channels, the weight takes 3
    assert.throws(() => nn.conv2d.apply(layer, zeros([2, 4, 8, 8])), ShapeError);
    const grouped = nn.conv2d.apply(layer, zeros([2, 6, 8, 8]), { groups: 2 });
    expectType<Equal<ShapeOf<typeof grouped>, [2, 16, number, number]>>();
    // @ts-expect-error conv2d: x has 6 channels, the weight takes 3 × groups 3
    assert.throws(() => nn.conv2d.apply(layer, zeros([2, 6, 8, 8]), { groups: 3 }), ShapeError);
  });
});

Deno.test("nn.batchNorm.init: torch.nn.BatchNorm's start, parameters and state as two trees", () => {
  noLeaks(() => {
    const { layer, state } = nn.batchNorm.init(3);
    assert.deepEqual(paths(layer), ["weight 3 f32", "bias 3 f32"]);
    assert.deepEqual(paths(state), ["runningMean 3 f32", "runningVar 3 f32"]);
    assert.deepEqual(values(layer.weight!), [1, 1, 1]);
    assert.deepEqual(values(layer.bias!), [0, 0, 0]);
    assert.deepEqual(values(state.runningMean), [0, 0, 0]);
    assert.deepEqual(values(state.runningVar), [1, 1, 1]);
    const bare = nn.batchNorm.init(2, { affine: false, dtype: "f64" });
    assert.deepEqual(paths(bare.layer), []);
    assert.deepEqual(paths(bare.state), ["runningMean 2 f64", "runningVar 2 f64"]);
  });
});

Deno.test("nn.batchNorm.apply: training by the batch's statistics, the state moved and returned, evaluation by it", () => {
  noLeaks(() => {
    const layer = { weight: f64([2, 0.5], [2]), bias: f64([1, -1], [2]) };
    const state = { runningMean: f64([0, 0], [2]), runningVar: f64([1, 1], [2]) };
    // Channel 0 holds [1, 3] (mean 2, biased variance 1, unbiased 2); channel 1 [2, 6] (4, 4, 8).
    const x = f64([1, 2, 3, 6], [2, 2]);
    const trained = nn.batchNorm.apply(layer, state, x, { training: true, eps: 0 });
    // (x − mean)/√var is ±1 in both channels; then ·weight + bias.
    close(values(trained.out), [-1, -1.5, 3, -0.5], "training out");
    close(values(trained.state.runningMean), [0.2, 0.4], "running mean: 0.9·0 + 0.1·mean");
    close(values(trained.state.runningVar), [1.1, 1.7], "running var: 0.9·1 + 0.1·unbiased var");
    assert.deepEqual(values(state.runningMean), [0, 0], "the state passed in is not touched");
    assert.deepEqual(values(state.runningVar), [1, 1]);
    const evaluated = nn.batchNorm.apply(layer, trained.state, f64([1, 2], [1, 2]), { training: false, eps: 0 });
    close(values(evaluated.out), [(0.8 / Math.sqrt(1.1)) * 2 + 1, (1.6 / Math.sqrt(1.7)) * 0.5 - 1], "evaluation");
    close(values(evaluated.state.runningMean), [0.2, 0.4], "evaluation leaves the statistics as they are");
    // BatchNorm2d's layout, no affine, momentum 1 and the default eps: one channel of [1, 2, 3, 4].
    const one = { runningMean: f64([0], [1]), runningVar: f64([1], [1]) };
    const four = nn.batchNorm.apply({}, one, f64([1, 2, 3, 4], [2, 1, 1, 2]), { training: true, momentum: 1 });
    const sd = Math.sqrt(1.25 + 1e-5);
    close(values(four.out), [-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd], "2-d", 1e-9);
    close([...values(four.state.runningMean), ...values(four.state.runningVar)], [2.5, 5 / 3], "momentum 1");
  });
});

Deno.test("nn.batchNorm: gradients reach the parameters, the state travels beside them (hasAux)", () => {
  noLeaks(() => {
    const { layer, state } = nn.batchNorm.init(2, { dtype: "f64" });
    const x = f64([1, 2, 3, 6, 0, 1], [3, 2]);
    const loss = (p: typeof layer) => {
      const { out, state: next } = nn.batchNorm.apply(p, state, x, { training: true });
      return [sum(mul(out, f64([1, 2, 3, 4, 5, 6], [3, 2]))), next] as [Tensor, typeof next];
    };
    const { value: [, next], grads } = valueAndGrad(loss, { hasAux: true })(layer);
    assert.deepEqual(paths(grads), ["weight 2 f64", "bias 2 f64"]);
    // d/d(bias) of Σ out·c is the column sums of c: [1 + 3 + 5, 2 + 4 + 6].
    close(values(grads.bias!), [9, 12], "bias gradient", 1e-9);
    close(values(next.runningMean), [0.4 / 3 * 1, 0.3], "running mean", 1e-9);
  });
});

Deno.test("nn.batchNorm: errors name the op and the argument", () => {
  noLeaks(() => {
    const { layer, state } = nn.batchNorm.init(3);
    assert.throws(() => nn.batchNorm.apply(layer, state, zeros([2, 4]) as never, { training: true }), ShapeError);
    assert.throws(
      () => nn.batchNorm.apply(layer, state, zeros([2, 4]) as never, { training: true }),
      /^ShapeError: batchNorm: runningMean must be \[4\]/,
    );
    const two = nn.batchNorm.init(2).state;
    assert.throws(
      () => nn.batchNorm.apply(layer, two, zeros([2, 2]), { training: true }),
      /^ShapeError: batchNorm: weight must be \[2\]/,
    );
    assert.throws(
      () => nn.batchNorm.apply(layer, state, zeros([1, 3]), { training: true }),
      /^ShapeError: batchNorm: training needs more than one value per channel/,
    );
    assert.throws(() => nn.batchNorm.apply(layer, state, zeros([4]) as never, { training: false }), ShapeError);
    assert.throws(
      () => nn.batchNorm.apply(layer, state, zeros([2, 3]), {} as never),
      /^TypeError: batchNorm: options.training must be true or false/,
    );
    assert.throws(
      () => nn.batchNorm.apply(layer, state, zeros([2, 3]), { training: true, momentum: 2 }),
      /^RangeError: batchNorm: momentum must be in \[0, 1\]/,
    );
    assert.throws(
      () => nn.batchNorm.apply(layer, state, zeros([2, 3]), { training: true, eps: -1 }),
      /^RangeError: batchNorm: eps/,
    );
    assert.throws(
      () => nn.batchNorm.apply(layer, state, zeros([2, 3], { dtype: "i64" }), { training: true }),
      DTypeError,
    );
    assert.throws(() => nn.batchNorm.apply(null as never, state, zeros([2, 3]), { training: true }), TypeError);
    assert.throws(() => nn.batchNorm.init(0), /^RangeError: batchNorm: features must be an integer/);
    assert.throws(() => nn.batchNorm.init(2.5), /^RangeError: batchNorm: features/);
    assert.throws(() => nn.batchNorm.init(2, { dtype: "i32" as never }), /^DTypeError: batchNorm: dtype/);
    assert.throws(() => nn.batchNorm.init(2, { affine: 1 as never }), /^TypeError: batchNorm: affine/);
    const three = state as nn.batchNorm.BatchNormState<3>;
    // @ts-expect-error batchNorm: x has 4 channels, the running statistics 3
    assert.throws(() => nn.batchNorm.apply(layer, three, zeros([2, 4]), { training: true }), ShapeError);
  });
});

/** Bytes from base64. */
const unbase64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

// Written by torch 1.13 (the safetensors layout by hand: no safetensors package there):
// torch.manual_seed(0); torch.nn.Conv2d(2, 2, 2).state_dict().
const TORCH_CONV2D =
  "gAAAAAAAAAB7IndlaWdodCI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMiwyLDIsMl0sImRhdGFfb2Zmc2V0cyI6WzAsNjRdfS" +
  "wiYmlhcyI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6WzY0LDcyXX19ICAgICJ5LbucNkI+sfyUvh04hb7WcAu+qyrCPVeK" +
  "5btAh48+3oMAvZeZvz1d09q9G1SOvcLvrL6QxW++nz0VvkyUVjxrIA8+QDtZPg==";
// BatchNorm1d(2), weight [2, 0.5], bias [1, -1], after one training call on [[1, 2], [3, 6]].
const TORCH_BATCH_NORM =
  "QAEAAAAAAAB7IndlaWdodCI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6WzAsOF19LCJiaWFzIjp" +
  "7ImR0eXBlIjoiRjMyIiwic2hhcGUiOlsyXSwiZGF0YV9vZmZzZXRzIjpbOCwxNl19LCJydW5uaW5nX21lYW4iOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6" +
  "WzJdLCJkYXRhX29mZnNldHMiOlsxNiwyNF19LCJydW5uaW5nX3ZhciI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6WzI0" +
  "LDMyXX0sIm51bV9iYXRjaGVzX3RyYWNrZWQiOnsiZHR5cGUiOiJJNjQiLCJzaGFwZSI6W10sImRhdGFfb2Zmc2V0cyI6WzMyLDQwXX19IAAAAEAAAAA/" +
  "AACAPwAAgL/NzEw+zczMPs3MjD+amdk/AQAAAAAAAAA=";

Deno.test("nn.conv2d: a torch.nn.Conv2d state dict loads as the layer, and the layer saves as one", () => {
  noLeaks(() => {
    const { tensors } = parseSafetensors(unbase64(TORCH_CONV2D));
    assert.deepEqual([...tensors.keys()], ["weight", "bias"]);
    const conv = { weight: tensors.get("weight")!, bias: tensors.get("bias")! } as nn.conv2d.Conv2d;
    const x = tensor(Array.from({ length: 18 }, (_, i) => i / 10), [1, 2, 3, 3]);
    // torch's conv(x) for the same x (arange(18) / 10).
    const want = [0.29563755, 0.28241652, 0.25597441, 0.24275333, -0.53436518, -0.61623824, -0.7799843, -0.86185741];
    close(values(nn.conv2d.apply(conv, x)), want, "torch's output", 1e-6);
    // And back: the names and shapes torch's load_state_dict expects.
    const saved = parseSafetensorsHeader(serializeSafetensors(flattenTree(nn.conv2d.init(rng(0), 2, 2, 2))));
    assert.deepEqual(saved.entries.map((e) => `${e.name} ${e.shape}`), ["weight 2,2,2,2", "bias 2"]);
  });
});

Deno.test("nn.batchNorm: a torch.nn.BatchNorm1d state dict maps onto the layer and its state", () => {
  noLeaks(() => {
    const { tensors } = parseSafetensors(unbase64(TORCH_BATCH_NORM));
    assert.deepEqual([...tensors.keys()], ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
    const layer = { weight: tensors.get("weight")!, bias: tensors.get("bias")! } as nn.batchNorm.BatchNorm;
    const state = {
      runningMean: tensors.get("running_mean")!,
      runningVar: tensors.get("running_var")!,
    } as nn.batchNorm.BatchNormState;
    // The same training call from init gives torch's running statistics.
    const ours = nn.batchNorm.apply(layer, nn.batchNorm.init(2).state, tensor([1, 2, 3, 6], [2, 2]), {
      training: true,
    });
    close(values(ours.state.runningMean), values(state.runningMean), "running_mean", 1e-6);
    close(values(ours.state.runningVar), values(state.runningVar), "running_var", 1e-6);
    // torch's eval-mode output on [[1, 2]] with the loaded statistics.
    const { out } = nn.batchNorm.apply(layer, state, tensor([1, 2], [1, 2]), { training: false });
    close(values(out), [2.5255332, -0.38642985], "torch's output", 1e-6);
  });
});
