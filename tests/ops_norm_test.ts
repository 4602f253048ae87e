/**
 * Normalizations: batchNorm (training and evaluation, running statistics returned anew, the state
 * passed in left alone), groupNorm, instanceNorm and rmsNorm, against values computed from their
 * formulas here; the errors for bad arguments; no leaked tensors.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert/strict";
import {
  batchNorm,
  DTypeError,
  groupNorm,
  instanceNorm,
  ones,
  rmsNorm,
  ShapeError,
  type Tensor,
  tensor,
  zeros,
} from "../mod.ts";
import { assertClose, assertMeta, guard, meanStd, noLeaks, rejects } from "./ops_helpers.ts";

/** (x − mean) / sqrt(biased variance + eps) of a list. */
function standardize(xs: number[], eps = 1e-5): number[] {
  const { mean, variance } = meanStd(xs, false);
  return xs.map((x) => (x - mean) / Math.sqrt(variance + eps));
}

Deno.test(
  "batchNorm, training: batch statistics, running statistics moved by momentum, state untouched",
  noLeaks(() => {
    // x [4, 2]: channel 0 holds 1, 2, 3, 4; channel 1 holds 2, 4, 6, 8
    const x = tensor([1, 2, 2, 4, 3, 6, 4, 8], [4, 2]);
    const runningMean = zeros([2]);
    const runningVar = ones([2]);
    const check = guard(x, runningMean, runningVar);
    const r = batchNorm(x, { runningMean, runningVar }, undefined, undefined, { training: true });
    assertMeta(r.out, [4, 2], "f32");
    const c0 = standardize([1, 2, 3, 4]), c1 = standardize([2, 4, 6, 8]);
    assertClose(r.out, [0, 1, 2, 3].flatMap((i) => [c0[i], c1[i]]), "normalized per channel");
    // mean 2.5 and 5; unbiased variances 5/3 and 20/3
    assertClose(r.runningMean, [0.9 * 0 + 0.1 * 2.5, 0.1 * 5], "running mean");
    assertClose(r.runningVar, [0.9 + 0.1 * (5 / 3), 0.9 + 0.1 * (20 / 3)], "running variance (unbiased)");
    assert.notEqual(r.runningMean, runningMean, "a new tensor");
    check();
    const m = batchNorm(x, { runningMean, runningVar }, undefined, undefined, { training: true, momentum: 1 });
    assertClose(m.runningMean, [2.5, 5], "momentum 1 takes the batch's statistics");
  }),
);

Deno.test(
  "batchNorm, evaluation: running statistics and the affine parameters; spatial dims",
  noLeaks(() => {
    const x = tensor([1, 3, 5, 7], [1, 2, 2]); // [batch 1, 2 channels, length 2]
    const state = { runningMean: tensor([1, 5], [2]), runningVar: tensor([4, 1], [2]) };
    const r = batchNorm(x, state, tensor([2, 1], [2]), tensor([1, -1], [2]));
    const e = 1e-5;
    assertClose(r.out, [
      ((1 - 1) / Math.sqrt(4 + e)) * 2 + 1,
      ((3 - 1) / Math.sqrt(4 + e)) * 2 + 1,
      ((5 - 5) / Math.sqrt(1 + e)) - 1,
      ((7 - 5) / Math.sqrt(1 + e)) - 1,
    ], "(x − μ) / √(σ² + ε) · γ + β");
    assertClose(r.runningMean, [1, 5], "unchanged values");
    assertClose(r.runningVar, [4, 1], "unchanged values");
  }),
);

Deno.test(
  "groupNorm and instanceNorm: per group / per channel statistics",
  noLeaks(() => {
    // x [1, 4, 1]: groups of 2 channels are {1, 2} and {3, 5}
    const x = tensor([1, 2, 3, 5], [1, 4, 1]);
    const check = guard(x);
    assertClose(groupNorm(x, 2), [...standardize([1, 2]), ...standardize([3, 5])], "2 groups");
    assertClose(groupNorm(x, 1), standardize([1, 2, 3, 5]), "1 group: layer norm over C and spatial");
    const affine = groupNorm(x, 2, tensor([1, 2, 3, 4], [4]), tensor([0, 0, 1, 1], [4]), 1e-3);
    const g = [...standardize([1, 2], 1e-3), ...standardize([3, 5], 1e-3)];
    assertClose(affine, [g[0] * 1, g[1] * 2, g[2] * 3 + 1, g[3] * 4 + 1], "per-channel weight and bias");
    const y = tensor([1, 2, 3, 4, 10, 20, 30, 50], [1, 2, 4]);
    const inorm = instanceNorm(y);
    assertMeta(inorm, [1, 2, 4], "f32");
    assertClose(inorm, [...standardize([1, 2, 3, 4]), ...standardize([10, 20, 30, 50])], "per channel");
    check();
  }),
);

Deno.test(
  "rmsNorm: x · rsqrt(mean(x²) + eps) · weight over the trailing dims of torch's normalized_shape",
  noLeaks(() => {
    const x = tensor([3, 4, 1, -1], [2, 2]);
    const eps32 = 2 ** -23; // torch.finfo(float32).eps, the default
    const row = (a: number, b: number, eps = eps32) => [a, b].map((v) => v / Math.sqrt((a * a + b * b) / 2 + eps));
    assertClose(rmsNorm(x, 2), [...row(3, 4), ...row(1, -1)], "a number is the last dim's size, as in torch");
    assertClose(rmsNorm(x, [2]), [...row(3, 4), ...row(1, -1)], "by shape");
    const w = tensor([2, 0.5], [2]);
    const r0 = row(3, 4, 0.1), r1 = row(1, -1, 0.1);
    assertClose(rmsNorm(x, 2, w, 0.1), [r0[0] * 2, r0[1] * 0.5, r1[0] * 2, r1[1] * 0.5], "weight and eps");
    const all = Math.sqrt((9 + 16 + 1 + 1) / 4 + eps32);
    assertClose(rmsNorm(x, [2, 2]), [3, 4, 1, -1].map((v) => v / all), "both dims");
    const f64 = rmsNorm(tensor([3, 4], [2], { dtype: "f64" }), 2);
    assertMeta(f64, [2], "f64");
    assertClose(f64, [3, 4].map((v) => v / Math.sqrt(12.5 + 2 ** -52)), "f64's eps", { atol: 1e-12, rtol: 1e-12 });
  }),
);

Deno.test(
  "norm errors: shapes, dtypes and arguments named",
  noLeaks(() => {
    const x = zeros([2, 3, 4]);
    const state = { runningMean: zeros([3]), runningVar: ones([3]) };
    rejects(
      () => batchNorm(x, { runningMean: zeros([4]) as Tensor<[number]>, runningVar: ones([3]) }),
      ShapeError,
      "batchNorm",
      /runningMean must be \[3\]/,
    );
    rejects(() => batchNorm(zeros([3]), state), ShapeError, "batchNorm", /x must be \[batch, channels, \.\.\.\]/);
    rejects(() => batchNorm(x, state, zeros([2])), ShapeError, "batchNorm", /weight must be \[3\]/);
    rejects(
      () => batchNorm(x, state, undefined, undefined, { momentum: 2 }),
      RangeError,
      "batchNorm",
      /momentum must be in \[0, 1\]/,
    );
    rejects(
      () => batchNorm(x, state, undefined, undefined, { eps: NaN }),
      RangeError,
      "batchNorm",
      /eps must be a finite number ≥ 0/,
    );
    rejects(
      () => batchNorm(zeros([1, 3]), state, undefined, undefined, { training: true }),
      ShapeError,
      "batchNorm",
      /more than one value per channel/,
    );
    rejects(
      () => batchNorm(x, undefined as never),
      TypeError,
      "batchNorm",
      /state must be \{ runningMean, runningVar \}/,
    );
    rejects(() => batchNorm(zeros([2, 3], { dtype: "i64" }), state), DTypeError, "batchNorm", /floating point/);
    rejects(
      () => batchNorm(x, state, zeros([3], { dtype: "f64" })),
      DTypeError,
      "batchNorm",
      /weight must have x's dtype f32/,
    );
    rejects(
      () => groupNorm(x, 2),
      RangeError,
      "groupNorm",
      /groups must be an integer ≥ 1 that divides the 3 channels, got 2/,
    );
    rejects(() => groupNorm(x, 1.5), RangeError, "groupNorm", /groups must be an integer/);
    rejects(() => groupNorm(zeros([1, 2]), 2), ShapeError, "groupNorm", /more than one value per group/);
    rejects(
      () => instanceNorm(zeros([2, 3])),
      ShapeError,
      "instanceNorm",
      /x must be \[batch, channels, \.\.\.spatial\]/,
    );
    rejects(() => instanceNorm(zeros([2, 3, 1])), ShapeError, "instanceNorm", /more than one spatial position/);
    // A number is torch's last-dim size, never a rank: 1 for x [2, 3, 4] is a ShapeError naming both shapes.
    rejects(
      () => rmsNorm(x, 1),
      ShapeError,
      "rmsNorm",
      /normalized shape \[1\] must be x's trailing sizes, got x \[2, 3, 4\]/,
    );
    rejects(() => rmsNorm(x, [2, 2, 3, 4]), ShapeError, "rmsNorm", /normalized shape \[2, 2, 3, 4\] must be/);
    rejects(() => rmsNorm(x, []), ShapeError, "rmsNorm", /normalized shape \[\] must be/);
    rejects(() => rmsNorm(x, NaN), ShapeError, "rmsNorm", /normalized shape \[NaN\] must be/);
    rejects(() => rmsNorm(x, "4" as never), TypeError, "rmsNorm", /normalizedShape must be a size or a shape/);
    rejects(() => rmsNorm(x, [3, 5]), ShapeError, "rmsNorm", /normalized shape \[3, 5\] must be x's trailing sizes/);
    rejects(() => rmsNorm(x, 4, zeros([3]) as Tensor), ShapeError, "rmsNorm", /weight must be \[4\]/);
    rejects(() => rmsNorm(x, 4, undefined, -1), RangeError, "rmsNorm", /eps must be a finite number ≥ 0/);
    rejects(() => rmsNorm(zeros([2], { dtype: "i32" }), 2), DTypeError, "rmsNorm", /floating point/);
  }),
);
