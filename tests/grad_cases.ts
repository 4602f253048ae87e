/**
 * Finite-difference gradient cases, one entry per differentiable op of the registry
 * (scripts/ops/registry.ts), keyed by its name. Each case builds f64 inputs and the function whose
 * gradients tests/grad_cases_test.ts checks against central differences (helpers/finite_diff.ts).
 * The ops that came before the registry are checked in tests/grad_test.ts instead; the registry test
 * accepts either.
 *
 * Each group's cases sit between its own markers, so that groups can grow side by side.
 */
import { attentionProbs, nn, type Tensor, tensor, toDevice } from "../mod.ts";
import { type GradCheckOptions, randf64 } from "./helpers/finite_diff.ts";

/** Inputs drawn from randn in f64, one seed each (a shape per input). */
const r = (...shapes: number[][]) => () => shapes.map((shape, i) => randf64(shape, 100 + i));
/** A weight as a layer's fields type it (the cases pass them in untyped). */
const matrix = (t: Tensor) => t as Tensor<[number, number]>;
const vector = (t: Tensor) => t as Tensor<[number]>;

export interface GradCase {
  /** What varies in this case, for the failure message ("with broadcasting", "dim 1", ...). */
  what?: string;
  /** The inputs (f64), made inside the check's scope. */
  inputs: () => Tensor[];
  f: (...xs: Tensor[]) => Tensor;
  options?: GradCheckOptions;
}

export const GRAD_CASES: Record<string, GradCase[]> = {
  // ---- elementwise ----
  // ---- elementwise: end ----

  // ---- reductions and scans ----
  // ---- reductions and scans: end ----

  // ---- indexing ----
  // ---- indexing: end ----

  // ---- shape ----
  // ---- shape: end ----

  // ---- linear algebra ----
  // ---- linear algebra: end ----

  // ---- neural network ----
  attentionProbs: [
    { what: "no mask", inputs: r([2, 3, 4], [2, 5, 4]), f: (q, k) => attentionProbs(q, k, null) },
    {
      what: "a mask with a fully masked row",
      inputs: r([3, 4], [5, 4]),
      f: (q, k) =>
        attentionProbs(q, k, tensor([1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1], [3, 5], { dtype: "bool" })),
    },
  ],
  // ---- neural network: end ----

  // ---- conversion ----
  toDevice: [{ what: "cpu to cpu", inputs: r([2, 3]), f: (x) => toDevice(x, "cpu") }],
  // ---- conversion: end ----

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
  // ---- layers: end ----

  // ---- transforms, layers, optimizers ----
  // ---- transforms, layers, optimizers: end ----

  // ---- A: elementwise and reductions/scans (issue 17) ----
  // ---- A: end ----

  // ---- B: indexing and shape (issue 17) ----
  // Kept in a file of their own, which imports what they need from mod.ts (an import up here would
  // touch the shared import list).
  ...(await import("./grad_cases_indexing_shape.ts")).B_GRAD_CASES,
  // ---- B: end ----

  // ---- C: linear algebra, creation and random (issue 17) ----
  // ---- C: end ----

  // ---- D: neural network (issue 17) ----
  // ---- D: end ----

  // ---- E: transforms (issue 17) ----
  // ---- E: end ----

  // ---- F: layers and optimizers (issue 17) ----
  // ---- F: end ----
};
