/**
 * A whole training run, top to bottom as nanoGPT's train.py: prepare (options, data, tokenizers,
 * model, optimizer), then one loop over the epochs' batches whose phases (stop?, step, report,
 * validate, save) each take the run's state and return the next one. Everything random derives
 * from `options.seed`, and the data order from (seed, epoch), so a resumed run repeats the losses
 * of an uninterrupted one step for step.
 */
import type { Device } from "../../lib/device.ts";
import { free, keep, memory, resetPeakResident, residentMemory, scope } from "../../lib/scope.ts";
import { epochPlan, labelTokens, makeBatch, paddingReport } from "../data/batches.ts";
import type { Transformer } from "../model/transformer.ts";
import { type ModelFolder, saveModelFolder } from "../io/folder.ts";
import { trainStep } from "./step.ts";
import { exactMatch, greedyOutputs, validationLoss } from "./evaluate.ts";
import { saveCheckpoint, type TrainState } from "./checkpoint.ts";
import { corpusBleuMulti } from "../metrics/bleu.ts";
import { corpusChrf } from "../metrics/chrf.ts";
import { detokenize } from "../tokenize/detokenize.ts";
import { renderReport } from "./report.ts";
import { formatDuration } from "./progress.ts";
import { resolveDevice } from "./device.ts";
import {
  allReduceSum,
  backendFor,
  destroyDistributed,
  distributedConfigFromEnv,
  initDistributed,
  rankDevice,
} from "../../lib/dist.ts";
import { tensor } from "../../lib/create.ts";
import { values } from "../../lib/transfer.ts";

import { prepare } from "./prepare.ts";
import { stepConfig } from "./recipe.ts";
import type { Run, RunRequest, RunState, RunSummary } from "./state.ts";

export type { RunRequest, RunSummary } from "./state.ts";

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
  const requested = resolveDevice(req.options.device);
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

async function runRank(req: RunRequest, device: Device, world: number, rank: number): Promise<RunSummary> {
  // ---- prepare: options, data, tokenizers, model and optimizer, fresh or from a checkpoint ----
  const prepared = await prepare(req, device, world, rank);
  const run = prepared.run, o = run.options;
  let s = prepared.state;

  // SIGINT/SIGTERM ask the loop to stop at the next step, after a checkpoint.
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  const signals: Deno.Signal[] = req.handleSignals === false ? [] : ["SIGINT", "SIGTERM"];
  for (const sig of signals) Deno.addSignalListener(sig, onSignal);
  try {
    training: for (; s.epoch < o.epochs; s = { ...s, epoch: s.epoch + 1, position: 0 }) {
      const plan = epochPlan(run.data.train, { maxTokens: o.maxTokens, seed: o.seed, epoch: s.epoch });
      if (s.position === 0) logEpoch(run, s, plan);
      // Each step takes `world` batches, one per rank; an epoch's last few (fewer than `world`) are left out.
      while (s.position + world <= plan.length) {
        // ---- stop? at a step or time limit, or on a signal: every rank alike ----
        await signalsDelivered();
        s = { ...s, stopped: stopReason(run, s, stop.signal.aborted) };
        if (s.stopped) break training;
        // ---- step: this rank's batch, one optimizer step; a non-finite loss stops the run ----
        const taken = s.step;
        s = step(run, s, plan);
        if (s.stopped) break training;
        if (s.step === taken) continue; // skipped (non-finite gradients): nothing to report, validate or save
        // ---- report: metrics.jsonl and the progress bar ----
        report(run, s, plan);
        // ---- validate and save, when due by steps (or, saving, by time) ----
        if (o.evalEvery > 0 && s.step % o.evalEvery === 0) s = await validate(run, s);
        if (saveDue(run, s)) s = await save(run, s);
      }
      // ---- end of epoch: validate; save, unless this was the last epoch (the end saves) ----
      s = await validate(run, s);
      if (s.epoch + 1 < o.epochs) s = await save(run, s);
    }
    // ---- end: validate a run cut short mid-epoch, so it reports where it got to; save ----
    if (s.stopped === null) s = { ...s, stopped: "finished", epoch: o.epochs, position: 0 };
    if ((s.stopped === "max-steps" || s.stopped === "max-minutes") && s.position > 0) s = await validate(run, s);
    if (s.stopped !== "non-finite") s = await save(run, s);
  } finally {
    for (const sig of signals) Deno.removeSignalListener(sig, onSignal);
    free([s.model.params, s.model.buffers, s.optState.m, s.optState.v]);
  }
  return summary(run, s);
}

function logEpoch(run: Run, s: RunState, plan: number[][]): void {
  const pad = paddingReport(run.data.train, plan);
  run.log(
    `epoch ${s.epoch + 1}/${run.options.epochs}: ${plan.length} batches, padding efficiency ${
      (100 * pad.efficiency).toFixed(1)
    }%`,
  );
}

/**
 * Lets signal listeners run. Steps are synchronous, and between checkpoints nothing else would give
 * the event loop a turn, so without this a SIGINT or SIGTERM would wait for the next checkpoint
 * (minutes) or the end of the epoch. A timer turn costs about a millisecond: taken at most every
 * 100 ms, it is lost in the steps.
 */
let lastTurn = 0;
async function signalsDelivered(): Promise<void> {
  if (performance.now() - lastTurn < 100) return;
  await new Promise((resolve) => setTimeout(resolve, 0));
  lastTurn = performance.now();
}

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

/** Why the run stops before its next step, agreed by every rank; null to go on. */
function stopReason(run: Run, s: RunState, signalled: boolean): RunSummary["stopped"] | null {
  const o = run.options;
  const [steps, minutes, signal] = agree(run.world, [
    o.maxSteps > 0 && s.step >= o.maxSteps,
    o.maxMinutes > 0 && run.elapsed() >= o.maxMinutes * 60,
    signalled,
  ], run.device);
  return steps ? "max-steps" : minutes ? "max-minutes" : signal ? "signal" : null;
}

/**
 * The step phase: one optimizer step on this rank's batch of the plan (the previous parameters and
 * moments are freed); a non-finite loss instead stops the run with the last good ones, and
 * non-finite gradients skip the step (the batch is passed over, the step not counted).
 */
function step(run: Run, s: RunState, plan: number[][]): RunState {
  const { data, device } = run;
  const indices = plan[s.position + run.rank];
  resetPeakResident();
  const t0 = performance.now();
  const lr = run.lrAt(s.step + 1);
  const result = scope(() =>
    trainStep(
      s.model,
      s.optState,
      makeBatch(data.train, indices, data.tgtTok.special, device),
      run.keys.dropout(s.step),
      stepConfig(run.options, lr, data.tgtTok.special.pad, run.world > 1),
    )
  );
  if (!Number.isFinite(result.loss)) {
    // A skipped step hands back the parameters it was given, which are still the run's.
    if (!result.skipped) free([result.params, result.optState.m, result.optState.v]);
    run.log(`stopping: the loss became ${result.loss} at step ${s.step + 1}; the last good checkpoint is kept`);
    return { ...s, stopped: "non-finite" };
  }
  if (result.skipped) {
    // The batch is used up, but no update was made: the step count, losses and metrics stay.
    run.log(`skipped step ${s.step + 1}: non-finite gradients`);
    return { ...s, position: s.position + run.world };
  }
  const next = { ...s, model: { ...s.model, params: keep(result.params) }, optState: keep(result.optState) };
  free([s.model.params, s.optState.m, s.optState.v]);
  s.losses.push(result.loss);
  const seconds = (performance.now() - t0) / 1000;
  const tokens = result.tokens ?? labelTokens(data.train, indices); // all ranks' targets when data-parallel
  return {
    ...next,
    step: s.step + 1,
    position: s.position + run.world,
    tokens: s.tokens + tokens,
    tokenSeconds: s.tokenSeconds + seconds,
    last: { loss: result.loss, lr, gradNorm: result.gradNorm, tokens, seconds },
  };
}

/**
 * What a long run's memory does, step by step: the resident set after the step and at its peak
 * during it, the JS heap, the allocator's cache, live tensors.
 */
function memoryFigures() {
  const { tensors, cachedBytes } = memory();
  const { rss, heapTotal } = Deno.memoryUsage();
  const peakRssBytes = residentMemory()?.peakBytes;
  return { rssBytes: rss, peakRssBytes, heapBytes: heapTotal, cachedBytes, liveTensors: tensors };
}

/** The report phase: the step's line in metrics.jsonl, and the progress bar. */
function report(run: Run, s: RunState, plan: number[][]): void {
  const o = run.options;
  const last = s.last!; // the step just taken
  run.metrics?.append({
    kind: "train",
    step: s.step,
    epoch: s.epoch,
    loss: last.loss,
    lr: last.lr,
    gradNorm: last.gradNorm,
    tokensPerSecond: last.tokens / last.seconds,
    elapsed: run.elapsed(),
    ...memoryFigures(),
  });
  run.progress?.update({
    epoch: s.epoch,
    epochs: o.epochs,
    position: s.position,
    batches: plan.length,
    step: s.step,
    loss: last.loss,
    lr: last.lr,
    tokensPerSecond: s.tokens / s.tokenSeconds,
    eta: o.maxMinutes > 0
      ? o.maxMinutes * 60 - run.elapsed()
      : (plan.length - s.position) * (s.tokenSeconds / Math.max(1, s.losses.length)),
  });
}

const folderOf = (run: Run, model: Transformer): ModelFolder => ({
  model,
  srcLang: run.options.src,
  tgtLang: run.options.tgt,
  srcTokenizer: run.data.srcTok,
  tgtTokenizer: run.data.tgtTok,
});

/**
 * The validate phase (rank 0): the loss on the validation split; BLEU, chrF and exact match of
 * greedy translations of up to 500 of its sentences; samples; the best model so far; report.html.
 * The other ranks go on, and wait for rank 0 at the next step's collectives.
 */
async function validate(run: Run, s: RunState): Promise<RunState> {
  if (run.rank !== 0) return s;
  const { data, device, options: o } = run;
  const { srcTok, tgtTok } = data;
  const loss = validationLoss(s.model, data.valid, tgtTok.special, {
    maxTokens: o.maxTokens,
    labelSmoothing: o.labelSmoothing,
    device,
  });
  const subset = data.valid.slice(0, 500);
  const outputs = greedyOutputs(s.model, subset, tgtTok.special, { device });
  const exact = exactMatch(outputs, subset);
  const hyps = await Promise.all(
    outputs.map(async (ids) => detokenize((await tgtTok.decode(ids)).split(" ").filter(Boolean))),
  );
  const refs = data.validRefs.slice(0, subset.length);
  const bleu = corpusBleuMulti(hyps, refs).score;
  const chrf = corpusChrf(hyps, refs).score;
  run.metrics?.append({
    kind: "valid",
    step: s.step,
    epoch: s.epoch,
    loss,
    exactMatch: exact,
    bleu,
    chrf,
    elapsed: run.elapsed(),
  });
  run.log(
    `validation at step ${s.step}: loss ${loss.toFixed(4)}, BLEU ${bleu.toFixed(2)}, chrF ${chrf.toFixed(2)}, ` +
      `exact match ${(100 * exact).toFixed(1)}% (${subset.length} sentences)`,
  );
  // Samples as running text, as translate prints them: source, ours (→), the reference (=).
  for (let i = 0; i < Math.min(o.samples, subset.length); i++) {
    const src = detokenize(srcTok.tokens(subset[i].src));
    run.log(`  ${src}\n    → ${hyps[i]}\n    = ${detokenize(tgtTok.tokens(subset[i].tgt))}`);
  }
  const best = s.bestValidLoss === null || loss < s.bestValidLoss;
  if (best) await saveModelFolder(`${run.out}/best`, folderOf(run, s.model));
  const next = {
    ...s,
    bestValidLoss: best ? loss : s.bestValidLoss,
    validation: { loss, exactMatch: exact, bleu, chrf },
  };
  await Deno.writeTextFile(
    `${run.out}/report.html`,
    renderReport(`deno-torch training run: ${run.out}`, run.metrics?.read() ?? [], {
      data: data.description,
      model: `d_model ${o.dModel}, N ${o.layers}, h ${o.heads}, d_ff ${o.dFF}`,
      steps: next.step,
      "training time": formatDuration(run.elapsed()),
      "best validation loss": next.bestValidLoss?.toFixed(4) ?? "-",
    }),
  );
  return next;
}

/** Whether a checkpoint is due after this step: by --save-every steps, or --save-minutes since the last. */
function saveDue(run: Run, s: RunState): boolean {
  const o = run.options;
  const bySteps = o.saveEvery > 0 && s.step % o.saveEvery === 0;
  const byTime = o.saveMinutes > 0 && performance.now() - s.savedAt >= o.saveMinutes * 60_000;
  return bySteps || byTime;
}

/** Where the run stands, as a checkpoint's state.json records it to resume from. */
function trainState(run: Run, s: RunState): TrainState {
  return {
    version: 1,
    step: s.step,
    epoch: s.epoch,
    position: s.position,
    bestValidLoss: s.bestValidLoss,
    elapsedSeconds: run.elapsed(),
    options: run.options,
    data: { description: run.data.description, fingerprint: run.data.fingerprint },
    worldSize: run.world,
  };
}

/** The save phase (rank 0): a checkpoint of the model, Adam's state and where the run stands. */
async function save(run: Run, s: RunState): Promise<RunState> {
  if (run.rank !== 0) return s;
  const checkpoint = { folder: folderOf(run, s.model), optState: s.optState, state: trainState(run, s) };
  await saveCheckpoint(run.out, checkpoint, run.options.keep);
  return { ...s, savedAt: performance.now() };
}

function summary(run: Run, s: RunState): RunSummary {
  return {
    out: run.out,
    steps: s.step,
    epochs: s.epoch,
    stopped: s.stopped ?? "finished",
    losses: s.losses,
    validLoss: s.validation?.loss ?? null,
    exactMatch: s.validation?.exactMatch ?? null,
    bleu: s.validation?.bleu ?? null,
    chrf: s.validation?.chrf ?? null,
    elapsedSeconds: run.elapsed(),
    tokensPerSecond: s.tokenSeconds > 0 ? s.tokens / s.tokenSeconds : 0,
  };
}
