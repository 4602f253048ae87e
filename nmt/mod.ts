/**
 * The English→Italian translator built with deno-torch: the "Attention Is All You Need" Transformer,
 * model folders in the seed's Hugging Face layout, tokenizers, corpora, batching, greedy and beam
 * decoding, the training loop with its checkpoints, and the hub. Tensors and ops come from the
 * library's own entry point (`"."`); the sacreBLEU-compatible metrics from `./metrics`.
 *
 * ```ts
 * import { loadModelFolder, translate } from "@deno-torch/torch/nmt";
 * const folder = loadModelFolder("runs/tiny-2026-01-01");
 * const [out] = await translate(folder, ["The red cat is in the garden."]); // out.text: "Il gatto rosso è nel giardino."
 * ```
 *
 * @module
 */

/**
 * The Transformer as pure functions of (params, inputs, mode): `transformer.encode`,
 * `transformer.decode`, `transformer.project`, `transformer.decodeStep` (KV cache) and the masks.
 *
 * @example
 * ```ts
 * import { initTransformer, transformer } from "@deno-torch/torch/nmt";
 * import { rng } from "@deno-torch/torch";
 * const model = initTransformer(config, rng(0));
 * const memory = transformer.encode(model, src, srcMask, transformer.evalMode);
 * ```
 */
export * as transformer from "./model/transformer.ts";
export type {
  AttentionParams,
  DecoderLayerParams,
  EncoderLayerParams,
  FeedForwardParams,
  LayerNormParams,
  Mode,
  ResidualParams,
  Transformer,
  TransformerBuffers,
  TransformerConfig,
  TransformerParams,
} from "./model/transformer.ts";
export { evalMode, trainMode } from "./model/transformer.ts";
export { buildParams, initTransformer, type ParamInit, positionalTable, validateConfig } from "./model/init.ts";
export { type LossOptions, type TranslationBatch, translationLoss } from "./model/loss.ts";
// Model folders (config.json, model.safetensors, tokenizer_<lang>.json) and the Hugging Face hub.
export * from "./io/folder.ts";
export { DownloadError, downloadFile, type DownloadOptions } from "./io/download.ts";
export { hubCacheDir, hubEndpoint, HubError, type HubRef, parseHubRef, resolveModelFolder } from "./io/hub.ts";
// Tokenizers: loading tokenizer.json, and training word-level (one per language) or shared BPE ones.
export * from "./tokenize/tokenizer.ts";
export * from "./tokenize/pretokenize.ts";
export { compareCodepoints } from "./tokenize/codepoint.ts";
export { DEFAULT_SPECIALS } from "./tokenize/tokenizer_json.ts";
export * from "./tokenize/wordlevel.ts";
export * from "./tokenize/bpe.ts";
export { BpeMerges } from "./tokenize/bpe_apply.ts";
export * from "./tokenize/stats.ts";
export { detokenize } from "./tokenize/detokenize.ts";
// Corpora: the generated one, files (JSONL, TSV, Moses, parquet), the seed's opus_books, splits.
export { type GeneratedPair, syntheticCorpus } from "./data/synthetic.ts";
export * from "./data/corpus.ts";
export * from "./data/opus_books.ts";
export { splitBySource, type SplitOptions, type Splits, type SplitSize } from "./data/split.ts";
export { deriveSeed, Prng } from "./data/prng.ts";
// Batching: tokenized examples, length-bucketed batches, padding.
export { type Example, type LengthLimits, type TokenizedCorpus, tokenizePairs } from "./data/examples.ts";
export {
  epochPlan,
  labelTokens,
  makeBatch,
  type PaddingReport,
  paddingReport,
  type PlanOptions,
} from "./data/batches.ts";
export { padBatch } from "./data/pad.ts";
// Decoding: greedy and beam search, whole-sentence translation, attention maps.
export { greedyDecode, type GreedyOptions } from "./decode/greedy.ts";
export { canPack, isQuantized, packModel, quantizeModel } from "./model/quantize.ts";
export {
  buildShortlist,
  type IdPair,
  type Shortlist,
  shortlistFor,
  type ShortlistOptions,
} from "./decode/shortlist.ts";
export { type MaxLen, sourceIds, translate, type TranslateOptions, type Translation } from "./decode/translate.ts";
export type { LengthPenalty } from "./decode/beam.ts";
export type { AttentionMaps } from "./decode/attention.ts";
// Training: the step, validation, the options and presets, the loop, checkpoints, averaging.
export { type StepConfig, type StepResult, trainStep } from "./train/step.ts";
export { exactMatch, greedyOutputs, validationLoss } from "./train/evaluate.ts";
export {
  type Precision,
  type PresetName,
  PRESETS,
  type ScheduleKind,
  type TokenizerKind,
  type TrainOptions,
  validateOptions,
} from "./train/options.ts";
export { type RunRequest, type RunSummary, runTraining } from "./train/run.ts";
export {
  type Checkpoint,
  latestCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
  type TrainState,
} from "./train/checkpoint.ts";
export { averageModels } from "./train/average.ts";
