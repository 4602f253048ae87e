/**
 * Finite-difference cases of the indexing and shape ops of issue 17 (group B), spread into
 * GRAD_CASES by tests/grad_cases.ts. Ops that return several tensors are joined back into one (in
 * another order, so that each piece's gradient lands somewhere else); index tensors are fixed, with
 * no repeated position where a repeat would make the result depend on write order.
 */
import {
  broadcastTo,
  cat,
  chunk,
  diag,
  diagonal,
  flatten,
  flip,
  indexAdd,
  indexFill,
  indexPut,
  maskedSelect,
  meshgrid,
  movedim,
  narrow,
  pad,
  repeat,
  repeatInterleave,
  roll,
  scatter,
  scatterAdd,
  scatterReduce,
  split,
  stack,
  take,
  takeAlongDim,
  type Tensor,
  tensor,
  tile,
  unbind,
  unflatten,
} from "../../mod.ts";
import { randf64 } from "../helpers/finite_diff.ts";
import type { GradCase } from "./case.ts";

/** Inputs drawn from randn in f64, one seed each (a shape per input). */
const r = (...shapes: number[][]) => () => shapes.map((shape, i) => randf64(shape, 200 + i));
const i64 = (values: number[], shape: number[]) => tensor(values, shape, { dtype: "i64" });
const bool = (values: number[], shape: number[]) => tensor(values, shape, { dtype: "bool" });

export const INDEXING_SHAPE_GRAD_CASES: Record<string, GradCase[]> = {
  flatten: [
    { what: "dims 1..2", inputs: r([2, 3, 4]), f: (x) => flatten(x, 1) },
    { what: "all dims", inputs: r([2, 3]), f: (x) => flatten(x) },
  ],
  unflatten: [{ inputs: r([2, 6]), f: (x) => unflatten(x, 1, [2, -1]) }],
  split: [
    { what: "sizes", inputs: r([5, 2]), f: (x) => cat(split(x, [2, 3]).reverse(), 0) },
    { what: "a split size", inputs: r([2, 5]), f: (x) => cat(split(x, 2, 1).reverse(), 1) },
  ],
  chunk: [{ inputs: r([2, 5]), f: (x) => cat(chunk(x, 3, 1).reverse(), 1) }],
  unbind: [{ inputs: r([2, 3]), f: (x) => stack(unbind(x, 1).reverse(), 0) }],
  flip: [{ inputs: r([2, 3, 2]), f: (x) => flip(x, [0, -1]) }],
  roll: [
    { what: "along dims", inputs: r([3, 4]), f: (x) => roll(x, [1, -2], [0, 1]) },
    { what: "flattened", inputs: r([3, 4]), f: (x) => roll(x, 5) },
  ],
  repeat: [{ inputs: r([2, 3]), f: (x) => repeat(x, [2, 1, 2]) }],
  tile: [{ inputs: r([2, 3]), f: (x) => tile(x, [2]) }],
  repeatInterleave: [
    { what: "a count along dim 1", inputs: r([2, 3]), f: (x) => repeatInterleave(x, 2, 1) },
    { what: "counts per row", inputs: r([3, 2]), f: (x) => repeatInterleave(x, i64([1, 0, 3], [3]), 0) },
    { what: "flattened", inputs: r([2, 2]), f: (x) => repeatInterleave(x, 3) },
  ],
  pad: [
    { what: "constant", inputs: r([2, 3]), f: (x) => pad(x, [1, 2, 0, 1], "constant", 0.5) },
    { what: "constant, cropping", inputs: r([2, 4]), f: (x) => pad(x, [-1, 1]) },
    { what: "reflect", inputs: r([1, 2, 4]), f: (x) => pad(x, [2, 1], "reflect") },
    { what: "replicate 2-D", inputs: r([1, 3, 3]), f: (x) => pad(x, [1, 2, 2, 0], "replicate") },
    { what: "circular", inputs: r([1, 1, 3]), f: (x) => pad(x, [2, 1], "circular") },
  ],
  movedim: [
    { what: "one dim", inputs: r([2, 3, 4]), f: (x) => movedim(x, 0, -1) },
    { what: "two dims", inputs: r([2, 3, 4]), f: (x) => movedim(x, [0, 1], [2, 0]) },
  ],
  narrow: [{ inputs: r([3, 5]), f: (x) => narrow(x, 1, -4, 2) }],
  diag: [
    { what: "vector to matrix", inputs: r([3]), f: (x) => diag(x as Tensor<[number]>, 1) },
    { what: "matrix to vector", inputs: r([3, 4]), f: (x) => diag(x as Tensor<[number, number]>, -1) },
  ],
  diagonal: [{ inputs: r([2, 3, 4]), f: (x) => diagonal(x, 1, 2, 1) }],
  broadcastTo: [{ inputs: r([3, 1]), f: (x) => broadcastTo(x, [2, 3, 4]) }],
  meshgrid: [
    { what: "ij", inputs: r([2], [3]), f: (a, b) => stack(meshgrid([a, b]), 0) },
    { what: "xy", inputs: r([2], [3], [4]), f: (a, b, c) => stack(meshgrid([a, b, c], "xy"), 0) },
  ],
  scatter: [
    {
      what: "a src tensor, distinct positions",
      inputs: r([3, 4], [2, 3]),
      f: (x, src) => scatter(x, 1, i64([3, 0, 1, 2, 1, 0], [2, 3]), src),
    },
    { what: "a number", inputs: r([3, 4]), f: (x) => scatter(x, 0, i64([2, 0, 1], [1, 3]), 0.25) },
  ],
  scatterAdd: [{
    what: "repeated positions",
    inputs: r([3, 2], [4, 2]),
    f: (x, src) => scatterAdd(x, 0, i64([0, 2, 2, 2, 0, 1, 2, 0], [4, 2]), src),
  }],
  scatterReduce: [
    { what: "sum", inputs: r([3], [4]), f: (x, s) => scatterReduce(x, 0, i64([0, 2, 2, 0], [4]), s, "sum") },
    {
      what: "mean without self",
      inputs: r([3], [4]),
      f: (x, s) => scatterReduce(x, 0, i64([1, 2, 2, 1], [4]), s, "mean", { includeSelf: false }),
    },
    { what: "amax", inputs: r([2, 3], [2, 2]), f: (x, s) => scatterReduce(x, 1, i64([0, 0, 2, 1], [2, 2]), s, "amax") },
    { what: "prod", inputs: r([3], [3]), f: (x, s) => scatterReduce(x, 0, i64([0, 0, 2], [3]), s, "prod") },
  ],
  indexAdd: [{
    inputs: r([4, 2], [3, 2]),
    f: (x, s) => indexAdd(x, 0, i64([3, 0, 3], [3]), s, 0.5),
  }],
  indexFill: [{ inputs: r([2, 4]), f: (x) => indexFill(x, 1, i64([0, -1], [2]), 2) }],
  indexPut: [
    {
      what: "distinct positions",
      inputs: r([3, 4], [2]),
      f: (x, v) => indexPut(x, [i64([0, 2], [2]), i64([3, -1], [2])], v),
    },
    {
      what: "accumulate, repeated rows",
      inputs: r([3, 2], [3, 2]),
      f: (x, v) => indexPut(x, [i64([1, 1, 0], [3])], v, true),
    },
  ],
  take: [{ inputs: r([2, 3]), f: (x) => take(x, i64([5, 0, -1, 2], [2, 2])) }],
  takeAlongDim: [
    { what: "dim 1", inputs: r([2, 4]), f: (x) => takeAlongDim(x, i64([3, 0, 1, 1], [2, 2]), 1) },
    { what: "flattened", inputs: r([2, 3]), f: (x) => takeAlongDim(x, i64([4, 1], [2])) },
  ],
  maskedSelect: [{
    what: "a broadcast mask",
    inputs: r([2, 3]),
    f: (x) => maskedSelect(x, bool([1, 0, 1], [3])),
  }],
};
