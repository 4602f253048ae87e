/**
 * One training step as a pure function: (params, optimizer state, batch, key) → new params, new
 * optimizer state, loss. Label-smoothed cross entropy ignoring [PAD], dropout drawn from `key`,
 * gradients clipped by global norm, then Adam/AdamW. The inputs stay valid; the caller frees them.
 */
import { valueAndGrad } from "../../lib/autograd.ts";
import { autocast, type AutocastDType } from "../../lib/autocast.ts";
import { noGrad } from "../../lib/autograd.ts";
import { scope } from "../../lib/scope.ts";
import { item } from "../../lib/transfer.ts";
import { sum } from "../../lib/ops/reduce.ts";
import { add, ne } from "../../lib/ops/elementwise.ts";
import { treeLeaves } from "../../lib/tree.ts";
import { allReduceSum, valueAndGradAllReduced } from "../../lib/dist.ts";
import type { Key } from "../../lib/rng.ts";
import { type AdamConfig, type AdamState, adamUpdate } from "../../lib/optim/adam.ts";
import { clipGradNorm } from "../../lib/optim/clip.ts";
import { type TranslationBatch, translationLoss } from "../model/loss.ts";
import { trainMode, type Transformer, type TransformerParams } from "../model/transformer.ts";

/** Settings of one {@linkcode trainStep}. */
export interface StepConfig {
  /** Optimizer hyperparameters, including this step's learning rate. */
  adam: AdamConfig;
  /** Global gradient-norm bound; 0 = none. */
  clip: number;
  /** Label-smoothing factor of the cross entropy, in [0, 1); 0 = plain cross entropy. */
  labelSmoothing: number;
  /** The target vocabulary's [PAD] id: labels equal to it add nothing to the loss. */
  pad: number;
  /**
   * The caller gives up `model.params` and `optState` to the step (it only frees them afterwards),
   * so the optimizer updates them in place: the same results without a copy of the parameters and
   * moments. A step whose loss is not finite never donates, so the caller still holds the last
   * good parameters.
   */
  donate?: boolean;
  /**
   * Data-parallel training (after `initDistributed`): each rank passes its own batch; the loss is
   * normalized by the target count of all ranks' batches and the gradients are summed across ranks,
   * so every rank applies the update the union of the batches would give, and the parameters stay
   * identical everywhere. The reported loss is that of the union.
   */
  dataParallel?: boolean;
  /** Data-parallel gradient buckets, MB (default 25; see `valueAndGradAllReduced`). */
  bucketMb?: number;
  /** Runs the forward pass under `autocast(dtype)`: matrix products in bf16, f32 master weights. Default: f32 throughout. */
  autocast?: AutocastDType;
}

/** What one {@linkcode trainStep} produces; the tensors belong to the caller's scope. */
export interface StepResult {
  /** The updated model parameters. */
  params: TransformerParams;
  /** The optimizer state after this step. */
  optState: AdamState<TransformerParams>;
  /** Mean per-token training loss of the batch, before the update. */
  loss: number;
  /** Gradient norm before clipping (NaN when clipping is off: computing it would cost a pass). */
  gradNorm: number;
  /** Data-parallel only: the target tokens of all ranks' batches, which the loss averaged over. */
  tokens?: number;
  /**
   * Some gradient was not finite (NaN or ±Infinity), so no update was made: `params` and `optState`
   * are then the step's inputs themselves (the same tensors, Adam's step count not advanced), which
   * a caller that frees its old parameters after each step must not free.
   */
  skipped: boolean;
}

/**
 * Whether every gradient is finite, used when there is no clipping (whose global norm says it for
 * free). Summing the values reads each gradient once; summing 0·x, which cannot overflow, cost a
 * copy of every gradient (an extra write and read of them all, each step).
 */
function gradientsFinite(grads: unknown): boolean {
  // One read of each gradient and no copies: a NaN or ±∞ anywhere makes the sum of them all
  // non-finite. A sum of finite gradients overflows only at magnitudes where Adam's squared
  // gradients would overflow too, so skipping that step as well is what it needs.
  return noGrad(() =>
    scope(() => Number.isFinite(item(treeLeaves(grads).map((g) => sum(g)).reduce((a, b) => add(a, b)))))
  );
}

/**
 * One optimizer step on one batch: forward and backward pass in training mode (dropout drawn from
 * `key`), optional gradient clipping, then Adam/AdamW. Returns the new parameters and state with the
 * batch loss; `model.params` and `optState` stay valid unless `config.donate` is set. When a
 * gradient is not finite the step is skipped (`skipped`; see {@linkcode StepResult}).
 *
 * @example
 * ```ts
 * import { adamInit, rng, scope } from "@deno-torch/torch";
 * import { initTransformer, trainStep } from "@deno-torch/torch/nmt";
 * import type { TranslationBatch } from "@deno-torch/torch/nmt";
 * declare const batch: TranslationBatch; // e.g. from makeBatch
 * scope(() => {
 *   const config = { srcVocabSize: 100, tgtVocabSize: 100, srcSeqLen: 32, tgtSeqLen: 32,
 *     dModel: 64, layers: 2, heads: 4, dropout: 0.1, dFF: 128 };
 *   const model = initTransformer(config, rng(0));
 *   const { params, optState, loss } = trainStep(model, adamInit(model.params), batch, rng(1), {
 *     adam: { lr: 1e-3 },
 *     clip: 1,
 *     labelSmoothing: 0.1,
 *     pad: 0,
 *   });
 * });
 * ```
 */
export function trainStep(
  model: Transformer,
  optState: AdamState<TransformerParams>,
  batch: TranslationBatch,
  key: Key,
  config: StepConfig,
): StepResult {
  return scope(() => {
    // Data parallelism: each rank divides its summed loss by the targets of all ranks' batches (one
    // small collective), so that summed across ranks, losses and gradients are the union batch's.
    const tokens = config.dataParallel ? item(allReduceSum({ n: sum(ne(batch.label, config.pad)) }).n) : undefined;
    const forward = (params: TransformerParams) =>
      translationLoss({ ...model, params }, batch, trainMode(key), {
        pad: config.pad,
        labelSmoothing: config.labelSmoothing,
        normalizer: tokens,
      });
    const low = config.autocast;
    const lossOf = low ? (params: TransformerParams) => autocast(low, () => forward(params)) : forward;
    // Data-parallel gradients come back summed across the ranks, their all-reduce overlapped with
    // backward; the losses are summed after (a collective of one number).
    const { value: own, grads } = config.dataParallel
      ? valueAndGradAllReduced(lossOf, { bucketMb: config.bucketMb })(model.params)
      : valueAndGrad(lossOf)(model.params);
    const value = config.dataParallel ? allReduceSum({ own }).own : own;
    const loss = item(value);
    let gradNorm = NaN;
    let used = grads;
    let finite: boolean;
    if (config.clip > 0) {
      // The gradients are this step's own, read by nothing else: scale them where they lie.
      const clipped = clipGradNorm(grads, config.clip, { donate: true });
      used = clipped.grads;
      gradNorm = item(clipped.norm);
      finite = Number.isFinite(gradNorm); // the global norm is non-finite iff some gradient is
    } else {
      finite = gradientsFinite(grads);
    }
    // Non-finite gradients would write NaN into the weights and moments (in place, when donating):
    // the step is skipped instead, and the caller keeps what it gave.
    if (!finite) return { params: model.params, optState, loss, gradNorm, tokens, skipped: true };
    const donate = (config.donate ?? false) && Number.isFinite(loss);
    const next = noGrad(() => adamUpdate(model.params, used, optState, config.adam, { donate }));
    return { params: next.params, optState: next.state, loss, gradNorm, tokens, skipped: false };
  });
}
