/**
 * Checkpoints: a model folder plus `optimizer.safetensors` (Adam moments, "m.<param>", "v.<param>")
 * and `state.json` (step, epoch, data position, options). Each is written into a temporary folder
 * that is renamed into `checkpoints/step-XXXXXXXX` once complete, so a run killed at any moment —
 * even mid-save — leaves only complete checkpoints to resume from. The run folder's top level is
 * kept a loadable model folder of the latest checkpoint.
 */
import { configJSON, loadModelFolder, type ModelFolder, replaceDir, stateEntries } from "../io/folder.ts";
import { readSafetensors, writeSafetensors } from "../../lib/io/safetensors.ts";
import { flattenTree, unflattenTree } from "../../lib/tree.ts";
import { scope } from "../../lib/scope.ts";
import type { AdamState } from "../../lib/optim/adam.ts";
import type { TransformerParams } from "../model/transformer.ts";
import type { TrainOptions } from "./options.ts";
import type { Device } from "../../lib/device.ts";

/** A run's progress as saved in a checkpoint's `state.json`: enough to resume it exactly. */
export interface TrainState {
  /** Format version of `state.json`; only 1 exists. */
  version: 1;
  /** Optimizer steps done. */
  step: number;
  /** The epoch in progress, and how many of its batches are done. */
  epoch: number;
  /** Batches of the current epoch already trained on. */
  position: number;
  /** Lowest validation loss seen so far; null before the first validation. */
  bestValidLoss: number | null;
  /** Training time so far, across resumes. */
  elapsedSeconds: number;
  /** The run's complete settings, so a resumed run trains with the same recipe. */
  options: TrainOptions;
  /** Processes that trained it (data parallel); a resume needs as many. Absent: 1. */
  worldSize?: number;
  /** What the run trained on, to refuse resuming on other data. */
  data: { description: string; fingerprint: string };
}

/** Everything one checkpoint holds, in memory. */
export interface Checkpoint {
  /** The model with its languages and tokenizers. */
  folder: ModelFolder;
  /** Adam's step count and moments for the model's parameters. */
  optState: AdamState<TransformerParams>;
  /** Where the run stood when the checkpoint was taken. */
  state: TrainState;
}

const PREFIX = "step-";
/** The folder name of the checkpoint taken after `step` steps (`step-00001234`), which sorts by step. */
export const checkpointName = (step: number) => `${PREFIX}${String(step).padStart(8, "0")}`;

async function writeTextAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  const file = await Deno.open(tmp, { write: true, createNew: true });
  try {
    await file.write(new TextEncoder().encode(text));
    await file.sync();
  } finally {
    file.close();
  }
  await Deno.rename(tmp, path);
}

/** The model-folder files of `folder` into `dir` (each file replaced atomically). */
export async function writeModelFiles(dir: string, folder: ModelFolder): Promise<void> {
  const { model, srcLang, tgtLang } = folder;
  await writeTextAtomic(
    `${dir}/config.json`,
    JSON.stringify(configJSON(model.config, srcLang, tgtLang), null, 2) + "\n",
  );
  writeSafetensors(`${dir}/model.safetensors`, stateEntries(model));
  await writeTextAtomic(`${dir}/tokenizer_${srcLang}.json`, folder.srcTokenizer.json);
  await writeTextAtomic(`${dir}/tokenizer_${tgtLang}.json`, folder.tgtTokenizer.json);
}

/**
 * Writes a checkpoint under `runDir/checkpoints`, refreshes the top-level model, keeps the newest `keep`.
 * The checkpoint appears only once complete. Resolves to the checkpoint's folder.
 *
 * @example
 * ```ts
 * import { type Checkpoint, saveCheckpoint } from "@deno-torch/torch/nmt";
 * declare const ckpt: Checkpoint;
 * const dir = await saveCheckpoint("runs/en-it", ckpt, 3); // "runs/en-it/checkpoints/step-…"
 * ```
 */
export async function saveCheckpoint(runDir: string, ckpt: Checkpoint, keep: number): Promise<string> {
  const dir = `${runDir}/checkpoints`;
  await Deno.mkdir(dir, { recursive: true });
  const final = `${dir}/${checkpointName(ckpt.state.step)}`;
  const tmp = `${dir}/.tmp-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.mkdir(tmp);
  try {
    await writeModelFiles(tmp, ckpt.folder);
    const { m, v, step } = ckpt.optState;
    writeSafetensors(`${tmp}/optimizer.safetensors`, [
      ...flattenTree(m).map(([k, t]) => [`m.${k}`, t] as const),
      ...flattenTree(v).map(([k, t]) => [`v.${k}`, t] as const),
    ], { step: String(step) });
    await writeTextAtomic(`${tmp}/state.json`, JSON.stringify(ckpt.state, null, 2) + "\n");
    await replaceDir(tmp, final);
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
  await writeModelFiles(runDir, ckpt.folder);
  await prune(dir, keep);
  return final;
}

async function prune(dir: string, keep: number): Promise<void> {
  const all = await listCheckpoints(dir);
  for (const name of all.slice(0, Math.max(0, all.length - keep))) {
    await Deno.remove(`${dir}/${name}`, { recursive: true });
  }
  // Leftovers of saves that were killed midway.
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith(".tmp-")) await Deno.remove(`${dir}/${e.name}`, { recursive: true }).catch(() => {});
  }
}

/** Complete checkpoints in a checkpoints folder, oldest first. */
export async function listCheckpoints(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory && e.name.startsWith(PREFIX)) names.push(e.name);
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  return names.sort();
}

/**
 * The path of the newest complete checkpoint of a run folder, or null when it has none.
 *
 * @example
 * ```ts
 * import { latestCheckpoint, loadCheckpoint } from "@deno-torch/torch/nmt";
 * const dir = await latestCheckpoint("runs/en-it");
 * if (dir !== null) console.log(loadCheckpoint(dir).state.step);
 * ```
 */
export async function latestCheckpoint(runDir: string): Promise<string | null> {
  const all = await listCheckpoints(`${runDir}/checkpoints`);
  return all.length === 0 ? null : `${runDir}/checkpoints/${all[all.length - 1]}`;
}

/**
 * Loads a checkpoint folder (model, tokenizers, optimizer moments, state), onto `device` when one
 * is given; the tensors go to the current scope.
 *
 * @throws {Error} If `state.json` has an unknown version or disagrees with the optimizer's step.
 *
 * @example
 * ```ts
 * import { loadCheckpoint } from "@deno-torch/torch/nmt";
 * const { folder, optState, state } = loadCheckpoint("runs/en-it/checkpoints/step-00001000");
 * ```
 */
export function loadCheckpoint(dir: string, device?: Device): Checkpoint {
  // In a scope: a checkpoint that fails halfway through loading leaves no tensor behind.
  return scope(() => {
    const folder = loadModelFolder(dir, { device });
    const state = readState(`${dir}/state.json`);
    const { tensors, metadata } = readSafetensors(`${dir}/optimizer.safetensors`, { device });
    const moments = (prefix: string) =>
      unflattenTree(
        [...tensors].filter(([k]) => k.startsWith(prefix)).map(([k, t]) => [k.slice(prefix.length), t]),
      ) as never;
    const optState: AdamState<TransformerParams> = { step: Number(metadata.step), m: moments("m."), v: moments("v.") };
    if (optState.step !== state.step) {
      throw new Error(`${dir}: optimizer step ${optState.step} ≠ state step ${state.step}`);
    }
    return { folder, optState, state };
  });
}

/** A checkpoint's `state.json`, read and checked; the error names the file. */
function readState(path: string): TrainState {
  let state: TrainState;
  try {
    state = JSON.parse(Deno.readTextFileSync(path));
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  if (state === null || typeof state !== "object" || state.version !== 1) {
    throw new Error(`${path}: not a version 1 state (got version ${JSON.stringify(state?.version)})`);
  }
  for (const field of ["step", "epoch", "position", "elapsedSeconds"] as const) {
    if (!Number.isFinite(state[field]) || state[field] < 0) {
      throw new Error(`${path}: "${field}" must be a non-negative number, got ${JSON.stringify(state[field])}`);
    }
  }
  if (state.options === null || typeof state.options !== "object") throw new Error(`${path}: "options" is missing`);
  return state;
}

/**
 * The newest checkpoint of a run folder that loads, with its folder. A checkpoint that looks
 * complete but is not (a truncated safetensors file, a bad state.json: a disk that filled up, a
 * hand edit) is passed over, and `skipped` is told which and why; the one before it is tried
 * next. Null when none loads.
 */
export async function loadLatestCheckpoint(
  runDir: string,
  device: Device | undefined,
  skipped: (dir: string, reason: string) => void,
): Promise<{ dir: string; checkpoint: Checkpoint } | null> {
  const names = await listCheckpoints(`${runDir}/checkpoints`);
  for (const name of names.reverse()) {
    const dir = `${runDir}/checkpoints/${name}`;
    try {
      return { dir, checkpoint: loadCheckpoint(dir, device) };
    } catch (e) {
      skipped(dir, (e as Error).message);
    }
  }
  return null;
}
