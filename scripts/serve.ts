/** `deno task serve`: the translation app and its JSON API for a model folder. */
import { parseCommandLine } from "./cli.ts";
import { loadModelFolder } from "../nmt/io/folder.ts";
import { resolveModelFolder } from "../nmt/io/hub.ts";
import { createApp } from "../nmt/serve/server.ts";
import { DEFAULT_LIMITS } from "../nmt/serve/api.ts";

const HELP = `Usage: deno task serve --model DIR [--port 8000] [--host 127.0.0.1]

Serves a page where English is translated as you type (greedy or beam search, the n-best list with
scores, the cross-attention heatmap), and a JSON API beside it:

  POST /api/translate   {"text": "..."} or {"texts": ["...", ...]}; options: "beam" (1-${DEFAULT_LIMITS.maxBeam}),
                        "nbest" (≤ beam), "lengthPenalty" (none, average, gnmt:ALPHA), "attention" (one text)
  GET  /api/model       config, vocabulary sizes, parameter count, limits
  GET  /api/health      status and batching counts

Requests that arrive while a decode runs are decoded together next. Limits: at most
${DEFAULT_LIMITS.maxChars} characters per text and ${DEFAULT_LIMITS.maxTexts} texts per request; bad requests get a 4xx JSON error.

Options:
  --model DIR      model folder (a training run, or the seed's Hugging Face layout), or hf:user/name
  --port N         port (default 8000; 0 picks a free one)
  --host ADDR      address to bind (default 127.0.0.1: this machine only)
  --window-ms N    how long an idle server waits for more requests before decoding (default 0); requests
                   that arrive during a decode are always decoded together next
  --int8           quantize the linear layers to int8 at load (faster; CPU only)
  --no-pack        f32: ATen's linear, as PyTorch multiplies, instead of oneDNN on weights packed at load
  --shortlist      score only the model folder's shortlist of target words (deno task shortlist)
  -h, --help       this text`;

function fail(message: string): never {
  console.error(`serve: ${message}\n(deno task serve --help)`);
  Deno.exit(2);
}

async function main(): Promise<void> {
  const flags = parseCommandLine({
    allowNegative: true,
    options: {
      model: { type: "string" },
      port: { type: "string", default: "8000" },
      host: { type: "string", default: "127.0.0.1" },
      "window-ms": { type: "string", default: "0" },
      int8: { type: "boolean", default: false },
      pack: { type: "boolean", default: true },
      shortlist: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  }, fail).values;
  if (flags.help) return console.log(HELP);
  if (!flags.model) fail("--model DIR is required");
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0-65535, got ${flags.port}`);
  const windowMs = Number(flags["window-ms"]);
  if (!Number.isFinite(windowMs) || windowMs < 0) fail(`--window-ms must be ≥ 0, got ${flags["window-ms"]}`);
  let folder;
  try {
    folder = loadModelFolder(await resolveModelFolder(flags.model), {
      int8: flags.int8,
      shortlist: flags.shortlist,
      pack: flags.pack,
    });
  } catch (e) {
    console.error(`serve: cannot load the model: ${(e as Error).message}`);
    Deno.exit(1);
  }
  const { handler } = createApp(folder, { windowMs });
  Deno.serve({
    hostname: flags.host,
    port,
    onListen: ({ hostname, port }) => console.log(`serving ${flags.model} on http://${hostname}:${port}/`),
  }, handler);
}

await main();
