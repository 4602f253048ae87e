/**
 * Epoch throughput with the seed preset (d_model 512, 6+6 layers, 8 heads, d_ff 2048) on Tatoeba:
 * real target tokens per second of our pipeline (word-level vocabularies, length-bucketed batches
 * under --max-tokens 4000) against the seed's (every sequence padded to 350, batch 8), which the
 * reference's bench-train reproduces with --src-len 350 --tgt-len 350. The seed's real tokens per
 * step are 8 × the corpus's mean target length; ours are counted batch by batch.
 * Target: ≥ 30× the seed's real target tokens per second.
 */
import { threads } from "../../mod.ts";
import { TATOEBA_PATH } from "./data.ts";
import { referenceBenchTrain, referenceMissing, skipped } from "./reference.ts";
import { ourTrainRun, SIZES, toArgs } from "./train_step.ts";
import type { MacroContext, MacroGroup, MacroOutcome } from "./types.ts";

const TARGET = 30;
const SEED_LEN = 350, SEED_BATCH = 8, MAX_TOKENS = 4000;
const TARGET_TEXT = `epoch throughput, seed preset on Tatoeba: ≥ ${TARGET}× the seed pipeline's real target tokens/s`;

function measure(ctx: MacroContext): MacroOutcome {
  const missing = referenceMissing() ??
    (() => {
      try {
        Deno.statSync(TATOEBA_PATH);
        return null;
      } catch {
        return `no corpus at ${TATOEBA_PATH}`;
      }
    })();
  if (missing !== null) return skipped(TARGET_TEXT, missing);
  const n = threads();
  const { batch: _b, "src-len": _s, "tgt-len": _t, vocab: _v, ...model } = SIZES[0].flags;
  const modelArgs = toArgs(model);
  const len = ["--src-len", String(SEED_LEN), "--tgt-len", String(SEED_LEN)];
  ctx.log(`  ours: ${ctx.quick ? 3 : 8} bucketed batches of Tatoeba (about a minute to tokenize first)`);
  const ours = ourTrainRun([
    ...modelArgs,
    ...len,
    ...["--data", TATOEBA_PATH, "--max-tokens", String(MAX_TOKENS), "--threads", String(n)],
    ...["--steps", String(ctx.quick ? 3 : 8), "--warmup", "1"],
  ]);
  ctx.log(`  seed pipeline: batch ${SEED_BATCH} padded to ${SEED_LEN} (about 20 s a step)`);
  const seed = referenceBenchTrain([
    ...modelArgs,
    ...len,
    ...["--batch", String(SEED_BATCH), "--vocab", String(ours.tgt_vocab), "--threads", String(n)],
    ...["--steps", ctx.quick ? "1" : "2", "--warmup", "1"],
  ]);
  const oursRate = ours.real_target_tokens_per_s!;
  const seedRate = SEED_BATCH * ours.mean_target_tokens! / (seed.median_step_ms / 1000);
  const ratio = oursRate / seedRate;
  const epoch = (rate: number) => ours.total_target_tokens! / rate;
  const hours = (s: number) => s >= 2 * 86400 ? `${(s / 86400).toFixed(1)} days` : `${(s / 3600).toFixed(2)} h`;
  const figures = [
    { id: "ours_tokens_per_s", label: "ours: real target tokens/s (bucketed, ≤ 4000 tokens)", value: oursRate },
    { id: "seed_step_ms", label: "seed pipeline: median step (ms), batch 8 × 350", value: seed.median_step_ms },
    { id: "seed_tokens_per_s", label: "seed pipeline: real target tokens/s", value: seedRate },
    { id: "ratio", label: "ratio (ours / seed pipeline)", value: ratio },
    { id: "ours_epoch_h", label: "ours: one epoch of Tatoeba (hours)", value: epoch(oursRate) / 3600 },
    { id: "seed_epoch_h", label: "seed pipeline: one epoch of Tatoeba (hours)", value: epoch(seedRate) / 3600 },
  ];
  return {
    rows: figures.map((f) => ({ ...f, unit: "count" as const, runs: [f.value] })),
    verdicts: [{
      target: TARGET_TEXT,
      status: ratio >= TARGET ? "PASS" : "FAIL",
      detail: `${ratio.toFixed(1)}× (ours ${oursRate.toFixed(0)} tokens/s, an epoch in ${hours(epoch(oursRate))}; ` +
        `seed ${seedRate.toFixed(2)} tokens/s, an epoch in ${hours(epoch(seedRate))}; ${n} threads)`,
    }],
    notes: [
      `Mean target length ${ours.mean_target_tokens!.toFixed(2)} tokens ([EOS] included) over ${
        ours.total_target_tokens!.toLocaleString("en-US")
      } target tokens; target vocabulary ${ours.tgt_vocab} on both sides.`,
      "Ours: batches drawn evenly from one shuffled epoch plan; the seed: transformer_ref.py bench-train --src-len 350 --tgt-len 350 --batch 8.",
    ],
  };
}

export const epochGroup: MacroGroup = {
  kind: "macro",
  name: "epoch",
  title: "Epoch throughput, seed preset on Tatoeba: bucketed batches vs the seed's padding to 350",
  description: "real target tokens/s of seed-size training on Tatoeba: our bucketed batches vs batch 8 padded to 350",
  run(ctx: MacroContext): Promise<MacroOutcome> {
    return Promise.resolve(measure(ctx));
  },
};
