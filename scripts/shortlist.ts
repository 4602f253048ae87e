/**
 * `deno task shortlist`: builds a model folder's lexical shortlist from its training split, measures
 * what it costs in BLEU on the validation split (greedy, with and without it), and writes
 * `shortlist.safetensors` into the folder only when the loss is within --max-loss.
 */
import { parseCommandLine } from "./cli.ts";

const HELP = `Usage: deno task shortlist --model DIR [options]

Builds a lexical shortlist for the model folder DIR (a training run): for each source word, the
target words seen most often in the same training pairs, plus the most frequent target words. With
it, decoding scores a few thousand target words per batch instead of the whole vocabulary
(translate, eval and serve take --shortlist). It is measured first: greedy BLEU on the validation
split with and without it, and written into DIR only when it costs at most --max-loss BLEU.

Options:
  --model DIR        the model folder (required); a training run supplies its data and splits
  --data FILE        the training corpus (default: the run's)
  --per-word N       target candidates per source word (default 50)
  --frequent N       most frequent target words always scored (default 500)
  --valid N          validation sentences to measure on (default 1000; 0: the whole split)
  --max-loss B       most BLEU the shortlist may cost to be written (default 0.2)
  --force            write it whatever it costs
  -h, --help         this text`;

function fail(message: string): never {
  console.error(`shortlist: ${message}\n(deno task shortlist --help)`);
  Deno.exit(2);
}

function count(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  return n;
}

async function main(): Promise<void> {
  const flags = parseCommandLine({
    options: {
      model: { type: "string" },
      data: { type: "string" },
      "per-word": { type: "string", default: "50" },
      frequent: { type: "string", default: "500" },
      valid: { type: "string", default: "1000" },
      "max-loss": { type: "string", default: "0.2" },
      force: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  }, fail).values;
  if (flags.help) return console.log(HELP);
  if (!flags.model) fail("--model DIR is required");
  const perWord = count("per-word", flags["per-word"], 1);
  const frequent = count("frequent", flags.frequent, 0);
  const validCount = count("valid", flags.valid, 0);
  const maxLoss = Number(flags["max-loss"]);
  if (!Number.isFinite(maxLoss) || maxLoss < 0) fail(`--max-loss must be a number ≥ 0, got ${flags["max-loss"]}`);

  const { loadModelFolder } = await import("../nmt/io/folder.ts");
  const { runSplits } = await import("../nmt/data/run_splits.ts");
  const { buildShortlist, shortlistFor } = await import("../nmt/decode/shortlist.ts");
  const { saveShortlist } = await import("../nmt/io/shortlist_file.ts");
  const { translate } = await import("../nmt/decode/translate.ts");
  const { corpusBleuMulti } = await import("../nmt/metrics/bleu.ts");
  const { free } = await import("../lib/scope.ts");
  const { tokenizePairs } = await import("../nmt/data/examples.ts");

  const dir = flags.model;
  let folder;
  let splits;
  try {
    folder = loadModelFolder(dir);
    splits = await runSplits(dir, { data: flags.data });
  } catch (e) {
    console.error(`shortlist: ${(e as Error).message}`);
    Deno.exit(1);
  }
  const { srcTokenizer, tgtTokenizer, model } = folder;
  const started = performance.now();
  const log = (line: string) => console.error(`${((performance.now() - started) / 1000).toFixed(1)} s  ${line}`);

  // Count co-occurrences over the pairs training kept, in the tokenizers' ids (specials left out),
  // tokenized in chunks as training tokenizes them (one encodeBatch over them all took minutes).
  const train = splits.train;
  log(`tokenizing ${train.length} training pairs`);
  const { examples } = await tokenizePairs(train, srcTokenizer, tgtTokenizer, model.config);
  log(`counting co-occurrences in ${examples.length} pairs`);
  const list = buildShortlist(
    examples,
    model.config.srcVocabSize,
    model.config.tgtVocabSize,
    { perWord, frequent },
  );
  log(`built: ${perWord} candidates per source word, ${list.frequent.length} frequent words`);

  // Measure: greedy BLEU on the validation sources, whole vocabulary against the shortlist.
  const refs = new Map<string, string[]>();
  for (const p of splits.valid) refs.set(p.src, [...(refs.get(p.src) ?? []), p.tgt]);
  const sources = [...refs.keys()].slice(0, validCount === 0 ? undefined : validCount);
  const refLists = sources.map((s) => refs.get(s)!);
  const score = async (withList: boolean) => {
    const t0 = performance.now();
    const out = await translate(withList ? { ...folder, shortlist: list } : folder, sources);
    const seconds = (performance.now() - t0) / 1000;
    return { bleu: corpusBleuMulti(out.map((r) => r.text), refLists).score, seconds };
  };
  const full = await score(false);
  const short = await score(true);
  const sizes = await Promise.all(
    Array.from({ length: Math.ceil(sources.length / 32) }, async (_, b) => {
      const ids = await srcTokenizer.encodeBatch(sources.slice(b * 32, b * 32 + 32));
      return shortlistFor(list, ids, Object.values(tgtTokenizer.special)).length;
    }),
  );
  const meanSize = sizes.reduce((a, b) => a + b, 0) / sizes.length;
  const loss = full.bleu - short.bleu;
  console.log(
    `validation, ${sources.length} sentences, greedy: BLEU ${full.bleu.toFixed(2)} whole vocabulary (${
      full.seconds.toFixed(2)
    } s), ${short.bleu.toFixed(2)} with the shortlist (${short.seconds.toFixed(2)} s); ` +
      `${meanSize.toFixed(0)} of ${model.config.tgtVocabSize} target words scored per batch of 32`,
  );
  free([model.params, model.buffers]);
  if (loss > maxLoss && !flags.force) {
    console.log(`not written: it costs ${loss.toFixed(2)} BLEU, more than --max-loss ${maxLoss} (--force writes it)`);
    Deno.exit(1);
  }
  saveShortlist(dir, list, {
    per_word: String(perWord),
    frequent: String(list.frequent.length),
    valid_sentences: String(sources.length),
    bleu_full: full.bleu.toFixed(2),
    bleu_shortlist: short.bleu.toFixed(2),
  });
  console.log(`wrote ${dir}/shortlist.safetensors (BLEU cost ${loss.toFixed(2)}, at most ${maxLoss})`);
}

await main();
