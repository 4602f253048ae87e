/**
 * Gradient checking by central finite differences, in f64.
 *
 * For an op `f(...inputs)`, the scalar loss is L(inputs) = sum(f(inputs) * W) with a fixed random
 * weight W shaped like f's output (so every output element matters). The gradients that
 * `valueAndGrad` computes are compared, element by element, with (L(x + eps·e) - L(x - eps·e)) / 2eps,
 * where the perturbed inputs are rebuilt from plain JS arrays. Nothing here trusts the autograd
 * implementation: the reference is the forward op alone.
 */
import { AssertionError } from "node:assert";
import { data, item, mul, noGrad, randn, rng, scope, sum, type Tensor, tensor, valueAndGrad } from "../../mod.ts";

export interface GradCheckOptions {
  /** Finite-difference step. Default 1e-6. */
  eps?: number;
  /** Relative tolerance. Default 1e-6. */
  rtol?: number;
  /** Absolute tolerance. Default 1e-6. */
  atol?: number;
  /** Seed of the weight tensor W. Default 12345. */
  seed?: number;
  /** Indices of the inputs to differentiate against (default: all of them). */
  wrt?: number[];
}

export interface GradCheckReport {
  /** Elements compared. */
  checked: number;
  /** Largest |autograd - finite difference|. */
  maxAbsError: number;
}

/** An f64 tensor from a flat JS array. */
export function f64(values: ArrayLike<number>, shape: readonly number[]): Tensor {
  return tensor(Float64Array.from(values), shape);
}

/** The elements of a float tensor as a plain number array. */
export function values(t: Tensor): number[] {
  return Array.from(data(t) as Float64Array | Float32Array, Number);
}

/** randn in f64, then each element mapped through `map` in JS (to keep it away from kinks, positive, ...). */
export function randf64(shape: readonly number[], seed: number, map: (v: number) => number = (v) => v): Tensor {
  return scope(() => f64(values(randn(shape, rng(seed), { dtype: "f64" })).map(map), shape));
}

/** Moves |v| < margin out to ±(|v| + margin): values kept away from a kink at 0. */
export function awayFromZero(margin = 0.1): (v: number) => number {
  return (v) => Math.abs(v) < margin ? (v < 0 ? v - margin : v + margin) : v;
}

/** A positive value: |v| + offset. */
export function positive(offset = 0.5): (v: number) => number {
  return (v) => Math.abs(v) + offset;
}

/** Throws unless every pair of elements differs by more than `gap` (no ties for max/min/topk). */
export function assertDistinct(t: Tensor, gap = 1e-4): void {
  const xs = values(t).sort((a, b) => a - b);
  for (let i = 1; i < xs.length; i++) {
    if (xs[i] - xs[i - 1] <= gap) throw new Error(`test input has near-ties: ${xs[i - 1]} and ${xs[i]}`);
  }
}

function close(got: number, want: number, rtol: number, atol: number): boolean {
  return Number.isFinite(got) && Math.abs(got - want) <= atol + rtol * Math.abs(want);
}

/**
 * Checks valueAndGrad's gradients of L = sum(f(...inputs) * W) against central finite differences.
 * `inputs` must be f64 tensors. Throws an AssertionError listing the first mismatches.
 */
export function checkGradients(
  name: string,
  f: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: GradCheckOptions = {},
): GradCheckReport {
  const { eps = 1e-6, rtol = 1e-6, atol = 1e-6, seed = 12345 } = options;
  const wrt = options.wrt ?? inputs.map((_, i) => i);
  return scope(() => {
    for (const x of inputs) {
      if (x.dtype !== "f64") throw new Error(`${name}: gradient checks need f64 inputs, got ${x.dtype}`);
    }
    const outShape = scope(() => noGrad(() => f(...inputs)).shape);
    const w = randn(outShape, rng(seed), { dtype: "f64" });
    const loss = (xs: Tensor[]): Tensor => sum(mul(f(...xs), w));
    const lossAt = (xs: Tensor[]): number => scope(() => noGrad(() => item(loss(xs))));

    // Autograd: differentiate against the chosen inputs only; the others are closed over.
    const chosen = wrt.map((i) => inputs[i]);
    const withChosen = (ps: Tensor[]): Tensor[] => {
      const xs = [...inputs];
      wrt.forEach((i, j) => xs[i] = ps[j]);
      return xs;
    };
    const { value, grads } = valueAndGrad((ps: Tensor[]) => loss(withChosen(ps)))(chosen);

    const problems: string[] = [];
    const base = lossAt(inputs);
    if (!close(item(value), base, 1e-12, 1e-12)) {
      problems.push(`value: valueAndGrad gave ${item(value)}, the forward pass alone gives ${base}`);
    }
    if (grads.length !== chosen.length) problems.push(`got ${grads.length} gradients for ${chosen.length} inputs`);

    let checked = 0;
    let maxAbsError = 0;
    wrt.forEach((inputIndex, j) => {
      const x = inputs[inputIndex];
      const g = grads[j];
      if (g.dtype !== "f64" || g.shape.join() !== x.shape.join()) {
        problems.push(`input ${inputIndex}: gradient is ${g} for an input ${x}`);
        return;
      }
      const got = values(g);
      const xs = values(x);
      for (let e = 0; e < xs.length; e++) {
        const at = (v: number): number => {
          const perturbed = xs.slice();
          perturbed[e] = v;
          return scope(() => {
            const moved = [...inputs];
            moved[inputIndex] = f64(perturbed, x.shape);
            return lossAt(moved);
          });
        };
        const want = (at(xs[e] + eps) - at(xs[e] - eps)) / (2 * eps);
        const err = Math.abs(got[e] - want);
        maxAbsError = Math.max(maxAbsError, Number.isNaN(err) ? Infinity : err);
        checked++;
        if (!close(got[e], want, rtol, atol) && problems.length < 8) {
          problems.push(`input ${inputIndex} [${x.shape}] element ${e}: autograd ${got[e]}, finite difference ${want}`);
        }
      }
    });
    if (problems.length > 0) {
      throw new AssertionError({ message: `${name}: gradient mismatch\n  ${problems.join("\n  ")}` });
    }
    return { checked, maxAbsError };
  });
}
