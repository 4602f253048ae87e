/** The training objective: label-smoothed cross entropy of the next target token, padding ignored. */
import { crossEntropy } from "../../lib/ops/nn.ts";
import { div } from "../../lib/ops/elementwise.ts";
import { reshape } from "../../lib/ops/shape.ts";
import { scope } from "../../lib/scope.ts";
import type { Tensor } from "../../lib/tensor.ts";
import { decode, encode, type Mode, project, type Transformer } from "./transformer.ts";

/** One batch in the seed's layout (see nmt/data/batches.ts): ids are i64, masks bool (true = attend). */
export interface TranslationBatch {
  /** [SOS] source [EOS] [PAD]... */
  src: Tensor<["batch", "src"]>;
  /** [SOS] target [PAD]... (decoder input) */
  tgt: Tensor<["batch", "tgt"]>;
  /** target [EOS] [PAD]... (what the decoder should predict) */
  label: Tensor<["batch", "tgt"]>;
  /** [batch, 1, 1, src] */
  srcMask: Tensor;
  /** [batch, 1, tgt, tgt] */
  tgtMask: Tensor;
}

/** Options for `translationLoss`. */
export interface LossOptions {
  /** Label id that adds nothing to the loss ([PAD]). */
  pad: number;
  /** Share ε of each target's probability spread evenly over the vocabulary; default 0.1, as in the seed. */
  labelSmoothing?: number;
  /**
   * Divide the summed token losses by this count instead of taking the mean over this batch's
   * targets. Data-parallel training passes the target count of all ranks' batches, so that the
   * ranks' gradients add up to the gradient of the mean over their union.
   */
  normalizer?: number;
}

/**
 * Mean label-smoothed cross entropy over the non-padding labels of the batch. It runs in its own scope,
 * so that only the loss outlives it: the logits (the step's largest tensor) are freed as soon as the
 * cross entropy has its log-probabilities, as in PyTorch, where nothing else refers to them.
 */
export function translationLoss(
  model: Transformer,
  batch: TranslationBatch,
  mode: Mode,
  opts: LossOptions,
): Tensor<[]> {
  return scope(() => {
    const memory = encode(model, batch.src, batch.srcMask, mode);
    const out = decode(model, memory, batch.srcMask, batch.tgt, batch.tgtMask, mode);
    const logits = project(model.params, out); // [batch, tgt, tgt_vocab]
    const vocab = model.config.tgtVocabSize;
    const flatLogits = reshape<["tokens", "tgt_vocab"]>(logits, [-1, vocab]);
    const flatLabels = reshape<["tokens"]>(batch.label, [-1]);
    const ce = { ignoreIndex: opts.pad, labelSmoothing: opts.labelSmoothing ?? 0.1 };
    if (opts.normalizer === undefined) return crossEntropy(flatLogits, flatLabels, ce);
    return div(crossEntropy(flatLogits, flatLabels, { ...ce, reduction: "sum" }), opts.normalizer);
  });
}
