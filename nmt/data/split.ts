/**
 * Train/validation/test splits grouped by source sentence: every translation of one source sentence
 * lands in the same splitKey, so no source sentence is seen in training and scored in evaluation.
 * The assignment is a seeded shuffle of the distinct sources, so a seed gives the same split on
 * every machine.
 */
import { Prng } from "./prng.ts";

/** A split size: a fraction of the distinct source sentences (< 1) or a count of them (≥ 1). */
export type SplitSize = number;

/** Settings for {@link splitBySource}: the validation and test sizes and the shuffle seed. */
export interface SplitOptions {
  /** Size of the validation split: a fraction of the distinct sources, or a count of them. */
  valid: SplitSize;
  /** Size of the test splitKey, in the same units. */
  test: SplitSize;
  /** Seed of the shuffle that assigns sources to splits. */
  seed: number;
}

/** The three splits of a corpus, each holding whole groups of pairs that share a source sentence. */
export interface Splits<P> {
  /** Every pair whose source went to neither validation nor test. */
  train: P[];
  /** The validation pairs. */
  valid: P[];
  /** The test pairs. */
  test: P[];
}

function groups(size: SplitSize, total: number, name: string): number {
  if (!(size >= 0)) throw new RangeError(`split: ${name} size must be ≥ 0, got ${size}`);
  if (size < 1) return Math.round(size * total);
  if (!Number.isInteger(size)) {
    throw new RangeError(`split: ${name} size ${size} must be a fraction below 1 or a whole count`);
  }
  return size;
}

/**
 * Splits pairs by their source sentence; within each splitKey, pairs keep their corpus order.
 *
 * @throws {RangeError} If a size is negative, a count is fractional, or the two sizes together exceed
 * the number of distinct sources.
 *
 * @example
 * ```ts
 * import { splitBySource, syntheticCorpus } from "@deno-torch/torch/nmt";
 * const { train, valid, test } = splitBySource(syntheticCorpus(1000), { valid: 0.05, test: 50, seed: 1 });
 * ```
 */
export function splitBySource<P extends { src: string }>(pairs: readonly P[], opts: SplitOptions): Splits<P> {
  const sources = [...new Set(pairs.map((p) => p.src))];
  const nValid = groups(opts.valid, sources.length, "valid");
  const nTest = groups(opts.test, sources.length, "test");
  if (nValid + nTest > sources.length) {
    throw new RangeError(
      `split: ${nValid} validation + ${nTest} test sentences exceed the ${sources.length} distinct sources`,
    );
  }
  new Prng(opts.seed).shuffle(sources);
  const side = new Map<string, keyof Splits<P>>();
  sources.forEach((s, i) => side.set(s, i < nValid ? "valid" : i < nValid + nTest ? "test" : "train"));
  const out: Splits<P> = { train: [], valid: [], test: [] };
  for (const p of pairs) out[side.get(p.src)!].push(p);
  return out;
}
