/**
 * Convolutions, pooling and resampling: values worked out by hand on small inputs, or by a naive
 * loop-nest reference written here (conv2d with stride, padding, dilation and groups), the errors
 * each op raises for a bad argument (class and message), and no leaked tensors.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert/strict";
import {
  adaptiveAvgPool2d,
  avgPool1d,
  avgPool2d,
  conv1d,
  conv2d,
  conv3d,
  convTranspose1d,
  convTranspose2d,
  DTypeError,
  interpolate,
  maxPool1d,
  maxPool1dWithIndices,
  maxPool2d,
  maxPool2dWithIndices,
  ones,
  ShapeError,
  type Tensor,
  tensor,
  zeros,
} from "../mod.ts";
import { assertClose, assertMeta, assertValues, guard, noLeaks, rejects, values } from "./ops_helpers.ts";

const range = (n: number, f: (i: number) => number = (i) => i) => Array.from({ length: n }, (_, i) => f(i));
/** Deterministic, distinct-ish values for inputs (no randomness in expectations). */
const wave = (n: number, phase = 0) => range(n, (i) => Math.round(Math.sin(1.7 * i + phase) * 100) / 100);

/**
 * conv2d by loops: out[n][o][i][j] = b[o] + Σ_c Σ_p Σ_q x[n][g·cin + c][i·s − pad + p·d][j·s − pad + q·d] · w[o][c][p][q],
 * with g the group of output channel o, zeros outside x.
 */
function conv2dRef(
  x: number[],
  [n, c, h, w]: number[],
  wt: number[],
  [o, cin, kh, kw]: number[],
  bias: number[] | null,
  s: [number, number],
  pad: [number, number],
  d: [number, number],
  groups: number,
): { shape: number[]; values: number[] } {
  const oh = Math.floor((h + 2 * pad[0] - d[0] * (kh - 1) - 1) / s[0]) + 1;
  const ow = Math.floor((w + 2 * pad[1] - d[1] * (kw - 1) - 1) / s[1]) + 1;
  const out: number[] = [];
  const perGroup = o / groups;
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++) {
      const g = Math.floor(oc / perGroup);
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          let acc = bias ? bias[oc] : 0;
          for (let ic = 0; ic < cin; ic++) {
            for (let p = 0; p < kh; p++) {
              for (let q = 0; q < kw; q++) {
                const y = i * s[0] - pad[0] + p * d[0], z = j * s[1] - pad[1] + q * d[1];
                if (y < 0 || y >= h || z < 0 || z >= w) continue;
                acc += x[((b * c + g * cin + ic) * h + y) * w + z] * wt[((oc * cin + ic) * kh + p) * kw + q];
              }
            }
          }
          out.push(acc);
        }
      }
    }
  }
  return { shape: [n, o, oh, ow], values: out };
}

Deno.test(
  "conv1d: a difference kernel by hand, with padding, stride and bias; unbatched input",
  noLeaks(() => {
    const x = tensor([1, 2, 3, 4, 5], [1, 1, 5]);
    const w = tensor([1, 0, -1], [1, 1, 3]);
    const b = tensor([0.5], [1]);
    const check = guard(x, w, b);
    // out[i] = x[i] − x[i+2] + 0.5
    assertClose(conv1d(x, w, b), [-1.5, -1.5, -1.5], "valid");
    assertMeta(conv1d(x, w, b), [1, 1, 3], "f32");
    // padded with one zero on each side: [0, 1, 2, 3, 4, 5, 0]
    assertClose(conv1d(x, w, b, { padding: 1 }), [-1.5, -1.5, -1.5, -1.5, 4.5], "padding 1");
    assertClose(conv1d(x, w, b, { padding: 1, stride: 2 }), [-1.5, -1.5, 4.5], "padding 1, stride 2");
    // dilation 2: x[i] − x[i+4]
    assertClose(conv1d(x, w, undefined, { dilation: 2 }), [-4], "dilation 2");
    const unbatched = conv1d(tensor([1, 2, 3, 4, 5], [1, 5]), w);
    assertMeta(unbatched, [1, 3], "f32", "unbatched");
    assertClose(unbatched, [-2, -2, -2], "unbatched");
    check();
  }),
);

Deno.test(
  "conv1d: padding 'same' puts the odd extra zero on the right, 'valid' none",
  noLeaks(() => {
    const x = tensor([1, 2, 3, 4], [1, 1, 4]);
    const w = tensor([1, 1], [1, 1, 2]);
    assertClose(conv1d(x, w, undefined, { padding: "same" }), [3, 5, 7, 4], "same");
    assertClose(conv1d(x, w, undefined, { padding: "valid" }), [3, 5, 7], "valid");
  }),
);

Deno.test(
  "conv2d: against a loop-nest reference with stride, padding, dilation and groups",
  noLeaks(() => {
    const cases: {
      x: number[];
      w: number[];
      s: [number, number];
      p: [number, number];
      d: [number, number];
      g: number;
    }[] = [
      { x: [2, 2, 5, 5], w: [3, 2, 3, 3], s: [1, 1], p: [0, 0], d: [1, 1], g: 1 },
      { x: [1, 2, 6, 5], w: [4, 2, 3, 2], s: [2, 1], p: [1, 2], d: [1, 1], g: 1 },
      { x: [2, 4, 5, 6], w: [2, 2, 2, 2], s: [1, 2], p: [1, 0], d: [2, 1], g: 2 },
      { x: [1, 3, 4, 4], w: [3, 1, 3, 3], s: [1, 1], p: [1, 1], d: [1, 1], g: 3 },
    ];
    for (const c of cases) {
      const n = (s: number[]) => s.reduce((a, b) => a * b, 1);
      const xs = wave(n(c.x)), ws = wave(n(c.w), 1), bs = wave(c.w[0], 2);
      const want = conv2dRef(xs, c.x, ws, c.w, bs, c.s, c.p, c.d, c.g);
      const got = conv2d(tensor(xs, c.x), tensor(ws, c.w), tensor(bs, [c.w[0]]), {
        stride: c.s,
        padding: c.p,
        dilation: c.d,
        groups: c.g,
      });
      const what = `conv2d x ${c.x} w ${c.w} stride ${c.s} padding ${c.p} dilation ${c.d} groups ${c.g}`;
      assertMeta(got, want.shape, "f32", what);
      assertClose(got, want.values, what, { atol: 1e-5, rtol: 1e-5 });
    }
  }),
);

Deno.test(
  "conv3d: ones over ones count the kernel's taps; f64 stays f64",
  noLeaks(() => {
    const y = conv3d(ones([1, 1, 3, 3, 3], { dtype: "f64" }), ones([2, 1, 2, 2, 2], { dtype: "f64" }));
    assertMeta(y, [1, 2, 2, 2, 2], "f64");
    assertValues(y, range(16, () => 8), "2×2×2 taps");
    const padded = conv3d(ones([1, 1, 2, 2, 2]), ones([1, 1, 3, 3, 3]), undefined, { padding: 1 });
    assertValues(padded, range(8, () => 8), "each output sees the 8 inputs");
  }),
);

Deno.test(
  "convTranspose1d/2d: each input spreads the kernel over the output, stride apart",
  noLeaks(() => {
    // x0 lands on 0..2, x1 on 2..4: [1, 1, 1+2, 2, 2]
    const y = convTranspose1d(tensor([1, 2], [1, 1, 2]), tensor([1, 1, 1], [1, 1, 3]), undefined, { stride: 2 });
    assertMeta(y, [1, 1, 5], "f32");
    assertValues(y, [1, 1, 3, 2, 2], "stride 2");
    const cut = convTranspose1d(tensor([1, 2], [1, 1, 2]), tensor([1, 1, 1], [1, 1, 3]), tensor([10], [1]), {
      stride: 2,
      padding: 1,
      outputPadding: 1,
    });
    // padding 1 trims one from each end; outputPadding 1 adds one back on the right (no input reaches it)
    assertValues(cut, [11, 13, 12, 12], "padding and outputPadding");
    const up = convTranspose2d(ones([1, 2, 2, 2]), ones([2, 3, 2, 2]), undefined, { stride: 2 });
    assertMeta(up, [1, 3, 4, 4], "f32");
    assertValues(up, range(48, () => 2), "every output pixel gets one tap from each of 2 channels");
  }),
);

Deno.test(
  "maxPool1d/2d and their indices: windows of arange",
  noLeaks(() => {
    const x = tensor(range(16), [1, 1, 4, 4]);
    const check = guard(x);
    const y = maxPool2d(x, { kernelSize: 2 });
    assertMeta(y, [1, 1, 2, 2], "f32");
    assertValues(y, [5, 7, 13, 15], "kernel 2");
    const { values: v, indices } = maxPool2dWithIndices(x, { kernelSize: 2 });
    assertValues(v, [5, 7, 13, 15], "values");
    assertMeta(indices, [1, 1, 2, 2], "i64");
    assertValues(indices, [5, 7, 13, 15], "flat indices within the plane (the values of arange)");
    assertValues(maxPool2d(x, { kernelSize: 3, stride: 1, padding: 1 }), [
      5,
      6,
      7,
      7,
      9,
      10,
      11,
      11,
      13,
      14,
      15,
      15,
      13,
      14,
      15,
      15,
    ], "padding 1");
    assertValues(maxPool2d(x, { kernelSize: 2, dilation: 2, stride: 1 }), [10, 11, 14, 15], "dilation 2");
    const row = tensor([1, 3, 2, 5, 4], [1, 1, 5]);
    assertValues(maxPool1d(row, { kernelSize: 2 }), [3, 5], "floor");
    assertValues(
      maxPool1d(row, { kernelSize: 2, ceilMode: true }),
      [3, 5, 4],
      "ceilMode keeps the last partial window",
    );
    const r1 = maxPool1dWithIndices(row, { kernelSize: 2, ceilMode: true });
    assertValues(r1.indices, [1, 3, 4], "1-D indices");
    check();
  }),
);

Deno.test(
  "avgPool1d/2d: padding counted or not; adaptiveAvgPool2d's windows",
  noLeaks(() => {
    const x = tensor(range(16), [1, 1, 4, 4]);
    assertValues(avgPool2d(x, { kernelSize: 2 }), [2.5, 4.5, 10.5, 12.5], "kernel 2");
    const row = tensor([1, 2, 3, 4], [1, 4]);
    // windows over [0, 1, 2, 3, 4, 0]: {0,1}, {2,3}, {4,0}
    assertValues(avgPool1d(row, { kernelSize: 2, padding: 1 }), [0.5, 2.5, 2], "countIncludePad");
    assertValues(
      avgPool1d(row, { kernelSize: 2, padding: 1, countIncludePad: false }),
      [1, 2.5, 4],
      "padding not counted",
    );
    assertMeta(avgPool1d(row, { kernelSize: 2, padding: 1 }), [1, 3], "f32", "unbatched");
    const ints = avgPool1d(tensor([1, 2, 3, 4], [1, 4], { dtype: "i64" }), { kernelSize: 2 });
    assertMeta(ints, [1, 2], "i64", "i64 stays i64");
    assertValues(ints, [1, 3], "integer means are truncated (3/2, 7/2), as in PyTorch");
    assertValues(adaptiveAvgPool2d(x, 1), [7.5], "global average");
    assertMeta(adaptiveAvgPool2d(x, 1), [1, 1, 1, 1], "f32");
    assertValues(adaptiveAvgPool2d(x, [2, 2]), [2.5, 4.5, 10.5, 12.5], "2×2 = kernel 2");
    // 4 → 3: windows [floor(i·4/3), ceil((i+1)·4/3)) = [0, 2), [1, 3), [2, 4), overlapping
    const mean = (rows: number[], cols: number[]) =>
      rows.flatMap((r) => cols.map((c) => r * 4 + c)).reduce((a, b) => a + b, 0) / (rows.length * cols.length);
    const win = [[0, 1], [1, 2], [2, 3]];
    assertClose(adaptiveAvgPool2d(x, 3), win.flatMap((r) => win.map((c) => mean(r, c))), "4 → 3");
  }),
);

Deno.test(
  "interpolate: nearest by size and by scale, bilinear with and without alignCorners",
  noLeaks(() => {
    assertValues(interpolate(tensor([1, 2], [1, 1, 2]), { size: 4, mode: "nearest" }), [1, 1, 2, 2], "nearest ×2");
    assertValues(
      interpolate(tensor([1, 2, 3], [1, 1, 3]), { scaleFactor: 2, mode: "nearest" }),
      [1, 1, 2, 2, 3, 3],
      "scale 2",
    );
    const sq = tensor([0, 1, 2, 3], [1, 1, 2, 2]);
    const aligned = interpolate(sq, { size: 3, mode: "bilinear", alignCorners: true });
    assertMeta(aligned, [1, 1, 3, 3], "f32");
    assertClose(aligned, [0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3], "corners aligned: a linear ramp");
    // half-pixel centres: source = (dst + 0.5)/2 − 0.5, clamped at 0: 0, 0.25, 0.75, 1 along each axis
    const half = interpolate(tensor([0, 1], [1, 1, 1, 2]), { scaleFactor: [1, 2], mode: "bilinear" });
    assertClose(half, [0, 0.25, 0.75, 1], "half-pixel centres");
  }),
);

Deno.test(
  "conv: shape, dtype and argument errors name the op and the argument",
  noLeaks(() => {
    const x = zeros([1, 4, 5, 5]);
    const w = zeros([2, 3, 3, 3]) as Tensor;
    rejects(() => conv2d(x, w), ShapeError, "conv2d", /x has 4 channels, the weight \[2, 3, 3, 3\] takes 3 × groups 1/);
    rejects(
      () => conv2d(x, zeros([2, 4, 3]) as Tensor),
      ShapeError,
      "conv2d",
      /weight must be \[out, in\/groups, height, width\]/,
    );
    rejects(
      () => conv2d(zeros([4, 5]) as Tensor, w),
      ShapeError,
      "conv2d",
      /x must be \[batch, channels, height, width\]/,
    );
    const w4 = zeros([2, 4, 3, 3]);
    rejects(() => conv2d(x, w4, undefined, { stride: 0 }), RangeError, "conv2d", /stride must be integers ≥ 1, got 0/);
    rejects(() => conv2d(x, w4, undefined, { padding: -1 }), RangeError, "conv2d", /padding must be integers ≥ 0/);
    rejects(
      () => conv2d(x, w4, undefined, { dilation: [1, 1.5] }),
      RangeError,
      "conv2d",
      /dilation must be integers ≥ 1/,
    );
    rejects(() => conv2d(x, w4, undefined, { stride: [1, 1, 1] }), RangeError, "conv2d", /stride must have 2 entries/);
    rejects(
      () => conv2d(x, w4, undefined, { padding: "same", stride: 2 }),
      RangeError,
      "conv2d",
      /"same" needs stride 1/,
    );
    rejects(
      () => conv2d(x, zeros([3, 2, 3, 3]) as Tensor, undefined, { groups: 2 as number }),
      ShapeError,
      "conv2d",
      /groups 2 must divide the weight's 3 output channels/,
    );
    rejects(
      () => conv2d(x, w4, undefined, { groups: 0 as number }),
      RangeError,
      "conv2d",
      /groups must be an integer ≥ 1/,
    );
    rejects(() => conv2d(x, zeros([2, 4, 7, 7])), ShapeError, "conv2d", /too small for kernel \[7, 7\]/);
    rejects(() => conv2d(x, w4, zeros([3])), ShapeError, "conv2d", /bias must be \[2\]/);
    rejects(
      () => conv2d(x, zeros([2, 4, 3, 3], { dtype: "f64" })),
      DTypeError,
      "conv2d",
      /weight must have x's dtype f32, got f64/,
    );
    rejects(() => conv2d(zeros([1, 4, 5, 5], { dtype: "i64" }), w4), DTypeError, "conv2d", /x must be floating point/);
    rejects(
      () => conv1d(zeros([1, 2, 4]), zeros([1, 2, 2]), undefined, { padding: "full" as "same" }),
      RangeError,
      "conv1d",
      /padding must be numbers, "same" or "valid"/,
    );
    rejects(
      () => convTranspose1d(zeros([1, 2, 4]), zeros([3, 1, 2]) as Tensor),
      ShapeError,
      "convTranspose1d",
      /x has 2 channels, the weight \[3, 1, 2\] takes 3/,
    );
    rejects(
      () => convTranspose1d(zeros([1, 2, 4]), zeros([2, 1, 2]), undefined, { stride: 2, outputPadding: 2 }),
      RangeError,
      "convTranspose1d",
      /outputPadding must be smaller than stride or dilation/,
    );
    rejects(
      () => convTranspose2d(zeros([1, 2, 1, 1]), zeros([2, 1, 3, 3]), undefined, { padding: 2 }),
      ShapeError,
      "convTranspose2d",
      /too small/,
    );
  }),
);

Deno.test(
  "pool and interpolate: argument errors",
  noLeaks(() => {
    const x = zeros([1, 1, 4, 4]);
    rejects(() => maxPool2d(x, { kernelSize: 0 }), RangeError, "maxPool2d", /kernelSize must be integers ≥ 1, got 0/);
    rejects(
      () => maxPool2d(x, { kernelSize: 2, stride: NaN }),
      RangeError,
      "maxPool2d",
      /stride must be integers ≥ 1, got NaN/,
    );
    rejects(
      () => maxPool2d(x, { kernelSize: 3, padding: 2 }),
      RangeError,
      "maxPool2d",
      /padding must be at most half the kernel/,
    );
    rejects(() => maxPool2d(x, { kernelSize: 5 }), ShapeError, "maxPool2d", /too small for kernel \[5, 5\]/);
    rejects(
      () => maxPool2d(zeros([4]) as Tensor, { kernelSize: 2 }),
      ShapeError,
      "maxPool2d",
      /x must be \[batch, channels, height, width\] or \[channels, height, width\]/,
    );
    rejects(() => maxPool2d(x, undefined as never), TypeError, "maxPool2d", /kernelSize are required/);
    rejects(() => avgPool1d(zeros([1, 4]), { kernelSize: 2, padding: 2 }), RangeError, "avgPool1d", /at most half/);
    rejects(
      () => maxPool1d(zeros([1, 4], { dtype: "i32" }), { kernelSize: 2 }),
      DTypeError,
      "maxPool1d",
      /floating point/,
    );
    rejects(() => adaptiveAvgPool2d(x, -1), RangeError, "adaptiveAvgPool2d", /outputSize must be integers ≥ 0/);
    rejects(
      () => adaptiveAvgPool2d(x, [1, 2, 3] as never),
      RangeError,
      "adaptiveAvgPool2d",
      /outputSize must have 2 entries/,
    );
    rejects(
      () => interpolate(x, { mode: "nearest" }),
      RangeError,
      "interpolate",
      /exactly one of size and scaleFactor/,
    );
    rejects(
      () => interpolate(x, { mode: "nearest", size: 2, scaleFactor: 2 }),
      RangeError,
      "interpolate",
      /exactly one/,
    );
    rejects(
      () => interpolate(x, { mode: "bicubic" as "nearest", size: 2 }),
      RangeError,
      "interpolate",
      /mode must be "nearest" or "bilinear"/,
    );
    rejects(
      () => interpolate(zeros([1, 1, 4]), { mode: "bilinear", size: 2 }),
      ShapeError,
      "interpolate",
      /bilinear needs x \[batch, channels, h, w\]/,
    );
    rejects(
      () => interpolate(x, { mode: "nearest", size: 2, alignCorners: true }),
      RangeError,
      "interpolate",
      /alignCorners applies to "bilinear" only/,
    );
    rejects(
      () => interpolate(x, { mode: "nearest", scaleFactor: Infinity }),
      RangeError,
      "interpolate",
      /scaleFactor must be 2 finite numbers > 0/,
    );
    rejects(
      () => interpolate(x, { mode: "nearest", scaleFactor: 0.1 }),
      ShapeError,
      "interpolate",
      /output spatial sizes must be ≥ 1/,
    );
    const freed = zeros([1, 1, 4, 4]);
    freed.free();
    assert.throws(() => maxPool2d(freed, { kernelSize: 2 }), (e: Error) => e.message.startsWith("maxPool2d:"));
  }),
);

Deno.test(
  "conv1d with stride 3 leaves its (strided-over) inputs as they were",
  noLeaks(() => {
    const x = tensor(wave(18), [1, 2, 9]);
    const w = tensor(wave(12, 3), [3, 2, 2]);
    const check = guard(x, w);
    const y = conv1d(x, w, undefined, { stride: 3 });
    assertMeta(y, [1, 3, 3], "f32");
    assert.equal(values(y).length, 9);
    check();
  }),
);
