/**
 * The data pipeline on a real corpus: one epoch of Tatoeba EN→IT (../shared/data/tatoeba-en-it.jsonl,
 * 347,455 pairs) made ready for training, each step timed on its own:
 *   read + parse the JSONL (loadPairs) → train word-level tokenizers (en, it; min frequency 2) →
 *   tokenize the pairs (128 positions a side) → bucket an epoch under the --max-tokens budget
 *   (seed 1, epoch 0) and measure its padding.
 * Targets: tokenize + bucket under 10 s (reading and tokenizer training are reported, not counted:
 * a training run does them once, or loads saved tokenizers); padding efficiency above 90%.
 * The PyTorch reference has no data pipeline to compare with, so this group has no PyTorch column.
 */
import { epochPlan, loadPairs, paddingReport, tokenizePairs, trainWordLevel } from "../../nmt/mod.ts";
import { repeatShots, timed } from "./harness.ts";
import { ROOT } from "./reference.ts";
import { formatNs } from "./report.ts";
import type { MacroContext, MacroFigure, MacroGroup, MacroOutcome, MacroRow, Verdict } from "./types.ts";

export const TATOEBA_PATH = `${ROOT}/../shared/data/tatoeba-en-it.jsonl`;
/** Tokenize + bucket must take less than this many seconds. */
export const PREP_TARGET_S = 10;
/** Real tokens over padded positions must exceed this. */
export const PADDING_TARGET = 0.9;
export const SEQ_LEN = 128;
export const MIN_FREQUENCY = 2;
export const PLAN_SEED = 1;

const TARGET_PREP = `epoch preparation (tokenize + bucket) under ${PREP_TARGET_S} s`;
const TARGET_PADDING = `padding efficiency above ${PADDING_TARGET * 100}% on Tatoeba`;

/** One full preparation of the epoch, every step timed. */
async function shot(maxTokens: number): Promise<MacroFigure[]> {
  const read = await timed(() => loadPairs(TATOEBA_PATH));
  const { pairs, skipped } = read.result;
  const train = await timed(async () => ({
    en: await trainWordLevel(pairs.map((p) => p.src), { minFrequency: MIN_FREQUENCY }),
    it: await trainWordLevel(pairs.map((p) => p.tgt), { minFrequency: MIN_FREQUENCY }),
  }));
  const { en, it } = train.result;
  const tokenize = await timed(() => tokenizePairs(pairs, en, it, { srcSeqLen: SEQ_LEN, tgtSeqLen: SEQ_LEN }));
  const { examples, dropped } = tokenize.result;
  const plan = await timed(() => epochPlan(examples, { maxTokens, seed: PLAN_SEED, epoch: 0 }));
  const padding = paddingReport(examples, plan.result);

  const s = (id: string, label: string, value: number): MacroFigure => ({ id, label, value, unit: "s" });
  const n = (id: string, label: string, value: number): MacroFigure => ({ id, label, value, unit: "count" });
  return [
    s("read", "read + parse JSONL (loadPairs)", read.seconds),
    s("train", `train word-level tokenizers (en + it, min frequency ${MIN_FREQUENCY})`, train.seconds),
    s("tokenize", `tokenize pairs (seq len ${SEQ_LEN})`, tokenize.seconds),
    s("plan", `bucket an epoch (epochPlan, max tokens ${maxTokens})`, plan.seconds),
    s("prep", "epoch preparation: tokenize + bucket", tokenize.seconds + plan.seconds),
    s("total", "all steps", read.seconds + train.seconds + tokenize.seconds + plan.seconds),
    n("pairs", "pairs read", pairs.length),
    n("skipped_empty", "pairs skipped (empty side)", skipped.empty),
    n("vocab_en", "vocabulary, en", en.vocabSize),
    n("vocab_it", "vocabulary, it", it.vocabSize),
    n("examples", "examples kept", examples.length),
    n("dropped_long", `examples dropped (over ${SEQ_LEN} positions)`, dropped.tooLong),
    n("dropped_empty", "examples dropped (no tokens)", dropped.empty),
    n("batches", "batches", padding.batches),
    n("real_tokens", "real tokens (both sides, specials included)", padding.realTokens),
    n("padded_tokens", "padded positions (both sides)", padding.paddedTokens),
    { id: "padding_efficiency", label: "padding efficiency", value: padding.efficiency * 100, unit: "%" },
  ];
}

function verdicts(rows: MacroRow[], ctx: MacroContext): Verdict[] {
  const row = (id: string) => rows.find((r) => r.id === id)!;
  const t = (id: string) => formatNs(row(id).value * 1e9);
  const count = (id: string) => row(id).value.toLocaleString("en-US");
  const runs = `median of ${ctx.shots} run${ctx.shots === 1 ? "" : "s"}`;
  const prep = row("prep").value;
  const efficiency = row("padding_efficiency").value;
  return [
    {
      target: TARGET_PREP,
      status: prep < PREP_TARGET_S ? "PASS" : "FAIL",
      detail: `${t("prep")} (${runs}: tokenize ${t("tokenize")} + bucket ${t("plan")}); ` +
        `not counted: reading ${t("read")}, tokenizer training ${t("train")}`,
    },
    {
      target: TARGET_PADDING,
      status: efficiency > PADDING_TARGET * 100 ? "PASS" : "FAIL",
      detail: `${efficiency.toFixed(2)}% with --max-tokens ${ctx.maxTokens} ` +
        `(${count("batches")} batches, ${count("examples")} examples, seed ${PLAN_SEED}, epoch 0)`,
    },
  ];
}

export const dataGroup: MacroGroup = {
  kind: "macro",
  name: "data",
  title: "Data pipeline: one epoch of Tatoeba EN→IT prepared (seconds)",
  description: "Tatoeba epoch prep: read JSONL, train en/it word-level tokenizers, tokenize, bucket " +
    "(no PyTorch column: the PyTorch reference has no data pipeline to compare with)",

  async run(ctx): Promise<MacroOutcome> {
    try {
      await Deno.stat(TATOEBA_PATH);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      const why = `no corpus at ${TATOEBA_PATH}`;
      ctx.log(`notice: group data skipped: ${why}`);
      return {
        rows: [],
        verdicts: [TARGET_PREP, TARGET_PADDING].map((target) => ({ target, status: "SKIP", detail: why })),
        notes: [`Skipped: ${why}.`],
      };
    }
    ctx.log(`  --max-tokens ${ctx.maxTokens}; ${ctx.shots} run(s)`);
    const rows = await repeatShots(ctx.shots, () => shot(ctx.maxTokens), (i, figures) => {
      const times = figures.filter((f) => f.unit === "s").map((f) => `${f.id} ${formatNs(f.value * 1e9)}`);
      ctx.log(`  run ${i + 1}/${ctx.shots}: ${times.join(", ")}`);
    });
    return {
      rows,
      verdicts: verdicts(rows, ctx),
      notes: [
        `Corpus: ${TATOEBA_PATH}, read with loadPairs (nmt/data/corpus.ts).`,
        `Plan: --max-tokens ${ctx.maxTokens}, seed ${PLAN_SEED}, epoch 0; sequence limits ${SEQ_LEN}/${SEQ_LEN}.`,
        "The time target counts tokenize + bucket only; reading the file and training the tokenizers are",
        "reported, not counted (a training run does them once, or loads saved tokenizers).",
        "No PyTorch column: the PyTorch reference (scripts/bench/torch_workloads.py) has no data pipeline to compare with.",
      ],
    };
  },
};
