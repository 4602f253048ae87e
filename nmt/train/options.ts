/**
 * Training options: one table ({@linkcode OPTIONS}) says of each field its help text, its value in
 * each preset, how its flag is read, what values are valid, and whether `--resume` may change it.
 * The presets, validation, `--resume`'s overrides and the command line (flags.ts) all derive from
 * it. A run records the complete resolved set in state.json, so a resumed run continues with
 * exactly the same settings.
 */

/** Names of the built-in option sets in {@linkcode PRESETS}. */
export type PresetName = "tiny" | "cpu-small" | "seed";
/** Tokenizers a run can train: one word-level vocabulary per language, or one BPE vocabulary shared by both. */
export type TokenizerKind = "word" | "bpe-shared";
/** Learning-rate schedules: the peak rate throughout, or linear warmup then inverse-square-root decay. */
export type ScheduleKind = "constant" | "inverse-sqrt";

/** What `--help` says of each preset, in the order it lists them. */
export const PRESET_SUMMARIES: Record<PresetName, string> = {
  tiny: "default: generated corpus, minutes",
  "cpu-small": "Tatoeba in an hour",
  seed: "the seed's hyperparameters",
};
/** The presets' names. */
export const PRESET_NAMES = Object.keys(PRESET_SUMMARIES) as PresetName[];
const TOKENIZERS: readonly TokenizerKind[] = ["word", "bpe-shared"];
const SCHEDULES: readonly ScheduleKind[] = ["constant", "inverse-sqrt"];
/** The arithmetic of a training step's matrix products. */
export type Precision = "f32" | "bf16";
const PRECISIONS: readonly Precision[] = ["f32", "bf16"];

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
  /** "f32", or "bf16": matrix products in bf16 under `autocast`, f32 master weights and gradients. */
  precision: Precision;
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

/** One training option: everything the presets, validation, `--resume` and the command line need of it. */
export interface OptionSpec<T> {
  /** How the flag's text is read: as a number, or as it is. */
  type: "number" | "string";
  /** What is wrong with a value (the words after the flag's name), or null when it is valid. */
  check: (value: T) => string | null;
  /** Its value in each preset; one value is every preset's. */
  default: T | Record<PresetName, T>;
  /** One line for `--help`. */
  help: string;
  /** `--resume` may change it: how long the run goes and how it is watched, never its recipe. */
  resumeMayChange?: true;
}

/** "a", "a or b", "a, b or c". */
const alternatives = (words: readonly string[]) =>
  words.length === 1 ? words[0] : `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`;

// The kinds of value, each a reader and a check.
const positiveInt = {
  type: "number",
  check: (v: number) => Number.isInteger(v) && v >= 1 ? null : `must be a positive integer, got ${v}`,
} as const;
const count = {
  type: "number",
  check: (v: number) => Number.isSafeInteger(v) && v >= 0 ? null : `must be a non-negative integer, got ${v}`,
} as const;
const nonNegative = { type: "number", check: (v: number) => v >= 0 ? null : `must be ≥ 0, got ${v}` } as const;
const positive = { type: "number", check: (v: number) => v > 0 ? null : `must be > 0, got ${v}` } as const;
const belowOne = {
  type: "number",
  check: (v: number) => v >= 0 && v < 1 ? null : `must be in [0, 1), got ${v}`,
} as const;
const text = { type: "string", check: () => null } as const;
/** One of `choices`. */
const oneOf = <T extends string>(choices: readonly T[]) => ({
  type: "string" as const,
  check: (v: T) => choices.includes(v) ? null : `must be ${alternatives(choices)}, got ${v}`,
});
/** One of `choices`, or null for none. */
const oneOfOrNone = <T extends string>(choices: readonly T[]) => ({
  type: "string" as const,
  check: (v: T | null) => v === null ? null : oneOf(choices).check(v),
});
const deviceName = {
  type: "string",
  check: (v: string) => /^(auto|cpu|cuda(:\d+)?)$/.test(v) ? null : `must be auto, cpu, cuda or cuda:N, got ${v}`,
} as const;

/**
 * Every training option, once, in `--help`'s order. Values given per preset are those the presets
 * differ in.
 */
export const OPTIONS: { readonly [K in keyof TrainOptions]: OptionSpec<TrainOptions[K]> } = {
  // data
  data: {
    ...text,
    default: null,
    help: "corpus file: JSONL ({en,it} or {translation:{...}}), TSV, Moses prefix, or parquet",
  },
  dataset: {
    ...oneOfOrNone(["opus_books"]),
    default: null,
    help: "opus_books: download Hugging Face's opus_books (needs network; --data works offline)",
  },
  src: { ...text, default: "en", help: "source language key" },
  tgt: { ...text, default: "it", help: "target language key" },
  syntheticSize: {
    ...positiveInt,
    default: 12000,
    help: "pairs of the generated corpus (used when no --data/--dataset)",
  },
  validSize: {
    ...nonNegative,
    default: { tiny: 0.05, "cpu-small": 2000, seed: 0.05 },
    help: "validation split: fraction (<1) or count of distinct source sentences",
  },
  testSize: {
    ...nonNegative,
    default: { tiny: 0.05, "cpu-small": 2000, seed: 0.05 },
    help: "test split: fraction (<1) or count",
  },
  tokenizer: {
    ...oneOf(TOKENIZERS),
    default: "word",
    help: "word (one word-level tokenizer per language, like the seed) or bpe-shared",
  },
  vocabSize: { ...positiveInt, default: 8000, help: "BPE vocabulary size (bpe-shared)" },
  minFrequency: {
    ...positiveInt,
    default: 2,
    help: "words/pairs seen fewer times are left out of the vocabulary",
  },
  // model
  dModel: { ...positiveInt, default: { tiny: 64, "cpu-small": 256, seed: 512 }, help: "model width" },
  layers: {
    ...positiveInt,
    default: { tiny: 2, "cpu-small": 3, seed: 6 },
    help: "encoder layers (and as many decoder layers)",
  },
  heads: { ...positiveInt, default: { tiny: 4, "cpu-small": 4, seed: 8 }, help: "attention heads" },
  dFF: { ...positiveInt, default: { tiny: 128, "cpu-small": 1024, seed: 2048 }, help: "feed-forward width" },
  dropout: { ...belowOne, default: 0.1, help: "dropout rate" },
  seqLen: {
    ...positiveInt,
    default: { tiny: 32, "cpu-small": 64, seed: 350 },
    help: "most positions per sequence; longer pairs are dropped and counted",
  },
  // optimization
  lr: {
    ...positive,
    default: { tiny: 2e-3, "cpu-small": 7e-4, seed: 1e-4 },
    help: "learning rate (the peak, with inverse-sqrt)",
  },
  schedule: {
    ...oneOf(SCHEDULES),
    default: { tiny: "inverse-sqrt", "cpu-small": "inverse-sqrt", seed: "constant" },
    help: "constant or inverse-sqrt (linear warmup, then 1/sqrt(step))",
  },
  warmup: { ...positiveInt, default: { tiny: 200, "cpu-small": 1000, seed: 1 }, help: "warmup steps (inverse-sqrt)" },
  beta1: { ...belowOne, default: 0.9, help: "Adam beta1" },
  beta2: { ...belowOne, default: { tiny: 0.98, "cpu-small": 0.98, seed: 0.999 }, help: "Adam beta2" },
  eps: { ...positive, default: 1e-9, help: "Adam epsilon" },
  weightDecay: { ...nonNegative, default: 0, help: "AdamW weight decay (0 = plain Adam)" },
  clip: {
    ...nonNegative,
    default: { tiny: 1, "cpu-small": 1, seed: 0 },
    help: "clip gradients to this global norm (0 = off)",
  },
  labelSmoothing: { ...belowOne, default: 0.1, help: "label smoothing of the cross entropy" },
  maxTokens: {
    ...positiveInt,
    default: { tiny: 1500, "cpu-small": 3000, seed: 4000 },
    help: "padded tokens per batch (length-bucketed batches)",
  },
  // run length and bookkeeping: --resume may change these
  epochs: {
    ...positiveInt,
    default: { tiny: 12, "cpu-small": 20, seed: 20 },
    help: "epochs to train",
    resumeMayChange: true,
  },
  maxSteps: { ...count, default: 0, help: "stop after this many steps (0 = no limit)", resumeMayChange: true },
  maxMinutes: {
    ...nonNegative,
    default: 0,
    help: "stop after this many minutes of training (0 = no limit)",
    resumeMayChange: true,
  },
  seed: { ...count, default: 0, help: "seed of everything random (init, dropout, splits, data order)" },
  device: { ...deviceName, default: "auto", help: "auto, cpu, cuda or cuda:N", resumeMayChange: true },
  threads: { ...count, default: 0, help: "libtorch intra-op threads (0 = all cores)", resumeMayChange: true },
  precision: {
    ...oneOf(PRECISIONS),
    default: "f32",
    help: "f32, or bf16: matrix products in bf16 (autocast), f32 master weights",
    resumeMayChange: true,
  },
  saveEvery: {
    ...count,
    default: 0,
    help: "also checkpoint every this many steps (0 = off)",
    resumeMayChange: true,
  },
  saveMinutes: {
    ...nonNegative,
    default: 10,
    help: "checkpoint every this many minutes (0 = off)",
    resumeMayChange: true,
  },
  keep: { ...positiveInt, default: 3, help: "checkpoints to keep", resumeMayChange: true },
  evalEvery: {
    ...count,
    default: 0,
    help: "also validate every this many steps (0 = at epoch ends only)",
    resumeMayChange: true,
  },
  samples: { ...count, default: 3, help: "sample translations printed at each validation", resumeMayChange: true },
};

/** The fields of {@linkcode TrainOptions}, in the table's order. */
export const OPTION_KEYS = Object.keys(OPTIONS) as (keyof TrainOptions)[];

/** The value of option `key` in `preset`. */
function presetValue<K extends keyof TrainOptions>(key: K, preset: PresetName): TrainOptions[K] {
  const value = OPTIONS[key].default;
  const perPreset = typeof value === "object" && value !== null;
  return perPreset ? (value as Record<PresetName, TrainOptions[K]>)[preset] : value as TrainOptions[K];
}

/** Every option's value in `preset`. */
function presetOptions(preset: PresetName): TrainOptions {
  return Object.fromEntries(OPTION_KEYS.map((k) => [k, presetValue(k, preset)])) as unknown as TrainOptions;
}

/**
 * Complete option sets to start from: `tiny` (the offline default, generated corpus, learns it in
 * a few minutes on 2 cores), `cpu-small` (sized to learn Tatoeba well in about an hour on 2 cores)
 * and `seed` (the original hyperparameters). Each is read off {@linkcode OPTIONS}.
 *
 * @example
 * ```ts
 * import { PRESETS, type TrainOptions, validateOptions } from "@deno-torch/torch/nmt";
 * const options: TrainOptions = validateOptions({ ...PRESETS.tiny, epochs: 2, seed: 7 });
 * ```
 */
export const PRESETS: Record<PresetName, TrainOptions> = Object.fromEntries(
  PRESET_NAMES.map((p) => [p, presetOptions(p)]),
) as Record<PresetName, TrainOptions>;

/** What is wrong with the value of option `key`, or null (generic, so that the value's type follows the key's). */
function problemWith<K extends keyof TrainOptions>(key: K, value: TrainOptions[K]): string | null {
  return OPTIONS[key].check(value);
}

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
  for (const key of OPTION_KEYS) {
    const problem = problemWith(key, o[key]);
    if (problem !== null) throw new OptionError(key, problem);
  }
  if (o.dModel % o.heads !== 0) {
    throw new OptionError("dModel", `(${o.dModel}) must be divisible by --heads (${o.heads})`);
  }
  if (o.dModel % 2 !== 0) throw new OptionError("dModel", `must be even, got ${o.dModel}`);
  if (o.src === o.tgt) throw new OptionError("src", `and --tgt must differ, both are "${o.src}"`);
  if (o.data !== null && o.dataset !== null) throw new OptionError("data", "and --dataset are alternatives: give one");
  return o;
}

/**
 * A resumed run's options: the checkpoint's recipe, with what `--resume` may change (run length,
 * saving, evaluation, device and threads) taken from `given`.
 */
export function resumedOptions(recorded: TrainOptions, given: TrainOptions): TrainOptions {
  const changes = OPTION_KEYS.filter((k) => OPTIONS[k].resumeMayChange).map((k) => [k, given[k]]);
  return { ...recorded, ...Object.fromEntries(changes) };
}

/** Flag names as the command line spells them (dModel → --d-model). */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace("d-f-f", "d-ff")}`;
}

/** An invalid training option; `option` is the field's name (or a launch flag's), the message names its flag. */
export class OptionError extends Error {
  /** Builds the error for field `option`; `detail` follows the flag name in the message. */
  constructor(readonly option: string, detail: string) {
    super(`${flagName(option)} ${detail}`);
    this.name = "OptionError";
  }
}
