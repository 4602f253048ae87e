/**
 * Finite-difference cases of the layers of issue 17 (group F: layers and optimizers; the optimizer
 * steps have no gradient to check), spread into GRAD_CASES by tests/grad_cases.ts.
 */
import { nn, tanh, tensor } from "../../mod.ts";
import { type GradCase, matrix, r, vector } from "./case.ts";

export const LAYERS_OPTIM_GRAD_CASES: Record<string, GradCase[]> = {
  "nn.mlp": [{
    what: "two hidden layers, GELU between",
    inputs: r([4, 3], [4], [5, 4], [5], [2, 5], [2], [3, 3]),
    f: (w0, b0, w1, b1, w2, b2, x) =>
      nn.mlp.apply({
        layers: [
          { weight: matrix(w0), bias: vector(b0) },
          { weight: matrix(w1), bias: vector(b1) },
          { weight: matrix(w2), bias: vector(b2) },
        ],
      }, x),
  }],
  "nn.sequential": [{
    what: "linear, tanh, linear",
    inputs: r([4, 3], [4], [2, 4], [2, 3]),
    f: (w0, b0, w1, x) =>
      nn.sequential.apply(
        [{ weight: matrix(w0), bias: vector(b0) }, null, { weight: matrix(w1) }],
        [nn.linear.apply, nn.sequential.fn(tanh), nn.linear.apply],
        x,
      ),
  }],
  "nn.rmsNorm": [
    { inputs: r([4], [2, 3, 4]), f: (w, x) => nn.rmsNorm.apply({ weight: vector(w) }, x) },
    { what: "eps 0.1", inputs: r([3], [5, 3]), f: (w, x) => nn.rmsNorm.apply({ weight: vector(w) }, x, 0.1) },
  ],
  "nn.multiHeadAttention": [{
    what: "self-attention with biases, 2 heads",
    inputs: r([4, 4], [4], [4, 4], [4], [4, 4], [4], [4, 4], [4], [2, 3, 4]),
    f: (wq, bq, wk, bk, wv, bv, wo, bo, x) =>
      nn.multiHeadAttention.apply(
        {
          queryProj: { weight: matrix(wq), bias: vector(bq) },
          keyProj: { weight: matrix(wk), bias: vector(bk) },
          valueProj: { weight: matrix(wv), bias: vector(bv) },
          outputProj: { weight: matrix(wo), bias: vector(bo) },
        },
        x,
        x,
        2,
      ),
  }],
  "nn.conv1d": [
    {
      what: "2 groups, stride 2, padding 1, dilation 2, bias",
      inputs: r([4, 1, 3], [4], [2, 2, 7]),
      f: (w, b, x) =>
        nn.conv1d.apply({ weight: w as never, bias: vector(b) }, x, { stride: 2, padding: 1, dilation: 2, groups: 2 }),
    },
    {
      what: "unbatched, no bias",
      inputs: r([3, 2, 2], [2, 5]),
      f: (w, x) => nn.conv1d.apply({ weight: w as never }, x),
    },
  ],
  "nn.conv2d": [
    {
      what: "stride [2, 1], padding 1, bias",
      inputs: r([3, 2, 2, 3], [3], [2, 2, 4, 5]),
      f: (w, b, x) => nn.conv2d.apply({ weight: w as never, bias: vector(b) }, x, { stride: [2, 1], padding: 1 }),
    },
    {
      what: "padding same, 2 groups",
      inputs: r([2, 1, 3, 2], [1, 2, 4, 4]),
      f: (w, x) => nn.conv2d.apply({ weight: w as never }, x, { padding: "same", groups: 2 }),
    },
  ],
  // The running statistics are state, not parameters: made in the case, not differentiated.
  "nn.batchNorm": [
    {
      what: "training: the batch's statistics, through x, weight and bias",
      inputs: r([3], [3], [4, 3, 2]),
      f: (w, b, x) =>
        nn.batchNorm.apply(
          { weight: vector(w), bias: vector(b) },
          {
            runningMean: tensor([0.1, -0.2, 0.3], [3], { dtype: "f64" }),
            runningVar: tensor([0.5, 1, 2], [3], { dtype: "f64" }),
          },
          x,
          { training: true },
        ).out,
    },
    {
      what: "evaluation: the running statistics, eps 0.1",
      inputs: r([2], [2], [3, 2, 2, 2]),
      f: (w, b, x) =>
        nn.batchNorm.apply(
          { weight: vector(w), bias: vector(b) },
          {
            runningMean: tensor([0.3, -0.1], [2], { dtype: "f64" }),
            runningVar: tensor([0.7, 1.5], [2], { dtype: "f64" }),
          },
          x,
          { training: false, eps: 0.1 },
        )
          .out,
    },
  ],
};
