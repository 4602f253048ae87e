/**
 * `deno task train`: trains the EN→IT Transformer. With no arguments: the `tiny` preset on the
 * project's generated corpus, offline, in a few minutes on 2 cores. `--help` lists every flag.
 */
import { parseCommandLine } from "./cli.ts";
import {
  flagName,
  OptionError,
  type PresetName,
  PRESETS,
  type TrainOptions,
  validateOptions,
} from "../nmt/train/options.ts";
import { runTraining } from "../nmt/train/run.ts";
import { formatDuration } from "../nmt/train/progress.ts";
import { cudaAvailable, cudaDeviceCount } from "../lib/device.ts";
import { freePort } from "../lib/dist.ts";

/** Numeric options and the flags that set them. */
const NUMERIC: (keyof TrainOptions)[] = [
  "syntheticSize",
  "validSize",
  "testSize",
  "vocabSize",
  "minFrequency",
  "dModel",
  "layers",
  "heads",
  "dFF",
  "dropout",
  "seqLen",
  "lr",
  "warmup",
  "beta1",
  "beta2",
  "eps",
  "weightDecay",
  "clip",
  "labelSmoothing",
  "maxTokens",
  "epochs",
  "maxSteps",
  "maxMinutes",
  "seed",
  "threads",
  "saveEvery",
  "saveMinutes",
  "keep",
  "evalEvery",
  "samples",
];
const STRINGS: (keyof TrainOptions)[] = ["data", "dataset", "src", "tgt", "tokenizer", "schedule", "device"];

const DESCRIPTIONS: Partial<Record<keyof TrainOptions, string>> = {
  data: "corpus file: JSONL ({en,it} or {translation:{...}}), TSV, Moses prefix, or parquet",
  dataset: "opus_books: download Hugging Face's opus_books (needs network; --data works offline)",
  src: "source language key",
  tgt: "target language key",
  syntheticSize: "pairs of the generated corpus (used when no --data/--dataset)",
  validSize: "validation split: fraction (<1) or count of distinct source sentences",
  testSize: "test split: fraction (<1) or count",
  tokenizer: "word (one word-level tokenizer per language, like the seed) or bpe-shared",
  vocabSize: "BPE vocabulary size (bpe-shared)",
  minFrequency: "words/pairs seen fewer times are left out of the vocabulary",
  dModel: "model width",
  layers: "encoder layers (and as many decoder layers)",
  heads: "attention heads",
  dFF: "feed-forward width",
  dropout: "dropout rate",
  seqLen: "most positions per sequence; longer pairs are dropped and counted",
  lr: "learning rate (the peak, with inverse-sqrt)",
  schedule: "constant or inverse-sqrt (linear warmup, then 1/sqrt(step))",
  warmup: "warmup steps (inverse-sqrt)",
  beta1: "Adam beta1",
  beta2: "Adam beta2",
  eps: "Adam epsilon",
  weightDecay: "AdamW weight decay (0 = plain Adam)",
  clip: "clip gradients to this global norm (0 = off)",
  labelSmoothing: "label smoothing of the cross entropy",
  maxTokens: "padded tokens per batch (length-bucketed batches)",
  epochs: "epochs to train",
  maxSteps: "stop after this many steps (0 = no limit)",
  maxMinutes: "stop after this many minutes of training (0 = no limit)",
  seed: "seed of everything random (init, dropout, splits, data order)",
  device: "auto, cpu, cuda or cuda:N",
  threads: "libtorch intra-op threads (0 = all cores)",
  saveEvery: "also checkpoint every this many steps (0 = off)",
  saveMinutes: "checkpoint every this many minutes (0 = off)",
  keep: "checkpoints to keep",
  evalEvery: "also validate every this many steps (0 = at epoch ends only)",
  samples: "sample translations printed at each validation",
};

function help(): string {
  const d = PRESETS.tiny;
  const rows = [...STRINGS, ...NUMERIC].map((k) => {
    const flag = `${flagName(k)} ${typeof d[k] === "number" ? "N" : "X"}`;
    return `  ${flag.padEnd(22)} ${DESCRIPTIONS[k] ?? ""} (tiny: ${d[k] ?? "-"}, cpu-small: ${
      PRESETS["cpu-small"][k] ?? "-"
    })`;
  });
  return `Usage: deno task train [options]

Trains the English→Italian Transformer and writes a run folder that is also a model folder
(deno task translate --model DIR loads it; so does the PyTorch reference).

  --preset NAME          tiny (default: generated corpus, minutes), cpu-small (Tatoeba in an hour), seed (the seed's hyperparameters)
  --out DIR              run folder (default runs/<preset>-<date>)
  --resume DIR|latest    continue a run from its newest checkpoint (or a checkpoint folder)
  --nproc N              data-parallel training with N processes on this machine: on CPU over Gloo,
                         cores shared out; on CUDA over NCCL, one GPU per process (cuda:0 … cuda:N-1)
  --nnodes M             … on M machines: run the same command on each, with its own --node-rank
  --node-rank K          this machine's place, 0 … M-1 (rank 0 reports and writes the run)
  --master-addr A        the address of node 0 as the others reach it (needed with --nnodes)
  --master-port P        its port (default 29500 across machines, a free one on one machine)
${rows.join("\n")}
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

/** Where this machine's ranks sit in the run: `--nproc` per node, `--nnodes`, `--node-rank`, the master. */
interface Layout {
  nproc: number;
  nnodes: number;
  nodeRank: number;
  masterAddr: string;
  masterPort: number;
}

/**
 * `--nproc N` (and, across machines, `--nnodes M --node-rank K --master-addr A`): runs N copies of
 * this command as ranks K·N … K·N+N−1 of one data-parallel run of M·N ranks, with the variables
 * torchrun sets (so another launcher can set them instead), the same --out, and this machine's cores
 * shared out. Global rank 0 prints; a failing rank makes the others fail too (their collectives lose
 * a peer). Returns the exit status: the first failure's, else 0.
 */
async function launch(layout: Layout, o: TrainOptions, out: string, resume: string | undefined): Promise<number> {
  const { nproc: n, nnodes, nodeRank, masterAddr, masterPort } = layout;
  const skip = new Set(["--nproc", "--nnodes", "--node-rank", "--master-addr", "--master-port", "--out", "--resume"]);
  const args: string[] = [];
  for (let i = 0; i < Deno.args.length; i++) {
    const [name] = Deno.args[i].split("=");
    if (skip.has(name)) {
      if (!Deno.args[i].includes("=")) i++; // its value
      continue;
    }
    args.push(Deno.args[i]);
  }
  args.push("--out", out);
  if (resume) args.push("--resume", resume);
  if (o.threads === 0) args.push("--threads", String(Math.max(1, Math.floor(navigator.hardwareConcurrency / n))));
  const script = decodeURIComponent(new URL(import.meta.url).pathname);
  const permissions = ["--allow-ffi", "--allow-env", "--allow-read", "--allow-write", "--allow-net"];
  const first = nodeRank * n;
  console.log(
    nnodes === 1
      ? `train: ${n} processes on this machine (rank 0 reports; MASTER_PORT ${masterPort})`
      : `train: node ${nodeRank} of ${nnodes}, ranks ${first}–${first + n - 1} of ${nnodes * n} ` +
        `(rank 0 reports; master ${masterAddr}:${masterPort})`,
  );
  const children = Array.from({ length: n }, (_, local) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", ...permissions, script, ...args],
      env: {
        MASTER_ADDR: masterAddr,
        MASTER_PORT: String(masterPort),
        RANK: String(first + local),
        LOCAL_RANK: String(local),
        WORLD_SIZE: String(nnodes * n),
      },
      stdout: first + local === 0 ? "inherit" : "null",
      stderr: "inherit",
    }).spawn());
  const alive = new Set(children);
  const signal = (sig: Deno.Signal) => {
    for (const c of alive) {
      try {
        c.kill(sig);
      } catch { /* it has just exited */ }
    }
  };
  const handlers = (["SIGINT", "SIGTERM"] as const).map((sig) => [sig, () => signal(sig)] as const);
  for (const [sig, h] of handlers) Deno.addSignalListener(sig, h);
  // As torchrun does: when one rank fails, the others are stopped rather than left to wait for it
  // (a rank blocked in the rendezvous would wait out the whole timeout), killed if still there later.
  let firstFailure = 0;
  let killer: ReturnType<typeof setTimeout> | undefined;
  const codes = await Promise.all(children.map(async (c, local) => {
    const { code } = await c.status;
    alive.delete(c);
    if (code !== 0 && firstFailure === 0) {
      firstFailure = code;
      if (alive.size > 0) {
        console.error(`train: rank ${first + local} exited with status ${code}; stopping the other ranks`);
        signal("SIGTERM");
        killer = setTimeout(() => signal("SIGKILL"), 10_000);
      }
    }
    return code;
  }));
  clearTimeout(killer);
  for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
  return firstFailure !== 0 ? firstFailure : codes.find((c) => c !== 0) ?? 0;
}

/** The launch flags, checked; null when this process is to train by itself (or is a launched rank). */
function launchLayout(flags: Record<string, string | boolean | undefined>): Layout | null {
  const int = (name: string, fallback: number, min: number): number => {
    const v = flags[name];
    if (v === undefined) return fallback;
    const x = Number(v);
    if (typeof v !== "string" || !Number.isInteger(x) || x < min) {
      fail(`--${name} needs an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    }
    return x;
  };
  const nproc = int("nproc", 1, 1);
  const nnodes = int("nnodes", 1, 1);
  const nodeRank = int("node-rank", 0, 0);
  if (nnodes === 1 && (flags["node-rank"] !== undefined || flags["master-addr"] !== undefined)) {
    fail("--node-rank and --master-addr go with --nnodes (2 or more machines)");
  }
  if (nodeRank >= nnodes) fail(`--node-rank ${nodeRank} is not below --nnodes ${nnodes}`);
  if (nnodes > 1 && flags["master-addr"] === undefined) {
    fail(`--nnodes ${nnodes} needs --master-addr: the address of the node with --node-rank 0, as the others reach it`);
  }
  if (nproc * nnodes === 1 || Deno.env.get("WORLD_SIZE") !== undefined) return null;
  let masterPort = int("master-port", 29500, 1);
  if (masterPort > 65535) fail(`--master-port ${masterPort} is out of range`);
  if (nnodes === 1 && flags["master-port"] === undefined) masterPort = freePort();
  return { nproc, nnodes, nodeRank, masterAddr: (flags["master-addr"] as string) ?? "127.0.0.1", masterPort };
}

/** `--nproc N` on CUDA needs N GPUs, one per rank (the ranks say the same, later and less plainly). */
function checkLaunchDevice(n: number, requested: string): void {
  const device = requested === "auto" ? (cudaAvailable() ? "cuda" : "cpu") : requested;
  if (device === "cpu") return;
  if (device !== "cuda") {
    fail(
      `--nproc ${n} --device ${requested}: each process trains on its own GPU (cuda:0 … cuda:${
        n - 1
      }); pass --device cuda`,
    );
  }
  const gpus = cudaDeviceCount();
  if (gpus === 0) {
    fail(`--nproc ${n} --device cuda: CUDA was requested but the loaded libtorch has no CUDA support or sees no GPU`);
  }
  if (gpus < n) fail(`--nproc ${n} --device cuda needs ${n} GPUs, one per process; ${gpus} visible`);
}

async function main(): Promise<void> {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {
    preset: { type: "string" },
    out: { type: "string" },
    resume: { type: "string" },
    nproc: { type: "string" },
    nnodes: { type: "string" },
    "node-rank": { type: "string" },
    "master-addr": { type: "string" },
    "master-port": { type: "string" },
    help: { type: "boolean", short: "h" },
  };
  for (const k of [...NUMERIC, ...STRINGS]) options[flagName(k).slice(2)] = { type: "string" };
  const parsed = parseCommandLine({ options, allowPositionals: false }, fail);
  const flags = parsed.values as Record<string, string | boolean | undefined>;
  if (flags.help) {
    console.log(help());
    return;
  }
  const presetName = (flags.preset ?? "tiny") as PresetName;
  if (!(presetName in PRESETS)) fail(`--preset must be one of ${Object.keys(PRESETS).join(", ")}, got ${presetName}`);
  const o: TrainOptions = { ...PRESETS[presetName] };
  const record = o as unknown as Record<string, unknown>;
  for (const k of NUMERIC) {
    const v = flags[flagName(k).slice(2)];
    if (v === undefined) continue;
    const n = Number(v);
    if (typeof v !== "string" || v.trim() === "" || !Number.isFinite(n)) {
      fail(`${flagName(k)} needs a number, got ${JSON.stringify(v)}`);
    }
    record[k] = n;
  }
  for (const k of STRINGS) {
    const v = flags[flagName(k).slice(2)];
    if (v !== undefined) record[k] = v;
  }
  if (o.dataset !== null && o.dataset !== "opus_books") fail(`--dataset must be opus_books, got ${o.dataset}`);
  try {
    validateOptions(o);
  } catch (e) {
    if (e instanceof OptionError) fail(e.message);
    throw e;
  }
  if (o.data !== null) {
    try {
      await Deno.stat(o.data);
    } catch {
      const prefixed = await Promise.all(
        [o.src, o.tgt].map((l) => Deno.stat(`${o.data}.${l}`).then(() => true, () => false)),
      );
      if (!prefixed.every(Boolean)) {
        fail(`--data ${o.data}: no such file (nor ${o.data}.${o.src} + ${o.data}.${o.tgt})`);
      }
    }
  }
  let resume = flags.resume as string | undefined;
  if (resume === "latest") resume = await latestRun();
  const stamp = new Date().toISOString().replace(/[:T]/g, "-").slice(0, 19);
  const out = (flags.out as string | undefined) ?? resume ?? `runs/${presetName}-${stamp}`;

  const layout = launchLayout(flags);
  if (layout) {
    checkLaunchDevice(layout.nproc, o.device);
    Deno.exit(await launch(layout, o, out, resume));
  }

  let summary;
  try {
    summary = await runTraining({ options: o, out, resume });
  } catch (e) {
    // What went wrong, without a stack trace (DENO_TORCH_DEBUG=1 keeps it, for bug reports).
    console.error(`train: ${Deno.env.get("DENO_TORCH_DEBUG") ? (e as Error).stack : (e as Error).message}`);
    Deno.exit(1);
  }
  const how = {
    "finished": "finished",
    "max-steps": "stopped at --max-steps",
    "max-minutes": "stopped at --max-minutes",
    "signal": "interrupted; resume with --resume",
    "non-finite": "stopped on a non-finite loss",
  }[summary.stopped];
  console.log(
    `train: ${how} after ${summary.steps} steps in ${formatDuration(summary.elapsedSeconds)} ` +
      `(${Math.round(summary.tokensPerSecond)} target tokens/s); validation loss ${
        summary.validLoss?.toFixed(4) ?? "-"
      }` +
      `${summary.bleu === null ? "" : `, BLEU ${summary.bleu.toFixed(2)}, chrF ${summary.chrf!.toFixed(2)}`}` +
      `${summary.exactMatch === null ? "" : `, exact match ${(100 * summary.exactMatch).toFixed(1)}%`}.\n` +
      `Model folder: ${summary.out}  (deno task translate --model ${summary.out} "..."), report: ${summary.out}/report.html`,
  );
  if (summary.stopped === "non-finite") Deno.exit(1);
  if (summary.stopped === "signal") Deno.exit(130);
}

await main();
