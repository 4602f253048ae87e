import assert from "node:assert/strict";

/** Asserts |actual − expected| ≤ tol, naming what was compared. */
export function near(actual: number, expected: number, what: string, tol = 1e-9): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} ≠ ${expected}`);
}
