/**
 * `deno task eval`: corpus BLEU, chrF, chrF++, TER, CER and WER. BLEU, chrF, chrF++ and TER follow
 * sacreBLEU 2.x's definitions and defaults (13a tokenization and exp smoothing for BLEU, Tercom
 * shifts for TER, multiple references) and give its numbers; each line carries a sacreBLEU-style
 * signature. CER/WER have no sacreBLEU counterpart; nmt/metrics/error_rate.ts defines them.
 *   deno task eval --hyp FILE --ref FILE [--ref FILE ...]     score a translation file
 *   deno task eval --model DIR [--data FILE] [--split test]   translate a split and score it
 * With --model, every distinct source sentence of the split is translated once and scored against
 * all of its translations in the data (multi-reference). A run folder supplies its own data, seed
 * and split sizes.
 */
import { parseCommandLine } from "./cli.ts";
import { BLEU_TOKENIZERS, type BleuTokenizer } from "../nmt/metrics/bleu.ts";
import {
  evaluate,
  evaluateSentences,
  formatResult,
  METRIC_NAMES,
  type MetricName,
  resultJson,
} from "../nmt/metrics/evaluate.ts";
import type { SentencePair } from "../nmt/data/corpus.ts";
import type { Device } from "../lib/device.ts";

const HELP = `Usage:
  deno task eval --hyp FILE --ref FILE [--ref FILE ...] [options]
  deno task eval --model DIR [--data FILE] [--split test|valid] [options]

Scores translations with corpus BLEU, chrF2, chrF2++, TER (numbers as sacreBLEU 2.x computes them with
its defaults, each printed with a sacreBLEU-style signature whose version names deno-torch), and CER
and WER (Levenshtein edits / reference length; characters with whitespace runs collapsed, words split
on whitespace; see nmt/metrics/error_rate.ts).
--hyp/--ref: one sentence per line; several --ref files give several references per line.
--model: translates the split's distinct source sentences (greedy unless --beam) and scores them against every
reference the data holds for each. A run folder (deno task train --out DIR) supplies its data,
seed and split sizes; otherwise give --data (and --seed, --valid-size, --test-size as in training).

Scoring options:
  --metrics LIST     comma-separated, from ${METRIC_NAMES.join(",")} (default: all)
  --tokenize NAME    BLEU's tokenizer: 13a (default), intl (Unicode punctuation), none (pre-tokenized)
  --lowercase        case-insensitive BLEU, chrF, chrF++, CER, WER (TER is always case-insensitive)
  --sentence         sentence-level BLEU (sacreBLEU's sentence_bleu: exp smoothing, effective order),
                     one line per sentence, instead of the corpus scores
  --json             print the results as JSON: per metric its score, signature and statistics
                     (with --sentence: a "sentence_bleu" list)

Model options:
  --split NAME       test (default) or valid
  --limit N          score only the first N source sentences of the split
  --batch-size N     sentences decoded together (default 96)
  --beam K           beam search with K hypotheses (default 1 = greedy)
  --length-penalty P none, average, or gnmt:ALPHA (default gnmt:0.6 with --beam > 1)
  --max-len N        most output ids per sentence (default: the model's tgt_seq_len)
  --device DEV       cpu (default), cuda, cuda:N
  --int8             quantize the linear layers to int8 at load (CPU only)
  --no-pack          f32 on the CPU: ATen's linear, as PyTorch multiplies, instead of oneDNN on weights
                     packed at load (faster; logits agree with PyTorch's to f32 rounding)
  --shortlist        score only the model folder's shortlist of target words (deno task shortlist)
  --out FILE         also write the hypotheses (one per line)
  -h, --help         this text

Exit status: 0 scored, 1 unexpected failure, 2 bad usage or input (unknown flag, unreadable file,
mismatched line counts, nothing to score).`;

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

interface ScoreOptions {
  metrics: MetricName[];
  tokenize: BleuTokenizer;
  lowercase: boolean;
  sentence: boolean;
  json: boolean;
}

/** Scores and prints; `extra` (model, data, splitKey, timing) heads the JSON output. */
function report(
  hyps: readonly string[],
  refs: readonly (readonly string[])[],
  o: ScoreOptions,
  extra: Record<string, unknown> = {},
): void {
  if (hyps.length === 0) fail("there are no hypotheses to score");
  const bleuOptions = { tokenize: o.tokenize, lowercase: o.lowercase };
  if (o.sentence) {
    const results = evaluateSentences(hyps, refs, bleuOptions);
    if (o.json) console.log(JSON.stringify({ ...extra, sentence_bleu: results.map(resultJson) }, null, 2));
    else for (const r of results) console.log(formatResult(r));
    return;
  }
  const results = evaluate(hyps, refs, { ...bleuOptions, metrics: o.metrics });
  const references = refs.reduce((n, r) => n + r.length, 0);
  if (o.json) {
    const byMetric = Object.fromEntries(results.map((r) => [r.metric, resultJson(r)]));
    console.log(JSON.stringify({ ...extra, sentences: hyps.length, references, ...byMetric }, null, 2));
    return;
  }
  for (const r of results) console.log(formatResult(r));
  console.log(`${hyps.length} sentences, ${references} references`);
}

/** --metrics, --tokenize: checked here, so a typo exits 2 with the choices instead of being ignored. */
function scoreOptions(f: {
  metrics?: string;
  tokenize: string;
  lowercase: boolean;
  sentence: boolean;
  json: boolean;
}): ScoreOptions {
  const metrics: MetricName[] = [];
  for (const name of (f.metrics ?? METRIC_NAMES.join(",")).split(",").map((m) => m.trim().toLowerCase())) {
    if (!METRIC_NAMES.includes(name as MetricName)) {
      fail(`--metrics: unknown metric ${JSON.stringify(name)} (choose from ${METRIC_NAMES.join(", ")})`);
    }
    if (!metrics.includes(name as MetricName)) metrics.push(name as MetricName);
  }
  if (!BLEU_TOKENIZERS.includes(f.tokenize as BleuTokenizer)) {
    fail(`--tokenize: unknown tokenizer ${JSON.stringify(f.tokenize)} (choose from ${BLEU_TOKENIZERS.join(", ")})`);
  }
  // Sentence mode scores BLEU only; asking for it and excluding BLEU is a contradiction, not a no-op.
  if (f.sentence && f.metrics !== undefined && !metrics.includes("bleu")) {
    fail("--sentence prints sentence-level BLEU; --metrics must include bleu");
  }
  return { metrics, tokenize: f.tokenize as BleuTokenizer, lowercase: f.lowercase, sentence: f.sentence, json: f.json };
}

async function main(): Promise<void> {
  const parsed = parseCommandLine({
    allowNegative: true,
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
      "batch-size": { type: "string", default: "96" },
      "max-len": { type: "string" },
      beam: { type: "string", default: "1" },
      "length-penalty": { type: "string" },
      device: { type: "string", default: "cpu" },
      int8: { type: "boolean", default: false },
      pack: { type: "boolean", default: true },
      shortlist: { type: "boolean", default: false },
      out: { type: "string" },
      metrics: { type: "string" },
      tokenize: { type: "string", default: "13a" },
      lowercase: { type: "boolean", default: false },
      sentence: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  }, fail);
  const f = parsed.values;
  if (f.help) return console.log(HELP);
  const scoring = scoreOptions(f);
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
    return report(hyps, hyps.map((_, i) => streams.map((s) => s[i])), scoring);
  }

  if (f.model === undefined) fail("give --hyp FILE --ref FILE, or --model DIR");
  if (f.split !== "test" && f.split !== "valid") fail(`--split must be test or valid, got ${f.split}`);
  // Loaded only here: scoring files needs neither the native library nor the training code.
  const { loadModelFolder } = await import("../nmt/io/folder.ts");
  const { translate } = await import("../nmt/decode/translate.ts");
  const { parseLengthPenalty } = await import("../nmt/decode/parse_length_penalty.ts");
  const { formatDuration } = await import("../nmt/train/progress.ts");
  const { resolveModelFolder } = await import("../nmt/io/hub.ts");
  const { runSplits } = await import("../nmt/data/run_splits.ts");
  let modelDir: string;
  try {
    modelDir = await resolveModelFolder(f.model);
  } catch (e) {
    console.error(`eval: ${(e as Error).message}`);
    Deno.exit(1);
  }
  let split: SentencePair[];
  let o: { data: string | null };
  try {
    const overrides = {
      data: f.data,
      seed: num("seed", f.seed),
      validSize: num("valid-size", f["valid-size"]),
      testSize: num("test-size", f["test-size"]),
    };
    const splits = await runSplits(modelDir, overrides);
    split = splits[f.split as "test" | "valid"];
    o = splits.options;
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    fail(e.message);
  }
  const refs = new Map<string, string[]>();
  for (const p of split) refs.set(p.src, [...(refs.get(p.src) ?? []), p.tgt]);
  let sources = [...refs.keys()];
  const limit = num("limit", f.limit);
  if (limit !== undefined) sources = sources.slice(0, limit);

  const beam = num("beam", f.beam)!;
  if (!Number.isInteger(beam) || beam < 1) fail(`--beam needs a positive integer, got ${JSON.stringify(f.beam)}`);
  let lengthPenalty;
  try {
    lengthPenalty = parseLengthPenalty(f["length-penalty"], beam);
  } catch (e) {
    fail((e as Error).message);
  }
  const folder = loadModelFolder(modelDir, {
    device: f.device as Device,
    int8: f.int8,
    shortlist: f.shortlist,
    pack: f.pack,
  });
  const started = performance.now();
  const batchSize = num("batch-size", f["batch-size"]) ?? 96;
  const hyps: string[] = [];
  // Groups of several batches: translate sorts each group by length (less padding), and progress is
  // printed after each.
  const group = batchSize * 8;
  for (let i = 0; i < sources.length; i += group) {
    const results = await translate(folder, sources.slice(i, i + group), {
      batchSize,
      maxLen: num("max-len", f["max-len"]),
      beam,
      lengthPenalty,
      device: f.device as Device,
    });
    hyps.push(...results.map((r) => r.text));
    const done = Math.min(i + group, sources.length);
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
  report(hyps, refLists, scoring, {
    model: f.model,
    data: o.data ?? "generated",
    split: f.split,
    decoding: (beam > 1 ? `beam ${beam}, length penalty ${JSON.stringify(lengthPenalty)}` : "greedy") +
      (f.int8 ? ", int8" : "") + (f.shortlist ? ", shortlist" : ""),
    seconds: (performance.now() - started) / 1000,
  });
}

await main();
