/**
 * The shape of a finite-difference gradient case (tests/grad_cases.ts and its groups in this folder),
 * and the helpers that every group uses to build one.
 */
import type { Tensor } from "../../mod.ts";
import { type GradCheckOptions, randf64 } from "../helpers/finite_diff.ts";

/** Inputs drawn from randn in f64, one seed each (a shape per input). */
export const r = (...shapes: number[][]) => () => shapes.map((shape, i) => randf64(shape, 100 + i));
/** A weight as a layer's fields type it (the cases pass them in untyped). */
export const matrix = (t: Tensor) => t as Tensor<[number, number]>;
export const vector = (t: Tensor) => t as Tensor<[number]>;

export interface GradCase {
  /** What varies in this case, for the failure message ("with broadcasting", "dim 1", ...). */
  what?: string;
  /** The inputs (f64), made inside the check's scope. */
  inputs: () => Tensor[];
  f: (...xs: Tensor[]) => Tensor;
  options?: GradCheckOptions;
}
