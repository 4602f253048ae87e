/**
 * `deno task eval`: corpus BLEU and chrF, sacreBLEU-compatible (13a tokenization, exp smoothing,
 * multiple references).
 *   deno task eval --hyp FILE --ref FILE [--ref FILE ...]     score a translation file
 *   deno task eval --model DIR [--data FILE] [--split test]   translate a split and score it
 * With --model, every distinct source sentence of the split is translated once and scored against
 * all of its translations in the data (multi-reference). A run folder supplies its own data, seed
 * and split sizes.
 */
import { parseArgs } from "node:util";
import { corpusBleu, corpusBleuMulti, corpusChrf } from "../mod.ts";
import { loadModelFolder } from "../src/io/folder.ts";
import { translate } from "../src/decode/translate.ts";
import { loadPairs, type SentencePair } from "../src/data/corpus.ts";
import { syntheticCorpus } from "../src/data/synthetic.ts";
import { splitBySource } from "../src/data/split.ts";
import { latestCheckpoint, type TrainState } from "../src/train/checkpoint.ts";
import { PRESETS, type TrainOptions } from "../src/train/options.ts";
import { formatDuration } from "../src/train/progress.ts";
import type { Device } from "../src/device.ts";

const HELP = `Usage:
  deno task eval --hyp FILE --ref FILE [--ref FILE ...] [--json]
  deno task eval --model DIR [--data FILE] [--split test|valid] [options]

Scores translations with corpus BLEU (sacreBLEU's defaults: 13a, exp smoothing) and chrF2.
--hyp/--ref: one sentence per line; several --ref files give several references per line.
--model: translates the split's distinct source sentences (greedy) and scores them against every
reference the data holds for each. A run folder (deno task train --out DIR) supplies its data,
seed and split sizes; otherwise give --data (and --seed, --valid-size, --test-size as in training).

Options:
  --split NAME       test (default) or valid
  --limit N          score only the first N source sentences of the split
  --batch-size N     sentences decoded together (default 64)
  --max-len N        most output ids per sentence (default: the model's tgt_seq_len)
  --device DEV       cpu (default), cuda, cuda:N
  --out FILE         also write the hypotheses (one per line)
  --json             print the scores as JSON
  -h, --help         this text`;

function fail(message: string): never {
  console.error(`eval: ${message}\n(deno task eval --help)`);
  Deno.exit(2);
}

function lines(path: string): string[] {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    fail(`cannot read ${path}: ${(e as Error).message}`);
  }
  const out = text.split("\n");
  if (out[out.length - 1] === "") out.pop();
  return out.map((l) => l.replace(/\r$/, ""));
}

interface Scores {
  bleu: number;
  chrf: number;
  sentences: number;
  references: number;
  precisions: number[];
  bp: number;
  sysLen: number;
  refLen: number;
}

function report(s: Scores, json: boolean, extra: Record<string, unknown> = {}): void {
  if (json) {
    console.log(JSON.stringify({ ...extra, ...s }, null, 2));
    return;
  }
  const p = s.precisions.map((x) => x.toFixed(1)).join("/");
  console.log(
    `BLEU = ${s.bleu.toFixed(2)} ${p} (BP = ${s.bp.toFixed(3)} ratio = ${(s.sysLen / s.refLen).toFixed(3)} ` +
      `hyp_len = ${s.sysLen} ref_len = ${s.refLen})`,
  );
  console.log(`chrF2 = ${s.chrf.toFixed(2)}`);
  console.log(`${s.sentences} sentences, ${s.references} references`);
}

/** The run's training options when `dir` is a run folder (or a checkpoint in one). */
async function runOptions(dir: string): Promise<TrainOptions | null> {
  for (const candidate of [dir, await latestCheckpoint(dir)]) {
    if (candidate === null) continue;
    try {
      return (JSON.parse(await Deno.readTextFile(`${candidate}/state.json`)) as TrainState).options;
    } catch { /* not a checkpoint */ }
  }
  return null;
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: Deno.args,
      options: {
        hyp: { type: "string" },
        ref: { type: "string", multiple: true },
        model: { type: "string" },
        data: { type: "string" },
        split: { type: "string", default: "test" },
        seed: { type: "string" },
        "valid-size": { type: "string" },
        "test-size": { type: "string" },
        limit: { type: "string" },
        "batch-size": { type: "string", default: "64" },
        "max-len": { type: "string" },
        device: { type: "string", default: "cpu" },
        out: { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    fail((e as Error).message);
  }
  const f = parsed.values;
  if (f.help) return console.log(HELP);
  const num = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) fail(`--${name} needs a non-negative number, got ${JSON.stringify(v)}`);
    return n;
  };

  if (f.hyp !== undefined) {
    if (!f.ref || f.ref.length === 0) fail("--hyp needs at least one --ref");
    const hyps = lines(f.hyp);
    const streams = f.ref.map(lines);
    streams.forEach((s, k) => {
      if (s.length !== hyps.length) fail(`${f.ref![k]} has ${s.length} lines, ${f.hyp} has ${hyps.length}`);
    });
    const bleu = corpusBleu(hyps, streams);
    const chrf = corpusChrf(hyps, hyps.map((_, i) => streams.map((s) => s[i])));
    return report({
      bleu: bleu.score,
      chrf: chrf.score,
      sentences: hyps.length,
      references: streams.length * hyps.length,
      precisions: bleu.precisions,
      bp: bleu.bp,
      sysLen: bleu.sysLen,
      refLen: bleu.refLen,
    }, f.json);
  }

  if (f.model === undefined) fail("give --hyp FILE --ref FILE, or --model DIR");
  if (f.split !== "test" && f.split !== "valid") fail(`--split must be test or valid, got ${f.split}`);
  const run = await runOptions(f.model);
  const base: TrainOptions = run ?? { ...PRESETS.tiny };
  const o: TrainOptions = {
    ...base,
    data: f.data ?? base.data,
    seed: num("seed", f.seed) ?? base.seed,
    validSize: num("valid-size", f["valid-size"]) ?? base.validSize,
    testSize: num("test-size", f["test-size"]) ?? base.testSize,
  };
  let pairs: SentencePair[];
  if (o.data !== null) pairs = (await loadPairs(o.data, { src: o.src, tgt: o.tgt })).pairs;
  else if (run !== null) pairs = syntheticCorpus(o.syntheticSize, o.seed);
  else fail("--data FILE is needed (the model folder is not a training run folder)");
  const split =
    splitBySource(pairs, { valid: o.validSize, test: o.testSize, seed: o.seed })[f.split as "test" | "valid"];
  const refs = new Map<string, string[]>();
  for (const p of split) refs.set(p.src, [...(refs.get(p.src) ?? []), p.tgt]);
  let sources = [...refs.keys()];
  const limit = num("limit", f.limit);
  if (limit !== undefined) sources = sources.slice(0, limit);

  const folder = loadModelFolder(f.model, { device: f.device as Device });
  const started = performance.now();
  const batchSize = num("batch-size", f["batch-size"]) ?? 64;
  const hyps: string[] = [];
  for (let i = 0; i < sources.length; i += batchSize) {
    const results = await translate(folder, sources.slice(i, i + batchSize), {
      batchSize,
      maxLen: num("max-len", f["max-len"]),
      device: f.device as Device,
    });
    hyps.push(...results.map((r) => r.text));
    const done = Math.min(i + batchSize, sources.length);
    const rate = done / ((performance.now() - started) / 1000);
    Deno.stderr.writeSync(
      new TextEncoder().encode(
        `\rtranslated ${done}/${sources.length} (${rate.toFixed(1)} sentences/s, ETA ${
          formatDuration((sources.length - done) / rate)
        })   `,
      ),
    );
  }
  Deno.stderr.writeSync(new TextEncoder().encode("\n"));
  if (f.out) await Deno.writeTextFile(f.out, hyps.join("\n") + "\n");
  const refLists = sources.map((s) => refs.get(s)!);
  const bleu = corpusBleuMulti(hyps, refLists);
  const chrf = corpusChrf(hyps, refLists);
  report(
    {
      bleu: bleu.score,
      chrf: chrf.score,
      sentences: sources.length,
      references: refLists.reduce((n, r) => n + r.length, 0),
      precisions: bleu.precisions,
      bp: bleu.bp,
      sysLen: bleu.sysLen,
      refLen: bleu.refLen,
    },
    f.json,
    { model: f.model, data: o.data ?? "generated", split: f.split, seconds: (performance.now() - started) / 1000 },
  );
}

await main();
