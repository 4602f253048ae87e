/** `deno task average`: one model folder whose weights are the mean of several checkpoints'. */
import { parseCommandLine } from "./cli.ts";
import { loadModelFolder, type ModelFolder, saveModelFolder } from "../nmt/io/folder.ts";
import { listCheckpoints } from "../nmt/train/checkpoint.ts";
import { averageModels } from "../nmt/train/average.ts";

const HELP = `Usage: deno task average --out DIR (--last N RUN | MODEL_DIR MODEL_DIR ...)

Averages the weights of several checkpoints of one training run into a model folder that
translate, eval and the PyTorch reference load. Averaging the last few checkpoints of a run
usually scores a little better than the last one alone.

  --last N RUN    the newest N checkpoints in RUN/checkpoints (deno task train --out RUN)
  MODEL_DIR ...   or name the model folders (checkpoints) to average
  --out DIR       where to write the averaged model folder (replaced atomically)
  -h, --help      show this help

Exit status: 0 written, 1 a model failed to load or differs from the others, 2 bad usage.`;

function fail(message: string): never {
  console.error(`average: ${message}\n(deno task average --help)`);
  Deno.exit(2);
}

async function main(): Promise<void> {
  const parsed = parseCommandLine({
    allowPositionals: true,
    options: {
      out: { type: "string" },
      last: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  }, fail);
  const { values: f, positionals } = parsed;
  if (f.help) return console.log(HELP);
  if (f.out === undefined) fail("--out DIR is required");
  let dirs = positionals;
  if (f.last !== undefined) {
    const n = Number(f.last);
    if (!Number.isInteger(n) || n < 1) fail(`--last must be a positive integer, got ${JSON.stringify(f.last)}`);
    if (positionals.length !== 1) fail(`--last N takes one run folder, got ${positionals.length}`);
    const run = positionals[0].replace(/\/+$/, "");
    const all = await listCheckpoints(`${run}/checkpoints`);
    if (all.length === 0) fail(`${run}/checkpoints holds no checkpoints`);
    if (all.length < n) fail(`${run}/checkpoints holds ${all.length} checkpoints, fewer than --last ${n}`);
    dirs = all.slice(-n).map((name) => `${run}/checkpoints/${name}`);
  }
  if (dirs.length === 0) fail("name the model folders to average, or --last N RUN");

  let folder: ModelFolder;
  try {
    folder = averageModels(dirs.map((d) => loadModelFolder(d)), dirs);
  } catch (e) {
    console.error(`average: ${(e as Error).message}`);
    Deno.exit(1);
  }
  await saveModelFolder(f.out, folder);
  console.log(`averaged ${dirs.length} models into ${f.out}:\n  ${dirs.join("\n  ")}`);
}

await main();
