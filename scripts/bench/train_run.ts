/**
 * Our side of `transformer_ref.py bench-train`, as a process of its own so that its peak memory is
 * its own: the same flags, the same model, batch and optimizer, and the same JSON field
 * `median_step_ms`. The train-step benchmark runs it beside the reference; it also runs alone:
 *
 *   deno run -A scripts/bench/train_run.ts --d-model 512 --layers 6 --heads 8 --d-ff 2048 \
 *     --batch 8 --src-len 32 --tgt-len 32 --vocab 16000 --steps 5 --threads 2 [--profile]
 *
 * What it trains is `deno task train`'s: the seed preset's options (bench-train's model, Adam and
 * loss), the flags it shares with training read and checked by the same options table, and the
 * same model config, step settings, keys and step.
 *
 * With --data FILE it trains on real batches instead: the corpus loaded and tokenized as training
 * does (word-level, min frequency 2, over the whole corpus) and bucketed under --max-tokens, --steps
 * batches drawn evenly from one epoch's shuffled plan, and reports real target tokens per second
 * (`real_target_tokens_per_s`).
 * `--device cuda` runs it on a GPU (an error naming the problem where libtorch has no CUDA).
 *
 * With torchrun's variables set (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE) it is one rank of a
 * data-parallel step: each rank trains on its own batch and the gradients are summed across ranks
 * (Gloo on CPU, NCCL on CUDA); rank 0 alone prints the JSON, with `world_size`.
 */
import { parseArgs } from "node:util";
import { free, keep, matmul, memory, randint, randn, rng, scope, setThreads, splitKey, threads } from "../../mod.ts";
import { epochPlan, tokenizePairs } from "../../nmt/mod.ts";
import { initTransformer } from "../../nmt/model/init.ts";
import { adamInit } from "../../lib/optim/adam.ts";
import { trainStep } from "../../nmt/train/step.ts";
import { decoderMask, paddingMask, type TransformerConfig } from "../../nmt/model/transformer.ts";
import type { TranslationBatch } from "../../nmt/model/loss.ts";
import { labelTokens, makeBatch } from "../../nmt/data/batches.ts";
import { PRESETS, type TrainOptions, validateOptions } from "../../nmt/train/options.ts";
import { optionFlags, readOptionFlags } from "../../nmt/train/flags.ts";
import { loadCorpus, trainTokenizers } from "../../nmt/train/corpus.ts";
import { modelConfig, runKeys, schedule, stepConfig } from "../../nmt/train/recipe.ts";
import { assume } from "../../lib/tensor.ts";
import { formatProfile, profile, type ProfileReport } from "../../lib/profile.ts";
import { item } from "../../lib/transfer.ts";
import { sum } from "../../lib/ops/reduce.ts";
import { type Device, deviceCodes } from "../../lib/device.ts";
import { synchronize } from "../../lib/runtime.ts";
import {
  backendFor,
  destroyDistributed,
  type DistributedConfig,
  distributedConfigFromEnv,
  initDistributed,
  rankDevice,
} from "../../lib/dist.ts";
import { median } from "./harness.ts";

/** bench-train's own flags: the random batch's shape, and the steps run untimed, then timed. */
const BENCH_FLAGS = ["batch", "src-len", "tgt-len", "vocab", "steps", "warmup"] as const;
type BenchFlag = typeof BENCH_FLAGS[number];
/** bench-train's defaults for them. */
const DEFAULTS: Record<BenchFlag, number> = {
  batch: 8,
  "src-len": 32,
  "tgt-len": 32,
  vocab: 16000,
  steps: 5,
  warmup: 2,
};
/** The training options whose flags bench-train shares with `deno task train`. */
const SHARED = ["dModel", "layers", "heads", "dFF", "maxTokens", "threads", "device", "data", "precision"] as const;
/** bench-train's model, optimizer and batch budget are the seed preset's; it runs on the CPU, 2 threads, by default. */
const BASE: TrainOptions = { ...PRESETS.seed, device: "cpu", threads: 2 };

export type TrainRunFlags = Record<BenchFlag, number> & {
  /** The run's training options: the seed preset's, the shared flags', and `seqLen` the longer of the lengths. */
  options: TrainOptions;
  profile: boolean;
  sgemm: boolean;
  /** Pure optimizer updates (fresh parameters and moments each step), to measure what donation buys. */
  "no-donate": boolean;
  /** Data-parallel runs: gradient bucket size, MB (default: trainStep's). */
  bucketMb?: number;
};

export function parseTrainRunFlags(args: string[]): TrainRunFlags {
  const { values } = parseArgs({
    args,
    options: {
      ...Object.fromEntries(BENCH_FLAGS.map((f) => [f, { type: "string" as const }])),
      ...optionFlags(SHARED),
      profile: { type: "boolean", default: false },
      sgemm: { type: "boolean", default: false },
      "no-donate": { type: "boolean", default: false },
      "bucket-mb": { type: "string" },
    },
    strict: true,
  });
  const given = readOptionFlags(values, BASE, SHARED);
  deviceCodes(given.device as Device, "--device"); // unknown names, and CUDA asked for where there is none, fail here
  const bench = { ...DEFAULTS };
  for (const f of BENCH_FLAGS) {
    const v = (values as Record<string, unknown>)[f] as string | undefined;
    if (v === undefined) continue;
    const n = Number(v);
    if (!Number.isInteger(n) || n < (f === "warmup" ? 0 : 1)) {
      throw new RangeError(`--${f} needs a positive integer, got ${v}`);
    }
    bench[f] = n;
  }
  const bucketMb = values["bucket-mb"] === undefined ? undefined : Number(values["bucket-mb"]);
  if (bucketMb !== undefined && !(bucketMb > 0)) {
    throw new RangeError(`--bucket-mb needs a positive number, got ${values["bucket-mb"]}`);
  }
  return {
    ...bench,
    options: validateOptions({ ...given, seqLen: Math.max(bench["src-len"], bench["tgt-len"]) }),
    profile: !!values.profile,
    sgemm: !!values.sgemm,
    "no-donate": !!values["no-donate"],
    bucketMb,
  };
}

/**
 * Multiply-add FLOPs in the matmuls of one training step: the forward pass's (projections, attention
 * scores and mixing, feed-forward, output projection) times 3, since backward does two matmuls of the
 * same size for each one forward (input and weight gradients).
 */
export function stepMatmulFlops(
  m: Pick<TrainOptions, "dModel" | "layers" | "dFF">,
  b: { batch: number; src: number; tgt: number; vocab: number },
): number {
  const d = m.dModel, ff = m.dFF, n = m.layers;
  const s = b.batch * b.src, t = b.batch * b.tgt;
  const encoder = 4 * 2 * s * d * d + 2 * 2 * b.batch * b.src * b.src * d + 2 * 2 * s * d * ff;
  const decoder = 4 * 2 * t * d * d + 2 * 2 * b.batch * b.tgt * b.tgt * d + // self-attention
    2 * 2 * t * d * d + 2 * 2 * s * d * d + 2 * 2 * b.batch * b.tgt * b.src * d + // cross-attention
    2 * 2 * t * d * ff;
  return 3 * (n * (encoder + decoder) + 2 * t * d * b.vocab);
}

/** The best rate of a large square f32 matmul (n = 2048), GFLOP/s: the machine's attainable peak. */
function sgemmGflops(device: Device): number {
  const n = 2048;
  return scope(() => {
    const [ka, kb] = splitKey(rng(1), 2);
    const a = randn([n, n], ka, { device }), b = randn([n, n], kb, { device });
    let best = Infinity;
    for (let i = 0; i < 6; i++) {
      const t0 = performance.now();
      scope(() => item(sum(matmul(a, b)))); // item() waits for the result on any device
      best = Math.min(best, performance.now() - t0);
    }
    return 2 * n ** 3 / (best / 1000) / 1e9;
  });
}

/** Peak resident memory of this process, MB (VmHWM), or null where /proc is unreadable. */
function peakRssMb(): number | null {
  try {
    const { success, stdout } = new Deno.Command("cat", { args: [`/proc/${Deno.pid}/status`] }).outputSync();
    if (!success) return null;
    const m = /VmHWM:\s+(\d+) kB/.exec(new TextDecoder().decode(stdout));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

interface Work {
  config: TransformerConfig;
  /** The target vocabulary's [PAD] id. */
  pad: number;
  meanTargetTokens?: number;
  totalTargetTokens?: number;
  batches: { batch: TranslationBatch; labels: number }[];
  flops: number[];
}

/** Random batches (one, reused each step); rank r of a data-parallel run draws its own. */
function randomWork(f: TrainRunFlags, rank: number): Work {
  const o = f.options, vocab = { vocabSize: f.vocab };
  const [k2, k3, k4] = splitKey(rng(7 + 1000 * rank), 3);
  const batch: TranslationBatch = keep(scope(() => {
    const shape = (len: number) => [f.batch, len];
    const on = { device: o.device as Device };
    // Tokens from 4 on: past the special ones, so no [PAD] among them.
    const src = assume<["batch", "src"]>(randint(4, f.vocab, shape(f["src-len"]), k2, on));
    const tgt = assume<["batch", "tgt"]>(randint(4, f.vocab, shape(f["tgt-len"]), k3, on));
    const label = assume<["batch", "tgt"]>(randint(4, f.vocab, shape(f["tgt-len"]), k4, on));
    return { src, tgt, label, srcMask: paddingMask(src, 1), tgtMask: decoderMask(tgt, 1) };
  }));
  const flops = stepMatmulFlops(o, { batch: f.batch, src: f["src-len"], tgt: f["tgt-len"], vocab: f.vocab });
  const n = f.warmup + f.steps;
  return {
    config: modelConfig(o, vocab, vocab),
    pad: 1, // the translator's tokenizers' [PAD] id
    batches: Array.from({ length: n }, () => ({ batch, labels: f.batch * f["tgt-len"] })),
    flops: Array(n).fill(flops),
  };
}

/** Batches of the --data corpus as `deno task train` makes them, drawn evenly from one epoch's plan. */
async function corpusWork(f: TrainRunFlags): Promise<Work> {
  const o = f.options;
  const { pairs } = await loadCorpus(o);
  const [src, tgt] = await trainTokenizers(o, pairs);
  const { examples } = await tokenizePairs(pairs, src, tgt, { srcSeqLen: o.seqLen, tgtSeqLen: o.seqLen });
  const plan = epochPlan(examples, { maxTokens: o.maxTokens, seed: o.seed, epoch: 0 });
  const n = f.warmup + f.steps;
  const picked = Array.from({ length: n }, (_, i) => plan[Math.floor((i + 0.5) * plan.length / n)]);
  const batches = picked.map((indices) => ({
    batch: keep(makeBatch(examples, indices, tgt.special, o.device as Device)),
    labels: labelTokens(examples, indices),
  }));
  const flops = batches.map(({ batch }) =>
    stepMatmulFlops(o, {
      batch: batch.src.shape[0],
      src: batch.src.shape[1],
      tgt: batch.tgt.shape[1],
      vocab: tgt.vocabSize,
    })
  );
  const totalTargetTokens = labelTokens(examples, examples.map((_, i) => i));
  return {
    config: modelConfig(o, src, tgt),
    pad: tgt.special.pad,
    batches,
    flops,
    meanTargetTokens: totalTargetTokens / examples.length,
    totalTargetTokens,
  };
}

export interface TrainRunResult {
  impl: "deno-torch";
  threads: number;
  /** Processes taking part in each step (1 unless run as ranks of a data-parallel group). */
  world_size: number;
  median_step_ms: number;
  min_step_ms: number;
  loss: number;
  /** Matmul GFLOP/s of the measured steps (their matmul FLOPs over their time). */
  matmul_gflops: number;
  /** With --sgemm: the best 2048² f32 matmul rate in this process, and the step's share of it. */
  sgemm_gflops?: number;
  efficiency_pct?: number;
  peak_rss_mb: number | null;
  /** Live native tensors after each step (warmup included): flat when nothing leaks. */
  live_tensors: number[];
  /** With --data: real target tokens (labels, [EOS] included) per second over the measured steps. */
  real_target_tokens_per_s?: number;
  /** With --data: mean target tokens per sentence over the whole corpus ([EOS] included), their
   * total over the corpus, and the target vocabulary size. */
  mean_target_tokens?: number;
  total_target_tokens?: number;
  tgt_vocab?: number;
  profile?: ProfileReport;
}

export async function trainRun(f: TrainRunFlags, dist: DistributedConfig | null = null): Promise<TrainRunResult> {
  if (f.options.threads > 0) setThreads(f.options.threads);
  if (dist) {
    if (f.options.data !== null) {
      throw new RangeError("--data is for one process; a data-parallel run trains on random batches");
    }
    const device = rankDevice(dist, f.options.device === "cpu" ? "cpu" : "cuda");
    f = { ...f, options: { ...f.options, device } };
    initDistributed({ ...dist, backend: backendFor(device) });
  }
  const o = f.options, device = o.device as Device;
  const work = o.data !== null ? await corpusWork(f) : randomWork(f, dist?.rank ?? 0);
  const keys = runKeys(o.seed, dist?.worldSize ?? 1, dist?.rank ?? 0);
  const lrAt = schedule(o);
  let model = keep(initTransformer(work.config, keys.init, device));
  let opt = keep(adamInit(model.params));
  const times: number[] = [];
  const live: number[] = [];
  let labels = 0, flops = 0, loss = NaN;
  let report: ProfileReport | undefined;
  work.batches.forEach(({ batch, labels: n }, i) => {
    const config = {
      ...stepConfig(o, lrAt(i + 1), work.pad, dist !== null),
      donate: !f["no-donate"],
      bucketMb: f.bucketMb,
    };
    const run = () => trainStep(model, opt, batch, keys.dropout(i), config);
    const t0 = performance.now();
    // The profiled step is the first measured one; its time is not counted (timing every call
    // adds a little).
    const profiled = f.profile && i === f.warmup;
    let r;
    if (profiled) ({ result: r, report } = profile(run));
    else r = run();
    synchronize(device); // the step's loss was read already; this covers the optimizer's queued work
    const elapsed = performance.now() - t0;
    // A skipped step (non-finite gradients) hands back the parameters it was given.
    if (!r.skipped) {
      free([model.params, opt.m, opt.v]);
      model = { ...model, params: keep(r.params) };
      opt = keep(r.optState);
    }
    loss = r.loss;
    live.push(memory().tensors);
    if (i >= f.warmup && !profiled) {
      times.push(elapsed);
      labels += n;
      flops += work.flops[i];
    }
  });
  free([model.params, model.buffers, opt.m, opt.v, work.batches.map((b) => b.batch)]);
  if (dist) destroyDistributed();
  const total = times.reduce((a, b) => a + b, 0) / 1000;
  const result: TrainRunResult = {
    impl: "deno-torch",
    threads: threads(),
    world_size: dist?.worldSize ?? 1,
    median_step_ms: median(times),
    min_step_ms: Math.min(...times),
    loss,
    matmul_gflops: flops / total / 1e9,
    peak_rss_mb: peakRssMb(),
    live_tensors: live,
  };
  if (o.data !== null) {
    result.real_target_tokens_per_s = labels / total;
    result.mean_target_tokens = work.meanTargetTokens;
    result.total_target_tokens = work.totalTargetTokens;
    result.tgt_vocab = work.config.tgtVocabSize;
  }
  if (f.sgemm) {
    result.sgemm_gflops = sgemmGflops(device);
    result.efficiency_pct = 100 * result.matmul_gflops / result.sgemm_gflops;
  }
  if (report) result.profile = report;
  return result;
}

if (import.meta.main) {
  let flags: TrainRunFlags;
  try {
    flags = parseTrainRunFlags(Deno.args);
    if (flags.profile && flags.steps < 2) throw new RangeError("--profile needs --steps of at least 2");
  } catch (e) {
    console.error(`train_run: ${(e as Error).message}`);
    Deno.exit(2);
  }
  const dist = distributedConfigFromEnv();
  const result = await trainRun(flags, dist);
  if (result.profile) console.error(formatProfile(result.profile));
  if ((dist?.rank ?? 0) === 0) console.log(JSON.stringify(result));
}
