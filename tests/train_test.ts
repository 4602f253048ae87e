/**
 * Training: exact resume, atomic checkpoints, no leaks, non-finite stops, the CLI's checks, and
 * proof that the tiny preset learns the generated corpus.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert/strict";
import { free, memory } from "../mod.ts";
import { PRESETS, resumedOptions, type TrainOptions, validateOptions } from "../nmt/train/options.ts";
import { runTraining } from "../nmt/train/run.ts";
import { latestCheckpoint, listCheckpoints } from "../nmt/train/checkpoint.ts";
import { loadModelFolder } from "../nmt/io/folder.ts";
import { syntheticCorpus } from "../nmt/data/synthetic.ts";
import { splitBySource } from "../nmt/data/split.ts";
import { tokenizePairs } from "../nmt/data/examples.ts";
import { exactMatch, greedyOutputs } from "../nmt/train/evaluate.ts";
import { ROOT } from "./helpers/reference.ts";

/** A small, quick configuration of the tiny preset. */
const small = (over: Partial<TrainOptions> = {}): TrainOptions => ({
  ...PRESETS.tiny,
  syntheticSize: 600,
  epochs: 2,
  dModel: 32,
  dFF: 64,
  maxTokens: 600,
  saveMinutes: 0,
  samples: 0,
  ...over,
});

const quiet = () => {
  const log = console.log;
  console.log = () => {};
  return () => console.log = log;
};

Deno.test("train: a resumed run repeats the uninterrupted run's losses exactly, step for step", async () => {
  const dir = await Deno.makeTempDir({ prefix: "resume-" });
  const restore = quiet();
  try {
    const before = memory().tensors;
    const full = await runTraining({ options: small(), out: `${dir}/full`, handleSignals: false });
    assert.equal(memory().tensors, before, "a finished run leaves no tensor alive");
    assert.equal(full.stopped, "finished");
    assert.ok(full.steps > 10, `enough steps to splitKey (${full.steps})`);

    const cut = 7; // mid-epoch
    const first = await runTraining({ options: small({ maxSteps: cut }), out: `${dir}/parts`, handleSignals: false });
    assert.equal(first.stopped, "max-steps");
    // A save killed midway leaves a temporary folder behind; resuming must ignore it.
    await Deno.mkdir(`${dir}/parts/checkpoints/.tmp-killed`);
    await Deno.writeTextFile(`${dir}/parts/checkpoints/.tmp-killed/state.json`, "{ truncated");
    const rest = await runTraining({
      options: small(),
      out: `${dir}/parts`,
      resume: `${dir}/parts`,
      handleSignals: false,
    });
    assert.equal(memory().tensors, before);
    assert.deepEqual([...first.losses, ...rest.losses], full.losses, "identical losses, bit for bit");
    assert.equal(rest.steps, full.steps);

    // The run folder is a model folder, and only complete checkpoints remain.
    const names = await listCheckpoints(`${dir}/parts/checkpoints`);
    assert.ok(names.length <= PRESETS.tiny.keep && names.length > 0);
    assert.ok((await latestCheckpoint(`${dir}/parts`))!.endsWith(names[names.length - 1]));
    const folder = loadModelFolder(`${dir}/parts`);
    free([folder.model.params, folder.model.buffers]);
    const metrics = (await Deno.readTextFile(`${dir}/parts/metrics.jsonl`)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    const trainSteps = metrics.filter((m) => m.kind === "train").map((m) => m.step);
    assert.deepEqual(trainSteps, Array.from({ length: full.steps }, (_, i) => i + 1), "metrics log each step once");
    assert.ok((await Deno.readTextFile(`${dir}/parts/report.html`)).includes("<svg"));
  } finally {
    restore();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: a non-finite loss stops the run and keeps the last good checkpoint", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nan-" });
  const restore = quiet();
  try {
    const before = memory().tensors;
    const r = await runTraining({
      options: small({ lr: 1e30, schedule: "constant", clip: 0, saveEvery: 1 }),
      out: dir,
      handleSignals: false,
    });
    assert.equal(r.stopped, "non-finite");
    assert.equal(memory().tensors, before);
    assert.ok(r.steps >= 1 && r.losses.every(Number.isFinite), `only finite losses were accepted (${r.losses})`);
    // The newest checkpoint is the last good step, not the diverged one.
    const last = await latestCheckpoint(dir);
    assert.ok(last !== null && last.endsWith(String(r.steps).padStart(8, "0")), `${last} holds step ${r.steps}`);
  } finally {
    restore();
    await Deno.remove(dir, { recursive: true });
  }
});

async function trainCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "train", ...args],
    cwd: ROOT,
  })
    .output();
  return { code, out: new TextDecoder().decode(stdout), err: new TextDecoder().decode(stderr) };
}

Deno.test("train CLI: --help, and bad flags are clear errors before any work", async () => {
  const help = await trainCli(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /--preset NAME/);
  assert.match(help.out, /--max-tokens N/);
  const cases: [string[], RegExp][] = [
    [["--bogus"], /Unknown option '--bogus'/],
    [["--d-model", "30", "--heads", "4"], /--d-model \(30\) must be divisible by --heads \(4\)/],
    [["--lr", "fast"], /--lr needs a number, got "fast"/],
    [["--preset", "huge"], /--preset must be one of tiny, cpu-small, seed/],
    [["--data", "/nonexistent/corpus.jsonl"], /--data \/nonexistent\/corpus\.jsonl: no such file/],
    [["--dropout", "1.5"], /--dropout must be in \[0, 1\)/],
    [["--device", "tpu"], /--device must be auto, cpu, cuda or cuda:N/],
    [["--tokenizer", "chars"], /--tokenizer must be word or bpe-shared/],
  ];
  for (const [args, pattern] of cases) {
    const r = await trainCli(args);
    assert.equal(r.code, 2, `${args.join(" ")} exits 2`);
    assert.match(r.err, pattern);
  }
});

Deno.test("train options: --resume takes only run length, saving, evaluation, device and threads; bad values name their flag", () => {
  const recorded = PRESETS.tiny;
  const given: TrainOptions = {
    ...PRESETS["cpu-small"],
    epochs: 99,
    maxSteps: 5,
    maxMinutes: 7,
    saveEvery: 11,
    saveMinutes: 13,
    keep: 2,
    evalEvery: 17,
    samples: 1,
    device: "cpu",
    threads: 1,
    lr: 0.5,
    seed: 42,
  };
  assert.deepEqual(resumedOptions(recorded, given), {
    ...recorded,
    epochs: 99,
    maxSteps: 5,
    maxMinutes: 7,
    saveEvery: 11,
    saveMinutes: 13,
    keep: 2,
    evalEvery: 17,
    samples: 1,
    device: "cpu",
    threads: 1,
  });
  for (const preset of Object.values(PRESETS)) assert.equal(validateOptions(preset), preset);
  const cases: [Partial<TrainOptions>, RegExp][] = [
    [{ dataset: "bogus" as "opus_books" }, /^--dataset must be opus_books, got bogus$/],
    [{ schedule: "cosine" as "constant" }, /^--schedule must be constant or inverse-sqrt, got cosine$/],
    [{ schedule: null as unknown as "constant" }, /^--schedule must be constant or inverse-sqrt, got null$/],
    [{ tokenizer: null as unknown as "word" }, /^--tokenizer must be word or bpe-shared, got null$/],
    [{ heads: 0 }, /^--heads must be a positive integer, got 0$/],
    [{ maxSteps: -1 }, /^--max-steps must be a non-negative integer, got -1$/],
    [{ saveMinutes: -1 }, /^--save-minutes must be ≥ 0, got -1$/],
    [{ eps: 0 }, /^--eps must be > 0, got 0$/],
    [{ dFF: 1.5 }, /^--d-ff must be a positive integer, got 1.5$/],
    [{ tgt: "en" }, /^--src and --tgt must differ, both are "en"$/],
    [{ data: "x.jsonl", dataset: "opus_books" }, /^--data and --dataset are alternatives: give one$/],
  ];
  for (const [over, message] of cases) {
    assert.throws(() => validateOptions({ ...PRESETS.tiny, ...over }), { name: "OptionError", message });
  }
});

Deno.test("train: the tiny preset learns the generated corpus (≥ 95% exact match on held-out sentences)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "learn-" });
  const restore = quiet();
  try {
    const options = { ...PRESETS.tiny, saveMinutes: 0, samples: 0 };
    const summary = await runTraining({ options, out: dir, handleSignals: false });
    assert.equal(summary.stopped, "finished");
    // Score the test splitKey, which training and validation never saw.
    const folder = loadModelFolder(dir);
    const { test } = splitBySource(syntheticCorpus(options.syntheticSize, options.seed), {
      valid: options.validSize,
      test: options.testSize,
      seed: options.seed,
    });
    const { examples } = await tokenizePairs(test, folder.srcTokenizer, folder.tgtTokenizer, {
      srcSeqLen: options.seqLen,
      tgtSeqLen: options.seqLen,
    });
    const accuracy = exactMatch(greedyOutputs(folder.model, examples, folder.tgtTokenizer.special), examples);
    free([folder.model.params, folder.model.buffers]);
    restore();
    console.log(`tiny preset: ${(100 * accuracy).toFixed(1)}% exact match on ${examples.length} held-out sentences`);
    assert.ok(accuracy >= 0.95, `exact match ${accuracy}`);
  } finally {
    restore();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train CLI: Ctrl-C (SIGINT) stops within a few steps mid-epoch, saves a checkpoint, exits 130, and --resume continues", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sigint-" });
  try {
    // One epoch of ~490 steps with no checkpoint due: nothing but the signal stops it early.
    const args = [
      "--synthetic-size",
      "20000",
      "--epochs",
      "1",
      "--max-tokens",
      "300",
      "--d-model",
      "32",
      "--d-ff",
      "64",
      "--out",
      dir,
      "--save-minutes",
      "0",
    ];
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "scripts/train.ts", ...args],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // Wait until a few steps are logged, then interrupt.
    let stepsLogged = 0;
    for (let i = 0; i < 600 && stepsLogged <= 5; i++) {
      const text = await Deno.readTextFile(`${dir}/metrics.jsonl`).catch(() => "");
      stepsLogged = text.split("\n").filter(Boolean).length;
      if (stepsLogged <= 5) await new Promise((r) => setTimeout(r, 100));
    }
    child.kill("SIGINT");
    const { code, stdout } = await child.output();
    assert.equal(code, 130, new TextDecoder().decode(stdout));
    const last = await latestCheckpoint(dir);
    assert.ok(last !== null, "a checkpoint was written on the way out");
    const state = JSON.parse(await Deno.readTextFile(`${last}/state.json`));
    assert.ok(state.step >= 5, `checkpoint at step ${state.step}`);
    // Steps are synchronous: the signal must still get in within a few of them, not at the epoch's end.
    assert.equal(state.epoch, 0, "stopped inside the first epoch");
    assert.ok(
      state.step <= stepsLogged + 20,
      `stopped at step ${state.step}, ${state.step - stepsLogged} steps after the signal`,
    );
    const resumed = await trainCli([
      "--resume",
      dir,
      "--epochs",
      "1",
      "--max-steps",
      String(state.step + 3),
      "--save-minutes",
      "0",
    ]);
    assert.equal(resumed.code, 0, resumed.err);
    assert.match(resumed.out, new RegExp(`after ${state.step + 3} steps`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
