/** Learning-rate schedules: functions from the step number (1-based) to the learning rate. */

/** A learning-rate schedule: the rate to use at a step (1-based). */
export type Schedule = (step: number) => number;

/**
 * The same rate every step (the seed's setting).
 *
 * @example
 * ```ts
 * import { constant } from "@deno-torch/torch";
 * constant(1e-4)(500); // 1e-4
 * ```
 */
export const constant = (lr: number): Schedule => () => lr;

/**
 * Linear warmup to `peak` over `warmup` steps, then decay with the inverse square root of the step
 * ("Attention Is All You Need", with the peak given directly instead of through d_model).
 *
 * @throws {RangeError} If `warmup` is below 1.
 *
 * @example
 * ```ts
 * import { warmupInverseSqrt } from "@deno-torch/torch";
 * const lrAt = warmupInverseSqrt(2e-3, 200);
 * lrAt(100); // 1e-3 (halfway through warmup)
 * lrAt(800); // 1e-3 (the peak × √(200 / 800))
 * ```
 */
export const warmupInverseSqrt = (peak: number, warmup: number): Schedule => {
  if (!(warmup >= 1)) throw new RangeError(`warmup must be ≥ 1 step, got ${warmup}`);
  return (step) => peak * Math.min(step / warmup, Math.sqrt(warmup / Math.max(step, 1)));
};
