/**
 * Finite-difference cases of the elementwise ops and the reductions and scans of issue 17 (group A),
 * spread into GRAD_CASES by tests/grad_cases.ts.
 */
import {
  atan2,
  ceil,
  cumprod,
  cumsum,
  elu,
  erf,
  expm1,
  floor,
  fmod,
  hardtanh,
  leakyRelu,
  lerp,
  log1p,
  log2,
  logcumsumexp,
  median,
  mish,
  mode,
  norm,
  prod,
  remainder,
  round,
  sign,
  silu,
  softplus,
  sort,
  square,
  type Tensor,
  trunc,
} from "../../mod.ts";
import { awayFromZero, positive, randf64 } from "../helpers/finite_diff.ts";
import type { GradCase } from "./case.ts";

/** One f64 input of `shape` from seed 100 + `i`, each element mapped through `map`. */
const x = (shape: number[], map?: (v: number) => number, i = 0) => randf64(shape, 100 + i, map);
/** k ± 0.25: values a quarter away from every integer and half-integer jump of floor, round, ... */
const offGrid = (v: number) => Math.round(v * 2) + (v < 0 ? -0.25 : 0.25);
const one = (f: (x: Tensor) => Tensor, map?: (v: number) => number, what?: string): GradCase[] => [
  { what, inputs: () => [x([2, 3], map)], f },
];

export const ELEMENTWISE_SCANS_GRAD_CASES: Record<string, GradCase[]> = {
  silu: one(silu),
  softplus: [
    { what: "defaults", inputs: () => [x([2, 3])], f: (a: Tensor) => softplus(a) },
    {
      what: "beta 2, threshold 1 (linear above)",
      inputs: () => [x([2, 3], awayFromZero(0.3))],
      f: (a: Tensor) => softplus(a, 2, 1),
    },
  ],
  elu: one((a) => elu(a, 0.7), awayFromZero(), "alpha 0.7"),
  leakyRelu: one((a) => leakyRelu(a, 0.2), awayFromZero(), "slope 0.2"),
  mish: one(mish),
  hardtanh: one((a) => hardtanh(a, -0.5, 0.5), (v) => (Math.abs(Math.abs(v) - 0.5) < 0.1 ? v * 1.5 : v)),
  erf: one(erf),
  log1p: one(log1p, positive(0.1)),
  expm1: one(expm1),
  log2: one(log2, positive(0.1)),
  floor: one(floor, offGrid, "zero almost everywhere"),
  ceil: one(ceil, offGrid, "zero almost everywhere"),
  round: one(round, offGrid, "zero almost everywhere"),
  trunc: one(trunc, offGrid, "zero almost everywhere"),
  sign: one(sign, awayFromZero(), "zero away from 0"),
  square: one(square),
  fmod: [
    { what: "by a number", inputs: () => [x([2, 3])], f: (a: Tensor) => fmod(a, 0.7) },
    {
      what: "by a broadcast tensor",
      inputs: () => [x([2, 3]), x([3], positive(0.5), 1)],
      f: (a: Tensor, b: Tensor) => fmod(a, b),
    },
  ],
  remainder: [
    { what: "by a number", inputs: () => [x([2, 3])], f: (a: Tensor) => remainder(a, -0.7) },
    {
      what: "by a broadcast tensor",
      inputs: () => [x([2, 3]), x([3], positive(0.5), 1)],
      f: (a: Tensor, b: Tensor) => remainder(a, b),
    },
  ],
  atan2: [
    { what: "with a number", inputs: () => [x([2, 3])], f: (a: Tensor) => atan2(a, 0.5) },
    {
      what: "with a broadcast tensor",
      inputs: () => [x([2, 3]), x([2, 1], awayFromZero(), 1)],
      f: (a: Tensor, b: Tensor) => atan2(a, b),
    },
  ],
  lerp: [
    {
      what: "number weight",
      inputs: () => [x([2, 3]), x([3], undefined, 1)],
      f: (a: Tensor, b: Tensor) => lerp(a, b, 0.3),
    },
    {
      what: "tensor weight, all three broadcast",
      inputs: () => [x([3]), x([2, 1], undefined, 1), x([2, 3], undefined, 2)],
      f: (a: Tensor, b: Tensor, w: Tensor) => lerp(a, b, w),
    },
  ],
  prod: [
    { what: "all elements", inputs: () => [x([2, 3], awayFromZero())], f: (a: Tensor) => prod(a) },
    { what: "dim 1, keepDim", inputs: () => [x([2, 3], awayFromZero())], f: (a: Tensor) => prod(a, 1, true) },
  ],
  cumsum: one((a) => cumsum(a, 1), undefined, "dim 1"),
  cumprod: one((a) => cumprod(a, -1), awayFromZero(), "dim -1"),
  logcumsumexp: one((a) => logcumsumexp(a, 0), undefined, "dim 0"),
  norm: [
    { what: "fro, all elements", inputs: () => [x([2, 3])], f: (a: Tensor) => norm(a) },
    { what: "p 1 along dim 1", inputs: () => [x([2, 3], awayFromZero())], f: (a: Tensor) => norm(a, 1, 1) },
    {
      what: "p 3 over [0, -1], keepDim",
      inputs: () => [x([2, 3, 2])],
      f: (a: Tensor) => norm(a, 3, [0, -1], true),
    },
    { what: "p Infinity along dim 0", inputs: () => [x([2, 3])], f: (a: Tensor) => norm(a, Infinity, 0) },
  ],
  sort: one((a) => sort(a, 1, { descending: true }).values, undefined, "values, descending"),
  median: [
    { what: "all elements (lower median of 6)", inputs: () => [x([2, 3])], f: (a: Tensor) => median(a) },
    { what: "values along dim 1", inputs: () => [x([2, 3])], f: (a: Tensor) => median(a, 1).values },
  ],
  mode: one((a) => mode(a, 1).values, undefined, "values along dim 1 (distinct: the smallest)"),
};
