/**
 * What a benchmark group is made of. A group sets up its tensors, lists rows, and judges its
 * targets from the measured rows. To add one (e.g. a training step against
 * reference/transformer_ref.py), write a module exporting a `BenchGroup`, list it in groups.ts,
 * and give scripts/bench_torch.py workloads under the ids its rows name in `torch`.
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
  /** Id of the matching workload in scripts/bench_torch.py. */
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
  name: string;
  title: string;
  description: string;
  setup(ctx: Context): GroupSetup;
  verdicts?(rows: RowResult[], ctx: Context): Verdict[];
}

export interface GroupResult {
  name: string;
  title: string;
  rows: RowResult[];
  verdicts: Verdict[];
  /** Native tensors alive after the group minus before (should be 0). */
  leaked: number;
}
