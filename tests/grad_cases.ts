/**
 * Finite-difference gradient cases, one entry per differentiable op of the registry
 * (scripts/ops/registry.ts), keyed by its name. Each case builds f64 inputs and the function whose
 * gradients tests/grad_cases_test.ts checks against central differences (helpers/finite_diff.ts).
 * The ops that came before the registry are checked in tests/grad_test.ts instead; the registry test
 * accepts either.
 *
 * The cases that came before issue 17 are below; issue 17's groups live in tests/grad_cases/, one
 * module each (spread in at the end): elementwise_scans.ts (elementwise ops, reductions and scans),
 * indexing_shape.ts (indexing and shape), linalg_creation.ts (linear algebra, creation and random),
 * neural_network.ts (convolution, pooling, normalization, losses, attention) and layers_optim.ts
 * (layers). The GradCase type and the shared input helpers are in tests/grad_cases/case.ts.
 */
import { attentionProbs, nn, tensor, toDevice } from "../mod.ts";
import { type GradCase, matrix, r, vector } from "./grad_cases/case.ts";
import { ELEMENTWISE_SCANS_GRAD_CASES } from "./grad_cases/elementwise_scans.ts";
import { INDEXING_SHAPE_GRAD_CASES } from "./grad_cases/indexing_shape.ts";
import { LAYERS_OPTIM_GRAD_CASES } from "./grad_cases/layers_optim.ts";
import { LINALG_CREATION_GRAD_CASES } from "./grad_cases/linalg_creation.ts";
import { NEURAL_NETWORK_GRAD_CASES } from "./grad_cases/neural_network.ts";

export type { GradCase } from "./grad_cases/case.ts";

export const GRAD_CASES: Record<string, GradCase[]> = {
  // ---- neural network ----
  attentionProbs: [
    { what: "no mask", inputs: r([2, 3, 4], [2, 5, 4]), f: (q, k) => attentionProbs(q, k, null) },
    {
      what: "a mask with a fully masked row",
      inputs: r([3, 4], [5, 4]),
      f: (q, k) =>
        attentionProbs(q, k, tensor([1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1], [3, 5], { dtype: "bool" })),
    },
    {
      what: "causal, 4 queries over 3 keys",
      inputs: r([4, 2], [3, 2]),
      f: (q, k) => attentionProbs(q, k, null, { isCausal: true }),
    },
    { what: "additive float mask", inputs: r([2, 3, 4], [2, 5, 4], [3, 5]), f: (q, k, m) => attentionProbs(q, k, m) },
  ],

  // ---- conversion ----
  toDevice: [{ what: "cpu to cpu", inputs: r([2, 3]), f: (x) => toDevice(x, "cpu") }],

  // ---- layers ----
  "nn.linear": [
    {
      what: "with bias",
      inputs: r([4, 3], [4], [2, 5, 3]),
      f: (w, b, x) => nn.linear.apply({ weight: matrix(w), bias: vector(b) }, x),
    },
    { what: "without bias", inputs: r([4, 3], [3]), f: (w, x) => nn.linear.apply({ weight: matrix(w) }, x) },
  ],
  "nn.embedding": [{
    what: "rows picked twice",
    inputs: r([5, 3]),
    f: (w) => nn.embedding.apply({ weight: matrix(w) }, tensor([[0, 4, 4], [2, 0, 1]], [2, 3], { dtype: "i64" })),
  }],
  "nn.layerNorm": [{
    inputs: r([4], [4], [2, 3, 4]),
    f: (w, b, x) => nn.layerNorm.apply({ weight: vector(w), bias: vector(b) }, x),
  }],
  "nn.attention": [{
    what: "cross attention, 2 heads",
    inputs: r([4, 4], [4, 4], [4, 4], [4, 4], [2, 3, 4], [2, 5, 4]),
    f: (wq, wk, wv, wo, x, m) =>
      nn.attention.apply(
        {
          queryProj: { weight: matrix(wq) },
          keyProj: { weight: matrix(wk) },
          valueProj: { weight: matrix(wv) },
          outputProj: { weight: matrix(wo) },
        },
        x,
        m,
        2,
      ),
  }],

  ...ELEMENTWISE_SCANS_GRAD_CASES,
  ...INDEXING_SHAPE_GRAD_CASES,
  ...LINALG_CREATION_GRAD_CASES,
  ...NEURAL_NETWORK_GRAD_CASES,
  ...LAYERS_OPTIM_GRAD_CASES,
};
