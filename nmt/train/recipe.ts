/**
 * What a run of some options trains: the model's configuration, the learning-rate schedule, each
 * step's settings and the random keys, all derived from the options alone. `deno task train` and the
 * training benchmark (scripts/bench/train_run.ts) share them, so the benchmark times the same recipe.
 */
import { fold, type Key, rng, splitKey } from "../../lib/rng.ts";
import { constant, type Schedule, warmupInverseSqrt } from "../../lib/optim/schedule.ts";
import type { TransformerConfig } from "../model/transformer.ts";
import type { StepConfig } from "./step.ts";
import type { TrainOptions } from "./options.ts";

/** The model options `o` describe, for vocabularies of these sizes (the tokenizers', or the benchmark's). */
export function modelConfig(
  o: TrainOptions,
  src: { vocabSize: number },
  tgt: { vocabSize: number },
): TransformerConfig {
  return {
    srcVocabSize: src.vocabSize,
    tgtVocabSize: tgt.vocabSize,
    srcSeqLen: o.seqLen,
    tgtSeqLen: o.seqLen,
    dModel: o.dModel,
    layers: o.layers,
    heads: o.heads,
    dropout: o.dropout,
    dFF: o.dFF,
  };
}

/** The learning rate at each step (1-based) of a run of `o`. */
export function schedule(o: TrainOptions): Schedule {
  return o.schedule === "constant" ? constant(o.lr) : warmupInverseSqrt(o.lr, o.warmup);
}

/** The settings of a step of a run of `o` at learning rate `lr`; `pad` is the target vocabulary's [PAD]. */
export function stepConfig(o: TrainOptions, lr: number, pad: number, dataParallel: boolean): StepConfig {
  return {
    adam: { lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay, decoupled: o.weightDecay > 0 },
    clip: o.clip,
    labelSmoothing: o.labelSmoothing,
    pad,
    donate: true, // the loop frees the previous parameters and moments right after each step
    dataParallel,
    autocast: o.precision === "bf16" ? "bf16" : undefined,
  };
}

/** A run's keys, all from its seed: the model's initialization, and each step's dropout. */
export interface RunKeys {
  init: Key;
  /** The dropout key of the step after `step` steps; with several ranks, each rank its own. */
  dropout: (step: number) => Key;
}

/** The keys of a run seeded `seed`, for rank `rank` of `world`. */
export function runKeys(seed: number, world: number, rank: number): RunKeys {
  const [init, dropout] = splitKey(rng(seed));
  return {
    init,
    dropout: (step) => world > 1 ? fold(fold(dropout, step), rank) : fold(dropout, step),
  };
}
