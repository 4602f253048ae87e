/**
 * One training step as a pure function: (params, optimizer state, batch, key) → new params, new
 * optimizer state, loss. Label-smoothed cross entropy ignoring [PAD], dropout drawn from `key`,
 * gradients clipped by global norm, then Adam/AdamW. The inputs stay valid; the caller frees them.
 */
import { valueAndGrad } from "../autograd.ts";
import { noGrad } from "../autograd.ts";
import { scope } from "../scope.ts";
import { item } from "../transfer.ts";
import type { Key } from "../rng.ts";
import { type AdamConfig, type AdamState, adamUpdate } from "../optim/adam.ts";
import { clipGradNorm } from "../optim/clip.ts";
import { type TranslationBatch, translationLoss } from "../nn/loss.ts";
import { trainMode, type Transformer, type TransformerParams } from "../nn/transformer.ts";

export interface StepConfig {
  adam: AdamConfig;
  /** Global gradient-norm bound; 0 = none. */
  clip: number;
  labelSmoothing: number;
  pad: number;
  /**
   * The caller gives up `model.params` and `optState` to the step (it only frees them afterwards),
   * so the optimizer updates them in place: the same results without a copy of the parameters and
   * moments. A step whose loss is not finite never donates, so the caller still holds the last
   * good parameters.
   */
  donate?: boolean;
}

export interface StepResult {
  params: TransformerParams;
  optState: AdamState<TransformerParams>;
  loss: number;
  /** Gradient norm before clipping (NaN when clipping is off: computing it would cost a pass). */
  gradNorm: number;
}

export function trainStep(
  model: Transformer,
  optState: AdamState<TransformerParams>,
  batch: TranslationBatch,
  key: Key,
  config: StepConfig,
): StepResult {
  const lossOf = (params: TransformerParams) =>
    translationLoss({ ...model, params }, batch, trainMode(key), {
      pad: config.pad,
      labelSmoothing: config.labelSmoothing,
    });
  return scope(() => {
    const { value, grads } = valueAndGrad(lossOf)(model.params);
    const loss = item(value);
    let gradNorm = NaN;
    let used = grads;
    if (config.clip > 0) {
      // The gradients are this step's own, read by nothing else: scale them where they lie.
      const clipped = clipGradNorm(grads, config.clip, { donate: true });
      used = clipped.grads;
      gradNorm = item(clipped.norm);
    }
    const donate = (config.donate ?? false) && Number.isFinite(loss);
    const next = noGrad(() => adamUpdate(model.params, used, optState, config.adam, { donate }));
    return { params: next.params, optState: next.state, loss, gradNorm };
  });
}
