/**
 * What a benchmark group is made of. Two kinds:
 *  - micro (`BenchGroup`): sets up its tensors, lists rows of synchronous per-op workloads that the
 *    harness calibrates and samples round-robin (ns per op), and judges its targets from the measured
 *    rows. To add one (e.g. a training step against reference/transformer_ref.py), write a module
 *    exporting a `BenchGroup`, list it in groups.ts, and give scripts/bench/torch_workloads.py workloads under
 *    the ids its rows name in `torch`.
 *  - macro (`MacroGroup`): an async whole workload measured in seconds, run once per shot (a few
 *    shots at most), reported as its own rows (times, counts, percentages) with its own verdicts.
 *    Write a module exporting a `MacroGroup` (see data.ts) and list it in groups.ts.
 */
import type { Run, Stat } from "./harness.ts";
import type { TorchClient } from "./torch.ts";

export interface RowSpec {
  /** Stable id, used in --json output. */
  id: string;
  label: string;
  /** The deno-torch (DSL) version. */
  ours: Run;
  /** What `ours` adds on top of: the raw FFI symbols doing the same native work. */
  native?: Run;
  /** Id of the matching workload in scripts/bench/torch_workloads.py. */
  torch?: string;
  /** ours − native counts toward the per-op DSL overhead target. */
  overhead?: boolean;
  /** Per-round samples aim at this many ns instead of the run's default (e.g. slow ops). */
  targetNs?: number;
}

export interface RowResult {
  id: string;
  label: string;
  ours: Stat;
  native?: Stat;
  torch?: Stat;
  /** ours − native, median over paired rounds, ns per op */
  added?: number;
  /** ours / PyTorch, median over paired rounds */
  ratio?: number;
  /** The PyTorch code timed for the torch column. */
  torchCode?: string;
  overhead?: boolean;
}

export interface Verdict {
  target: string;
  status: "PASS" | "FAIL" | "SKIP" | "INFO";
  detail: string;
}

export interface Context {
  quick: boolean;
  threads: number;
  /** Default per-sample wall time, ns. */
  targetNs: number;
  repeats: number;
  torch: TorchClient | null;
}

export interface GroupSetup {
  rows: RowSpec[];
  /** Frees what setup created. */
  dispose?(): void;
}

export interface BenchGroup {
  kind?: "micro";
  name: string;
  title: string;
  description: string;
  setup(ctx: Context): GroupSetup;
  verdicts?(rows: RowResult[], ctx: Context): Verdict[];
}

export interface GroupResult {
  kind: "micro";
  name: string;
  title: string;
  rows: RowResult[];
  verdicts: Verdict[];
  /** Native tensors alive after the group minus before (should be 0). */
  leaked: number;
}

// ---- macro groups ----

export interface MacroContext {
  quick: boolean;
  /** How many times to run the whole workload (the rows report the median). */
  shots: number;
  /** Token budget per batch for groups that bucket an epoch (--max-tokens). */
  maxTokens: number;
  /** Progress, to stderr. */
  log(line: string): void;
  /** Training-step groups: --steps, the size flags given (null = the standard sizes), --profile. */
  steps?: number;
  trainSize:
    | Partial<Record<"d-model" | "layers" | "heads" | "d-ff" | "batch" | "src-len" | "tgt-len" | "vocab", number>>
    | null;
  profile: boolean;
  /** A trained model folder for the decoding group (--model); absent: a random one. */
  model?: string;
}

/** What one figure measures: a time in seconds, a percentage (0–100), or a plain count. */
export type MacroUnit = "s" | "%" | "count";

/** One figure of one shot. */
export interface MacroFigure {
  /** Stable id, used in --json output. */
  id: string;
  label: string;
  value: number;
  unit: MacroUnit;
}

/** A figure over all shots: `value` is the median of `runs` (one value per shot). */
export interface MacroRow extends MacroFigure {
  runs: number[];
}

export interface MacroOutcome {
  rows: MacroRow[];
  verdicts: Verdict[];
  /** Lines printed under the group's table (what was read, what is not counted, ...). */
  notes: string[];
  /** Whatever else the group reports as JSON (e.g. each side's own output), kept in --json and results.json. */
  raw?: unknown;
}

export interface MacroGroup {
  kind: "macro";
  name: string;
  title: string;
  description: string;
  run(ctx: MacroContext): Promise<MacroOutcome>;
}

export interface MacroResult extends MacroOutcome {
  kind: "macro";
  name: string;
  title: string;
  /** Native tensors alive after the group minus before (should be 0). */
  leaked: number;
}

export type AnyGroup = BenchGroup | MacroGroup;
export type AnyResult = GroupResult | MacroResult;
