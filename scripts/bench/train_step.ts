/**
 * One training step (forward, label-smoothed cross entropy, backward, Adam) of the seed's model on a
 * random batch, side by side with the reference's own `bench-train` (PyTorch eager, same libtorch,
 * same threads, same sizes). Reports the median step time of each and their ratio.
 * Targets: ≤ 0.9× PyTorch at the seed's size; ≤ 0.8× at a small model where per-op overhead dominates.
 */
import { free, keep, randint, rng, scope, setThreads, split, threads } from "../../mod.ts";
import { initTransformer } from "../../src/nn/init.ts";
import { adamInit } from "../../src/optim/adam.ts";
import { trainStep } from "../../src/train/step.ts";
import { decoderMask, paddingMask } from "../../src/nn/transformer.ts";
import type { TranslationBatch } from "../../src/nn/loss.ts";
import { assume } from "../../src/tensor.ts";
import { python, REFERENCE, referenceMissing } from "./reference.ts";
import type { MacroContext, MacroFigure, MacroGroup, MacroOutcome, Verdict } from "./types.ts";

interface Size {
  name: string;
  dModel: number;
  layers: number;
  heads: number;
  dFF: number;
  target: number;
}

const SIZES: Size[] = [
  { name: "seed", dModel: 512, layers: 6, heads: 8, dFF: 2048, target: 0.9 },
  { name: "small", dModel: 128, layers: 2, heads: 4, dFF: 512, target: 0.8 },
];
const BATCH = 8, SRC = 32, TGT = 32, VOCAB = 16000, WARMUP = 2;

function reference(size: Size, steps: number, n: number): number {
  const args = [
    REFERENCE,
    "bench-train",
    ...["--d-model", size.dModel, "--layers", size.layers, "--heads", size.heads, "--d-ff", size.dFF].map(String),
    ...["--batch", BATCH, "--src-len", SRC, "--tgt-len", TGT, "--vocab", VOCAB, "--steps", steps, "--warmup", WARMUP]
      .map(String),
    "--threads",
    String(n),
  ];
  return JSON.parse(python(args)).median_step_ms;
}

/** Median ms of our training step at `size` (same batch shapes and optimizer as bench-train). */
function ours(size: Size, steps: number): number {
  const config = {
    src_vocab_size: VOCAB,
    tgt_vocab_size: VOCAB,
    src_seq_len: Math.max(SRC, TGT),
    tgt_seq_len: Math.max(SRC, TGT),
    d_model: size.dModel,
    N: size.layers,
    h: size.heads,
    dropout: 0.1,
    d_ff: size.dFF,
  };
  const [k1, k2, k3, k4] = split(rng(0), 4);
  let model = keep(initTransformer(config, k1));
  let opt = keep(adamInit(model.params));
  const batch: TranslationBatch = keep(scope(() => {
    const src = assume<["batch", "src"]>(randint(4, VOCAB, [BATCH, SRC], k2));
    const tgt = assume<["batch", "tgt"]>(randint(4, VOCAB, [BATCH, TGT], k3));
    const label = assume<["batch", "tgt"]>(randint(4, VOCAB, [BATCH, TGT], k4));
    return { src, tgt, label, srcMask: paddingMask(src, 1), tgtMask: decoderMask(tgt, 1) };
  }));
  const times: number[] = [];
  const stepConfig = { adam: { lr: 1e-4, eps: 1e-9 }, clip: 0, labelSmoothing: 0.1, pad: 1 };
  for (let i = 0; i < WARMUP + steps; i++) {
    const t0 = performance.now();
    const r = trainStep(model, opt, batch, split(k1, i + 2)[0], stepConfig);
    const elapsed = performance.now() - t0;
    free([model.params, opt.m, opt.v]);
    model = { ...model, params: keep(r.params) };
    opt = keep(r.optState);
    if (i >= WARMUP) times.push(elapsed);
  }
  free([model.params, model.buffers, opt.m, opt.v, batch]);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Both sides at each size, one after the other. */
function measure(ctx: MacroContext): MacroOutcome {
  const why = referenceMissing();
  if (why !== null) {
    return {
      rows: [],
      verdicts: [{ target: "training step vs PyTorch", status: "SKIP", detail: why }],
      notes: [why],
    };
  }
  const n = threads();
  setThreads(n);
  const steps = ctx.quick ? 3 : 5;
  const figures: MacroFigure[] = [];
  const verdicts: Verdict[] = [];
  for (const size of SIZES) {
    const theirs = reference(size, steps, n);
    const mine = ours(size, steps);
    ctx.log(`  ${size.name}: PyTorch ${theirs.toFixed(1)} ms, deno-torch ${mine.toFixed(1)} ms`);
    const ratio = mine / theirs;
    figures.push(
      {
        id: `${size.name}_torch_ms`,
        label: `${size.name}: PyTorch eager median step (ms)`,
        value: theirs,
        unit: "count",
      },
      { id: `${size.name}_ours_ms`, label: `${size.name}: deno-torch median step (ms)`, value: mine, unit: "count" },
      { id: `${size.name}_ratio`, label: `${size.name}: ratio (ours / PyTorch)`, value: ratio, unit: "count" },
    );
    verdicts.push({
      target:
        `training step, ${size.name} model (d_model ${size.dModel}, ${size.layers} layers): ≤ ${size.target}× PyTorch`,
      status: ratio <= size.target ? "PASS" : "FAIL",
      detail: `${ratio.toFixed(3)}× (ours ${mine.toFixed(1)} ms, PyTorch ${
        theirs.toFixed(1)
      } ms; batch ${BATCH}×${SRC}/${TGT}, vocab ${VOCAB}, ${n} threads)`,
    });
  }
  const rows = figures.map((f) => ({ ...f, runs: [f.value] }));
  return {
    rows,
    verdicts,
    notes: [
      `Sizes and flags as transformer_ref.py bench-train (--batch ${BATCH} --src-len ${SRC} --tgt-len ${TGT} --vocab ${VOCAB} --steps ${steps} --warmup ${WARMUP}).`,
    ],
  };
}

export const trainStepGroup: MacroGroup = {
  kind: "macro",
  name: "train-step",
  title: "Training step: deno-torch vs PyTorch eager (reference bench-train), median ms",
  description: "one training step (forward, LS cross entropy, backward, Adam) vs transformer_ref.py bench-train",

  run(ctx: MacroContext): Promise<MacroOutcome> {
    return Promise.resolve(measure(ctx)); // the reference runs synchronously, in a child process
  },
};
