/**
 * `deno task translate --model DIR "sentence" ...`: translation with a model folder.
 * Sentences come from the arguments, from --file, or line by line from standard input (translated
 * as they arrive, in batches). Output: one line per input, in order, or JSON with --json.
 */
import { parseCommandLine } from "./cli.ts";
import { loadModelFolder, type ModelFolder } from "../nmt/io/folder.ts";
import { type MaxLen, translate, type TranslateOptions, type Translation } from "../nmt/decode/translate.ts";
import type { LengthPenalty } from "../nmt/decode/beam.ts";
import { parseLengthPenalty } from "../nmt/decode/parse_length_penalty.ts";
import { resolveModelFolder } from "../nmt/io/hub.ts";
import { renderAttention } from "../nmt/decode/attention_html.ts";
import type { Device } from "../lib/device.ts";

const HELP = `Usage: deno task translate --model DIR [options] ["sentence" ...]

Translates with the model folder DIR (config.json, model.safetensors, tokenizer_<src>.json,
tokenizer_<tgt>.json; this project's run folders and the seed's published layout alike).
Sentences come from the arguments, from --file, or one per line from standard input.

Options:
  --model DIR             model folder (required), or hf:user/name[@revision] (downloaded once, cached)
  --file FILE             read sentences from FILE, one per line
  --beam K                beam search with K hypotheses (default 1 = greedy)
  --length-penalty P      none, average, or gnmt:ALPHA (default gnmt:0.6 with --beam > 1)
  --nbest N               with --beam: print the N best translations of each sentence
  --max-len L             most output ids: N, or relative to the source as SCALEx+OFFSET (e.g. 2x+10)
                          (default: the model's tgt_seq_len)
  --tokens                print the seed's form (tokens joined by spaces) instead of running text
  --json                  print a JSON array of {source, translation, text, tokens, ids, score} (+ alternatives)
  --attention FILE.html   write a page with the cross-attention heatmap of each sentence
  --batch-size N          most sentences decoded together (default 96)
  --max-tokens N          most source tokens in a batch, padding included (default 768): long
                          sentences go in smaller batches, which bounds the memory they take
  --device DEV            cpu (default), cuda or cuda:N
  --int8                  quantize the linear layers to int8 at load (dynamic; oneDNN's int8 kernel
                          where built, else libtorch's onednn engine; CPU only): faster, within a
                          fraction of a BLEU point of f32
  --no-pack               f32 on the CPU: multiply with ATen's linear, as PyTorch does (logits equal to
                          its to the last bit), instead of oneDNN on weights packed at load (faster)
  --shortlist             score only the model folder's shortlist of target words (deno task shortlist)
  -h, --help              show this help`;

function fail(message: string): never {
  console.error(`translate: ${message}\n(deno task translate --help)`);
  Deno.exit(2);
}

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

function parseMaxLen(value: string | undefined): MaxLen | undefined {
  if (value === undefined) return undefined;
  const relative = /^(\d+(?:\.\d+)?)x(?:\+(\d+))?$/.exec(value);
  if (relative) return { scale: Number(relative[1]), offset: Number(relative[2] ?? 0) };
  return positiveInt("max-len", value);
}

function parsePenalty(value: string | undefined, beam: number): LengthPenalty {
  try {
    return parseLengthPenalty(value, beam);
  } catch (e) {
    fail((e as Error).message);
  }
}

/**
 * Lines of standard input as they arrive: each read's complete lines together (translate batches
 * them by --batch-size), so a line typed at a terminal is translated at once and a piped file goes
 * in large groups.
 */
async function* stdinBatches(): AsyncGenerator<string[]> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of Deno.stdin.readable) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split(/\r?\n/); // blank lines too: the output keeps one line per input line
    pending = lines.pop()!;
    if (lines.length > 0) yield lines;
  }
  pending += decoder.decode();
  if (pending !== "") yield [pending];
}

let jsonRows = 0;

/** Translations of `lines` in order; a blank line gives an empty translation, so outputs stay aligned. */
async function translateLines(folder: ModelFolder, lines: string[], opts: TranslateOptions): Promise<Translation[]> {
  const filled = lines.flatMap((line, i) => line.trim() === "" ? [] : [i]);
  const done = await translate(folder, filled.map((i) => lines[i]), opts);
  const out: Translation[] = lines.map((source) => ({
    source,
    translation: "",
    text: "",
    tokens: [],
    ids: [],
    logProb: 0,
    score: 0,
    sourceTokens: [],
    truncated: 0,
    attention: opts.attention ? [] : undefined,
  }));
  filled.forEach((i, j) => out[i] = done[j]);
  return out;
}

function print(results: Translation[], flags: { json: boolean; tokens: boolean; nbest: number }): void {
  for (const r of results) {
    if (r.truncated > 0) {
      console.error(`translate: "${r.source.slice(0, 40)}…" lost ${r.truncated} tokens beyond src_seq_len`);
    }
    if (flags.json) {
      const { source, translation, text, tokens, ids, score, logProb, alternatives } = r;
      const row = JSON.stringify({
        source,
        translation,
        text,
        tokens,
        ids,
        score,
        logProb,
        ...(alternatives ? { alternatives } : {}),
      });
      // A JSON array written as it streams: "[" first, "," between objects, "]" at the end.
      console.log(`${jsonRows++ === 0 ? "[" : ","}${row}`);
    } else {
      console.log(flags.tokens ? r.translation : r.text);
      for (const alt of r.alternatives ?? []) {
        console.log(`  ${flags.tokens ? alt.tokens.join(" ") : alt.text}\t(${alt.score.toFixed(4)})`);
      }
    }
  }
}

async function main(): Promise<void> {
  const parsed = parseCommandLine({
    allowPositionals: true,
    allowNegative: true,
    options: {
      model: { type: "string" },
      file: { type: "string" },
      beam: { type: "string" },
      "length-penalty": { type: "string" },
      nbest: { type: "string" },
      json: { type: "boolean", default: false },
      tokens: { type: "boolean", default: false },
      attention: { type: "string" },
      "max-len": { type: "string" },
      "batch-size": { type: "string" },
      "max-tokens": { type: "string" },
      device: { type: "string", default: "cpu" },
      int8: { type: "boolean", default: false },
      pack: { type: "boolean", default: true },
      shortlist: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  }, fail);
  const { values: flags, positionals } = parsed;
  if (flags.help) return console.log(HELP);
  if (!flags.model) fail("--model DIR is required");
  if (flags.file && positionals.length > 0) fail("give sentences as arguments or with --file, not both");
  const beam = positiveInt("beam", flags.beam) ?? 1;
  const nbest = positiveInt("nbest", flags.nbest) ?? 1;
  if (nbest > beam) fail(`--nbest ${nbest} needs --beam of at least ${nbest}`);
  const opts: TranslateOptions = {
    beam,
    nbest,
    lengthPenalty: parsePenalty(flags["length-penalty"], beam),
    maxLen: parseMaxLen(flags["max-len"]),
    batchSize: positiveInt("batch-size", flags["batch-size"]),
    maxTokens: positiveInt("max-tokens", flags["max-tokens"]),
    attention: flags.attention !== undefined,
    device: flags.device as Device,
  };

  let folder: ModelFolder;
  try {
    folder = loadModelFolder(await resolveModelFolder(flags.model), {
      device: opts.device,
      int8: flags.int8,
      shortlist: flags.shortlist,
      pack: flags.pack,
    });
  } catch (e) {
    console.error(`translate: cannot load the model: ${(e as Error).message}`);
    Deno.exit(1);
  }
  let batches: AsyncIterable<string[]> | Iterable<string[]>;
  if (flags.file) {
    let text: string;
    try {
      text = await Deno.readTextFile(flags.file);
    } catch (e) {
      fail(`cannot read --file ${flags.file}: ${(e as Error).message}`);
    }
    const lines = text.split(/\r?\n/);
    if (lines[lines.length - 1] === "") lines.pop(); // the final newline ends the last line
    batches = [lines];
  } else if (positionals.length > 0) batches = [positionals];
  else batches = stdinBatches();

  const pages = [];
  let count = 0;
  for await (const sentences of batches) {
    const results = await translateLines(folder, sentences, opts);
    print(results, { json: flags.json, tokens: flags.tokens, nbest });
    count += results.length;
    if (flags.attention) {
      for (const r of results.filter((r) => r.ids.length > 0)) {
        pages.push({
          source: r.sourceTokens,
          output: [...r.tokens, "[EOS]"].slice(0, r.ids.length - 1),
          maps: r.attention!,
        });
      }
    }
  }
  if (count === 0) fail("no sentences given (as arguments, with --file, or on standard input)");
  if (flags.json) console.log("]");
  if (flags.attention) {
    await Deno.writeTextFile(flags.attention, renderAttention(pages));
    console.error(`translate: attention maps written to ${flags.attention}`);
  }
}

await main();
