/**
 * `deno task train`: trains the EN→IT Transformer. With no arguments: the `tiny` preset on the
 * project's generated corpus, offline, in a few minutes on 2 cores. `--help` lists every flag.
 * The options come from the options table (nmt/train/options.ts); with `--nproc`, the launcher
 * (nmt/train/launch.ts) runs this script once per rank; each rank runs `runTraining`.
 */
import { parseCommandLine } from "./cli.ts";
import {
  OptionError,
  PRESET_NAMES,
  PRESET_SUMMARIES,
  type PresetName,
  PRESETS,
  validateOptions,
} from "../nmt/train/options.ts";
import { optionFlags, optionHelp, readOptionFlags } from "../nmt/train/flags.ts";
import { checkLaunchDevice, launch, LAUNCH_FLAGS, launchLayout } from "../nmt/train/launch.ts";
import { type RunSummary, runTraining } from "../nmt/train/run.ts";
import { formatDuration } from "../nmt/train/progress.ts";

function help(): string {
  const presets = PRESET_NAMES.map((p) => `${p} (${PRESET_SUMMARIES[p]})`).join(", ");
  return `Usage: deno task train [options]

Trains the English→Italian Transformer and writes a run folder that is also a model folder
(deno task translate --model DIR loads it; so does the PyTorch reference).

  --preset NAME          ${presets}
  --out DIR              run folder (default runs/<preset>-<date>)
  --resume DIR|latest    continue a run from its newest checkpoint (or a checkpoint folder)
  --nproc N              data-parallel training with N processes on this machine: on CPU over Gloo,
                         cores shared out; on CUDA over NCCL, one GPU per process (cuda:0 … cuda:N-1)
  --nnodes M             … on M machines: run the same command on each, with its own --node-rank
  --node-rank K          this machine's place, 0 … M-1 (rank 0 reports and writes the run)
  --master-addr A        the address of node 0 as the others reach it (needed with --nnodes)
  --master-port P        its port (default 29500 across machines, a free one on one machine)
${optionHelp().join("\n")}
  -h, --help             this text

Errors are printed without a stack trace; DENO_TORCH_DEBUG=1 prints it too.`;
}

function fail(message: string): never {
  console.error(`train: ${message}\n(deno task train --help lists the options)`);
  Deno.exit(2);
}

async function latestRun(): Promise<string> {
  let best: { path: string; time: number } | null = null;
  try {
    for await (const e of Deno.readDir("runs")) {
      if (!e.isDirectory) continue;
      const info = await Deno.stat(`runs/${e.name}`);
      const time = info.mtime?.getTime() ?? 0;
      if (!best || time > best.time) best = { path: `runs/${e.name}`, time };
    }
  } catch { /* no runs folder */ }
  if (!best) fail("--resume latest: no run folder under runs/");
  return best.path;
}

/** `f()`, with an invalid option reported as a usage error. */
function checked<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof OptionError) fail(e.message);
    throw e;
  }
}

/** Fails unless `--data` names a file, or a Moses prefix with a file per language. */
async function checkDataExists(data: string, src: string, tgt: string): Promise<void> {
  try {
    await Deno.stat(data);
  } catch {
    const prefixed = await Promise.all([src, tgt].map((l) => Deno.stat(`${data}.${l}`).then(() => true, () => false)));
    if (!prefixed.every(Boolean)) fail(`--data ${data}: no such file (nor ${data}.${src} + ${data}.${tgt})`);
  }
}

/** The one line the run ends with: why it stopped, its figures, and where the model is. */
function closingLine(summary: RunSummary): string {
  const how = {
    "finished": "finished",
    "max-steps": "stopped at --max-steps",
    "max-minutes": "stopped at --max-minutes",
    "signal": "interrupted; resume with --resume",
    "non-finite": "stopped on a non-finite loss",
  }[summary.stopped];
  return `train: ${how} after ${summary.steps} steps in ${formatDuration(summary.elapsedSeconds)} ` +
    `(${Math.round(summary.tokensPerSecond)} target tokens/s); validation loss ${
      summary.validLoss?.toFixed(4) ?? "-"
    }` +
    `${summary.bleu === null ? "" : `, BLEU ${summary.bleu.toFixed(2)}, chrF ${summary.chrf!.toFixed(2)}`}` +
    `${summary.exactMatch === null ? "" : `, exact match ${(100 * summary.exactMatch).toFixed(1)}%`}.\n` +
    `Model folder: ${summary.out}  (deno task translate --model ${summary.out} "..."), report: ${summary.out}/report.html`;
}

async function main(): Promise<void> {
  const parsed = parseCommandLine({
    options: {
      preset: { type: "string" },
      out: { type: "string" },
      resume: { type: "string" },
      ...LAUNCH_FLAGS,
      ...optionFlags(),
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: false,
  }, fail);
  const flags = parsed.values as Record<string, string | boolean | undefined>;
  if (flags.help) {
    console.log(help());
    return;
  }
  const presetName = (flags.preset ?? "tiny") as PresetName;
  if (!PRESET_NAMES.includes(presetName)) {
    fail(`--preset must be one of ${PRESET_NAMES.join(", ")}, got ${presetName}`);
  }
  const o = checked(() => validateOptions(readOptionFlags(flags, PRESETS[presetName])));
  if (o.data !== null) await checkDataExists(o.data, o.src, o.tgt);
  let resume = flags.resume as string | undefined;
  if (resume === "latest") resume = await latestRun();
  const stamp = new Date().toISOString().replace(/[:T]/g, "-").slice(0, 19);
  const out = (flags.out as string | undefined) ?? resume ?? `runs/${presetName}-${stamp}`;

  // With --nproc (or --nnodes), this process only launches the ranks; each runs this script again.
  const layout = checked(() => launchLayout(flags));
  if (layout) {
    checked(() => checkLaunchDevice(layout.nproc, o.device));
    const script = decodeURIComponent(new URL(import.meta.url).pathname);
    Deno.exit(await launch(layout, { script, args: Deno.args, out, resume, threads: o.threads }));
  }

  let summary;
  try {
    summary = await runTraining({ options: o, out, resume });
  } catch (e) {
    // What went wrong, without a stack trace (DENO_TORCH_DEBUG=1 keeps it, for bug reports).
    console.error(`train: ${Deno.env.get("DENO_TORCH_DEBUG") ? (e as Error).stack : (e as Error).message}`);
    Deno.exit(1);
  }
  console.log(closingLine(summary));
  if (summary.stopped === "non-finite") Deno.exit(1);
  if (summary.stopped === "signal") Deno.exit(130);
}

await main();
