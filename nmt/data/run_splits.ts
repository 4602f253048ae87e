/**
 * The train / valid / test splits a model folder was trained with: a training run's folder records
 * its corpus, seed and split sizes in its checkpoints, and the same split comes back from them (what
 * `deno task eval` scores and `deno task shortlist` learns from). Overrides replace recorded values.
 */
import { loadPairs, type SentencePair } from "./corpus.ts";
import { splitBySource, type Splits } from "./split.ts";
import { syntheticCorpus } from "./synthetic.ts";
import { latestCheckpoint } from "../train/checkpoint.ts";
import type { TrainState } from "../train/checkpoint.ts";
import { PRESETS, type TrainOptions } from "../train/options.ts";

/** What may replace the run's own record. */
export interface SplitOverrides {
  data?: string;
  seed?: number;
  validSize?: number;
  testSize?: number;
}

/** The options a run folder (or one of its checkpoints) was trained with; null for a plain model folder. */
export async function runOptions(dir: string): Promise<TrainOptions | null> {
  for (const candidate of [dir, await latestCheckpoint(dir)]) {
    if (candidate === null) continue;
    try {
      return (JSON.parse(await Deno.readTextFile(`${candidate}/state.json`)) as TrainState).options;
    } catch { /* not a checkpoint */ }
  }
  return null;
}

/**
 * The splits of the model folder `dir`'s training data. A plain model folder (not a run) needs
 * `overrides.data`; the tiny preset's seed and sizes apply then. Throws a RangeError naming what is
 * missing.
 */
export async function runSplits(
  dir: string,
  overrides: SplitOverrides = {},
): Promise<Splits<SentencePair> & { options: TrainOptions }> {
  const run = await runOptions(dir);
  const base: TrainOptions = run ?? { ...PRESETS.tiny };
  const options: TrainOptions = {
    ...base,
    data: overrides.data ?? base.data,
    seed: overrides.seed ?? base.seed,
    validSize: overrides.validSize ?? base.validSize,
    testSize: overrides.testSize ?? base.testSize,
  };
  let pairs: SentencePair[];
  if (options.data !== null) pairs = (await loadPairs(options.data, { src: options.src, tgt: options.tgt })).pairs;
  else if (run !== null) pairs = syntheticCorpus(options.syntheticSize, options.seed);
  else throw new RangeError(`--data FILE is needed (${dir} is not a training run folder)`);
  return { ...splitBySource(pairs, { valid: options.validSize, test: options.testSize, seed: options.seed }), options };
}
