/**
 * One training step (forward, label-smoothed cross entropy, backward, Adam) beside the reference's
 * own `transformer_ref.py bench-train` (PyTorch eager, same libtorch, same threads, same sizes and
 * flags). Each side runs in a process of its own (ours: scripts/bench/train_run.ts), so each peak
 * memory is its own. Reports per size: median step times and their ratio, peak RSS and its ratio,
 * and hardware efficiency (the step's matmul FLOP rate over the best 2048² sgemm rate measured in
 * the same process). `--profile` adds where our step's time goes.
 * Targets: step ≤ 0.9× PyTorch at the seed's size, ≤ 0.8× at a small model where per-op overhead
 * dominates; peak memory ≤ 1.1× PyTorch's.
 */
import { threads } from "../../mod.ts";
import { formatProfile } from "../../lib/profile.ts";
import { median, medianRun } from "./harness.ts";
import { referenceBenchTrain, referenceMissing, type ReferenceTrainResult, ROOT, skipped } from "./reference.ts";
import type { TrainRunResult } from "./train_run.ts";
import type { MacroContext, MacroGroup, MacroOutcome, MacroRow, Verdict } from "./types.ts";

export const TRAIN_RUN = `${ROOT}/scripts/bench/train_run.ts`;

/** bench-train's flags that describe the model and batch; `deno task bench` accepts them too. */
export const SIZE_FLAGS = ["d-model", "layers", "heads", "d-ff", "batch", "src-len", "tgt-len", "vocab"] as const;
export type SizeFlags = Record<typeof SIZE_FLAGS[number], number>;

export interface Size {
  name: string;
  flags: SizeFlags;
  /** Step-time target as a ratio to PyTorch, or null for a size given on the command line. */
  target: number | null;
}

const BATCH = { batch: 8, "src-len": 32, "tgt-len": 32, vocab: 16000 };
export const SIZES: Size[] = [
  { name: "seed", flags: { "d-model": 512, layers: 6, heads: 8, "d-ff": 2048, ...BATCH }, target: 0.9 },
  { name: "small", flags: { "d-model": 128, layers: 2, heads: 4, "d-ff": 512, ...BATCH }, target: 0.8 },
];
const MEMORY_TARGET = 1.1;
const WARMUP = 2;

/** Flags as command-line arguments: { "d-model": 512 } → ["--d-model", "512"]. */
export const toArgs = (flags: Record<string, number>) =>
  Object.entries(flags).flatMap(([k, v]) => [`--${k}`, String(v)]);

/** Runs scripts/bench/train_run.ts in a fresh Deno process; its JSON result. */
export function ourTrainRun(args: string[]): TrainRunResult {
  const { code, stdout, stderr } = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-ffi", "--allow-env", "--allow-read", "--allow-run", TRAIN_RUN, ...args],
  }).outputSync();
  const text = new TextDecoder();
  if (code !== 0) throw new Error(`train_run.ts ${args.join(" ")} failed: ${text.decode(stderr)}`);
  return JSON.parse(text.decode(stdout));
}

/** The median run of ours, with what only the first run measured (sgemm rate, profile). */
function combine(runs: TrainRunResult[]): TrainRunResult {
  const middle = medianRun(runs, (r) => r.median_step_ms);
  const { sgemm_gflops, profile } = runs[0];
  const efficiency_pct = sgemm_gflops === undefined ? undefined : 100 * middle.matmul_gflops / sgemm_gflops;
  return { ...middle, sgemm_gflops, efficiency_pct, profile };
}

/** The sizes to run: the two standard ones, or the one the command line describes. */
export function sizes(custom: Partial<SizeFlags> | null): Size[] {
  if (custom === null) return SIZES;
  const flags = { ...SIZES[0].flags, ...custom };
  const same = SIZES.find((s) => SIZE_FLAGS.every((k) => s.flags[k] === flags[k]));
  return [same ?? { name: "custom", flags, target: null }];
}

function measure(ctx: MacroContext): MacroOutcome {
  const why = referenceMissing();
  if (why !== null) return skipped("training step vs PyTorch", why);
  const n = threads();
  const steps = ctx.steps ?? (ctx.quick ? 3 : 5);
  const rows: MacroRow[] = [];
  const raw: Record<string, { pytorch: ReferenceTrainResult[]; ours: Omit<TrainRunResult, "profile">[] }> = {};
  const verdicts: Verdict[] = [];
  const notes: string[] = [];
  for (const size of sizes(ctx.trainSize)) {
    const common = [...toArgs(size.flags), ...toArgs({ steps, warmup: WARMUP, threads: n })];
    // Each side runs in `shots` fresh processes, alternating; a process's median step varies by up
    // to ~25% from one process to the next (thread placement), so the figures are medians over them.
    const theirRuns: ReferenceTrainResult[] = [];
    const myRuns: TrainRunResult[] = [];
    for (let shot = 0; shot < ctx.shots; shot++) {
      theirRuns.push(referenceBenchTrain(common));
      // The first shot also measures sgemm and, with --profile, profiles one extra (untimed) step.
      const extra = shot === 0 ? ["--sgemm", ...(ctx.profile ? ["--profile"] : [])] : [];
      myRuns.push(ourTrainRun([...common, ...extra]));
      ctx.log(
        `  ${size.name}, run ${shot + 1}/${ctx.shots}: PyTorch ${theirRuns[shot].median_step_ms.toFixed(1)} ms, ` +
          `deno-torch ${myRuns[shot].median_step_ms.toFixed(1)} ms`,
      );
    }
    // Each process's own JSON (bench-train's fields, median_step_ms among them), profiles left out.
    raw[size.name] = { pytorch: theirRuns, ours: myRuns.map(({ profile: _, ...rest }) => rest) };
    const theirs = medianRun(theirRuns, (r) => r.median_step_ms);
    const mine = combine(myRuns);
    const ratio = mine.median_step_ms / theirs.median_step_ms;
    // Peak memory: each side's median over its processes, on its own (not the fastest process's).
    const theirRss = median(theirRuns.map((r) => r.peak_rss_mb));
    const myRss = myRuns.every((r) => r.peak_rss_mb !== null) ? median(myRuns.map((r) => r.peak_rss_mb!)) : null;
    const memory = myRss === null ? null : myRss / theirRss;
    const row = (id: string, label: string, runs: number[], value = median(runs), unit: MacroRow["unit"] = "count") =>
      rows.push({ id: `${size.name}_${id}`, label: `${size.name}: ${label}`, value, unit, runs });
    row("torch_ms", "PyTorch eager median step (ms)", theirRuns.map((r) => r.median_step_ms));
    row("ours_ms", "deno-torch median step (ms)", myRuns.map((r) => r.median_step_ms));
    row(
      "ratio",
      "step time ratio (ours / PyTorch)",
      myRuns.map((r, i) => r.median_step_ms / theirRuns[i].median_step_ms),
      ratio,
    );
    row("torch_rss_mb", "PyTorch peak RSS (MB)", theirRuns.map((r) => r.peak_rss_mb));
    if (myRss !== null) {
      row("ours_rss_mb", "deno-torch peak RSS (MB)", myRuns.map((r) => r.peak_rss_mb!));
      row(
        "rss_ratio",
        "peak RSS ratio (ours / PyTorch)",
        myRuns.map((r, i) => r.peak_rss_mb! / theirRuns[i].peak_rss_mb),
        memory!,
      );
    }
    row("matmul_gflops", "step matmul GFLOP/s (ours)", myRuns.map((r) => r.matmul_gflops), mine.matmul_gflops);
    if (mine.sgemm_gflops !== undefined) row("sgemm_gflops", "best 2048² sgemm GFLOP/s", [mine.sgemm_gflops]);
    if (mine.efficiency_pct !== undefined) {
      row("efficiency", "hardware efficiency", [mine.efficiency_pct], mine.efficiency_pct, "%");
    }

    const shape = `d_model ${size.flags["d-model"]}, ${size.flags.layers} layers`;
    const detail = `${ratio.toFixed(3)}× (ours ${mine.median_step_ms.toFixed(1)} ms, PyTorch ${
      theirs.median_step_ms.toFixed(1)
    } ms; batch ${size.flags.batch}×${size.flags["src-len"]}/${
      size.flags["tgt-len"]
    }, vocab ${size.flags.vocab}, ${n} threads)`;
    verdicts.push(
      size.target === null ? { target: `training step, ${shape}`, status: "INFO", detail } : {
        target: `training step, ${size.name} model (${shape}): ≤ ${size.target}× PyTorch`,
        status: ratio <= size.target ? "PASS" : "FAIL",
        detail,
      },
    );
    verdicts.push(
      memory === null
        ? { target: `peak memory, ${size.name}: ≤ ${MEMORY_TARGET}× PyTorch`, status: "SKIP", detail: "no /proc" }
        : {
          target: `peak memory, ${size.name} (${shape}): ≤ ${MEMORY_TARGET}× PyTorch`,
          status: memory <= MEMORY_TARGET ? "PASS" : "FAIL",
          detail: `${memory.toFixed(3)}× (ours ${myRss!.toFixed(0)} MB, PyTorch ${
            theirRss.toFixed(0)
          } MB, whole processes, medians of ${ctx.shots})`,
        },
    );
    if (mine.efficiency_pct !== undefined) {
      verdicts.push({
        target: `hardware efficiency, ${size.name}`,
        status: "INFO",
        detail: `${mine.efficiency_pct.toFixed(1)}% (step matmuls at ${mine.matmul_gflops.toFixed(1)} GFLOP/s; ` +
          `best 2048² sgemm ${mine.sgemm_gflops!.toFixed(1)} GFLOP/s)`,
      });
    }
    if (mine.profile) notes.push(`Profile of one ${size.name} step (deno-torch):`, formatProfile(mine.profile), "");
  }
  notes.push(
    `Flags as transformer_ref.py bench-train (--steps ${steps} --warmup ${WARMUP} --threads ${n}); each side in its own ` +
      "process. Efficiency counts forward matmul FLOPs × 3 (backward does two of each).",
  );
  return { rows, verdicts, notes, raw };
}

export const trainStepGroup: MacroGroup = {
  kind: "macro",
  name: "train-step",
  title: "Training step: deno-torch vs PyTorch eager (reference bench-train): time, memory, efficiency",
  description: "one training step (forward, LS cross entropy, backward, Adam) vs transformer_ref.py bench-train; " +
    "peak RSS; matmul efficiency",

  run(ctx: MacroContext): Promise<MacroOutcome> {
    return Promise.resolve(measure(ctx)); // both sides run synchronously, in child processes
  },
};
