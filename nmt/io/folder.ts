/**
 * Model folders in the seed's Hugging Face layout:
 *   config.json          architecture (src_vocab_size, d_model, N, h, ...) and the language pair
 *   model.safetensors    weights under the seed's state-dict names (optionally prefixed "model.")
 *   tokenizer_<lang>.json  one tokenizer.json per language
 * Folders written here load in the PyTorch reference, and the reference's load here.
 */
import { canPack, packModel, quantizeModel } from "../model/quantize.ts";
import type { Shortlist } from "../decode/shortlist.ts";
import { loadShortlist, SHORTLIST_FILE } from "./shortlist_file.ts";
import { flattenTree, flattenTreeWith, unflattenTree } from "../../lib/tree.ts";
import { free, scope } from "../../lib/scope.ts";
import { buffersFor, buildParams, type ParamInit, validateConfig } from "../model/init.ts";
import type { Transformer, TransformerBuffers, TransformerConfig, TransformerParams } from "../model/transformer.ts";
import { TextTokenizer } from "../tokenize/tokenizer.ts";
import {
  matchState,
  readSafetensors,
  readSafetensorsHeader,
  SafetensorsError,
  writeSafetensors,
} from "../../lib/io/safetensors.ts";
import { defaultDevice, type Device } from "../../lib/device.ts";
import type { Tensor } from "../../lib/tensor.ts";

/** Everything a model folder holds: the Transformer, its language pair and one tokenizer per side. */
export interface ModelFolder {
  /** The configuration, parameters and positional buffers, as `loadModelFolder` built them. */
  model: Transformer;
  /** The source language code from config.json (e.g. `"en"`). */
  srcLang: string;
  /** The target language code from config.json (e.g. `"it"`). */
  tgtLang: string;
  /** The tokenizer for source sentences (`tokenizer_<srcLang>.json`). */
  srcTokenizer: TextTokenizer;
  /** The tokenizer for target sentences (`tokenizer_<tgtLang>.json`). */
  tgtTokenizer: TextTokenizer;
  /** The lexical shortlist (`shortlist.safetensors`), when loaded with `shortlist: true`; `translate` then uses it. */
  shortlist?: Shortlist;
}

/**
 * A model folder that cannot be loaded: config.json or model.safetensors missing or unreadable, a
 * config.json field absent or invalid (named in the message), or a tokenizer with more tokens than the
 * config's vocabulary. Weights that do not fit the config raise `StateMismatchError` instead.
 *
 * @example
 * ```ts
 * import { loadModelFolder, ModelFolderError } from "@deno-torch/torch/nmt";
 * try {
 *   loadModelFolder("models/en-it");
 * } catch (e) {
 *   if (e instanceof ModelFolderError) console.error(e.message); // e.g. "models/en-it/config.json is missing"
 *   else throw e;
 * }
 * ```
 */
export class ModelFolderError extends Error {
  /**
   * Makes the error.
   *
   * @param message what is wrong, naming the file (and field) concerned
   * @param options the underlying error as `cause`, where there is one
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ModelFolderError";
  }
}

const PREFIX = "model.";
/** config.json's name of each config field: the seed's, so that the reference reads the file as is. */
const SEED_NAMES: Record<keyof TransformerConfig, string> = {
  srcVocabSize: "src_vocab_size",
  tgtVocabSize: "tgt_vocab_size",
  srcSeqLen: "src_seq_len",
  tgtSeqLen: "tgt_seq_len",
  dModel: "d_model",
  layers: "N",
  heads: "h",
  dropout: "dropout",
  dFF: "d_ff",
};
const BUFFER_NAMES = ["src_pos.pe", "tgt_pos.pe"] as const;

/** config.json → the architecture and language pair; every missing or bad field is named. */
export function parseConfig(
  text: string,
  source = "config.json",
): { config: TransformerConfig; srcLang: string; tgtLang: string } {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ModelFolderError(`${source} is not valid JSON: ${(e as Error).message}`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ModelFolderError(`${source} must hold a JSON object`);
  }
  const int = (field: keyof TransformerConfig, fallback?: string): number => {
    const name = SEED_NAMES[field];
    const v = raw[name] ?? (fallback === undefined ? undefined : raw[fallback]);
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
      throw new ModelFolderError(`${source}: "${name}" must be a positive integer, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const lang = (name: string, fallback: string): string => {
    const v = raw[name] ?? fallback;
    if (typeof v !== "string" || !/^[A-Za-z0-9_-]+$/.test(v)) {
      throw new ModelFolderError(`${source}: "${name}" must be a language code like "en", got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const dropout = raw.dropout ?? 0.1;
  if (typeof dropout !== "number" || !(dropout >= 0 && dropout < 1)) {
    throw new ModelFolderError(`${source}: "dropout" must be a number in [0, 1), got ${JSON.stringify(dropout)}`);
  }
  const config: TransformerConfig = {
    srcVocabSize: int("srcVocabSize"),
    tgtVocabSize: int("tgtVocabSize"),
    srcSeqLen: int("srcSeqLen", "seq_len"),
    tgtSeqLen: int("tgtSeqLen", "seq_len"),
    dModel: int("dModel"),
    layers: int("layers"),
    heads: int("heads"),
    dropout,
    dFF: int("dFF"),
  };
  try {
    validateConfig(config, (field) => `config.${SEED_NAMES[field]}`);
  } catch (e) {
    throw new ModelFolderError(`${source}: ${(e as Error).message}`);
  }
  return { config, srcLang: lang("src_lang", "en"), tgtLang: lang("tgt_lang", "it") };
}

/**
 * `config` under the seed's config.json names (`d_model`, `N`, `h`, …), as the app's `/api/model`
 * reports it to clients that know the seed's folders.
 */
export function seedConfig(config: TransformerConfig): Record<string, number> {
  return Object.fromEntries(
    Object.entries(SEED_NAMES).map(([field, name]) => [name, config[field as keyof TransformerConfig]]),
  );
}

/** The names and shapes of everything model.safetensors holds for `config`: parameters, then buffers. */
export function stateShapes(config: TransformerConfig): [string, number[]][] {
  const isInit = (x: unknown): x is ParamInit => x !== null && typeof x === "object" && "kind" in x;
  const params = flattenTreeWith(buildParams(config, (init) => init), isInit).map(([name, init]) =>
    [name, init.shape] as [string, number[]]
  );
  return [
    ...params,
    ["src_pos.pe", [1, config.srcSeqLen, config.dModel]],
    ["tgt_pos.pe", [1, config.tgtSeqLen, config.dModel]],
  ];
}

function readText(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new ModelFolderError(`${path} is missing`);
    throw new ModelFolderError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

/**
 * Loads a model folder. Keys may carry the "model." prefix of the seed's published folder. Missing
 * or unexpected keys and shape mismatches are reported by name before any tensor is created; the
 * sinusoid buffers are computed when the file lacks them. Tensors are created in the current scope.
 * With `int8`, the linear layers are quantized at load for int8 inference (`quantizeModel`; CPU only)
 * and their f32 weights freed. With `shortlist`, the folder's `shortlist.safetensors` is loaded too
 * (an error when it has none), and the output projection stays f32 for it. With `pack`, f32 linear
 * weights are packed for oneDNN (`packModel`) where this build can (`canPack`), and left as they are
 * elsewhere: faster decoding, with logits that agree with PyTorch's to f32 rounding instead of to the
 * last bit.
 */
export function loadModelFolder(
  dir: string,
  opts: { device?: Device; int8?: boolean; shortlist?: boolean; pack?: boolean } = {},
): ModelFolder {
  const device = opts.device ?? defaultDevice();
  if (opts.int8 && device !== "cpu") {
    throw new ModelFolderError(`int8 inference runs on the CPU only, not on ${device}`);
  }
  const { config, srcLang, tgtLang } = parseConfig(readText(`${dir}/config.json`), `${dir}/config.json`);
  const weightsPath = `${dir}/model.safetensors`;
  let header;
  try {
    header = readSafetensorsHeader(weightsPath);
  } catch (e) {
    if (e instanceof SafetensorsError) throw e;
    throw new ModelFolderError(`cannot read ${weightsPath}: ${(e as Error).message}`);
  }
  const names = header.entries.map((e) => e.name);
  const prefixed = names.length > 0 && names.every((n) => n.startsWith(PREFIX));
  const strip = (name: string) => prefixed ? name.slice(PREFIX.length) : name;
  const shapes = new Map(header.entries.map((e) => [strip(e.name), { shape: e.shape }]));
  const expected = stateShapes(config).filter(([name]) => shapes.has(name) || !BUFFER_NAMES.includes(name as never));
  matchState(expected, shapes, weightsPath);

  const srcTokenizer = TextTokenizer.fromFile(`${dir}/tokenizer_${srcLang}.json`);
  const tgtTokenizer = TextTokenizer.fromFile(`${dir}/tokenizer_${tgtLang}.json`);
  for (const [tok, field] of [[srcTokenizer, "srcVocabSize"], [tgtTokenizer, "tgtVocabSize"]] as const) {
    if (tok.vocabSize > config[field]) {
      throw new ModelFolderError(
        `${tok.source} has ${tok.vocabSize} tokens but config.${SEED_NAMES[field]} is ${config[field]}`,
      );
    }
  }

  const model = scope(() => {
    const { tensors } = readSafetensors(weightsPath, { device });
    const state = new Map([...tensors].map(([name, t]) => [strip(name), t]));
    const computed = buffersFor(config, device);
    const buffers: TransformerBuffers = {
      src_pos: { pe: (state.get("src_pos.pe") ?? computed.src_pos.pe) as TransformerBuffers["src_pos"]["pe"] },
      tgt_pos: { pe: (state.get("tgt_pos.pe") ?? computed.tgt_pos.pe) as TransformerBuffers["tgt_pos"]["pe"] },
    };
    const params = unflattenTree(
      [...state].filter(([name]) => !BUFFER_NAMES.includes(name as never)),
    ) as unknown as TransformerParams;
    const model = { config, params, buffers };
    const layers = { replace: true, projection: !opts.shortlist };
    if (opts.int8) return quantizeModel(model, layers);
    return opts.pack && canPack(device) ? packModel(model, layers) : model;
  });
  if (!opts.shortlist) return { model, srcLang, tgtLang, srcTokenizer, tgtTokenizer };
  let shortlist: Shortlist | null;
  try {
    shortlist = loadShortlist(dir, config.tgtVocabSize);
  } catch (e) {
    free([model.params, model.buffers]);
    throw new ModelFolderError((e as Error).message);
  }
  if (shortlist === null) {
    free([model.params, model.buffers]);
    throw new ModelFolderError(`${dir} has no ${SHORTLIST_FILE} (deno task shortlist --model ${dir} makes one)`);
  }
  return { model, srcLang, tgtLang, srcTokenizer, tgtTokenizer, shortlist };
}

/** The config.json this project writes: the seed's fields, so the reference reads it as is. */
export function configJSON(config: TransformerConfig, srcLang: string, tgtLang: string): Record<string, unknown> {
  return {
    model_type: "scratch-transformer",
    src_vocab_size: config.srcVocabSize,
    tgt_vocab_size: config.tgtVocabSize,
    seq_len: Math.max(config.srcSeqLen, config.tgtSeqLen),
    src_seq_len: config.srcSeqLen,
    tgt_seq_len: config.tgtSeqLen,
    d_model: config.dModel,
    N: config.layers,
    h: config.heads,
    dropout: config.dropout,
    d_ff: config.dFF,
    src_lang: srcLang,
    tgt_lang: tgtLang,
  };
}

/** Every tensor model.safetensors holds, under its state-dict name (no prefix). */
export function stateEntries(model: Transformer): [string, Tensor][] {
  return [...flattenTree(model.params), ...flattenTree(model.buffers)];
}

/**
 * Writes a model folder atomically: everything goes into a sibling temporary folder that then
 * replaces `dir`, so `dir` is never left half written.
 */
export async function saveModelFolder(dir: string, folder: ModelFolder): Promise<void> {
  const { model, srcLang, tgtLang } = folder;
  const suffix = crypto.randomUUID().slice(0, 8);
  const tmp = `${dir.replace(/\/+$/, "")}.tmp-${suffix}`;
  await Deno.mkdir(tmp, { recursive: true });
  try {
    await Deno.writeTextFile(
      `${tmp}/config.json`,
      JSON.stringify(configJSON(model.config, srcLang, tgtLang), null, 2) + "\n",
    );
    writeSafetensors(`${tmp}/model.safetensors`, stateEntries(model));
    await folder.srcTokenizer.save(`${tmp}/tokenizer_${srcLang}.json`);
    await folder.tgtTokenizer.save(`${tmp}/tokenizer_${tgtLang}.json`);
    await replaceDir(tmp, dir);
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
}

/** Moves `from` to `to`, replacing an existing `to` only once `from` is complete. */
export async function replaceDir(from: string, to: string): Promise<void> {
  const old = `${to.replace(/\/+$/, "")}.old-${crypto.randomUUID().slice(0, 8)}`;
  let moved = false;
  try {
    await Deno.rename(to, old);
    moved = true;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  await Deno.rename(from, to);
  if (moved) await Deno.remove(old, { recursive: true });
}
