/**
 * Timing harness shared by every benchmark group. A workload is a function that runs its operation
 * `n` times (the loop lives inside, so no per-iteration closure call is measured). Each side of a
 * comparison is a `Sampler`: the Deno variants run in this process, the PyTorch ones in a Python
 * subprocess (see torch.ts). The variants of one row are sampled round-robin, so a change in the
 * machine's background load hits all of them alike, and the differences and ratios are taken per
 * round (paired) before the median.
 *
 * Macro groups (whole workloads, seconds long) use the last two helpers instead: `timed` around each
 * step of one shot, and `repeatShots` to run the shot a few times and take the median per figure.
 */
import type { MacroFigure, MacroRow } from "./types.ts";

/** Runs the measured operation `n` times. */
export type Run = (n: number) => void;

/** Something that can be timed: calibrated once, then asked for samples in ns per operation. */
export interface Sampler {
  /** Picks an iteration count so one sample takes about `targetNs`; also warms up. */
  calibrate(targetNs: number): Promise<number>;
  /** One sample: ns per operation over the calibrated iteration count. */
  sample(): Promise<number>;
}

export interface Stat {
  /** ns per operation, median of the samples */
  median: number;
  min: number;
  max: number;
  p25: number;
  p75: number;
  /** iterations per sample */
  iters: number;
  /** ns per operation, one per round */
  samples: number[];
}

export interface TimingOptions {
  /** Wall time one sample aims for, in ns. */
  targetNs: number;
  /** Samples per variant (rounds). */
  repeats: number;
}

/** Times `run(n)` once; returns ns per operation. */
export function timeOnce(run: Run, n: number): number {
  const t0 = performance.now();
  run(n);
  return ((performance.now() - t0) * 1e6) / n;
}

/** Doubles `n` until one call of `run(n)` takes an eighth of the target, then scales up to it. */
export function calibrateRun(run: Run, targetNs: number): number {
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    run(n);
    const elapsed = (performance.now() - t0) * 1e6;
    if (elapsed >= targetNs / 8 || n >= 1 << 30) {
      const iters = Math.max(1, Math.ceil((n * targetNs) / Math.max(elapsed, 1)));
      run(iters); // warm-up at full size (JIT tiers, allocator, caches)
      return iters;
    }
    n *= 2;
  }
}

/** A sampler over a function in this process. */
export function localSampler(run: Run): Sampler {
  let iters = 0;
  return {
    calibrate(targetNs) {
      iters = calibrateRun(run, targetNs);
      return Promise.resolve(iters);
    },
    sample() {
      return Promise.resolve(timeOnce(run, iters));
    },
  };
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** The middle value; for an even count, the mean of the two middle ones. */
export function median(xs: readonly number[]): number {
  return quantile([...xs].sort((a, b) => a - b), 0.5);
}

/** The run whose `key` is the median: a whole run, so for an even count the upper of the two middle ones. */
export function medianRun<R>(runs: readonly R[], key: (r: R) => number): R {
  return [...runs].sort((a, b) => key(a) - key(b))[Math.floor(runs.length / 2)];
}

export function stat(samples: number[], iters: number): Stat {
  const s = [...samples].sort((a, b) => a - b);
  return {
    median: quantile(s, 0.5),
    min: s[0],
    max: s[s.length - 1],
    p25: quantile(s, 0.25),
    p75: quantile(s, 0.75),
    iters,
    samples,
  };
}

/** Relative spread (interquartile range over median) of a stat. */
export function spread(s: Stat): number {
  return (s.p75 - s.p25) / s.median;
}

/**
 * Calibrates every sampler, then takes `repeats` rounds of one sample each, rotating the order
 * every round so no variant always runs first (right after another one's allocations or caches).
 */
export async function sampleInterleaved<K extends string>(
  samplers: Record<K, Sampler>,
  opts: TimingOptions,
): Promise<Record<K, Stat>> {
  const keys = Object.keys(samplers) as K[];
  const iters = {} as Record<K, number>;
  for (const k of keys) iters[k] = await samplers[k].calibrate(opts.targetNs);
  const samples = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r < opts.repeats; r++) {
    for (let j = 0; j < keys.length; j++) {
      const k = keys[(r + j) % keys.length];
      samples[k].push(await samplers[k].sample());
    }
  }
  const out = {} as Record<K, Stat>;
  for (const k of keys) out[k] = stat(samples[k], iters[k]);
  return out;
}

/** Median over rounds of a − b (paired samples). */
export function pairedDiff(a: Stat, b: Stat): number {
  return median(a.samples.map((x, i) => x - b.samples[i]));
}

/** Median over rounds of a / b (paired samples). */
export function pairedRatio(a: Stat, b: Stat): number {
  return median(a.samples.map((x, i) => x / b.samples[i]));
}

/** Runs `fn` once (awaiting it); returns its result and the wall time in seconds. */
export async function timed<T>(fn: () => T | Promise<T>): Promise<{ result: T; seconds: number }> {
  const t0 = performance.now();
  const result = await fn();
  return { result, seconds: (performance.now() - t0) / 1e3 };
}

/**
 * Runs `shot` `shots` times, one after the other, and reports each figure as the median over the
 * shots (every shot must report the same figures, in the same order). `after(i, figures)` sees each
 * shot's figures as they come, e.g. for progress lines.
 */
export async function repeatShots(
  shots: number,
  shot: (index: number) => Promise<MacroFigure[]>,
  after?: (index: number, figures: MacroFigure[]) => void,
): Promise<MacroRow[]> {
  if (!Number.isInteger(shots) || shots < 1) throw new RangeError(`shots must be a positive integer, got ${shots}`);
  const all: MacroFigure[][] = [];
  for (let i = 0; i < shots; i++) {
    const figures = await shot(i);
    after?.(i, figures);
    all.push(figures);
  }
  return all[0].map((first, j) => {
    const runs = all.map((figures, i) => {
      const f = figures[j];
      if (f?.id !== first.id) throw new Error(`shot ${i} reported ${f?.id ?? "nothing"} where shot 0 had ${first.id}`);
      return f.value;
    });
    return { ...first, value: median(runs), runs };
  });
}
