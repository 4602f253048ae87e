/**
 * Training options: presets, and the complete resolved set a run records in state.json so that a
 * resumed run continues with exactly the same settings.
 */

/** Names of the built-in option sets in {@linkcode PRESETS}. */
export type PresetName = "tiny" | "cpu-small" | "seed";
/** Tokenizers a run can train: one word-level vocabulary per language, or one BPE vocabulary shared by both. */
export type TokenizerKind = "word" | "bpe-shared";
/** Learning-rate schedules: the peak rate throughout, or linear warmup then inverse-square-root decay. */
export type ScheduleKind = "constant" | "inverse-sqrt";

/**
 * Every setting of a training run, fully resolved (no optional fields). Start from a preset and
 * override fields; the command-line flag of each field is its name in kebab case (`dModel` →
 * `--d-model`).
 */
export interface TrainOptions {
  // data
  /** A corpus file (JSONL, TSV, Moses prefix, parquet); null = the generated corpus (or --dataset). */
  data: string | null;
  /** A named public corpus to download instead of `data`; null = none. */
  dataset: "opus_books" | null;
  /** Source language code (e.g. "en"). */
  src: string;
  /** Target language code (e.g. "it"); must differ from `src`. */
  tgt: string;
  /** Sentence pairs generated when no data is given. */
  syntheticSize: number;
  /** Validation and test sizes: fractions of the distinct source sentences, or counts. */
  validSize: number;
  /** Test split size, as for `validSize`: a fraction below 1 or a count. */
  testSize: number;
  /** Which tokenizers to train. */
  tokenizer: TokenizerKind;
  /** BPE vocabulary size (bpe-shared). */
  vocabSize: number;
  /** Fewest occurrences for a word or merge to enter a vocabulary. */
  minFrequency: number;
  // model
  /** Width of the model's embeddings and hidden states; even and divisible by `heads`. */
  dModel: number;
  /** Encoder layers, and as many decoder layers. */
  layers: number;
  /** Attention heads per attention block. */
  heads: number;
  /** Inner width of each feed-forward block. */
  dFF: number;
  /** Dropout probability during training, in [0, 1). */
  dropout: number;
  /** Most positions per sequence (pairs longer than this are dropped and counted). */
  seqLen: number;
  // optimization
  /** Peak learning rate (the constant rate, or the rate at the end of warmup). */
  lr: number;
  /** How the learning rate changes over steps. */
  schedule: ScheduleKind;
  /** Warmup length in optimizer steps (inverse-sqrt schedule). */
  warmup: number;
  /** Adam's first-moment decay rate, in [0, 1). */
  beta1: number;
  /** Adam's second-moment decay rate, in [0, 1). */
  beta2: number;
  /** Adam's stability term added to the denominator; > 0. */
  eps: number;
  /** AdamW's decoupled weight decay; 0 = plain Adam. */
  weightDecay: number;
  /** Global gradient-norm bound; 0 = no clipping. */
  clip: number;
  /** Label-smoothing factor of the loss, in [0, 1). */
  labelSmoothing: number;
  /** Batch size as a token budget: batch size × the longest padded sequence (either side) stays within it. */
  maxTokens: number;
  // run length and bookkeeping
  /** Passes over the training data. */
  epochs: number;
  /** Stop after this many optimizer steps in total; 0 = no limit. */
  maxSteps: number;
  /** Stop after this many minutes of training; 0 = no limit. */
  maxMinutes: number;
  /** Seed of everything random: splits, initialization, batch order, dropout. */
  seed: number;
  /** "auto" (CUDA when available), "cpu", "cuda" or "cuda:N". */
  device: string;
  /** CPU threads for libtorch; 0 = its default. */
  threads: number;
  /** Also save a checkpoint every this many steps (epoch ends and the end always save); 0 = not by steps. */
  saveEvery: number;
  /** Also save a checkpoint when this many minutes have passed since the last save; 0 = not by time. */
  saveMinutes: number;
  /** Checkpoints kept on disk (the oldest are deleted). */
  keep: number;
  /** Validate every this many steps too (0 = only at epoch ends). */
  evalEvery: number;
  /** Sample translations printed at each validation. */
  samples: number;
}

const COMMON: Omit<
  TrainOptions,
  | "dModel"
  | "layers"
  | "heads"
  | "dFF"
  | "dropout"
  | "seqLen"
  | "lr"
  | "schedule"
  | "warmup"
  | "beta1"
  | "beta2"
  | "eps"
  | "clip"
  | "maxTokens"
  | "epochs"
> = {
  data: null,
  dataset: null,
  src: "en",
  tgt: "it",
  syntheticSize: 12000,
  validSize: 0.05,
  testSize: 0.05,
  tokenizer: "word",
  vocabSize: 8000,
  minFrequency: 2,
  weightDecay: 0,
  labelSmoothing: 0.1,
  maxSteps: 0,
  maxMinutes: 0,
  seed: 0,
  device: "auto",
  threads: 0,
  saveEvery: 0,
  saveMinutes: 10,
  keep: 3,
  evalEvery: 0,
  samples: 3,
};

/**
 * Complete option sets to start from: `tiny` (the offline default, generated corpus), `cpu-small`
 * (a real corpus on 2 CPU cores) and `seed` (the original hyperparameters).
 *
 * @example
 * ```ts
 * import { PRESETS, type TrainOptions, validateOptions } from "@deno-torch/torch/nmt";
 * const options: TrainOptions = validateOptions({ ...PRESETS.tiny, epochs: 2, seed: 7 });
 * ```
 */
export const PRESETS: Record<PresetName, TrainOptions> = {
  /** The offline default: learns the generated corpus in a few minutes on 2 cores. */
  tiny: {
    ...COMMON,
    dModel: 64,
    layers: 2,
    heads: 4,
    dFF: 128,
    dropout: 0.1,
    seqLen: 32,
    lr: 2e-3,
    schedule: "inverse-sqrt",
    warmup: 200,
    beta1: 0.9,
    beta2: 0.98,
    eps: 1e-9,
    clip: 1,
    maxTokens: 1500,
    epochs: 12,
  },
  /** Sized to learn Tatoeba well in about an hour on 2 cores. */
  "cpu-small": {
    ...COMMON,
    validSize: 2000,
    testSize: 2000,
    dModel: 256,
    layers: 3,
    heads: 4,
    dFF: 1024,
    dropout: 0.1,
    seqLen: 64,
    lr: 7e-4,
    schedule: "inverse-sqrt",
    warmup: 1000,
    beta1: 0.9,
    beta2: 0.98,
    eps: 1e-9,
    clip: 1,
    maxTokens: 3000,
    epochs: 20,
  },
  /** The seed's hyperparameters. */
  seed: {
    ...COMMON,
    dModel: 512,
    layers: 6,
    heads: 8,
    dFF: 2048,
    dropout: 0.1,
    seqLen: 350,
    lr: 1e-4,
    schedule: "constant",
    warmup: 1,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-9,
    clip: 0,
    maxTokens: 4000,
    epochs: 20,
  },
};

/**
 * Checks every value and the relations between them, and returns the options unchanged when valid.
 *
 * @throws {OptionError} On the first invalid value; the message names the command-line flag.
 *
 * @example
 * ```ts
 * import { PRESETS, validateOptions } from "@deno-torch/torch/nmt";
 * validateOptions({ ...PRESETS.tiny, dModel: 60, heads: 8 }); // throws: --d-model (60) must be divisible by --heads (8)
 * ```
 */
export function validateOptions(o: TrainOptions): TrainOptions {
  const positiveInt: (keyof TrainOptions)[] = [
    "dModel",
    "layers",
    "heads",
    "dFF",
    "seqLen",
    "maxTokens",
    "epochs",
    "vocabSize",
    "minFrequency",
    "warmup",
    "keep",
    "syntheticSize",
  ];
  for (const k of positiveInt) {
    const v = o[k] as number;
    if (!Number.isInteger(v) || v < 1) throw new OptionError(k, `must be a positive integer, got ${v}`);
  }
  const nonNegativeInt: (keyof TrainOptions)[] = ["maxSteps", "saveEvery", "evalEvery", "samples", "threads", "seed"];
  for (const k of nonNegativeInt) {
    const v = o[k] as number;
    if (!Number.isSafeInteger(v) || v < 0) throw new OptionError(k, `must be a non-negative integer, got ${v}`);
  }
  const nonNegative: (keyof TrainOptions)[] = [
    "maxMinutes",
    "saveMinutes",
    "clip",
    "weightDecay",
    "validSize",
    "testSize",
  ];
  for (const k of nonNegative) {
    const v = o[k] as number;
    if (!(v >= 0)) throw new OptionError(k, `must be ≥ 0, got ${v}`);
  }
  if (!(o.lr > 0)) throw new OptionError("lr", `must be > 0, got ${o.lr}`);
  if (!(o.eps > 0)) throw new OptionError("eps", `must be > 0, got ${o.eps}`);
  for (const k of ["dropout", "labelSmoothing", "beta1", "beta2"] as const) {
    if (!(o[k] >= 0 && o[k] < 1)) throw new OptionError(k, `must be in [0, 1), got ${o[k]}`);
  }
  if (o.dModel % o.heads !== 0) {
    throw new OptionError("dModel", `(${o.dModel}) must be divisible by --heads (${o.heads})`);
  }
  if (o.dModel % 2 !== 0) throw new OptionError("dModel", `must be even, got ${o.dModel}`);
  if (o.src === o.tgt) throw new OptionError("src", `and --tgt must differ, both are "${o.src}"`);
  if (o.data !== null && o.dataset !== null) throw new OptionError("data", "and --dataset are alternatives: give one");
  if (!["word", "bpe-shared"].includes(o.tokenizer)) {
    throw new OptionError("tokenizer", `must be word or bpe-shared, got ${o.tokenizer}`);
  }
  if (!["constant", "inverse-sqrt"].includes(o.schedule)) {
    throw new OptionError("schedule", `must be constant or inverse-sqrt, got ${o.schedule}`);
  }
  if (!/^(auto|cpu|cuda(:\d+)?)$/.test(o.device)) {
    throw new OptionError("device", `must be auto, cpu, cuda or cuda:N, got ${o.device}`);
  }
  return o;
}

/** Flag names as the command line spells them (dModel → --d-model). */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace("d-f-f", "d-ff")}`;
}

/** An invalid training option; `option` is the field's name, the message names its flag. */
export class OptionError extends Error {
  /** Builds the error for field `option`; `detail` follows the flag name in the message. */
  constructor(readonly option: string, detail: string) {
    super(`${flagName(option)} ${detail}`);
    this.name = "OptionError";
  }
}
