/**
 * The values a training run is made of: what it is asked to do (`RunRequest`), what stays fixed
 * through it (`Run`), what changes from step to step (`RunState`, which each phase takes and
 * returns), and its outcome (`RunSummary`).
 */
import type { Device } from "../../lib/device.ts";
import type { AdamState } from "../../lib/optim/adam.ts";
import type { Schedule } from "../../lib/optim/schedule.ts";
import type { Transformer, TransformerParams } from "../model/transformer.ts";
import type { MetricsLog } from "./metrics.ts";
import type { Progress } from "./progress.ts";
import type { TrainOptions } from "./options.ts";
import type { PreparedData } from "./corpus.ts";
import type { RunKeys } from "./recipe.ts";

/** What {@linkcode runTraining} should do. */
export interface RunRequest {
  /** The run's settings; when resuming, only run length, saving, evaluation, device and threads are taken from here. */
  options: TrainOptions;
  /** The run folder: checkpoints, metrics, report and the latest model are written there. */
  out: string;
  /** A run folder or checkpoint folder to continue from. */
  resume?: string;
  /** Overrides the stop flag check (tests); by default SIGINT/SIGTERM stop the run after a checkpoint. */
  handleSignals?: boolean;
}

/** The outcome of {@linkcode runTraining}. */
export interface RunSummary {
  /** The run folder. */
  out: string;
  /** Optimizer steps done in total, including those before a resume. */
  steps: number;
  /** Epochs completed. */
  epochs: number;
  /** Why the run ended. */
  stopped: "finished" | "max-steps" | "max-minutes" | "signal" | "non-finite";
  /** Training loss of each step this call ran. */
  losses: number[];
  /** Loss of the last validation; null when none ran. */
  validLoss: number | null;
  /** Share of validation examples translated exactly right at the last validation; null when none ran. */
  exactMatch: number | null;
  /** BLEU and chrF of the last validation (greedy, on up to 500 validation sentences). */
  bleu: number | null;
  /** chrF of the last validation, as for `bleu`. */
  chrf: number | null;
  /** Training time in seconds, across resumes. */
  elapsedSeconds: number;
  /** Mean training throughput of this call, in target tokens per second. */
  tokensPerSecond: number;
}

/** What stays fixed through a run: its settings and data, its place in the group, its keys and outputs. */
export interface Run {
  /** The run folder. */
  out: string;
  options: TrainOptions;
  data: PreparedData;
  device: Device;
  /** Ranks in the group, and this one's; rank 0 alone logs, validates and writes. */
  world: number;
  rank: number;
  keys: RunKeys;
  lrAt: Schedule;
  progress: Progress | null;
  log: (line: string) => void;
  metrics: MetricsLog | null;
  /** Training seconds so far, across resumes. */
  elapsed: () => number;
}

/** What one step measured, for the report. */
export interface StepFigures {
  loss: number;
  lr: number;
  gradNorm: number;
  /** Target tokens of the step (all ranks' when data-parallel), and its seconds. */
  tokens: number;
  seconds: number;
}

/** The figures of a validation. */
export interface Validation {
  loss: number;
  exactMatch: number;
  bleu: number;
  chrf: number;
}

/** What changes as the run goes: each phase takes it and returns the next. */
export interface RunState {
  /** The model being trained, and Adam's state for its parameters. */
  model: Transformer;
  optState: AdamState<TransformerParams>;
  /** Optimizer steps done in total, the epoch in progress, and its batches done: where a checkpoint resumes. */
  step: number;
  epoch: number;
  position: number;
  /** Lowest validation loss so far (across resumes); null before the first validation. */
  bestValidLoss: number | null;
  /** Training loss of each step this call ran (grown in place: copying it each step would cost O(steps²)). */
  losses: number[];
  /** Target tokens this call trained on, and the seconds their steps took. */
  tokens: number;
  tokenSeconds: number;
  /** The latest step's figures; null before the first. */
  last: StepFigures | null;
  /** The latest validation's figures; null before the first. */
  validation: Validation | null;
  /** When the latest checkpoint was written (performance.now()), for --save-minutes. */
  savedAt: number;
  /** Why the run stops; null while it goes on. */
  stopped: RunSummary["stopped"] | null;
}
