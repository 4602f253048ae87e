/** Learning-rate schedules: functions from the step number (1-based) to the learning rate. */

export type Schedule = (step: number) => number;

/** The same rate every step (the seed's setting). */
export const constant = (lr: number): Schedule => () => lr;

/**
 * Linear warmup to `peak` over `warmup` steps, then decay with the inverse square root of the step
 * ("Attention Is All You Need", with the peak given directly instead of through d_model).
 */
export const warmupInverseSqrt = (peak: number, warmup: number): Schedule => {
  if (!(warmup >= 1)) throw new RangeError(`warmup must be ≥ 1 step, got ${warmup}`);
  return (step) => peak * Math.min(step / warmup, Math.sqrt(warmup / Math.max(step, 1)));
};
