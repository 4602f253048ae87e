/**
 * Beam search checked independently on a tiny model: an exhaustive search over every complete
 * output, each scored by the full (non-cached) decoder with teacher forcing and a log-softmax done
 * here in doubles, finds the hypotheses a wide enough beam returns, with the same scores; beam 1 is
 * greedy; and every score any beam returns is the model's, not only the decoder's own bookkeeping.
 *
 * The rule the search follows (nmt/decode/beam.ts): a hypothesis starts with [SOS]; it is complete
 * when it ends in [EOS] (never extended after) or when it holds the length limit of ids without one
 * (the limit is min(maxLen, tgtSeqLen + 1): one id per target position, plus [SOS]). Its length for
 * the penalty counts the ids after [SOS], [EOS] included. Any id may follow [SOS], the specials too.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert/strict";
import { assume, free, memory, noGrad, rng, scope, tensor, unsqueeze, values } from "../mod.ts";
import { initTransformer } from "../nmt/model/init.ts";
import {
  causalMask,
  decode,
  encode,
  evalMode,
  paddingMask,
  project,
  type Transformer,
  type TransformerConfig,
} from "../nmt/model/transformer.ts";
import { beamSearch, type Hypothesis, type LengthPenalty } from "../nmt/decode/beam.ts";
import { greedyDecode } from "../nmt/decode/greedy.ts";
import { padBatch } from "../nmt/data/pad.ts";

// The project's specials: [UNK]=0, [PAD]=1, [SOS]=2, [EOS]=3; ids 4 and 5 are words.
const PAD = 1, SOS = 2, EOS = 3;
const VOCAB = 6;
/** The length limit: tgtSeqLen 4 allows [SOS] + 4 ids, so every maxLen ≥ 5 searches the same outputs. */
const LIMIT = 5;
const config: TransformerConfig = {
  srcVocabSize: 9,
  tgtVocabSize: VOCAB,
  srcSeqLen: 8,
  tgtSeqLen: LIMIT - 1,
  dModel: 16,
  layers: 2,
  heads: 4,
  dropout: 0,
  dFF: 32,
};
/** Two source sentences of different lengths, so that the batch pads one. */
const SOURCES = [[SOS, 4, 7, 8, 5, EOS], [SOS, 6, EOS]];
const PENALTIES: LengthPenalty[] = [
  { kind: "none" },
  { kind: "average" },
  { kind: "gnmt", alpha: 0.6 },
  { kind: "gnmt", alpha: 2 },
];
/** f32 decoding against a double-precision sum of the same model's log-probabilities. */
const TOLERANCE = 1e-5;

function withModel<T>(seed: number, fn: (model: Transformer) => T): T {
  const model = initTransformer(config, rng(seed));
  try {
    return fn(model);
  } finally {
    free([model.params, model.buffers]);
  }
}

/** Every complete hypothesis of at most `limit` ids, as the rule above defines them. */
function completeHypotheses(limit: number): number[][] {
  const complete: number[][] = [];
  let open: number[][] = [[SOS]];
  while (open.length > 0) {
    const longer: number[][] = [];
    for (const prefix of open) {
      if (prefix.length === limit) {
        complete.push(prefix); // cut by the limit without [EOS]
        continue;
      }
      for (let id = 0; id < VOCAB; id++) (id === EOS ? complete : longer).push([...prefix, id]);
    }
    open = longer;
  }
  return complete;
}

/** log-softmax of one row of logits, in doubles. */
function logSoftmaxRow(logits: number[]): number[] {
  const max = Math.max(...logits);
  const logSum = max + Math.log(logits.reduce((sum, x) => sum + Math.exp(x - max), 0));
  return logits.map((x) => x - logSum);
}

/**
 * The model's next-token log-probabilities after every prefix of sequences of one length, by teacher
 * forcing: the full decoder (a causal mask, no cache) over all their ids but the last, projected to
 * logits, as one batch with a copy of the source per row, encoded alone; the log-softmax is done
 * here, in doubles. Row [i][t] is the distribution after the first t + 1 ids of sequence i.
 */
function teacherForcedRows(model: Transformer, source: number[], group: number[][]): number[][][] {
  const length = group[0].length;
  const logits = noGrad(() =>
    scope(() => {
      const src = assume<["batch", "src"]>(
        tensor(group.map(() => source), [group.length, source.length], { dtype: "i64" }),
      );
      const srcMask = paddingMask(src, PAD);
      const inputs = assume<["batch", "tgt"]>(
        tensor(group.map((s) => s.slice(0, -1)), [group.length, length - 1], { dtype: "i64" }),
      );
      const memory = encode(model, src, srcMask, evalMode);
      const mask = unsqueeze(causalMask(length - 1), 0);
      return values(project(model.params, decode(model, memory, srcMask, inputs, mask, evalMode)));
    })
  );
  return group.map((_, row) =>
    Array.from({ length: length - 1 }, (_, t) => {
      const at = (row * (length - 1) + t) * VOCAB;
      return logSoftmaxRow(logits.slice(at, at + VOCAB));
    })
  );
}

/** Each sequence's summed token log-probabilities under teacher forcing, by its ids joined with ",". */
function teacherForcedLogProbs(model: Transformer, source: number[], sequences: number[][]): Map<string, number> {
  const logProbs = new Map<string, number>(sequences.filter((s) => s.length === 1).map((s) => [s.join(","), 0]));
  const byLength = Map.groupBy(sequences.filter((s) => s.length > 1), (s) => s.length);
  byLength.forEach((group) => {
    const rows = teacherForcedRows(model, source, group);
    group.forEach((sequence, i) => {
      const sum = rows[i].reduce((total, row, t) => total + row[sequence[t + 1]], 0);
      logProbs.set(sequence.join(","), sum);
    });
  });
  return logProbs;
}

/** The model's next-token log-probabilities after every prefix without [EOS] shorter than the limit. */
function nextTokenTable(model: Transformer, source: number[]): Map<string, number[]> {
  const cut = completeHypotheses(LIMIT).filter((ids) => ids.length === LIMIT && ids.at(-1) !== EOS);
  const rows = teacherForcedRows(model, source, cut);
  const table = new Map<string, number[]>();
  cut.forEach((ids, i) => rows[i].forEach((row, t) => table.set(ids.slice(0, t + 1).join(","), row)));
  return table;
}

/**
 * Beam search as beam.ts documents it, written plainly over the teacher-forced table: each step ranks
 * every one-token extension of the open hypotheses by summed log-probability and goes down them, an
 * [EOS] one retiring as finished and the others staying open, until `beam` are open or the sentence
 * has `beam` finished (it is done then, and extends nothing more). At the limit every extension is a
 * complete hypothesis, so that last step fills the beam whether or not the sentence gets done on the
 * way. The result: the finished hypotheses and those open at the limit, by score, best first.
 */
function referenceBeam(table: Map<string, number[]>, beam: number, nbest: number, lp: LengthPenalty): Scored[] {
  const finished: Scored[] = [];
  let open = [{ ids: [SOS], logProb: 0 }];
  for (let length = 2; length <= LIMIT && finished.length < beam; length++) {
    const atLimit = length === LIMIT;
    const extensions = open
      .flatMap((h) =>
        table.get(h.ids.join(","))!.map((lpToken, id) => ({ ids: [...h.ids, id], logProb: h.logProb + lpToken }))
      )
      .sort((x, y) => y.logProb - x.logProb);
    const next: typeof open = [];
    for (const h of extensions) {
      if (next.length === beam || (!atLimit && finished.length >= beam)) break;
      if (h.ids.at(-1) === EOS) finished.push({ ...h, score: documentedScore(h.logProb, h.ids, lp) });
      else next.push(h);
    }
    open = next;
  }
  const cut = open.filter((h) => h.ids.length === LIMIT).map((h) => ({
    ...h,
    score: documentedScore(h.logProb, h.ids, lp),
  }));
  return [...finished, ...cut].sort((x, y) => y.score - x.score).slice(0, nbest);
}

/** The length penalty as beam.ts documents it, with length = the ids after [SOS]. */
function documentedScore(logProb: number, ids: number[], lp: LengthPenalty): number {
  const length = ids.length - 1;
  switch (lp.kind) {
    case "none":
      return logProb;
    case "average":
      return logProb / Math.max(1, length);
    case "gnmt":
      return logProb / Math.pow((5 + length) / 6, lp.alpha);
  }
}

interface Scored {
  ids: number[];
  logProb: number;
  score: number;
}

/** All complete hypotheses of one source, best first, scored independently. */
function exhaustive(logProbs: Map<string, number>, lp: LengthPenalty): Scored[] {
  return completeHypotheses(LIMIT)
    .map((ids) => {
      const logProb = logProbs.get(ids.join(","))!;
      return { ids, logProb, score: documentedScore(logProb, ids, lp) };
    })
    .sort((x, y) => y.score - x.score);
}

function search(
  model: Transformer,
  opts: { beam: number; maxLen: number; nbest?: number; lengthPenalty?: LengthPenalty },
) {
  return scope(() => {
    const src = padBatch<"src">(SOURCES, PAD);
    return beamSearch(model, src, paddingMask(src, PAD), { sos: SOS, eos: EOS, ...opts });
  });
}

/** Every returned hypothesis is complete, and its logProb and score are the model's. */
function assertScoresAreTheModels(hyps: Hypothesis[], logProbs: Map<string, number>, lp: LengthPenalty, what: string) {
  const complete = new Set(completeHypotheses(LIMIT).map((ids) => ids.join(",")));
  assert.equal(new Set(hyps.map((h) => h.ids.join(","))).size, hyps.length, `${what}: no hypothesis twice`);
  for (const h of hyps) {
    const key = h.ids.join(",");
    assert.ok(complete.has(key), `${what}: [${key}] is a complete hypothesis`);
    const logProb = logProbs.get(key)!;
    assert.ok(Math.abs(h.logProb - logProb) < TOLERANCE, `${what}: [${key}] logProb ${h.logProb} vs ${logProb}`);
    const score = documentedScore(logProb, h.ids, lp);
    assert.ok(Math.abs(h.score - score) < TOLERANCE, `${what}: [${key}] score ${h.score} vs ${score}`);
  }
  for (let k = 1; k < hyps.length; k++) assert.ok(hyps[k - 1].score >= hyps[k].score, `${what}: best first`);
}

Deno.test("beam search: the exhaustive enumeration holds what the rule counts", () => {
  // [SOS] + k words + [EOS] for k = 0 … 3, and [SOS] + 4 words cut by the limit; 5 ids may be words.
  const hyps = completeHypotheses(LIMIT);
  assert.equal(hyps.length, 1 + 5 + 25 + 125 + 625);
  assert.equal(hyps.filter((h) => h.at(-1) === EOS).length, 156);
  assert.ok(
    hyps.every((h) => h[0] === SOS && h.length <= LIMIT && h.indexOf(EOS) === (h.at(-1) === EOS ? h.length - 1 : -1)),
  );
});

Deno.test("beam search: a beam as wide as every prefix returns the exhaustive search's best hypotheses and scores", () => {
  // (VOCAB − 1)^(LIMIT − 1) = 625 open prefixes at most, and never 625 finished: nothing is pruned.
  const beam = Math.pow(VOCAB - 1, LIMIT - 1);
  const nbest = 50;
  for (const seed of [11, 12]) {
    withModel(seed, (model) => {
      const logProbs = SOURCES.map((source) => teacherForcedLogProbs(model, source, completeHypotheses(LIMIT)));
      const before = memory().tensors;
      for (const lengthPenalty of PENALTIES) {
        // maxLen past the model's target positions searches the same outputs as LIMIT itself.
        for (const maxLen of [LIMIT, 50]) {
          const found = search(model, { beam, maxLen, nbest, lengthPenalty });
          found.forEach((hyps, s) => {
            const what = `seed ${seed}, sentence ${s}, ${JSON.stringify(lengthPenalty)}, maxLen ${maxLen}`;
            const all = exhaustive(logProbs[s], lengthPenalty);
            assert.ok(all[0].score - all[1].score > 10 * TOLERANCE, `${what}: a best hypothesis apart from the rest`);
            assert.deepEqual(hyps[0].ids, all[0].ids, `${what}: the exhaustive best`);
            assert.equal(hyps.length, nbest);
            // Rank by rank the same scores (robust to near-ties swapping two hypotheses).
            hyps.forEach((h, k) =>
              assert.ok(
                Math.abs(h.score - all[k].score) < TOLERANCE,
                `${what}: rank ${k}: ${h.score} vs ${all[k].score}`,
              )
            );
            assertScoresAreTheModels(hyps, logProbs[s], lengthPenalty, what);
          });
        }
      }
      assert.equal(memory().tensors, before, "beam search leaks nothing");
    });
  }
});

Deno.test("beam search: beam 1 is greedy decoding exactly on the tiny model", () => {
  for (const seed of [11, 12, 13, 14]) {
    withModel(seed, (model) => {
      for (const maxLen of [1, 2, 3, LIMIT, 50]) {
        const greedy = scope(() => {
          const src = padBatch<"src">(SOURCES, PAD);
          return greedyDecode(model, src, paddingMask(src, PAD), { maxLen, sos: SOS, eos: EOS });
        });
        for (const lengthPenalty of PENALTIES) {
          const one = search(model, { beam: 1, maxLen, lengthPenalty });
          assert.deepEqual(one.map((h) => h[0].ids), greedy, `seed ${seed}, maxLen ${maxLen}`);
        }
      }
    });
  }
});

Deno.test("beam search: every n-best score of narrow beams is the model's log-probability, penalized as documented", () => {
  for (const seed of [11, 12, 13]) {
    withModel(seed, (model) => {
      const logProbs = SOURCES.map((source) => teacherForcedLogProbs(model, source, completeHypotheses(LIMIT)));
      for (const beam of [2, 3, 5, 8]) {
        for (const lengthPenalty of PENALTIES) {
          const found = search(model, { beam, maxLen: LIMIT, nbest: beam, lengthPenalty });
          found.forEach((hyps, s) =>
            assertScoresAreTheModels(hyps, logProbs[s], lengthPenalty, `seed ${seed}, beam ${beam}, sentence ${s}`)
          );
        }
      }
    });
  }
});

Deno.test("beam search: narrow beams return what the documented rule gives, cut hypotheses at the limit included", () => {
  // Seeds 2, 14 and 21 get a sentence done on the last step while an open hypothesis at the limit
  // scores better than some finished one: it is a complete hypothesis and must compete.
  for (const seed of [2, 11, 14, 21]) {
    withModel(seed, (model) => {
      const tables = SOURCES.map((source) => nextTokenTable(model, source));
      for (const beam of [2, 3, 4, 5]) {
        for (const lengthPenalty of PENALTIES) {
          const found = search(model, { beam, maxLen: LIMIT, nbest: beam, lengthPenalty });
          found.forEach((hyps, s) => {
            const what = `seed ${seed}, beam ${beam}, sentence ${s}, ${JSON.stringify(lengthPenalty)}`;
            const want = referenceBeam(tables[s], beam, beam, lengthPenalty);
            assert.deepEqual(hyps.map((h) => h.ids), want.map((h) => h.ids), what);
            hyps.forEach((h, k) => assert.ok(Math.abs(h.score - want[k].score) < TOLERANCE, `${what}: rank ${k}`));
          });
        }
      }
    });
  }
});
