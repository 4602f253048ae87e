/**
 * Data-parallel training step on this machine, beside PyTorch's DistributedDataParallel: the same
 * global batch (R × 8 sentences) trained by 1 process × R threads, or by R processes × 1 thread
 * (R = the thread count), each side in processes of its own over Gloo on loopback.
 *  - ours: scripts/bench/train_run.ts, alone or as R ranks (torchrun's variables);
 *  - PyTorch: transformer_ref.py bench-train for 1 process, scripts/bench/torch_ddp.py (the same model,
 *    batch and optimizer under DistributedDataParallel) for R ranks.
 * Reports median step times, each side's speed-up of R processes over 1 (same global batch), and
 * ours / PyTorch for each layout. Target: the data-parallel step ≤ 1× PyTorch DDP's.
 */
import { freePort, threads } from "../../mod.ts";
import { PYTHON, REFERENCE, referenceBenchTrain, referenceMissing, ROOT, skipped } from "./reference.ts";
import { median } from "./harness.ts";
import { ourTrainRun, type SizeFlags, sizes, toArgs, TRAIN_RUN } from "./train_step.ts";
import type { MacroContext, MacroGroup, MacroOutcome, MacroRow, Verdict } from "./types.ts";

/** One rank of the reference model under DistributedDataParallel (PyTorch's side of this group). */
export const DDP_SCRIPT = `${ROOT}/scripts/bench/torch_ddp.py`;
const TARGET = 1.0;
const WARMUP = 2;

/** `command args` as `ranks` processes of one group on loopback; rank 0's JSON line. */
async function asRanks(ranks: number, command: string, args: string[]): Promise<{ median_step_ms: number }> {
  const port = String(freePort());
  const outputs = await Promise.all(Array.from({ length: ranks }, (_, rank) =>
    new Deno.Command(command, {
      args,
      cwd: ROOT,
      env: { MASTER_ADDR: "127.0.0.1", MASTER_PORT: port, RANK: String(rank), WORLD_SIZE: String(ranks) },
    }).output()));
  const text = new TextDecoder();
  outputs.forEach((o, rank) => {
    if (o.code !== 0) throw new Error(`rank ${rank} of ${command} ${args[0]} failed: ${text.decode(o.stderr)}`);
  });
  return JSON.parse(text.decode(outputs[0].stdout).trim().split("\n").at(-1)!);
}

interface Shot {
  ours1: number;
  oursR: number;
  torch1: number;
  ddpR: number;
}

async function shot(flags: SizeFlags, ranks: number, steps: number): Promise<Shot> {
  const common = { steps, warmup: WARMUP };
  const one = toArgs({ ...flags, ...common, batch: flags.batch * ranks, threads: ranks });
  const each = toArgs({ ...flags, ...common, threads: 1 });
  const permissions = ["--allow-ffi", "--allow-env", "--allow-read", "--allow-run"];
  const torch1 = referenceBenchTrain(one).median_step_ms;
  const ddpR = (await asRanks(ranks, PYTHON, [DDP_SCRIPT, "--reference", REFERENCE, ...each])).median_step_ms;
  const ours1 = ourTrainRun(one).median_step_ms;
  const oursR = (await asRanks(ranks, Deno.execPath(), ["run", ...permissions, TRAIN_RUN, ...each])).median_step_ms;
  return { ours1, oursR, torch1, ddpR };
}

async function measure(ctx: MacroContext): Promise<MacroOutcome> {
  const ranks = threads();
  const why = referenceMissing() ?? (ranks < 2 ? "needs 2 or more threads (--threads)" : null);
  if (why !== null) return skipped("data-parallel step vs PyTorch DDP", why);
  const steps = ctx.steps ?? (ctx.quick ? 3 : 5);
  const rows: MacroRow[] = [];
  const verdicts: Verdict[] = [];
  const raw: Record<string, Shot[]> = {};
  for (const size of sizes(ctx.trainSize)) {
    const shots: Shot[] = [];
    for (let i = 0; i < ctx.shots; i++) {
      shots.push(await shot(size.flags, ranks, steps));
      const s = shots[i];
      ctx.log(
        `  ${size.name}, run ${i + 1}/${ctx.shots}: 1×${ranks} ours ${s.ours1.toFixed(1)} / PyTorch ${
          s.torch1.toFixed(1)
        } ms; ${ranks}×1 ours ${s.oursR.toFixed(1)} / DDP ${s.ddpR.toFixed(1)} ms`,
      );
    }
    raw[size.name] = shots;
    const row = (id: string, label: string, runs: number[]) =>
      rows.push({
        id: `${size.name}_${id}`,
        label: `${size.name}: ${label}`,
        value: median(runs),
        unit: "count",
        runs,
      });
    const batch = `${ranks} × ${size.flags.batch} sentences`;
    row("ours_1proc_ms", `deno-torch, 1 process × ${ranks} threads (ms/step, ${batch})`, shots.map((s) => s.ours1));
    row("ours_dp_ms", `deno-torch, ${ranks} processes × 1 thread (ms/step)`, shots.map((s) => s.oursR));
    row("torch_1proc_ms", `PyTorch eager, 1 process × ${ranks} threads (ms/step)`, shots.map((s) => s.torch1));
    row("ddp_ms", `PyTorch DDP, ${ranks} processes × 1 thread (ms/step)`, shots.map((s) => s.ddpR));
    row("ours_speedup", `deno-torch: ${ranks} processes' speed-up over 1`, shots.map((s) => s.ours1 / s.oursR));
    row("torch_speedup", `PyTorch: DDP's speed-up over 1 process`, shots.map((s) => s.torch1 / s.ddpR));
    row("ratio_1proc", "1 process: ours / PyTorch", shots.map((s) => s.ours1 / s.torch1));
    row("ratio_dp", `${ranks} processes: ours / PyTorch DDP`, shots.map((s) => s.oursR / s.ddpR));
    const ratio = median(shots.map((s) => s.oursR / s.ddpR));
    const m = (key: keyof Shot) => median(shots.map((s) => s[key])).toFixed(1);
    verdicts.push({
      target: `data-parallel step, ${size.name} model, ${ranks} processes × 1 thread: ≤ ${TARGET}× PyTorch DDP`,
      status: ratio <= TARGET ? "PASS" : "FAIL",
      detail: `${ratio.toFixed(3)}× (ours ${m("oursR")} ms, DDP ${m("ddpR")} ms; 1 process × ${ranks} threads: ours ${
        m("ours1")
      } ms, PyTorch ${m("torch1")} ms)`,
    });
  }
  return {
    rows,
    verdicts,
    raw,
    notes: [
      `Same global batch in both layouts (1 process: batch ${ranks}×; each rank: its own batch), bench-train's model, ` +
      `loss and Adam; --steps ${steps} --warmup ${WARMUP}; Gloo on loopback on both sides. DDP averages gradients ` +
      "in buckets overlapped with backward; ours sums them after backward in one collective over a flat buffer.",
    ],
  };
}

export const distGroup: MacroGroup = {
  kind: "macro",
  name: "dist",
  title: "Data-parallel step: N processes × 1 thread vs 1 process × N threads, deno-torch vs PyTorch DDP",
  description: "data-parallel training step (N ranks over Gloo) vs 1 process × N threads, and vs PyTorch DDP",
  run: measure,
};
