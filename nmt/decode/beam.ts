/**
 * Beam search with the key/value cache, batched: every sentence keeps `beam` open hypotheses, and
 * all sentences decode together, one `decodeStep` per position for the whole batch. A hypothesis
 * that emits [EOS] is finished: it is kept with its score and no longer extended. Scores are summed
 * log-probabilities, optionally divided by a length penalty when hypotheses are compared. With
 * beam 1 this is greedy decoding exactly.
 *
 * The tensors hold one row per open hypothesis: sentence s's hypotheses sit in rows s·beam …
 * s·beam + beam − 1. The bookkeeping (which hypotheses live, which finished) is plain values.
 */
import { tensor } from "../../lib/create.ts";
import { noGrad } from "../../lib/autograd.ts";
import type { Device } from "../../lib/device.ts";
import { logSoftmax, maxLogSoftmax, topk } from "../../lib/ops/reduce.ts";
import { add } from "../../lib/ops/elementwise.ts";
import { indexSelect, reshape } from "../../lib/ops/shape.ts";
import { free, keep, scope } from "../../lib/scope.ts";
import type { Dim } from "../../lib/shape.ts";
import { assume, type Tensor } from "../../lib/tensor.ts";
import { values } from "../../lib/transfer.ts";
import type * as linear from "../../lib/nn/linear.ts";
import { linearPacking, packLinear, quantizeLinear } from "../../lib/ops/quantized.ts";
import {
  type DecoderContext,
  decoderContext,
  decodeStep,
  emptyCache,
  encode,
  evalMode,
  type SelfCache,
  type Transformer,
} from "../model/transformer.ts";

/** How finished hypotheses of different lengths are compared. */
export type LengthPenalty =
  | { kind: "none" }
  /** log p / ((5 + length) / 6)^alpha (Wu et al., 2016, "GNMT"). */
  | { kind: "gnmt"; alpha: number }
  /** log p / length: the average log-probability per token. */
  | { kind: "average" };

export interface BeamOptions {
  beam: number;
  /** Most ids per hypothesis, [SOS] and [EOS] included. */
  maxLen: number;
  sos: number;
  eos: number;
  lengthPenalty?: LengthPenalty;
  /** Hypotheses returned per sentence (≤ beam). */
  nbest?: number;
  /**
   * The target ids scored, ascending (a shortlist's, `shortlistFor`); default the whole vocabulary.
   * Log-probabilities are then normalized over these ids.
   */
  vocabulary?: readonly number[];
}

export interface Hypothesis {
  /** [SOS] … [EOS] (no [EOS] when maxLen cut it). */
  ids: number[];
  /** Sum of the token log-probabilities. */
  logProb: number;
  /** The score hypotheses are ranked by (logProb after the length penalty). */
  score: number;
}

export function penalized(logProb: number, length: number, lp: LengthPenalty): number {
  switch (lp.kind) {
    case "none":
      return logProb;
    case "average":
      return logProb / Math.max(1, length);
    case "gnmt":
      return logProb / Math.pow((5 + length) / 6, lp.alpha);
  }
}

/** A hypothesis still being extended. */
interface Open {
  ids: number[];
  /** Sum of the token log-probabilities; -Infinity for a dead row that only keeps the batch full. */
  logProb: number;
  /** The place (0 … beam − 1) in its sentence's previous beam of the hypothesis it extends. */
  parent: number;
}

/** One sentence's search between two steps. */
interface SentenceBeam {
  /** Exactly `beam` hypotheses, one per batch row of the sentence, best first; dead ones last. */
  open: Open[];
  /** Hypotheses that emitted [EOS], in the order they were found. */
  finished: Hypothesis[];
}

/** A one-token extension of an open hypothesis, as the model scores it. */
interface Candidate {
  /** The place of the extended hypothesis in its sentence's beam. */
  parent: number;
  token: number;
  /** The parent's logProb plus the token's. */
  logProb: number;
}

interface Settings {
  beam: number;
  eos: number;
  lengthPenalty: LengthPenalty;
}

/** The `nbest` best hypotheses of each sentence, best first. */
export function beamSearch(
  model: Transformer,
  src: Tensor<["batch", "src"]>,
  srcMask: Tensor,
  opts: BeamOptions,
): Hypothesis[][] {
  const { beam, maxLen, sos, eos } = opts;
  const settings: Settings = { beam, eos, lengthPenalty: opts.lengthPenalty ?? { kind: "none" } };
  const nbest = opts.nbest ?? 1;
  if (!Number.isInteger(beam) || beam < 1) {
    throw new RangeError(`beamSearch: beam must be a positive integer, got ${beam}`);
  }
  if (!Number.isInteger(nbest) || nbest < 1 || nbest > beam) {
    throw new RangeError(`beamSearch: nbest must be in [1, ${beam}], got ${nbest}`);
  }
  const limit = Math.min(maxLen, model.config.tgtSeqLen + 1);

  return noGrad(() =>
    scope(() => {
      // The context and cache of the rows still decoded: kept out of the scopes of the steps, and so
      // freed here (the first context is this scope's).
      const first = beamContext(model, src, srcMask, beam);
      const output = opts.vocabulary && shortlistProjection(model, opts.vocabulary, src.device);
      let ctx = first;
      let cache: SelfCache = emptyCache(model);
      const sentences = Array.from({ length: src.shape[0] }, () => startBeam(sos, beam));
      // The sentences still being decoded, in the order of their rows: a sentence that is done leaves
      // the batch (its rows of the context and the cache too), so no step computes rows nobody reads,
      // the output projection over the whole vocabulary above all (CTranslate2's batch reordering).
      let active = sentences.map((_, i) => i);
      try {
        for (let position = 0; position + 1 < limit && active.length > 0; position++) {
          // One decoder step for all open hypotheses of the active sentences; then each picks its next beam.
          const current = active.map((i) => sentences[i]);
          const step = expand(model, ctx, cache, current, beam, position, src.device, output);
          const atLimit = position + 2 === limit; // this step's hypotheses hold `limit` ids
          const advanced = current.map((s, j) => advance(s, step.candidates[j], settings, atLimit));
          advanced.forEach((s, j) => sentences[active[j]] = s);
          const staying = advanced.flatMap((s, j) => isDone(s.finished, beam) ? [] : [j]);
          const followed = keep(scope(() => followParents(step.cache, advanced, staying, beam, src.device)));
          free([cache, step.cache]);
          cache = followed;
          if (staying.length < current.length) {
            const shrunk = keep(scope(() => contextRows(ctx, staying, beam, src.device)));
            if (ctx !== first) free([ctx.srcMask, ctx.cross]);
            ctx = shrunk;
          }
          active = staying.map((j) => active[j]);
        }
      } finally {
        free(cache);
        if (ctx !== first) free([ctx.srcMask, ctx.cross]);
      }
      return sentences.map((s) => best(s, nbest, settings, limit));
    })
  );
}

/** The decoder's context with every sentence's encoder output repeated once per beam row. */
function beamContext(model: Transformer, src: Tensor<["batch", "src"]>, srcMask: Tensor, beam: number): DecoderContext {
  const repeated = rowIndex(
    Array.from({ length: src.shape[0] * beam }, (_, row) => Math.floor(row / beam)),
    src.device,
  );
  const memory = indexSelect(encode(model, src, srcMask, evalMode), 0, repeated);
  return decoderContext(model, assume(memory), indexSelect(srcMask, 0, repeated));
}

/** The output projection's rows of the `vocabulary` ids, and the ids, for a step to score with. */
interface ShortlistProjection {
  layer: linear.Linear;
  ids: readonly number[];
}

function shortlistProjection(model: Transformer, ids: readonly number[], device: Device): ShortlistProjection {
  const { weight, bias } = model.params.projection_layer.proj;
  const vocab = model.config.tgtVocabSize;
  if (ids.length === 0 || ids.some((id, i) => !Number.isInteger(id) || id < 0 || id >= vocab || id <= ids[i - 1])) {
    throw new RangeError(`beamSearch: vocabulary must be ascending distinct ids in [0, ${vocab})`);
  }
  if (weight.dtype === "i8") {
    throw new RangeError(
      "beamSearch: a vocabulary needs the f32 output projection (quantizeModel with projection: false)",
    );
  }
  const rows = rowIndex([...ids], device);
  const selected = indexSelect(weight, 0, rows);
  return { layer: { weight: packedLike(model, selected), bias: bias && indexSelect(bias, 0, rows) }, ids };
}

/**
 * The shortlist's rows packed as the model's other linear weights are (its first feed-forward layer
 * stands for them): int8 when the model runs int8 (per-row scales, so each row is what quantizing the
 * whole projection gives it), packed f32 when they are packed f32, plain otherwise. Unpacked rows
 * would be packed again by OpenBLAS at every step.
 */
function packedLike<Out extends Dim, In extends Dim>(model: Transformer, rows: Tensor<[Out, In]>): Tensor<[Out, In]> {
  const stand = model.params.decoder.layers[0]?.feed_forward_block.linear_1.weight;
  const packing = stand ? linearPacking(stand) : null;
  return packing === "int8" ? quantizeLinear(rows) : packing === "f32" ? packLinear(rows) : rows;
}

/** At the start all rows of a sentence hold the same [SOS]; only the first may expand. */
function startBeam(sos: number, beam: number): SentenceBeam {
  const open = Array.from({ length: beam }, (_, k) => ({ ids: [sos], logProb: k === 0 ? 0 : -Infinity, parent: k }));
  return { open, finished: [] };
}

/** A sentence is done when it has found `beam` finished hypotheses. */
function isDone(finished: Hypothesis[], beam: number): boolean {
  return finished.length >= beam;
}

/**
 * Feeds the last token of every open hypothesis of every sentence through one decoder step, and
 * ranks each sentence's one-token extensions over all its hypotheses: the best 2·beam of them, so
 * that `beam` stay open even when `beam` of them end in [EOS].
 */
function expand(
  model: Transformer,
  ctx: DecoderContext,
  cache: SelfCache,
  sentences: SentenceBeam[],
  beam: number,
  position: number,
  device: Device,
  output?: ShortlistProjection,
): { cache: SelfCache; candidates: Candidate[][] } {
  const open = sentences.flatMap((s) => s.open);
  const step = scope(() => {
    const tokens = tensor(open.map((h) => h.ids[h.ids.length - 1]), [open.length, 1], { dtype: "i64", device });
    const { logits, cache: next } = decodeStep(model, ctx, cache, assume(tokens), position, output?.layer);
    const vocab = logits.shape[1];
    const cumulative = tensor(open.map((h) => h.logProb), [open.length, 1], { device, dtype: logits.dtype });
    const best = beam === 1
      ? firstBest(logits, cumulative)
      : bestExtensions(logits, cumulative, sentences.length, beam);
    return { cache: next, vocab, logProbs: values(best.values), flat: values(best.indices) };
  });
  const width = step.logProbs.length / sentences.length;
  const candidates = sentences.map((_, i) =>
    Array.from({ length: width }, (_, c): Candidate => {
      const at = i * width + c;
      const flat = step.flat[at];
      const token = flat % step.vocab;
      return {
        parent: Math.floor(flat / step.vocab),
        token: output ? output.ids[token] : token,
        logProb: step.logProbs[at],
      };
    })
  );
  return { cache: step.cache, candidates };
}

/**
 * Each sentence's best 2·beam extensions over all its hypotheses: the scores [sentences × beam,
 * vocab] laid side by side, one row per sentence (hypothesis k's extensions at k·vocab + token).
 */
function bestExtensions(logits: Tensor, cumulative: Tensor, sentences: number, beam: number) {
  const vocab = logits.shape[1];
  const perSentence = reshape(add(logSoftmax(logits, -1), cumulative), [sentences, beam * vocab]);
  return topk(perSentence, Math.min(2 * beam, beam * vocab), -1);
}

/**
 * Greedy's one candidate per row: the first of the most likely tokens (argmax, as PyTorch's greedy
 * decoders take it) and its log-probability (`maxLogSoftmax`: two passes over the row, and no row of
 * log-probabilities over the whole vocabulary written). A beam of 1 never reads a second
 * candidate: a best that is [EOS] finishes the sentence, one that is not fills its beam, and at the
 * length limit the second, one token as long and less likely, cannot outrank the first.
 */
function firstBest(logits: Tensor<[Dim, Dim]>, cumulative: Tensor): { values: Tensor; indices: Tensor } {
  const { values, indices } = maxLogSoftmax(logits);
  return { values: add(values, cumulative), indices };
}

/**
 * The sentence's next beam: going down its candidates, best first, those ending in [EOS] retire as
 * finished and the others stay open, until `beam` are open, the sentence is done, or only extensions
 * of dead rows are left. A sentence done before this step extends nothing. At the length limit every
 * candidate is a complete hypothesis, so that step fills the beam even when the sentence gets done
 * on the way: an open hypothesis there may score better than the finished ones.
 */
function advance(
  s: SentenceBeam,
  candidates: Candidate[],
  { beam, eos, lengthPenalty }: Settings,
  atLimit: boolean,
): SentenceBeam {
  const finished = [...s.finished];
  const open: Open[] = [];
  const stops = (found: Hypothesis[]) => isDone(s.finished, beam) || (!atLimit && isDone(found, beam));
  for (const { parent, token, logProb } of candidates) {
    if (open.length === beam || stops(finished) || logProb === -Infinity) break;
    const ids = [...s.open[parent].ids, token];
    if (token === eos) finished.push(scored(ids, logProb, lengthPenalty));
    else open.push({ ids, logProb, parent });
  }
  // Rows of done sentences (or short of candidates) keep decoding harmless dead copies.
  while (open.length < beam) open.push({ ids: [...s.open[0].ids, eos], logProb: -Infinity, parent: 0 });
  return { open, finished };
}

/**
 * The self-attention cache of the sentences `staying` (their places among `sentences`), reordered so
 * that each row holds the prefix of the hypothesis now there.
 */
function followParents(
  cache: SelfCache,
  sentences: SentenceBeam[],
  staying: number[],
  beam: number,
  device: Device,
): SelfCache {
  const parents = rowIndex(staying.flatMap((j) => sentences[j].open.map((h) => j * beam + h.parent)), device);
  return cache.map((c) => c && { k: indexSelect(c.k, 0, parents), v: indexSelect(c.v, 0, parents) });
}

/** The decoder context's rows of the sentences `staying` (their places in the current batch). */
function contextRows(ctx: DecoderContext, staying: number[], beam: number, device: Device): DecoderContext {
  const rows = rowIndex(staying.flatMap((j) => Array.from({ length: beam }, (_, k) => j * beam + k)), device);
  return {
    srcMask: indexSelect(ctx.srcMask, 0, rows),
    cross: ctx.cross.map((kv) => ({ k: indexSelect(kv.k, 0, rows), v: indexSelect(kv.v, 0, rows) })),
  };
}

/** Batch rows as an index for `indexSelect` along the first dimension. */
function rowIndex(rows: number[], device: Device): Tensor<[number]> {
  return assume(tensor(rows, [rows.length], { dtype: "i64", device }));
}

/** A hypothesis with its ranking score; its length counts the tokens after [SOS]. */
function scored(ids: number[], logProb: number, lengthPenalty: LengthPenalty): Hypothesis {
  return { ids, logProb, score: penalized(logProb, ids.length - 1, lengthPenalty) };
}

/**
 * The best `nbest` of a sentence's hypotheses: finished ones, and those still open at the length limit
 * (`limit` ids), done or not; open ones of a sentence done before the limit are not complete.
 */
function best(s: SentenceBeam, nbest: number, { lengthPenalty }: Settings, limit: number): Hypothesis[] {
  const open = s.open
    .filter((h) => h.logProb > -Infinity && h.ids.length === limit)
    .map((h) => scored(h.ids, h.logProb, lengthPenalty));
  return [...s.finished, ...open].sort((x, y) => y.score - x.score).slice(0, nbest);
}
