/**
 * `deno task translate --model DIR "sentence" ...`: greedy translation with a model folder.
 * Prints one translation per line, or a JSON array with --json. Sentences come from the arguments,
 * or one per line from standard input when none are given.
 */
import { parseArgs } from "node:util";
import { loadModelFolder } from "../src/io/folder.ts";
import { translate } from "../src/decode/translate.ts";
import type { Device } from "../src/device.ts";

const HELP = `Usage: deno task translate --model DIR [options] ["sentence" ...]

Translates each sentence with the model folder DIR (config.json, model.safetensors,
tokenizer_<src>.json, tokenizer_<tgt>.json) by greedy decoding. Without sentences,
reads one sentence per line from standard input.

Options:
  --model DIR        model folder (required)
  --json             print a JSON array of {source, translation, tokens, ids}
  --max-len N        most output ids per sentence, [SOS]/[EOS] included (default: the model's tgt_seq_len)
  --batch-size N     sentences decoded together (default 32)
  --device DEV       cpu (default), cuda or cuda:N
  -h, --help         show this help`;

function fail(message: string): never {
  console.error(`translate: ${message}\n\n${HELP}`);
  Deno.exit(2);
}

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

async function readStdinLines(): Promise<string[]> {
  const text = await new Response(Deno.stdin.readable).text();
  return text.split(/\r?\n/).filter((line) => line.trim() !== "");
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: Deno.args,
      allowPositionals: true,
      options: {
        model: { type: "string" },
        json: { type: "boolean", default: false },
        "max-len": { type: "string" },
        "batch-size": { type: "string" },
        device: { type: "string", default: "cpu" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    fail((e as Error).message);
  }
  const { values: flags, positionals } = parsed;
  if (flags.help) {
    console.log(HELP);
    return;
  }
  if (!flags.model) fail("--model DIR is required");
  const maxLen = positiveInt("max-len", flags["max-len"]);
  const batchSize = positiveInt("batch-size", flags["batch-size"]);
  const device = flags.device as Device;

  const sentences = positionals.length > 0 ? positionals : await readStdinLines();
  if (sentences.length === 0) fail("no sentences given (as arguments or on standard input)");

  let folder;
  try {
    folder = loadModelFolder(flags.model, { device });
  } catch (e) {
    console.error(`translate: cannot load the model: ${(e as Error).message}`);
    Deno.exit(1);
  }
  const results = await translate(folder, sentences, { maxLen, batchSize, device });
  for (const r of results) {
    if (r.truncated > 0) {
      console.error(`translate: "${r.source.slice(0, 40)}…" lost ${r.truncated} tokens beyond src_seq_len`);
    }
  }
  if (flags.json) {
    const rows = results.map(({ source, translation, tokens, ids }) => ({ source, translation, tokens, ids }));
    console.log(JSON.stringify(rows, null, 2));
  } else {
    for (const r of results) console.log(r.translation);
  }
}

await main();
