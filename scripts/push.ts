/** `deno task push`: publish a model folder to the Hugging Face hub, with a generated model card. */
import { parseCommandLine } from "./cli.ts";
import { loadModelFolder } from "../nmt/io/folder.ts";
import { hubEndpoint } from "../nmt/io/hub.ts";
import { modelCard, type ModelCardInput } from "../nmt/io/model_card.ts";
import { countParams } from "../lib/tree.ts";
import { free } from "../lib/scope.ts";
import { latestCheckpoint, type TrainState } from "../nmt/train/checkpoint.ts";

const HELP = `Usage: deno task push --model DIR --repo user/name [--dry-run] [--private] [--message TEXT]

Uploads a model folder (config.json, model.safetensors, the two tokenizer files) to the Hugging Face
hub, with a model card (README.md) written from its config and, for a training run, its settings and
last validation figures. The repository is created when it does not exist. The token comes from
HF_TOKEN; HF_ENDPOINT replaces https://huggingface.co. Others then use it with --model hf:user/name.

Options:
  --model DIR      the model folder (e.g. a training run)
  --repo NAME      user/name (or organization/name) on the hub
  --dry-run        list what would be uploaded and print the model card; send nothing
  --private        create the repository private
  --message TEXT   the commit message (default "Upload <repo> from deno-torch")
  -h, --help       this text

Exit status: 0 uploaded (or listed), 1 the upload failed, 2 bad usage or an unusable folder.`;

function fail(message: string, code = 2): never {
  console.error(`push: ${message}${code === 2 ? "\n(deno task push --help)" : ""}`);
  Deno.exit(code);
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch {
    return undefined;
  }
}

/** The last validation line of metrics.jsonl, if any. */
async function lastValidation(dir: string): Promise<ModelCardInput["validation"]> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/metrics.jsonl`);
  } catch {
    return undefined;
  }
  const valid = text.trim().split("\n").flatMap((l) => {
    try {
      const o = JSON.parse(l);
      return o.kind === "valid" ? [o] : [];
    } catch {
      return [];
    }
  });
  return valid[valid.length - 1];
}

async function main(): Promise<void> {
  const f = parseCommandLine({
    options: {
      model: { type: "string" },
      repo: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      private: { type: "boolean", default: false },
      message: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  }, fail).values;
  if (f.help) return console.log(HELP);
  if (!f.model) fail("--model DIR is required");
  if (!f.repo) fail("--repo user/name is required");
  if (!/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(f.repo)) {
    fail(`--repo must look like user/name, got ${JSON.stringify(f.repo)}`);
  }
  const dir = f.model.replace(/\/+$/, "");

  // Loading it proves the folder is complete and consistent before anything is sent.
  let card: string, files: string[];
  try {
    const folder = loadModelFolder(dir);
    // A checkpoint holds state.json itself; a run folder holds it in its newest checkpoint.
    const latest = await latestCheckpoint(dir);
    const state = await readJson<TrainState>(`${dir}/state.json`) ??
      (latest ? await readJson<TrainState>(`${latest}/state.json`) : undefined);
    card = modelCard({
      repo: f.repo,
      config: folder.model.config,
      srcLang: folder.srcLang,
      tgtLang: folder.tgtLang,
      parameters: countParams(folder.model.params),
      training: state
        ? {
          data: state.options?.data,
          steps: state.step,
          elapsedSeconds: state.elapsedSeconds,
        }
        : undefined,
      validation: await lastValidation(dir),
    });
    files = [
      "config.json",
      "model.safetensors",
      `tokenizer_${folder.srcLang}.json`,
      `tokenizer_${folder.tgtLang}.json`,
    ];
    free([folder.model.params, folder.model.buffers]);
  } catch (e) {
    fail(`${dir} is not a usable model folder: ${(e as Error).message}`);
  }
  const sizes = await Promise.all(files.map(async (name) => (await Deno.stat(`${dir}/${name}`)).size));
  const listing = [
    ...files.map((name, i) => `  ${name.padEnd(24)} ${sizes[i].toLocaleString("en-US").padStart(14)} bytes`),
    `  ${"README.md".padEnd(24)} ${
      new TextEncoder().encode(card).length.toLocaleString("en-US").padStart(14)
    } bytes (model card)`,
  ];
  const hubUrl = hubEndpoint();
  if (f["dry-run"]) {
    console.log(`would upload to ${hubUrl}/${f.repo}:\n${listing.join("\n")}\n\n--- README.md ---\n${card}`);
    return;
  }
  const accessToken = Deno.env.get("HF_TOKEN");
  if (!accessToken) fail("HF_TOKEN is not set: create a write token at https://huggingface.co/settings/tokens");

  const { createRepo, uploadFiles } = await import("@huggingface/hub");
  const repo = { type: "model" as const, name: f.repo };
  try {
    await createRepo({ repo, accessToken, hubUrl, private: f.private });
    console.log(`created ${hubUrl}/${f.repo}`);
  } catch (e) {
    // An existing repository is fine: the upload becomes a new commit on it.
    if (!/already (exists|created)|409|conflict/i.test(String((e as Error).message))) {
      fail(`cannot create ${f.repo}: ${(e as Error).message}`, 1);
    }
  }
  const upload = [
    ...await Promise.all(
      files.map(async (name) => ({ path: name, content: new Blob([await Deno.readFile(`${dir}/${name}`)]) })),
    ),
    { path: "README.md", content: new Blob([card]) },
  ];
  try {
    const result = await uploadFiles({
      repo,
      accessToken,
      hubUrl,
      files: upload,
      commitTitle: f.message ?? `Upload ${f.repo} from deno-torch`,
    });
    console.log(`uploaded to ${hubUrl}/${f.repo}:\n${listing.join("\n")}\ncommit ${result?.commit?.oid ?? "(none)"}`);
    console.log(`use it with: deno task translate --model hf:${f.repo} "..."`);
  } catch (e) {
    fail(`upload to ${f.repo} failed: ${(e as Error).message}`, 1);
  }
}

await main();
