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

// ---- F: more schedules (issue 17). Each is torch.optim.lr_scheduler's rate after step − 1 calls of
// scheduler.step(), so step 1 gets the rate torch's first optimizer step uses. ----

/** `value`, checked to be an integer ≥ `min`, or a RangeError naming the schedule and argument. */
function count(schedule: string, name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${schedule}: ${name} must be an integer ≥ ${min}, got ${value}`);
  }
  return value;
}

/** `value`, checked to be a finite number ≥ 0. */
function rate(schedule: string, name: string, value: number): number {
  if (!(value >= 0 && value < Infinity)) {
    throw new RangeError(`${schedule}: ${name} must be ≥ 0 and finite, got ${value}`);
  }
  return value;
}

/** The step, checked to be an integer ≥ 1. */
function stepOf(schedule: string, step: number): number {
  return count(schedule, "step", step, 1);
}

/**
 * Linear warmup to `peak` over `warmup` steps (peak·step/warmup), then cosine decay to `min` at step
 * `total`, and `min` after it. In torch: SequentialLR of LinearLR(1/warmup, 1, warmup − 1) and
 * CosineAnnealingLR(total − warmup, min), milestone warmup − 1.
 *
 * @throws {RangeError} If warmup is below 1, total is not above warmup, or a rate is negative.
 *
 * @example
 * ```ts
 * import { warmupCosine } from "@deno-torch/torch";
 * const lrAt = warmupCosine(1e-3, 100, 1100);
 * lrAt(50); // 5e-4 (halfway through warmup)
 * lrAt(600); // 5e-4 (halfway through the decay)
 * ```
 */
export function warmupCosine(peak: number, warmup: number, total: number, { min = 0 } = {}): Schedule {
  rate("warmupCosine", "peak", peak);
  rate("warmupCosine", "min", min);
  count("warmupCosine", "warmup", warmup, 1);
  count("warmupCosine", "total", total, warmup + 1);
  return (step) => {
    stepOf("warmupCosine", step);
    if (step <= warmup) return peak * step / warmup;
    if (step >= total) return min;
    return min + (peak - min) * (1 + Math.cos(Math.PI * (step - warmup) / (total - warmup))) / 2;
  };
}

/**
 * Linear warmup to `peak` over `warmup` steps, then linear decay to 0 at step `total` (and 0 after).
 * In torch: SequentialLR of LinearLR(1/warmup, 1, warmup − 1) and LinearLR(1, 0, total − warmup),
 * milestone warmup − 1.
 *
 * @throws {RangeError} If warmup is below 1, total is not above warmup, or peak is negative.
 *
 * @example
 * ```ts
 * import { warmupLinear } from "@deno-torch/torch";
 * const lrAt = warmupLinear(1e-3, 100, 1100);
 * lrAt(100); // 1e-3 (the peak)
 * lrAt(600); // 5e-4
 * ```
 */
export function warmupLinear(peak: number, warmup: number, total: number): Schedule {
  rate("warmupLinear", "peak", peak);
  count("warmupLinear", "warmup", warmup, 1);
  count("warmupLinear", "total", total, warmup + 1);
  return (step) => {
    stepOf("warmupLinear", step);
    if (step <= warmup) return peak * step / warmup;
    return peak * Math.max(total - step, 0) / (total - warmup);
  };
}

/**
 * `lr` multiplied by `gamma` every `stepSize` steps: lr·gamma^⌊(step − 1)/stepSize⌋, as
 * torch.optim.lr_scheduler.StepLR(step_size, gamma).
 *
 * @throws {RangeError} If stepSize is below 1 or lr or gamma is negative.
 *
 * @example
 * ```ts
 * import { stepDecay } from "@deno-torch/torch";
 * const lrAt = stepDecay(0.1, 30); // gamma 0.1, torch's default
 * lrAt(30); // 0.1
 * lrAt(31); // 0.01 (approximately)
 * ```
 */
export function stepDecay(lr: number, stepSize: number, gamma = 0.1): Schedule {
  rate("stepDecay", "lr", lr);
  rate("stepDecay", "gamma", gamma);
  count("stepDecay", "stepSize", stepSize, 1);
  return (step) => lr * gamma ** Math.floor((stepOf("stepDecay", step) - 1) / stepSize);
}

/** Options of {@linkcode oneCycle}; the defaults are torch.optim.lr_scheduler.OneCycleLR's. */
export interface OneCycleOptions {
  /** Share of the steps spent rising to the peak; default 0.3. */
  pctStart?: number;
  /** The starting rate is maxLr / divFactor; default 25. */
  divFactor?: number;
  /** The final rate is the starting rate / finalDivFactor; default 1e4. */
  finalDivFactor?: number;
  /** Cosine ("cos", the default) or linear annealing. */
  annealStrategy?: "cos" | "linear";
  /** Three phases (up, back down to the start, down to the final rate) instead of two; default false. */
  threePhase?: boolean;
}

/**
 * The one-cycle policy (Smith & Topin 2018) over `totalSteps`, exactly as
 * torch.optim.lr_scheduler.OneCycleLR(max_lr, total_steps) computes the rate: from maxLr/divFactor
 * up to maxLr over pctStart of the steps, then down to maxLr/(divFactor·finalDivFactor). As in torch,
 * stepping past `totalSteps + 1` is an error.
 *
 * @throws {RangeError} If totalSteps is below 1, pctStart is outside [0, 1], a factor is not positive,
 *   or (when the schedule is read) the step is past totalSteps + 1.
 *
 * @example
 * ```ts
 * import { oneCycle } from "@deno-torch/torch";
 * const lrAt = oneCycle(0.1, 1000);
 * lrAt(1); // ≈ 0.004 (0.1 / 25)
 * lrAt(300); // 0.1 (the peak, at 30% of the steps)
 * ```
 */
export function oneCycle(maxLr: number, totalSteps: number, options: OneCycleOptions = {}): Schedule {
  const { pctStart = 0.3, divFactor = 25, finalDivFactor = 1e4, annealStrategy = "cos", threePhase = false } = options;
  rate("oneCycle", "maxLr", maxLr);
  count("oneCycle", "totalSteps", totalSteps, 1);
  if (!(pctStart >= 0 && pctStart <= 1)) throw new RangeError(`oneCycle: pctStart must be in [0, 1], got ${pctStart}`);
  if (!(divFactor > 0 && divFactor < Infinity)) {
    throw new RangeError(`oneCycle: divFactor must be > 0 and finite, got ${divFactor}`);
  }
  if (!(finalDivFactor > 0 && finalDivFactor < Infinity)) {
    throw new RangeError(`oneCycle: finalDivFactor must be > 0 and finite, got ${finalDivFactor}`);
  }
  if (annealStrategy !== "cos" && annealStrategy !== "linear") {
    throw new RangeError(`oneCycle: annealStrategy must be "cos" or "linear", got ${annealStrategy}`);
  }
  const initial = maxLr / divFactor;
  const final = initial / finalDivFactor;
  // torch's phases: [end step, start rate, end rate], the end steps as floats, as torch computes them.
  const phases: [number, number, number][] = threePhase
    ? [
      [pctStart * totalSteps - 1, initial, maxLr],
      [2 * pctStart * totalSteps - 2, maxLr, initial],
      [totalSteps - 1, initial, final],
    ]
    : [[pctStart * totalSteps - 1, initial, maxLr], [totalSteps - 1, maxLr, final]];
  const anneal = annealStrategy === "cos"
    ? (start: number, end: number, pct: number) => end + (start - end) / 2 * (Math.cos(Math.PI * pct) + 1)
    : (start: number, end: number, pct: number) => (end - start) * pct + start;
  return (step) => {
    const k = stepOf("oneCycle", step) - 1; // torch's step_num
    if (k > totalSteps) {
      throw new RangeError(`oneCycle: step ${step} is past the schedule's ${totalSteps} steps (torch raises too)`);
    }
    let start = 0;
    for (let i = 0; i < phases.length; i++) {
      const [end, from, to] = phases[i];
      if (k <= end || i === phases.length - 1) return anneal(from, to, (k - start) / (end - start));
      start = end;
    }
    return final; // not reached: the last phase always answers
  };
}
