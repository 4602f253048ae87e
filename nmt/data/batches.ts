/**
 * Length-bucketed batches under a token budget, in the seed's layout:
 *   encoder input  [SOS] src [EOS] [PAD]...
 *   decoder input  [SOS] tgt [PAD]...
 *   label          tgt [EOS] [PAD]...
 * Examples of similar lengths share a batch, so padding reaches only the longest sequence of each
 * batch. The order of an epoch is a pure function of (seed, epoch): resuming at batch `position`
 * of `epochPlan(..., seed, epoch)` replays the rest of the epoch exactly.
 */
import { padBatch } from "./pad.ts";
import { deriveSeed, Prng } from "./prng.ts";
import type { Example } from "./examples.ts";
import type { TranslationBatch } from "../model/loss.ts";
import { decoderMask, paddingMask } from "../model/transformer.ts";
import type { Device } from "../../lib/device.ts";
import type { SpecialIds } from "../tokenize/tokenizer.ts";

/** Settings for {@link epochPlan}: the batch size limit and what makes the order reproducible. */
export interface PlanOptions {
  /** Most padded tokens per batch: batch size × the longest padded sequence (either side). */
  maxTokens: number;
  /** The run's seed; together with `epoch` it fixes the shuffles. */
  seed: number;
  /** The epoch number; each epoch gets its own order from the same seed. */
  epoch: number;
}

const srcLen = (e: Example) => e.src.length + 2;
const tgtLen = (e: Example) => e.tgt.length + 1;

/**
 * The batches of one epoch as lists of example indices. Ties in length are broken by a seeded
 * shuffle and the batch order is shuffled, both from (seed, epoch). Each batch holds as many
 * examples as fit in `maxTokens` padded tokens (at least one, even if that one alone is over).
 *
 * @throws {RangeError} If `maxTokens` is not a positive integer.
 *
 * @example
 * ```ts
 * import { epochPlan, syntheticCorpus, tokenizePairs, trainWordLevel } from "@deno-torch/torch/nmt";
 * const pairs = syntheticCorpus(1000, 1);
 * const srcTok = await trainWordLevel(pairs.map((p) => p.src));
 * const tgtTok = await trainWordLevel(pairs.map((p) => p.tgt));
 * const { examples } = await tokenizePairs(pairs, srcTok, tgtTok, { srcSeqLen: 64, tgtSeqLen: 64 });
 * for (const indices of epochPlan(examples, { maxTokens: 4096, seed: 1, epoch: 0 })) {
 *   // one batch: examples[i] for i of indices
 * }
 * ```
 */
export function epochPlan(examples: readonly Example[], { maxTokens, seed, epoch }: PlanOptions): number[][] {
  if (!Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new RangeError(`maxTokens must be a positive integer, got ${maxTokens}`);
  }
  const rng = new Prng(deriveSeed(seed, epoch));
  const order = rng.shuffle(examples.map((_, i) => i));
  order.sort((a, b) => srcLen(examples[a]) - srcLen(examples[b]) || tgtLen(examples[a]) - tgtLen(examples[b]));
  const batches: number[][] = [];
  let current: number[] = [];
  let longest = 0;
  for (const i of order) {
    const len = Math.max(srcLen(examples[i]), tgtLen(examples[i]));
    const grown = Math.max(longest, len);
    if (current.length > 0 && (current.length + 1) * grown > maxTokens) {
      batches.push(current);
      current = [];
      longest = 0;
    }
    current.push(i);
    longest = Math.max(longest, len);
  }
  if (current.length > 0) batches.push(current);
  return rng.shuffle(batches);
}

/** How much of a batch plan is real tokens rather than padding, as {@link paddingReport} returns it. */
export interface PaddingReport {
  /** Real tokens (specials included) over padded positions, both sides. */
  efficiency: number;
  /** Token positions holding real tokens ([SOS]/[EOS] included), both sides summed. */
  realTokens: number;
  /** Token positions after padding each batch to its longest sequence, both sides summed. */
  paddedTokens: number;
  /** Batches in the plan. */
  batches: number;
}

/**
 * Measures the padding a batch plan costs: real tokens against padded positions over all batches,
 * counting the [SOS]/[EOS] the batches add. An empty plan reports an efficiency of 1.
 *
 * @example
 * ```ts
 * import { epochPlan, paddingReport } from "@deno-torch/torch/nmt";
 * const examples = [{ src: [5, 6], tgt: [7] }, { src: [5, 6, 8, 9], tgt: [7, 10] }];
 * const plan = epochPlan(examples, { maxTokens: 64, seed: 0, epoch: 0 });
 * paddingReport(examples, plan).efficiency; // 15 / 18 ≈ 0.83
 * ```
 */
export function paddingReport(examples: readonly Example[], plan: readonly number[][]): PaddingReport {
  let real = 0, padded = 0;
  for (const batch of plan) {
    let maxSrc = 0, maxTgt = 0;
    for (const i of batch) {
      const e = examples[i];
      real += srcLen(e) + tgtLen(e);
      maxSrc = Math.max(maxSrc, srcLen(e));
      maxTgt = Math.max(maxTgt, tgtLen(e));
    }
    padded += batch.length * (maxSrc + maxTgt);
  }
  return { efficiency: padded === 0 ? 1 : real / padded, realTokens: real, paddedTokens: padded, batches: plan.length };
}

/** The tensors of one batch (created in the current scope). */
export function makeBatch(
  examples: readonly Example[],
  indices: readonly number[],
  special: SpecialIds,
  device?: Device,
): TranslationBatch {
  const rows = indices.map((i) => examples[i]);
  const { sos, eos, pad } = special;
  const src = padBatch<"src">(rows.map((e) => [sos, ...e.src, eos]), pad, undefined, { device });
  const tgt = padBatch<"tgt">(rows.map((e) => [sos, ...e.tgt]), pad, undefined, { device });
  const label = padBatch<"tgt">(rows.map((e) => [...e.tgt, eos]), pad, undefined, { device });
  return { src, tgt, label, srcMask: paddingMask(src, pad), tgtMask: decoderMask(tgt, pad) };
}

/** Target tokens a batch trains on (its non-padding labels): the unit of tokens/s. */
export function labelTokens(examples: readonly Example[], indices: readonly number[]): number {
  let n = 0;
  for (const i of indices) n += tgtLen(examples[i]);
  return n;
}
