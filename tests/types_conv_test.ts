/**
 * Type-level shape tests of the neural-network ops (conv, pooling, normalization, losses), in the
 * manner of tests/types_test.ts: every `@ts-expect-error` line must be a compile error (the text
 * after it says which), every `Equal` must hold, and the run-time shapes agree with the types.
 */
import assert from "node:assert/strict";
import {
  adaptiveAvgPool2d,
  batchNorm,
  conv1d,
  conv2d,
  convTranspose2d,
  interpolate,
  maxPool2d,
  maxPool2dWithIndices,
  mseLoss,
  nllLoss,
  ones,
  rmsNorm,
  scope,
  type Shape,
  ShapeError,
  type Tensor,
  tensor,
  zeros,
} from "../mod.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function expectType<_T extends true>(): void {}
type ShapeOf<T> = T extends Tensor<infer S> ? S : never;

function named<const S extends Shape>(sizes: number[]): Tensor<S> {
  return zeros(sizes) as unknown as Tensor<S>;
}

Deno.test("types: conv2d keeps the batch, takes the weight's output channels; spatial sizes are numbers", () => {
  scope(() => {
    const x = named<["batch", 3, 8, 8]>([2, 3, 8, 8]);
    const w = named<[16, 3, 3, 3]>([16, 3, 3, 3]);
    const y = conv2d(x, w, undefined, { padding: 1 });
    expectType<Equal<ShapeOf<typeof y>, ["batch", 16, number, number]>>();
    assert.deepEqual(y.shape, [2, 16, 8, 8]);

    const unbatched = conv2d(named<[3, 8, 8]>([3, 8, 8]), w);
    expectType<Equal<ShapeOf<typeof unbatched>, [16, number, number]>>();
    assert.deepEqual(unbatched.shape, [16, 6, 6]);

    const seq = conv1d(named<["batch", "channels", 10]>([2, 4, 10]), named<[5, "channels", 3]>([5, 4, 3]));
    expectType<Equal<ShapeOf<typeof seq>, ["batch", 5, number]>>();
  });
});

Deno.test("types: a channel mismatch is a compile error and a runtime ShapeError; literal groups multiply the weight's channels", () => {
  scope(() => {
    const x = named<[1, 4, 5, 5]>([1, 4, 5, 5]);
    const w = named<[2, 3, 3, 3]>([2, 3, 3, 3]);
    // @ts-expect-error conv2d: x has 4 channels, the weight takes 3
    const mismatched = () => conv2d(x, w);
    assert.throws(mismatched, (e: Error) => e instanceof ShapeError && /x has 4 channels/.test(e.message));

    // @ts-expect-error conv2d: the weight must be [out, in/groups, height, width]
    assert.throws(() => conv2d(x, named<[2, 4, 3]>([2, 4, 3])), ShapeError);

    // @ts-expect-error conv2d: x must be [batch, channels, height, width] or [channels, height, width]
    assert.throws(() => conv2d(named<[4, 5]>([4, 5]), w), ShapeError);

    // @ts-expect-error conv1d: "d_model" channels do not match "hidden"
    assert.throws(() => conv1d(named<[1, "d_model", 6]>([1, 4, 6]), named<[2, "hidden", 3]>([2, 3, 3])), ShapeError);

    // Literal groups multiply the weight's input channels: 4 = 2 · 2.
    const grouped = conv2d(x, named<[4, 2, 3, 3]>([4, 2, 3, 3]), undefined, { groups: 2 });
    expectType<Equal<ShapeOf<typeof grouped>, [1, 4, number, number]>>();
    assert.deepEqual(grouped.shape, [1, 4, 3, 3]);
    const w6 = named<[4, 3, 3, 3]>([4, 3, 3, 3]);
    // @ts-expect-error conv2d: x has 4 channels, the weight takes 3 × groups 2
    assert.throws(() => conv2d(x, w6, undefined, { groups: 2 }), ShapeError);
    // Depthwise: one input channel per group.
    const depthwise = conv2d(named<[1, 32, 5, 5]>([1, 32, 5, 5]), named<[32, 1, 3, 3]>([32, 1, 3, 3]), undefined, {
      groups: 32,
    });
    expectType<Equal<ShapeOf<typeof depthwise>, [1, 32, number, number]>>();
    // Counts of 1000 and more (or groups only known at run time) are left to the run-time check.
    const wide = conv1d(named<[1, 2048, 3]>([1, 2048, 3]), named<[64, 64, 1]>([64, 64, 1]), undefined, { groups: 32 });
    expectType<Equal<ShapeOf<typeof wide>, [1, 64, number]>>();
    const g: number = 2;
    assert.throws(() => conv2d(x, w6, undefined, { groups: g }), ShapeError);
  });
});

Deno.test("types: convTranspose2d takes the weight's second dim (groups 1) as output channels", () => {
  scope(() => {
    const y = convTranspose2d(named<["batch", 8, 4, 4]>([1, 8, 4, 4]), named<[8, 3, 2, 2]>([8, 3, 2, 2]), undefined, {
      stride: 2,
    });
    expectType<Equal<ShapeOf<typeof y>, ["batch", 3, number, number]>>();
    assert.deepEqual(y.shape, [1, 3, 8, 8]);
    const x4 = named<[1, 4, 4, 4]>([1, 4, 4, 4]), w8 = named<[8, 3, 2, 2]>([8, 3, 2, 2]);
    // @ts-expect-error convTranspose2d: x has 4 channels, the weight takes 8 (weight is [in, out/groups, ...kernel])
    assert.throws(() => convTranspose2d(x4, w8), ShapeError);
  });
});

Deno.test("types: pooling keeps batch and channels; adaptiveAvgPool2d knows its output size", () => {
  scope(() => {
    const x = named<["batch", 64, 32, 32]>([2, 64, 32, 32]);
    const p = maxPool2d(x, { kernelSize: 2 });
    expectType<Equal<ShapeOf<typeof p>, ["batch", 64, number, number]>>();
    const { indices } = maxPool2dWithIndices(x, { kernelSize: 2 });
    expectType<Equal<ShapeOf<typeof indices>, ["batch", 64, number, number]>>();
    const g = adaptiveAvgPool2d(x, 1);
    expectType<Equal<ShapeOf<typeof g>, ["batch", 64, 1, 1]>>();
    const r = adaptiveAvgPool2d(x, [2, 3]);
    expectType<Equal<ShapeOf<typeof r>, ["batch", 64, 2, 3]>>();
    assert.deepEqual(r.shape, [2, 64, 2, 3]);
    const up = interpolate(x, { scaleFactor: 2, mode: "nearest" });
    expectType<Equal<ShapeOf<typeof up>, ["batch", 64, number, number]>>();
    // @ts-expect-error maxPool2d: x must be [batch, channels, height, width] or [channels, height, width]
    assert.throws(() => maxPool2d(named<[32]>([32]), { kernelSize: 2 }), ShapeError);
  });
});

Deno.test("types: batchNorm's state is typed by the channel dim; norms keep x's shape", () => {
  scope(() => {
    const x = named<["batch", 3, 4, 4]>([2, 3, 4, 4]);
    const r = batchNorm(x, { runningMean: zeros([3]), runningVar: ones([3]) }, undefined, undefined, {
      training: true,
    });
    expectType<Equal<ShapeOf<typeof r.out>, ["batch", 3, 4, 4]>>();
    expectType<Equal<ShapeOf<typeof r.runningMean>, [3]>>();
    const four = { runningMean: zeros([4]), runningVar: ones([4]) };
    // @ts-expect-error batchNorm: x has 3 channels, the running statistics 4
    assert.throws(() => batchNorm(x, four), ShapeError);
    const n = rmsNorm(x, 4);
    expectType<Equal<ShapeOf<typeof n>, ["batch", 3, 4, 4]>>();
  });
});

Deno.test("types: losses reduce to [] unless reduction is 'none'", () => {
  scope(() => {
    const a = named<["batch", 4]>([2, 4]);
    const m = mseLoss(a, named<[4]>([4]));
    expectType<Equal<ShapeOf<typeof m>, []>>();
    const none = mseLoss(a, named<[4]>([4]), { reduction: "none" });
    expectType<Equal<ShapeOf<typeof none>, ["batch", 4]>>();
    // @ts-expect-error cannot broadcast ["batch", 4] with [5]
    assert.throws(() => mseLoss(a, named<[5]>([5])), ShapeError);
    const t = tensor([0, 3], [2], { dtype: "i64" }) as unknown as Tensor<["batch"]>;
    const perSample = nllLoss(a, t, { reduction: "none" });
    expectType<Equal<ShapeOf<typeof perSample>, ["batch"]>>();
  });
});
