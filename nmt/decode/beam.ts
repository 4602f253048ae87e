/**
 * Beam search with the key/value cache, batched: every sentence keeps `beam` live hypotheses, all
 * decoded together as batch × beam rows. A hypothesis that emits [EOS] is finished: it is kept
 * with its score and no longer extended. Scores are summed log-probabilities, optionally divided by
 * a length penalty when hypotheses are compared. With beam 1 this is greedy decoding exactly.
 */
import { tensor } from "../../lib/create.ts";
import { noGrad } from "../../lib/autograd.ts";
import { logSoftmax, topk } from "../../lib/ops/reduce.ts";
import { add } from "../../lib/ops/elementwise.ts";
import { indexSelect, reshape } from "../../lib/ops/shape.ts";
import { free, keep, scope } from "../../lib/scope.ts";
import { assume, type Tensor } from "../../lib/tensor.ts";
import { values } from "../../lib/transfer.ts";
import {
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
}

export interface Hypothesis {
  /** [SOS] … [EOS] (no [EOS] when maxLen cut it). */
  ids: number[];
  /** Sum of the token log-probabilities. */
  logProb: number;
  /** The score hypotheses are ranked by (logProb after the length penalty). */
  score: number;
}

/**
 * A length penalty from its command-line spelling: none, average or gnmt:ALPHA. Left out, beam
 * search gets gnmt:0.6 (GNMT's value) and greedy none. Throws a RangeError naming the bad value.
 */
export function parseLengthPenalty(value: string | undefined, beam: number): LengthPenalty {
  if (value === undefined) return beam > 1 ? { kind: "gnmt", alpha: 0.6 } : { kind: "none" };
  if (value === "none" || value === "average") return { kind: value };
  const m = /^gnmt:(\d+(?:\.\d+)?)$/.exec(value);
  if (!m) throw new RangeError(`--length-penalty must be none, average or gnmt:ALPHA, got ${JSON.stringify(value)}`);
  return { kind: "gnmt", alpha: Number(m[1]) };
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

interface Live {
  ids: number[];
  logProb: number;
}

/** The `nbest` best hypotheses of each sentence, best first. */
export function beamSearch(
  model: Transformer,
  src: Tensor<["batch", "src"]>,
  srcMask: Tensor,
  opts: BeamOptions,
): Hypothesis[][] {
  const { beam: K, maxLen, sos, eos } = opts;
  const lp = opts.lengthPenalty ?? { kind: "none" };
  const nbest = opts.nbest ?? 1;
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`beamSearch: beam must be a positive integer, got ${K}`);
  if (!Number.isInteger(nbest) || nbest < 1 || nbest > K) {
    throw new RangeError(`beamSearch: nbest must be in [1, ${K}], got ${nbest}`);
  }
  const limit = Math.min(maxLen, model.config.tgtSeqLen + 1);
  const B = src.shape[0];
  const V = model.config.tgtVocabSize;
  const device = src.device;

  return noGrad(() =>
    scope(() => {
      // Every sentence's encoder output repeated once per beam row: row b*K + k.
      const rows = tensor(Array.from({ length: B * K }, (_, r) => Math.floor(r / K)), [B * K], {
        dtype: "i64",
        device,
      });
      const memory = indexSelect(encode(model, src, srcMask, evalMode), 0, assume<[number]>(rows));
      const mask = indexSelect(srcMask, 0, assume<[number]>(rows));
      const ctx = decoderContext(model, assume(memory), mask);
      let cache: SelfCache = emptyCache(model);
      // At the start all K rows of a sentence are the same [SOS]; only row 0 may expand.
      let live: Live[][] = Array.from(
        { length: B },
        () => Array.from({ length: K }, (_, k) => ({ ids: [sos], logProb: k === 0 ? 0 : -Infinity })),
      );
      const finished: Hypothesis[][] = Array.from({ length: B }, () => []);
      const done = new Array<boolean>(B).fill(false);

      for (let position = 0; position + 1 < limit && done.includes(false); position++) {
        const tokens = live.flatMap((hyps) => hyps.map((h) => h.ids[h.ids.length - 1]));
        const cumulative = live.flatMap((hyps) => hyps.map((h) => h.logProb));
        const step = scope(() => {
          const { logits, cache: next } = decodeStep(
            model,
            ctx,
            cache,
            assume(tensor(tokens, [B * K, 1], { dtype: "i64", device })),
            position,
          );
          const scores = add(logSoftmax(logits, -1), tensor(cumulative, [B * K, 1], { device, dtype: logits.dtype })); // [B*K, V]
          const best = topk(reshape(scores, [B, K * V]), Math.min(2 * K, K * V), -1);
          return { cache: next, values: values(best.values), indices: values(best.indices) };
        });
        const width = step.values.length / B;
        const nextLive: Live[][] = [];
        const parents: number[] = [];
        for (let b = 0; b < B; b++) {
          const chosen: Live[] = [];
          for (let c = 0; c < width && !done[b] && chosen.length < K; c++) {
            const logProb = step.values[b * width + c];
            if (logProb === -Infinity) break;
            const flat = step.indices[b * width + c];
            const parent = Math.floor(flat / V), token = flat % V;
            const ids = [...live[b][parent].ids, token];
            if (token === eos) {
              finished[b].push({ ids, logProb, score: penalized(logProb, ids.length - 1, lp) });
              if (finished[b].length >= K) done[b] = true;
            } else {
              chosen.push({ ids, logProb });
              parents.push(b * K + parent);
            }
          }
          // Rows of finished sentences (or short of candidates) keep decoding harmless copies.
          while (chosen.length < K) {
            chosen.push({ ids: [...live[b][0].ids, eos], logProb: -Infinity });
            parents.push(b * K);
          }
          nextLive.push(chosen);
        }
        const order = tensor(parents, [B * K], { dtype: "i64", device });
        const reordered = step.cache.map((c) =>
          c && { k: indexSelect(c.k, 0, assume<[number]>(order)), v: indexSelect(c.v, 0, assume<[number]>(order)) }
        );
        free([cache, step.cache, order]);
        cache = keep(reordered) as SelfCache;
        live = nextLive;
      }
      free(cache);
      // Hypotheses still open at the length limit compete with the finished ones.
      return finished.map((f, b) => {
        const open = done[b] ? [] : live[b].filter((h) => h.logProb > -Infinity)
          .map((h) => ({ ids: h.ids, logProb: h.logProb, score: penalized(h.logProb, h.ids.length - 1, lp) }));
        return [...f, ...open].sort((x, y) => y.score - x.score).slice(0, nbest);
      });
    })
  );
}
