/** Validation during training: loss over a whole splitKey, and greedy translations of some of it. */
import { noGrad } from "../../lib/autograd.ts";
import { scope } from "../../lib/scope.ts";
import { item } from "../../lib/transfer.ts";
import type { Example } from "../data/examples.ts";
import { epochPlan, labelTokens, makeBatch } from "../data/batches.ts";
import { translationLoss } from "../model/loss.ts";
import { evalMode, paddingMask, type Transformer } from "../model/transformer.ts";
import { greedyDecode } from "../decode/greedy.ts";
import { padBatch } from "../data/pad.ts";
import type { SpecialIds } from "../tokenize/tokenizer.ts";
import type { Device } from "../../lib/device.ts";

/**
 * Mean per-token loss (label-smoothed, as in training) over every example, in eval mode; NaN for
 * no examples. Batches hold at most `opts.maxTokens` padded tokens.
 *
 * @example
 * ```ts
 * import { type Example, type SpecialIds, type Transformer, validationLoss } from "@deno-torch/torch/nmt";
 * declare const model: Transformer, valid: Example[], special: SpecialIds;
 * const loss = validationLoss(model, valid, special, { maxTokens: 1500, labelSmoothing: 0.1 });
 * ```
 */
export function validationLoss(
  model: Transformer,
  examples: readonly Example[],
  special: SpecialIds,
  opts: { maxTokens: number; labelSmoothing: number; device?: Device },
): number {
  if (examples.length === 0) return NaN;
  let total = 0, tokens = 0;
  for (const batch of epochPlan(examples, { maxTokens: opts.maxTokens, seed: 0, epoch: 0 })) {
    const n = labelTokens(examples, batch);
    const loss = noGrad(() =>
      scope(() =>
        item(translationLoss(model, makeBatch(examples, batch, special, opts.device), evalMode, {
          pad: special.pad,
          labelSmoothing: opts.labelSmoothing,
        }))
      )
    );
    total += loss * n;
    tokens += n;
  }
  return total / tokens;
}

/**
 * Greedy output ids (without [SOS]/[EOS]) for each example's source, decoded `batchSize` (default
 * 64) at a time up to `maxLen` tokens (default: the model's target length).
 *
 * @example
 * ```ts
 * import { exactMatch, type Example, greedyOutputs, type SpecialIds, type Transformer } from "@deno-torch/torch/nmt";
 * declare const model: Transformer, valid: Example[], special: SpecialIds;
 * const accuracy = exactMatch(greedyOutputs(model, valid, special), valid);
 * ```
 */
export function greedyOutputs(
  model: Transformer,
  examples: readonly Example[],
  special: SpecialIds,
  opts: { batchSize?: number; maxLen?: number; device?: Device } = {},
): number[][] {
  const out: number[][] = [];
  const batchSize = opts.batchSize ?? 64;
  for (let start = 0; start < examples.length; start += batchSize) {
    const chunk = examples.slice(start, start + batchSize);
    const decoded = scope(() => {
      const src = padBatch<"src">(chunk.map((e) => [special.sos, ...e.src, special.eos]), special.pad, undefined, {
        device: opts.device,
      });
      return greedyDecode(model, src, paddingMask(src, special.pad), {
        maxLen: opts.maxLen ?? model.config.tgtSeqLen,
        sos: special.sos,
        eos: special.eos,
      });
    });
    for (const ids of decoded) out.push(ids.filter((id) => id !== special.sos && id !== special.eos));
  }
  return out;
}

/**
 * Share of examples (0 to 1) whose output ids equal the reference target exactly; NaN for no
 * examples. `outputs[i]` is the output for `examples[i]`.
 *
 * @example
 * ```ts
 * import { exactMatch } from "@deno-torch/torch/nmt";
 * exactMatch([[5, 6], [7]], [{ src: [1], tgt: [5, 6] }, { src: [2], tgt: [8] }]); // 0.5
 * ```
 */
export function exactMatch(outputs: readonly number[][], examples: readonly Example[]): number {
  let hits = 0;
  outputs.forEach((ids, i) => {
    const want = examples[i].tgt;
    if (ids.length === want.length && ids.every((id, j) => id === want[j])) hits++;
  });
  return examples.length === 0 ? NaN : hits / examples.length;
}
