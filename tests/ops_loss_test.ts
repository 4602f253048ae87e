/**
 * Losses, against their formulas evaluated by hand on small inputs, with each reduction ("mean",
 * "sum", "none", and klDiv's "batchmean"); the errors for bad arguments; no leaked tensors.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  cosineEmbeddingLoss,
  DTypeError,
  huberLoss,
  klDiv,
  l1Loss,
  mseLoss,
  nllLoss,
  ShapeError,
  smoothL1Loss,
  type Tensor,
  tensor,
  zeros,
} from "../mod.ts";
import { assertClose, assertMeta, guard, noLeaks, rejects } from "./ops_helpers.ts";

const i64 = (values: number[], shape: number[]) => tensor(values, shape, { dtype: "i64" });

Deno.test(
  "mseLoss and l1Loss: each reduction; the target broadcasts",
  noLeaks(() => {
    const a = tensor([1, 2, 3], [3]), b = tensor([1, 0, 4], [3]);
    const check = guard(a, b);
    const m = mseLoss(a, b);
    assertMeta(m, [], "f32");
    assertClose(m, [(0 + 4 + 1) / 3], "mean of squares");
    assertClose(mseLoss(a, b, { reduction: "sum" }), [5], "sum");
    const none = mseLoss(a, b, { reduction: "none" });
    assertMeta(none, [3], "f32");
    assertClose(none, [0, 4, 1], "none");
    assertClose(l1Loss(a, b, { reduction: "sum" }), [3], "sum of |d|");
    assertClose(l1Loss(a, b), [1], "mean of |d|");
    const wide = mseLoss(tensor([1, 2, 3, 4], [2, 2]), tensor([1, 1], [2]), { reduction: "none" });
    assertMeta(wide, [2, 2], "f32", "broadcast");
    assertClose(wide, [0, 1, 4, 9], "broadcast");
    check();
  }),
);

Deno.test(
  "smoothL1Loss and huberLoss: quadratic inside the threshold, linear outside",
  noLeaks(() => {
    const d = tensor([0.5, 3, -2], [3]), z = zeros([3]);
    // beta 1: 0.5·d² where |d| < 1, else |d| − 0.5
    assertClose(smoothL1Loss(d, z, { reduction: "none" }), [0.125, 2.5, 1.5], "beta 1");
    // beta 4: 0.5·d²/4 everywhere here
    assertClose(smoothL1Loss(d, z, { beta: 4, reduction: "none" }), [0.03125, 1.125, 0.5], "beta 4");
    assertClose(smoothL1Loss(d, z, { beta: 0, reduction: "none" }), [0.5, 3, 2], "beta 0 is l1");
    // delta 2: 0.5·d² where |d| ≤ 2, else 2·(|d| − 1)
    assertClose(huberLoss(d, z, { delta: 2, reduction: "none" }), [0.125, 4, 2], "delta 2");
    assertClose(huberLoss(d, z), [(0.125 + 2.5 + 1.5) / 3], "delta 1, mean (equals smooth L1 at beta 1)");
  }),
);

Deno.test(
  "nllLoss: picks −logProbs at the targets; class weights; ignoreIndex; per-position targets",
  noLeaks(() => {
    const lp = tensor([-1, -2, -3, -0.5, -1.5, -2.5], [2, 3]);
    const t = i64([2, 0], [2]);
    assertClose(nllLoss(lp, t), [(3 + 0.5) / 2], "mean");
    assertClose(nllLoss(lp, t, { reduction: "sum" }), [3.5], "sum");
    const none = nllLoss(lp, t, { reduction: "none" });
    assertMeta(none, [2], "f32");
    assertClose(none, [3, 0.5], "none");
    // weighted mean: Σ w[t]·loss / Σ w[t] = (3·3 + 1·0.5) / (3 + 1)
    assertClose(nllLoss(lp, t, { weight: tensor([1, 2, 3], [3]) }), [9.5 / 4], "weighted mean");
    assertClose(nllLoss(lp, t, { ignoreIndex: 2 }), [0.5], "the ignored target neither adds nor counts");
    // [n=1, C=2, d=2]: position 0 takes class 1, position 1 class 0
    const grid = nllLoss(tensor([-1, -2, -3, -4], [1, 2, 2]), i64([1, 0], [1, 2]), { reduction: "none" });
    assertMeta(grid, [1, 2], "f32");
    assertClose(grid, [3, 2], "per position");
    assertClose(
      nllLoss(tensor([-1, -2], [2]), i64([1], []), { reduction: "sum" }),
      [2],
      "one sample [C] with a 0-dim target",
    );
  }),
);

Deno.test(
  "binaryCrossEntropy and the logits version: formulas, weights, posWeight",
  noLeaks(() => {
    const p = tensor([0.9, 0.2], [2]), y = tensor([1, 0], [2]);
    const l = [-Math.log(0.9), -Math.log(0.8)];
    assertClose(binaryCrossEntropy(p, y), [(l[0] + l[1]) / 2], "mean");
    assertClose(
      binaryCrossEntropy(p, y, { weight: tensor([2, 1], [2]), reduction: "none" }),
      [2 * l[0], l[1]],
      "weighted",
    );
    const x = tensor([2, -1], [2]);
    const softplus = (v: number) => Math.log1p(Math.exp(v));
    // t = 1: log(1 + e^−x); t = 0: log(1 + e^x)
    assertClose(binaryCrossEntropyWithLogits(x, y, { reduction: "none" }), [softplus(-2), softplus(-1)], "none");
    assertClose(
      binaryCrossEntropyWithLogits(x, y, { posWeight: tensor([3], [1]), reduction: "sum" }),
      [3 * softplus(-2) + softplus(-1)],
      "posWeight scales the positive term",
    );
  }),
);

Deno.test(
  "klDiv: target·(log target − input); batchmean; log targets",
  noLeaks(() => {
    const q = [0.25, 0.75, 0.5, 0.5], p = [0.5, 0.5, 0.1, 0.9];
    const input = tensor(q.map(Math.log), [2, 2]), target = tensor(p, [2, 2]);
    const pointwise = p.map((v, i) => v * (Math.log(v) - Math.log(q[i])));
    const total = pointwise.reduce((a, b) => a + b, 0);
    assertClose(klDiv(input, target, { reduction: "none" }), pointwise, "none");
    assertClose(klDiv(input, target, { reduction: "sum" }), [total], "sum");
    assertClose(klDiv(input, target), [total / 4], "mean over elements");
    assertClose(klDiv(input, target, { reduction: "batchmean" }), [total / 2], "batchmean: sum / batch size");
    const logT = tensor(p.map(Math.log), [2, 2]);
    assertClose(klDiv(input, logT, { logTarget: true, reduction: "batchmean" }), [total / 2], "log target");
  }),
);

Deno.test(
  "cosineEmbeddingLoss: 1 − cos for similar pairs, max(0, cos − margin) for dissimilar",
  noLeaks(() => {
    const x1 = tensor([1, 0, 1, 0, 3, 4], [3, 2]);
    const x2 = tensor([0, 1, 1, 1, 3, 4], [3, 2]);
    const y = i64([1, -1, -1], [3]);
    const cos = [0, Math.SQRT1_2, 1];
    const none = cosineEmbeddingLoss(x1, x2, y, { margin: 0.5, reduction: "none" });
    assertMeta(none, [3], "f32");
    assertClose(none, [1 - cos[0], cos[1] - 0.5, cos[2] - 0.5], "margin 0.5", { atol: 1e-4 });
    assertClose(cosineEmbeddingLoss(x1, x2, y), [(1 + cos[1] + 1) / 3], "margin 0, mean", { atol: 1e-4 });
  }),
);

Deno.test(
  "loss errors: reduction, dtypes, shapes and parameters named",
  noLeaks(() => {
    const a = zeros([3]);
    rejects(
      () => mseLoss(a, a, { reduction: "max" as "sum" }),
      RangeError,
      "mseLoss",
      /reduction must be one of "none", "mean", "sum", got max/,
    );
    rejects(() => klDiv(a, a, { reduction: "avg" as "sum" }), RangeError, "klDiv", /"batchmean"/);
    rejects(
      () => mseLoss(a, zeros([3], { dtype: "f64" })),
      DTypeError,
      "mseLoss",
      /target must have the input's dtype f32, got f64/,
    );
    rejects(
      () => l1Loss(zeros([3], { dtype: "i64" }), zeros([3], { dtype: "i64" })),
      DTypeError,
      "l1Loss",
      /input must be floating point/,
    );
    rejects(() => mseLoss(a, zeros([4]) as Tensor), ShapeError, "mseLoss", /cannot broadcast \[3\] with \[4\]/);
    rejects(() => smoothL1Loss(a, a, { beta: -1 }), RangeError, "smoothL1Loss", /beta must be a finite number ≥ 0/);
    rejects(() => huberLoss(a, a, { delta: 0 }), RangeError, "huberLoss", /delta must be a finite number > 0/);
    const lp = zeros([2, 3]);
    rejects(
      () => nllLoss(lp, zeros([2], { dtype: "i32" })),
      DTypeError,
      "nllLoss",
      /target must hold i64 class indices, got i32/,
    );
    rejects(
      () => nllLoss(lp, i64([0, 1, 2], [3])),
      ShapeError,
      "nllLoss",
      /needs logProbs \[n, C, \.\.\.\] with target \[n, \.\.\.\]/,
    );
    rejects(() => nllLoss(lp, i64([0, 1], [2]), { weight: zeros([2]) }), ShapeError, "nllLoss", /weight must be \[3\]/);
    rejects(
      () => nllLoss(lp, i64([0, 1], [2]), { ignoreIndex: 0.5 }),
      RangeError,
      "nllLoss",
      /ignoreIndex must be an integer/,
    );
    rejects(() => nllLoss(lp, i64([0, 7], [2])), Error, "nllLoss", /out of bounds/);
    rejects(
      () => binaryCrossEntropy(a, zeros([1]) as never),
      ShapeError,
      "binaryCrossEntropy",
      /probs and target must have one shape/,
    );
    rejects(() => binaryCrossEntropy(a, a, { weight: zeros([2]) }), ShapeError, "binaryCrossEntropy", /weight \[2\]/);
    rejects(
      () => binaryCrossEntropyWithLogits(a, a, { posWeight: zeros([2, 3]) }),
      ShapeError,
      "binaryCrossEntropyWithLogits",
      /posWeight \[2, 3\] must broadcast to the input's shape \[3\]/,
    );
    rejects(
      () => cosineEmbeddingLoss(zeros([2, 3]), zeros([2, 3]), i64([1], [1])),
      ShapeError,
      "cosineEmbeddingLoss",
      /needs x1 and x2 \[n, d\] with y \[n\]/,
    );
    rejects(
      () => cosineEmbeddingLoss(zeros([3]), zeros([3]), i64([1], []), { margin: NaN }),
      RangeError,
      "cosineEmbeddingLoss",
      /margin must be a finite number/,
    );
  }),
);
