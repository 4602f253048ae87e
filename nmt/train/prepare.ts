/**
 * The prepare phase of a training run: the options (a resumed run's recipe comes from its
 * checkpoint), the data and tokenizers, the model and optimizer, fresh or from a checkpoint, and the
 * run's fixed parts and first state.
 */
import type { Device } from "../../lib/device.ts";
import type { Key } from "../../lib/rng.ts";
import { setThreads, threads } from "../../lib/runtime.ts";
import { free, keep } from "../../lib/scope.ts";
import { countParams } from "../../lib/tree.ts";
import { broadcast } from "../../lib/dist.ts";
import { adamInit } from "../../lib/optim/adam.ts";
import { initTransformer } from "../model/init.ts";
import type { Transformer } from "../model/transformer.ts";
import { type Checkpoint, loadCheckpoint, loadLatestCheckpoint } from "./checkpoint.ts";
import { loadCorpus, prepareData, type PreparedData } from "./corpus.ts";
import { MetricsLog } from "./metrics.ts";
import { resumedOptions, type TrainOptions } from "./options.ts";
import { Progress } from "./progress.ts";
import { modelConfig, runKeys, schedule } from "./recipe.ts";
import type { Run, RunRequest, RunState } from "./state.ts";

/**
 * The checkpoint `--resume` names, loaded onto `device`: a checkpoint folder itself, or a run
 * folder's newest checkpoint that loads (a corrupt one is reported through `log` and passed over).
 * It must come from a run of as many ranks.
 */
async function loadResumed(
  path: string,
  device: Device,
  world: number,
  log: (line: string) => void,
): Promise<{ dir: string; from: Checkpoint }> {
  const isCheckpoint = await Deno.stat(`${path}/state.json`).then(() => true, () => false);
  const found = isCheckpoint
    ? { dir: path, checkpoint: loadCheckpoint(path, device) }
    : await loadLatestCheckpoint(path, device, (dir, reason) => log(`skipping checkpoint ${dir}: ${reason}`));
  if (found === null) {
    throw new Error(`--resume ${path}: no complete checkpoint found there (nor under ${path}/checkpoints)`);
  }
  const { dir, checkpoint: from } = found;
  const trainedWith = from.state.worldSize ?? 1;
  if (trainedWith !== world) {
    free([from.folder.model, from.optState.m, from.optState.v]);
    throw new Error(
      `${dir} was trained with ${trainedWith} process(es); resume it with --nproc ${trainedWith} (this is ${world})`,
    );
  }
  keep([from.folder.model, from.optState.m, from.optState.v]);
  return { dir, from };
}

/** A fresh model; with several ranks, rank 0's, so that every rank starts from the same parameters. */
function initialModel(o: TrainOptions, data: PreparedData, key: Key, device: Device, world: number): Transformer {
  const model = keep(initTransformer(modelConfig(o, data.srcTok, data.tgtTok), key, device));
  if (world === 1) return model;
  // Every rank initializes from the same seed; taking rank 0's makes the agreement certain.
  const own = model.params;
  const params = keep(broadcast(own)) as typeof own;
  free(own);
  return { ...model, params };
}

/** The prepare phase: the run's fixed parts, and its state before the first step (fresh, or resumed). */
export async function prepare(
  req: RunRequest,
  device: Device,
  world: number,
  rank: number,
): Promise<{ run: Run; state: RunState }> {
  const main = rank === 0;
  await Deno.mkdir(req.out, { recursive: true });
  const progress = main ? new Progress() : null;
  const log = (line: string) => progress?.log(line);

  // Options: on --resume the recipe comes from the checkpoint; only how long and how it is observed may change.
  const resumed = req.resume ? await loadResumed(req.resume, device, world, log) : null;
  const from = resumed?.from;
  const o = from ? resumedOptions(from.state.options, req.options) : req.options;
  if (resumed) {
    const { step, epoch, position } = resumed.from.state;
    log(`resuming from ${resumed.dir} at step ${step} (epoch ${epoch + 1}, batch ${position})`);
  }
  if (o.threads > 0) setThreads(o.threads);

  // Data, and the tokenizers (the checkpoint's when resuming).
  const corpus = await loadCorpus(o);
  if (from && from.state.data.fingerprint !== corpus.fingerprint) {
    throw new Error(`--resume: the data differs from the run's (${from.state.data.description}); give the same --data`);
  }
  const data = await prepareData(o, corpus, from ? [from.folder.srcTokenizer, from.folder.tgtTokenizer] : null);
  log(`data: ${data.summary}`);
  if (data.train.length === 0) throw new Error("no training examples left after the length filter");

  // Model and optimizer.
  const keys = runKeys(o.seed, world, rank);
  const model = from ? from.folder.model : initialModel(o, data, keys.init, device, world);
  const optState = from ? from.optState : keep(adamInit(model.params));
  log(
    `model: d_model ${o.dModel}, ${o.layers}+${o.layers} layers, ${o.heads} heads, d_ff ${o.dFF}, ${
      countParams(model.params).toLocaleString("en")
    } parameters; device ${device}, ${threads()} threads; out ${req.out}`,
  );

  // Bookkeeping: a resumed run replays the steps after its checkpoint, so their metrics go.
  const metrics = main ? new MetricsLog(`${req.out}/metrics.jsonl`) : null;
  const at = from?.state ?? { step: 0, epoch: 0, position: 0, bestValidLoss: null, elapsedSeconds: 0 };
  metrics?.truncateAfter(from ? at.step : -1);
  const started = performance.now();
  const run: Run = {
    out: req.out,
    options: o,
    data,
    device,
    world,
    rank,
    keys,
    lrAt: schedule(o),
    progress,
    log,
    metrics,
    elapsed: () => at.elapsedSeconds + (performance.now() - started) / 1000,
  };
  const state: RunState = {
    model,
    optState,
    step: at.step,
    epoch: at.epoch,
    position: at.position,
    bestValidLoss: at.bestValidLoss,
    losses: [],
    tokens: 0,
    tokenSeconds: 0,
    last: null,
    validation: null,
    savedAt: performance.now(),
    stopped: null,
  };
  return { run, state };
}
