/**
 * A whole training run: data → tokenizers → examples → model → epochs of `trainStep`, with
 * validation, checkpoints, signals, progress and metrics. Everything random derives from
 * `options.seed`, and the data order from (seed, epoch), so a resumed run repeats the losses of an
 * uninterrupted one step for step.
 */
import { cudaAvailable } from "../../lib/device.ts";
import type { Device } from "../../lib/device.ts";
import { setThreads, threads } from "../../lib/runtime.ts";
import { fold, rng, split } from "../../lib/rng.ts";
import { free, keep, scope } from "../../lib/scope.ts";
import { countParams } from "../../lib/tree.ts";
import { syntheticCorpus } from "../data/synthetic.ts";
import { loadPairs, type SentencePair } from "../data/corpus.ts";
import { loadOpusBooks } from "../data/opus_books.ts";
import { splitBySource } from "../data/split.ts";
import { type Example, tokenizePairs } from "../data/examples.ts";
import { epochPlan, labelTokens, makeBatch, paddingReport } from "../data/batches.ts";
import { trainWordLevel } from "../tokenize/wordlevel.ts";
import { trainBpe } from "../tokenize/bpe.ts";
import { unknownRate } from "../tokenize/stats.ts";
import type { TextTokenizer } from "../tokenize/tokenizer.ts";
import { initTransformer } from "../model/init.ts";
import type { Transformer, TransformerConfig } from "../model/transformer.ts";
import { adamInit } from "../../lib/optim/adam.ts";
import { constant, type Schedule, warmupInverseSqrt } from "../../lib/optim/schedule.ts";
import { type ModelFolder, saveModelFolder } from "../io/folder.ts";
import { trainStep } from "./step.ts";
import { exactMatch, greedyOutputs, validationLoss } from "./evaluate.ts";
import { type Checkpoint, latestCheckpoint, loadCheckpoint, saveCheckpoint, type TrainState } from "./checkpoint.ts";
import { MetricsLog } from "./metrics.ts";
import { corpusBleuMulti } from "../metrics/bleu.ts";
import { corpusChrf } from "../metrics/chrf.ts";
import { detokenize } from "../tokenize/detokenize.ts";
import { renderReport } from "./report.ts";
import { formatDuration, Progress } from "./progress.ts";
import type { TrainOptions } from "./options.ts";
import {
  allReduceSum,
  backendFor,
  broadcast,
  destroyDistributed,
  distributedConfigFromEnv,
  initDistributed,
  rankDevice,
} from "../../lib/dist.ts";
import { tensor } from "../../lib/create.ts";
import { values } from "../../lib/transfer.ts";

/**
 * With several ranks, whether any rank raised each flag (one small collective, on the device the
 * group works on); else the flags.
 */
function agree(world: number, flags: boolean[], device: Device): boolean[] {
  if (world === 1) return flags;
  return scope(() => {
    const f = tensor(flags.map(Number), [flags.length], { dtype: "f64", device });
    const sums = values(allReduceSum({ f }).f);
    return sums.map((v) => v > 0);
  });
}

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

/** Training data after the split, tokenized. */
interface PreparedData {
  description: string;
  fingerprint: string;
  train: Example[];
  valid: Example[];
  /** All reference translations of each validation example's source sentence. */
  validRefs: string[][];
}

/** For each kept pair, every translation of its source sentence in the split (multi-reference scoring). */
function referencesOf(pairs: readonly SentencePair[], kept: readonly number[]): string[][] {
  const bySource = new Map<string, string[]>();
  for (const p of pairs) bySource.set(p.src, [...(bySource.get(p.src) ?? []), p.tgt]);
  return kept.map((i) => bySource.get(pairs[i].src)!);
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function loadCorpus(
  o: TrainOptions,
): Promise<{ pairs: SentencePair[]; description: string; fingerprint: string }> {
  if (o.dataset === "opus_books") {
    const corpus = await loadOpusBooks({ src: o.src, tgt: o.tgt });
    return {
      pairs: corpus.pairs,
      description: `opus_books ${o.src}-${o.tgt}`,
      fingerprint: `opus_books:${corpus.pairs.length}`,
    };
  }
  if (o.data !== null) {
    const corpus = await loadPairs(o.data, { src: o.src, tgt: o.tgt });
    const hashes = await Promise.all(corpus.files.map(async (f) => await sha256(await Deno.readFile(f))));
    const skipped = corpus.skipped.empty > 0 ? ` (${corpus.skipped.empty} pairs with an empty side skipped)` : "";
    return { pairs: corpus.pairs, description: `${o.data}${skipped}`, fingerprint: hashes.join(",") };
  }
  const pairs = syntheticCorpus(o.syntheticSize, o.seed);
  return {
    pairs,
    description: `generated corpus (${o.syntheticSize} pairs, seed ${o.seed})`,
    fingerprint: `synthetic:${o.syntheticSize}:${o.seed}`,
  };
}

async function trainTokenizers(o: TrainOptions, train: SentencePair[]): Promise<[TextTokenizer, TextTokenizer]> {
  if (o.tokenizer === "bpe-shared") {
    const shared = await trainBpe([...train.map((p) => p.src), ...train.map((p) => p.tgt)], {
      vocabSize: o.vocabSize,
      minFrequency: o.minFrequency,
    });
    return [shared, shared];
  }
  return [
    await trainWordLevel(train.map((p) => p.src), { minFrequency: o.minFrequency }),
    await trainWordLevel(train.map((p) => p.tgt), { minFrequency: o.minFrequency }),
  ];
}

function modelConfig(o: TrainOptions, src: TextTokenizer, tgt: TextTokenizer): TransformerConfig {
  return {
    srcVocabSize: src.vocabSize,
    tgtVocabSize: tgt.vocabSize,
    srcSeqLen: o.seqLen,
    tgtSeqLen: o.seqLen,
    dModel: o.dModel,
    layers: o.layers,
    heads: o.heads,
    dropout: o.dropout,
    dFF: o.dFF,
  };
}

function schedule(o: TrainOptions): Schedule {
  return o.schedule === "constant" ? constant(o.lr) : warmupInverseSqrt(o.lr, o.warmup);
}

function chooseDevice(requested: string): Device {
  if (requested === "auto") return cudaAvailable() ? "cuda" : "cpu";
  return requested as Device;
}

/** Resolves `--resume`: a checkpoint folder, or a run folder (its newest checkpoint). */
async function resolveResume(path: string): Promise<string> {
  try {
    await Deno.stat(`${path}/state.json`);
    return path;
  } catch { /* not a checkpoint folder itself */ }
  const latest = await latestCheckpoint(path);
  if (latest === null) {
    throw new Error(`--resume ${path}: no complete checkpoint found there (nor under ${path}/checkpoints)`);
  }
  return latest;
}

/**
 * Runs a whole training run (or resumes one) and resolves when it stops: after the last epoch, at a
 * step or time limit, on SIGINT/SIGTERM, or when the loss stops being finite. Progress goes to the
 * console; checkpoints, `metrics.jsonl`, `report.html` and the latest model go to `req.out`.
 *
 * @example
 * ```ts
 * import { PRESETS, runTraining } from "@deno-torch/torch/nmt";
 * const summary = await runTraining({ options: { ...PRESETS.tiny, epochs: 2 }, out: "runs/tiny" });
 * console.log(summary.stopped, summary.validLoss, summary.bleu);
 * ```
 */
export async function runTraining(req: RunRequest): Promise<RunSummary> {
  // Data parallelism: torchrun's variables (set by `deno task train --nproc N` or an external
  // launcher) make this process one rank of several. Only rank 0 logs, validates and writes.
  // On CUDA, each rank trains on its own GPU (cuda:LOCAL_RANK) and the ranks talk over NCCL.
  const dist = distributedConfigFromEnv();
  const requested = chooseDevice(req.options.device);
  const device = dist ? rankDevice(dist, requested) : requested;
  if (dist) initDistributed({ ...dist, backend: backendFor(device), timeoutMs: DIST_TIMEOUT_MS });
  try {
    return await runRank(req, device, dist?.worldSize ?? 1, dist?.rank ?? 0);
  } finally {
    if (dist) destroyDistributed();
  }
}

/** A collective would wait this long for a rank (rank 0 validating, say) before giving up. */
const DIST_TIMEOUT_MS = 30 * 60_000;

async function runRank(req: RunRequest, device: Device, world: number, myRank: number): Promise<RunSummary> {
  const out = req.out;
  const main = myRank === 0;
  await Deno.mkdir(out, { recursive: true });
  const progress = main ? new Progress() : null;
  const log = (line: string) => progress?.log(line);

  // ---- state: fresh or resumed ----
  let resumed: Checkpoint | null = null;
  let o = req.options;
  if (req.resume) {
    const dir = await resolveResume(req.resume);
    resumed = loadCheckpoint(dir, device);
    if ((resumed.state.worldSize ?? 1) !== world) {
      throw new Error(
        `${dir} was trained with ${resumed.state.worldSize ?? 1} process(es); resume it with --nproc ${
          resumed.state.worldSize ?? 1
        } (this is ${world})`,
      );
    }
    keep([resumed.folder.model, resumed.optState.m, resumed.optState.v]);
    // The run's recipe comes from the checkpoint; only how long and how it is observed may change.
    const r = req.options;
    o = {
      ...resumed.state.options,
      epochs: r.epochs,
      maxSteps: r.maxSteps,
      maxMinutes: r.maxMinutes,
      saveEvery: r.saveEvery,
      saveMinutes: r.saveMinutes,
      keep: r.keep,
      evalEvery: r.evalEvery,
      samples: r.samples,
      device: r.device,
      threads: r.threads,
    };
    log(
      `resuming from ${dir} at step ${resumed.state.step} (epoch ${
        resumed.state.epoch + 1
      }, batch ${resumed.state.position})`,
    );
  }
  if (o.threads > 0) setThreads(o.threads);

  // ---- data ----
  const corpus = await loadCorpus(o);
  if (resumed && resumed.state.data.fingerprint !== corpus.fingerprint) {
    throw new Error(
      `--resume: the data differs from the run's (${resumed.state.data.description}); give the same --data`,
    );
  }
  const splits = splitBySource(corpus.pairs, { valid: o.validSize, test: o.testSize, seed: o.seed });
  const [srcTok, tgtTok] = resumed
    ? [resumed.folder.srcTokenizer, resumed.folder.tgtTokenizer]
    : await trainTokenizers(o, splits.train);
  const limits = { srcSeqLen: o.seqLen, tgtSeqLen: o.seqLen };
  const trainSet = await tokenizePairs(splits.train, srcTok, tgtTok, limits);
  const validSet = await tokenizePairs(splits.valid, srcTok, tgtTok, limits);
  const data: PreparedData = {
    description: corpus.description,
    fingerprint: corpus.fingerprint,
    train: trainSet.examples,
    valid: validSet.examples,
    validRefs: referencesOf(splits.valid, validSet.kept),
  };
  const unk = await unknownRate(srcTok, splits.valid.map((p) => p.src));
  log(
    `data: ${data.description}: ${splits.train.length} train / ${splits.valid.length} valid / ${splits.test.length} test pairs; ` +
      `dropped as longer than ${o.seqLen} positions: ${trainSet.dropped.tooLong} train, ${validSet.dropped.tooLong} valid; ` +
      `vocab ${srcTok.vocabSize} ${o.src} / ${tgtTok.vocabSize} ${o.tgt}; [UNK] in valid ${o.src}: ${
        (100 * unk.rate).toFixed(2)
      }%`,
  );
  if (data.train.length === 0) throw new Error("no training examples left after the length filter");

  // ---- model and optimizer ----
  const [initKey, dropoutKey] = split(rng(o.seed));
  let model: Transformer = resumed
    ? resumed.folder.model
    : keep(initTransformer(modelConfig(o, srcTok, tgtTok), initKey, device));
  if (world > 1 && !resumed) {
    // Every rank initializes from the same seed; taking rank 0's makes the agreement certain.
    const own = model.params;
    model = { ...model, params: keep(broadcast(own)) as typeof own };
    free(own);
  }
  let optState = resumed ? resumed.optState : keep(adamInit(model.params));
  const folderOf = (m: Transformer): ModelFolder => ({
    model: m,
    srcLang: o.src,
    tgtLang: o.tgt,
    srcTokenizer: srcTok,
    tgtTokenizer: tgtTok,
  });
  const lrAt = schedule(o);
  const stepConfig = (lr: number) => ({
    adam: { lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay, decoupled: o.weightDecay > 0 },
    clip: o.clip,
    labelSmoothing: o.labelSmoothing,
    pad: tgtTok.special.pad,
    donate: true, // the loop frees the previous parameters and moments right after each step
    dataParallel: world > 1,
  });
  const nParams = countParams(model.params);
  log(
    `model: d_model ${o.dModel}, ${o.layers}+${o.layers} layers, ${o.heads} heads, d_ff ${o.dFF}, ${
      nParams.toLocaleString("en")
    } parameters; ` +
      `device ${device}, ${threads()} threads; out ${out}`,
  );

  // ---- bookkeeping ----
  const metricsLog = main ? new MetricsLog(`${out}/metrics.jsonl`) : null;
  const metrics = {
    append: (entry: Parameters<MetricsLog["append"]>[0]) => metricsLog?.append(entry),
    truncateAfter: (step: number) => metricsLog?.truncateAfter(step),
    read: () => metricsLog?.read() ?? [],
  };
  let state: TrainState = resumed?.state ?? {
    version: 1,
    step: 0,
    epoch: 0,
    position: 0,
    bestValidLoss: null,
    elapsedSeconds: 0,
    options: o,
    data: { description: data.description, fingerprint: data.fingerprint },
    worldSize: world,
  };
  state = { ...state, options: o };
  if (resumed) metrics.truncateAfter(state.step);
  else metrics.truncateAfter(-1);
  const startElapsed = state.elapsedSeconds;
  const started = performance.now();
  const elapsed = () => startElapsed + (performance.now() - started) / 1000;
  let lastSave = performance.now();

  let stopRequested = false;
  const onSignal = () => stopRequested = true;
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  if (req.handleSignals !== false) { for (const s of signals) Deno.addSignalListener(s, onSignal); }

  const losses: number[] = [];
  let lastValid: number | null = null;
  let lastExact: number | null = null;
  let lastScores: { bleu: number; chrf: number } | null = null;
  let tokens = 0, tokenSeconds = 0;

  const save = async () => {
    if (!main) return;
    state = { ...state, elapsedSeconds: elapsed() };
    await saveCheckpoint(out, { folder: folderOf(model), optState, state }, o.keep);
    lastSave = performance.now();
  };

  const validate = async () => {
    if (!main) return; // the other ranks go on, and wait for rank 0 at the next step's collectives
    const loss = validationLoss(model, data.valid, tgtTok.special, {
      maxTokens: o.maxTokens,
      labelSmoothing: o.labelSmoothing,
      device,
    });
    const subset = data.valid.slice(0, 500);
    const outputs = greedyOutputs(model, subset, tgtTok.special, { device });
    const exact = exactMatch(outputs, subset);
    const hyps = await Promise.all(
      outputs.map(async (ids) => detokenize((await tgtTok.decode(ids)).split(" ").filter(Boolean))),
    );
    const refs = data.validRefs.slice(0, subset.length);
    const bleu = corpusBleuMulti(hyps, refs).score;
    const chrf = corpusChrf(hyps, refs).score;
    lastValid = loss;
    lastExact = exact;
    lastScores = { bleu, chrf };
    metrics.append({
      kind: "valid",
      step: state.step,
      epoch: state.epoch,
      loss,
      exactMatch: exact,
      bleu,
      chrf,
      elapsed: elapsed(),
    });
    log(
      `validation at step ${state.step}: loss ${loss.toFixed(4)}, BLEU ${bleu.toFixed(2)}, chrF ${chrf.toFixed(2)}, ` +
        `exact match ${(100 * exact).toFixed(1)}% (${subset.length} sentences)`,
    );
    // Samples as running text, as translate prints them: source, ours (→), the reference (=).
    for (let i = 0; i < Math.min(o.samples, subset.length); i++) {
      const src = detokenize(srcTok.tokens(subset[i].src));
      log(`  ${src}\n    → ${hyps[i]}\n    = ${detokenize(tgtTok.tokens(subset[i].tgt))}`);
    }
    if (state.bestValidLoss === null || loss < state.bestValidLoss) {
      state = { ...state, bestValidLoss: loss };
      await saveModelFolder(`${out}/best`, folderOf(model));
    }
    await Deno.writeTextFile(
      `${out}/report.html`,
      renderReport(`deno-torch training run: ${out}`, metrics.read(), {
        data: data.description,
        model: `d_model ${o.dModel}, N ${o.layers}, h ${o.heads}, d_ff ${o.dFF}`,
        steps: state.step,
        "training time": formatDuration(elapsed()),
        "best validation loss": state.bestValidLoss?.toFixed(4) ?? "-",
      }),
    );
  };

  let stopped: RunSummary["stopped"] = "finished";
  try {
    training: for (; state.epoch < o.epochs; state = { ...state, epoch: state.epoch + 1, position: 0 }) {
      const plan = epochPlan(data.train, { maxTokens: o.maxTokens, seed: o.seed, epoch: state.epoch });
      if (state.position === 0) {
        const pad = paddingReport(data.train, plan);
        log(
          `epoch ${state.epoch + 1}/${o.epochs}: ${plan.length} batches, padding efficiency ${
            (100 * pad.efficiency).toFixed(1)
          }%`,
        );
      }
      // Each step takes `world` batches, one per rank; an epoch's last few (fewer than `world`) are left out.
      while (state.position + world <= plan.length) {
        const reasons = agree(world, [
          o.maxSteps > 0 && state.step >= o.maxSteps,
          o.maxMinutes > 0 && elapsed() >= o.maxMinutes * 60,
          stopRequested,
        ], device);
        if (reasons[0]) {
          stopped = "max-steps";
          break training;
        }
        if (reasons[1]) {
          stopped = "max-minutes";
          break training;
        }
        if (reasons[2]) {
          stopped = "signal";
          break training;
        }
        const indices = plan[state.position + myRank];
        const t0 = performance.now();
        const lr = lrAt(state.step + 1);
        const result = scope(() =>
          trainStep(
            model,
            optState,
            makeBatch(data.train, indices, tgtTok.special, device),
            world > 1 ? fold(fold(dropoutKey, state.step), myRank) : fold(dropoutKey, state.step),
            stepConfig(lr),
          )
        );
        if (!Number.isFinite(result.loss)) {
          free([result.params, result.optState.m, result.optState.v]);
          log(`stopping: the loss became ${result.loss} at step ${state.step + 1}; the last good checkpoint is kept`);
          stopped = "non-finite";
          break training;
        }
        const previous = [model.params, optState.m, optState.v];
        model = { ...model, params: keep(result.params) };
        optState = keep(result.optState);
        free(previous);
        state = { ...state, step: state.step + 1, position: state.position + world };
        losses.push(result.loss);
        const seconds = (performance.now() - t0) / 1000;
        const n = result.tokens ?? labelTokens(data.train, indices); // all ranks' targets when data-parallel
        tokens += n;
        tokenSeconds += seconds;
        const rate = tokens / tokenSeconds;
        metrics.append({
          kind: "train",
          step: state.step,
          epoch: state.epoch,
          loss: result.loss,
          lr,
          gradNorm: result.gradNorm,
          tokensPerSecond: n / seconds,
          elapsed: elapsed(),
        });
        progress?.update({
          epoch: state.epoch,
          epochs: o.epochs,
          position: state.position,
          batches: plan.length,
          step: state.step,
          loss: result.loss,
          lr,
          tokensPerSecond: rate,
          eta: o.maxMinutes > 0
            ? o.maxMinutes * 60 - elapsed()
            : (plan.length - state.position) * (tokenSeconds / Math.max(1, losses.length)),
        });
        if (o.evalEvery > 0 && state.step % o.evalEvery === 0) await validate();
        const dueBySteps = o.saveEvery > 0 && state.step % o.saveEvery === 0;
        const dueByTime = o.saveMinutes > 0 && performance.now() - lastSave >= o.saveMinutes * 60_000;
        if (dueBySteps || dueByTime) await save();
      }
      await validate();
      if (state.epoch + 1 < o.epochs) await save();
    }
    if (stopped === "finished") state = { ...state, epoch: o.epochs, position: 0 };
    // A run cut short by a limit still reports where it got to (an epoch end has just validated).
    if ((stopped === "max-steps" || stopped === "max-minutes") && state.position > 0) await validate();
    if (stopped !== "non-finite") await save();
  } finally {
    if (req.handleSignals !== false) { for (const s of signals) Deno.removeSignalListener(s, onSignal); }
    free([model.params, model.buffers, optState.m, optState.v]);
  }
  const summary: RunSummary = {
    out,
    steps: state.step,
    epochs: state.epoch,
    stopped,
    losses,
    validLoss: lastValid,
    exactMatch: lastExact,
    // (assigned inside validate(): the checker cannot see it, hence the annotation)
    bleu: (lastScores as { bleu: number } | null)?.bleu ?? null,
    chrf: (lastScores as { chrf: number } | null)?.chrf ?? null,
    elapsedSeconds: elapsed(),
    tokensPerSecond: tokenSeconds > 0 ? tokens / tokenSeconds : 0,
  };
  return summary;
}
