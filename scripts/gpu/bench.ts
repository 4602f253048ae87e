/**
 * The benchmark half of scripts/gpu_check.sh: ours beside PyTorch eager on the same device, in one
 * run, each figure with its ratio. Writes the full results as JSON to --out and prints the table.
 *
 *   deno run -A scripts/gpu/bench.ts --device cuda --reference DIR --out FILE.json [--dry-run]
 *
 * - train step: the seed-size step (transformer_ref.py bench-train's model, batch and Adam) in f32 on
 *   both sides (ours: scripts/bench/train_run.ts), and PyTorch's with bf16 autocast (f32 master weights);
 * - the ceiling: the best n×n×n bf16 matmul on each side, and the step's matmul FLOP rate as a share of it;
 * - decoding: greedy and beam 4 over the same model folder and sentences (theirs: decode_ref.py's own
 *   functions on the device), with whether the greedy outputs are identical;
 * - the time of an opus_books-sized epoch (32k pairs) at the seed's batch, from the step time.
 *
 * --dry-run shrinks every size so that the whole script runs on a CPU in a minute: it tests the
 * script, not the machine.
 */
import { parseArgs } from "node:util";
import {
  cudaDeviceCount,
  type Device,
  free,
  item,
  matmul,
  randn,
  rng,
  scope,
  sum,
  synchronize,
  threads,
  torchVersion,
} from "../../mod.ts";
import { loadModelFolder } from "../../nmt/io/folder.ts";
import { translate } from "../../nmt/decode/translate.ts";
import { ROOT } from "../bench/reference.ts";
import { ourTrainRun, toArgs } from "../bench/train_step.ts";

const PYTHON = Deno.env.get("DENO_TORCH_PYTHON") ?? "python3";
const SENTENCES = `${ROOT}/tests/fixtures/sentences_en_it.jsonl`;
const OPUS_BOOKS_PAIRS = 32_000;

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    device: { type: "string", default: "cuda" },
    reference: { type: "string" },
    out: { type: "string" },
    "dry-run": { type: "boolean", default: false },
  },
});
if (!flags.reference || !flags.out) {
  console.error("usage: bench.ts --device DEV --reference DIR --out FILE.json [--dry-run]");
  Deno.exit(2);
}
const device = flags.device as Device;
const dry = flags["dry-run"];
const reference = flags.reference;

// The seed's size (bench-train's defaults), or a tiny one for the dry run.
const SIZE = dry
  ? { "d-model": 64, layers: 2, heads: 4, "d-ff": 128, batch: 8, "src-len": 16, "tgt-len": 16, vocab: 1000 }
  : { "d-model": 512, layers: 6, heads: 8, "d-ff": 2048, batch: 8, "src-len": 32, "tgt-len": 32, vocab: 16000 };
const STEPS = dry ? { steps: 2, warmup: 1 } : { steps: 20, warmup: 5 };
const MATMUL_N = dry ? 256 : 8192;
const DECODE_SENTENCES = dry ? 16 : 500;
const BEAM = 4;

/** Runs a command; its stdout, or an error naming the command with its stderr. */
function run(cmd: string, cmdArgs: string[]): string {
  const { code, stdout, stderr } = new Deno.Command(cmd, { args: cmdArgs, cwd: ROOT }).outputSync();
  const text = new TextDecoder();
  if (code !== 0) throw new Error(`${cmd} ${cmdArgs.slice(0, 3).join(" ")} … failed: ${text.decode(stderr).trim()}`);
  return text.decode(stdout);
}
/** The last line of a command's stdout, parsed as JSON. */
function runJson<T>(cmd: string, cmdArgs: string[]): T {
  const lines = run(cmd, cmdArgs).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}
const torchSide = <T>(cmdArgs: string[]) =>
  runJson<T>(PYTHON, [`${ROOT}/scripts/gpu/torch_side.py`, reference, ...cmdArgs, "--device", device]);

/** Each part runs on its own, so that one failure is reported and the rest still measured. */
const errors: Record<string, string> = {};
async function attempt<T>(part: string, f: () => T | Promise<T>): Promise<T | null> {
  try {
    return await f();
  } catch (e) {
    errors[part] = (e as Error).message;
    console.error(`gpu bench: ${part} failed: ${(e as Error).message}`);
    return null;
  }
}

/** The best time of an n×n×n bf16 matmul here, as TFLOP/s. */
function ourMatmulTflops(n: number): number {
  return scope(() => {
    const a = randn([n, n], rng(1), { device, dtype: "bf16" });
    const b = randn([n, n], rng(2), { device, dtype: "bf16" });
    let best = Infinity;
    for (let i = 0; i < 10; i++) {
      synchronize(device);
      const t0 = performance.now();
      scope(() => matmul(a, b));
      synchronize(device);
      best = Math.min(best, performance.now() - t0);
    }
    item(sum(a)); // the inputs were made
    return 2 * n ** 3 / (best / 1000) / 1e12;
  });
}

// ---- train step ----------------------------------------------------------------------------------
console.error(`gpu bench: train step (${dry ? "dry-run size" : "seed size"}) on ${device}`);
const ourStep = await attempt(
  "train step (ours, f32)",
  () => ourTrainRun([...toArgs({ ...SIZE, ...STEPS }), "--device", device]),
);
const ourBf16 = await attempt(
  "train step (ours, bf16 autocast)",
  () => ourTrainRun([...toArgs({ ...SIZE, ...STEPS }), "--device", device, "--precision", "bf16"]),
);
const theirStep = await attempt(
  "train step (PyTorch, f32)",
  () => torchSide<{ median_step_ms: number }>(["train-step", ...toArgs({ ...SIZE, ...STEPS })]),
);
const theirBf16 = await attempt(
  "train step (PyTorch, bf16 autocast)",
  () => torchSide<{ median_step_ms: number }>(["train-step", ...toArgs({ ...SIZE, ...STEPS }), "--bf16"]),
);

// ---- the ceiling ---------------------------------------------------------------------------------
console.error(`gpu bench: ${MATMUL_N}² bf16 matmul`);
const ourCeiling = await attempt("bf16 matmul (ours)", () => ourMatmulTflops(MATMUL_N));
const theirCeiling = await attempt(
  "bf16 matmul (PyTorch)",
  () => torchSide<{ tflops: number }>(["matmul", "--n", String(MATMUL_N), "--dtype", "bf16"]).tflops,
);

// ---- decoding ------------------------------------------------------------------------------------
console.error(`gpu bench: decoding ${DECODE_SENTENCES} sentences (greedy, beam ${BEAM})`);
const tmp = Deno.makeTempDirSync({ prefix: "gpu-bench-" });
interface Decoded {
  seconds: number;
  target_tokens: number;
  tokens_per_s: number;
  outputs: number[][];
}
const decoding = await attempt("decoding", async () => {
  const { "d-model": dModel, layers, heads, "d-ff": dFF } = SIZE; // the step's model, at seq-len 64
  run(PYTHON, [
    `${reference}/transformer_ref.py`,
    "make-folder",
    `${tmp}/model`,
    "--seed",
    "3",
    "--sentences",
    SENTENCES,
    "--seq-len",
    "64",
    ...toArgs({ "d-model": dModel, layers, heads, "d-ff": dFF }),
  ]);
  const pool = Deno.readTextFileSync(SENTENCES).trim().split("\n").map((l) => JSON.parse(l).en as string);
  const sentences = Array.from({ length: DECODE_SENTENCES }, (_, i) => pool[i % pool.length]);
  Deno.writeTextFileSync(`${tmp}/sentences.txt`, sentences.join("\n") + "\n");
  const folder = loadModelFolder(`${tmp}/model`, { device });
  try {
    const eos = folder.tgtTokenizer.special.eos;
    const tokens = (outputs: number[][]) => outputs.reduce((n, o) => n + o.slice(1).filter((t) => t !== eos).length, 0);
    const ours = async (beam: number) => {
      await translate(folder, sentences.slice(0, 8), { beam }); // warm-up: kernels, allocator
      synchronize(device);
      const t0 = performance.now();
      const results = await translate(folder, sentences, { beam, lengthPenalty: { kind: "gnmt", alpha: 0.6 } });
      synchronize(device);
      const seconds = (performance.now() - t0) / 1000;
      const outputs = results.map((r) => r.ids);
      return { seconds, target_tokens: tokens(outputs), tokens_per_s: tokens(outputs) / seconds, outputs };
    };
    const theirs = (beam: number) =>
      torchSide<Decoded>(["decode", `${tmp}/model`, `${tmp}/sentences.txt`, "--beam", String(beam)]);
    const greedy = { ours: await ours(1), theirs: theirs(1) };
    const beam = { ours: await ours(BEAM), theirs: theirs(BEAM) };
    const identical = greedy.ours.outputs.every((o, i) =>
      JSON.stringify(o) === JSON.stringify(greedy.theirs.outputs[i])
    );
    const strip = ({ outputs: _, ...rest }: Decoded) => rest;
    return {
      greedy: { ours: strip(greedy.ours), theirs: strip(greedy.theirs), identical },
      beam: { ours: strip(beam.ours), theirs: strip(beam.theirs) },
    };
  } finally {
    free([folder.model.params, folder.model.buffers]);
  }
});
Deno.removeSync(tmp, { recursive: true });

// ---- the results ---------------------------------------------------------------------------------
const ratio = (a: number | undefined, b: number | undefined) => a !== undefined && b !== undefined ? a / b : null;
const stepTokens = SIZE.batch * SIZE["tgt-len"];
const epochSteps = OPUS_BOOKS_PAIRS / SIZE.batch;
const results = {
  device,
  dry_run: dry,
  torch: torchVersion(),
  cuda_devices: cudaDeviceCount(),
  threads: threads(),
  size: SIZE,
  train_step: {
    ours_f32_ms: ourStep?.median_step_ms ?? null,
    torch_f32_ms: theirStep?.median_step_ms ?? null,
    torch_bf16_ms: theirBf16?.median_step_ms ?? null,
    ours_bf16_ms: ourBf16?.median_step_ms ?? null,
    ratio_f32: ratio(ourStep?.median_step_ms, theirStep?.median_step_ms),
    ratio_bf16: ratio(ourBf16?.median_step_ms, theirBf16?.median_step_ms),
    ours_f32_tokens_per_s: ourStep ? stepTokens / (ourStep.median_step_ms / 1000) : null,
    torch_f32_tokens_per_s: theirStep ? stepTokens / (theirStep.median_step_ms / 1000) : null,
    torch_bf16_speedup: ratio(theirStep?.median_step_ms, theirBf16?.median_step_ms),
    ours_bf16_speedup: ratio(ourStep?.median_step_ms, ourBf16?.median_step_ms),
    ours_bf16_loss: ourBf16?.loss ?? null,
    ours_f32_loss: ourStep?.loss ?? null,
    ours_matmul_tflops: ourStep ? ourStep.matmul_gflops / 1000 : null,
    live_tensors_flat: ourStep ? new Set(ourStep.live_tensors.slice(1)).size === 1 : null,
  },
  ceiling: {
    n: MATMUL_N,
    ours_bf16_tflops: ourCeiling,
    torch_bf16_tflops: theirCeiling,
    mfu_f32_step_pct: ourStep && theirCeiling ? 100 * (ourStep.matmul_gflops / 1000) / theirCeiling : null,
    mfu_bf16_step_pct: ourBf16 && theirCeiling ? 100 * (ourBf16.matmul_gflops / 1000) / theirCeiling : null,
  },
  decoding,
  epoch_32k_pairs_s: {
    ours_f32: ourStep ? epochSteps * ourStep.median_step_ms / 1000 : null,
    torch_f32: theirStep ? epochSteps * theirStep.median_step_ms / 1000 : null,
    torch_bf16: theirBf16 ? epochSteps * theirBf16.median_step_ms / 1000 : null,
    ours_bf16: ourBf16 ? epochSteps * ourBf16.median_step_ms / 1000 : null,
  },
  errors,
};
Deno.writeTextFileSync(flags.out, JSON.stringify(results, null, 2) + "\n");

const f = (x: number | null | undefined, digits = 2) => x === null || x === undefined ? "—" : x.toFixed(digits);
const d = decoding;
const rows: [string, string, string, string][] = [
  ["measure", "ours", "PyTorch", "ours / PyTorch"],
  [
    "train step f32 (ms)",
    f(results.train_step.ours_f32_ms),
    f(results.train_step.torch_f32_ms),
    f(results.train_step.ratio_f32),
  ],
  [
    "train step bf16 autocast (ms)",
    f(results.train_step.ours_bf16_ms),
    f(results.train_step.torch_bf16_ms),
    f(results.train_step.ratio_bf16),
  ],
  ["bf16 speed-up over f32 (×)", f(results.train_step.ours_bf16_speedup), f(results.train_step.torch_bf16_speedup), ""],
  [
    "bf16 matmul ceiling (TFLOP/s)",
    f(ourCeiling, 1),
    f(theirCeiling, 1),
    f(ratio(ourCeiling ?? undefined, theirCeiling ?? undefined)),
  ],
  ["f32 step's matmul rate, % of bf16 ceiling", f(results.ceiling.mfu_f32_step_pct, 1), "", ""],
  ["bf16 step's matmul rate, % of bf16 ceiling", f(results.ceiling.mfu_bf16_step_pct, 1), "", ""],
  [
    "greedy decode (tokens/s)",
    f(d?.greedy.ours.tokens_per_s, 0),
    f(d?.greedy.theirs.tokens_per_s, 0),
    `${f(ratio(d?.greedy.ours.tokens_per_s, d?.greedy.theirs.tokens_per_s))}${
      d ? (d.greedy.identical ? " (identical)" : " (DIFFERENT)") : ""
    }`,
  ],
  [
    `beam ${BEAM} decode (tokens/s)`,
    f(d?.beam.ours.tokens_per_s, 0),
    f(d?.beam.theirs.tokens_per_s, 0),
    f(ratio(d?.beam.ours.tokens_per_s, d?.beam.theirs.tokens_per_s)),
  ],
  [
    "epoch of 32k pairs, f32 (s)",
    f(results.epoch_32k_pairs_s.ours_f32, 0),
    f(results.epoch_32k_pairs_s.torch_f32, 0),
    "",
  ],
];
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
console.log(
  `\n${device}, torch ${results.torch}${dry ? " (dry run: tiny sizes, the script tested, not the machine)" : ""}`,
);
for (const r of rows) {
  console.log(r.map((cell, c) => c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])).join("  "));
}
if (Object.keys(errors).length > 0) console.log(`failed parts: ${Object.keys(errors).join("; ")} (see ${flags.out})`);
Deno.exit(Object.keys(errors).length > 0 ? 1 : 0);
