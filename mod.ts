/**
 * deno-torch: a shape-typed, purely functional tensor DSL on libtorch, and a Transformer for
 * neural machine translation built with it. Import from here; everything public is re-exported.
 *
 * ```ts
 * import { matmul, randn, rng, scope, type Tensor } from "./mod.ts";
 * const y = scope(() => matmul(randn([2, 3], rng(0)), randn([3, 4], rng(1)))); // Tensor<[2, 4]>
 * ```
 */
export { DeviceError, DTypeError, FreedTensorError, LibraryError, ShapeError, TorchError } from "./ffi/errors.ts";
export * from "./src/shape.ts";
export { assume, type Handle, Tensor } from "./src/tensor.ts";
export type { DType, FloatDType } from "./src/dtype.ts";
export { canonicalDevice, type Device } from "./src/device.ts";
export * from "./src/create.ts";
export * from "./src/transfer.ts";
export { forEachTensor, free, keep, memory, type MemoryReport, type Scope, scope } from "./src/scope.ts";
export * from "./src/rng.ts";
export * from "./src/ops/elementwise.ts";
export * from "./src/ops/shape.ts";
export * from "./src/ops/reduce.ts";
export * from "./src/ops/linalg.ts";
export * from "./src/ops/nn.ts";
export * from "./src/autograd.ts";
export * from "./src/tree.ts";
export * from "./src/runtime.ts";

// The Transformer (layers as pure functions: transformer.encode, transformer.decodeStep, ...).
/**
 * The Transformer's layers as pure functions of (params, inputs, mode): `transformer.encode`,
 * `transformer.decode`, `transformer.project`, `transformer.decodeStep` (KV cache) and the blocks.
 *
 * @example
 * ```ts
 * import { initTransformer, rng, transformer } from "@deno-torch/nmt";
 * const model = initTransformer(config, rng(0));
 * const memory = transformer.encode(model, src, srcMask, transformer.evalMode);
 * ```
 */
export * as transformer from "./src/nn/transformer.ts";
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
} from "./src/nn/transformer.ts";
export { evalMode, trainMode } from "./src/nn/transformer.ts";
export { buildParams, initTransformer, type ParamInit, positionalTable, validateConfig } from "./src/nn/init.ts";
export { type LossOptions, type TranslationBatch, translationLoss } from "./src/nn/loss.ts";
// Files: safetensors, model folders, tokenizers.
export * from "./src/io/safetensors.ts";
export * from "./src/io/folder.ts";
export * from "./src/tokenize/tokenizer.ts";
// Data and decoding.
export { padBatch } from "./src/data/pad.ts";
export { greedyDecode, type GreedyOptions } from "./src/decode/greedy.ts";
export { type MaxLen, sourceIds, translate, type TranslateOptions, type Translation } from "./src/decode/translate.ts";
export type { LengthPenalty } from "./src/decode/beam.ts";
export type { AttentionMaps } from "./src/decode/attention.ts";
// Data: the generated corpus, splits, tokenized examples, length-bucketed batches.
export { type GeneratedPair, syntheticCorpus } from "./src/data/synthetic.ts";
export { splitBySource, type SplitOptions, type Splits, type SplitSize } from "./src/data/split.ts";
export { type Example, type LengthLimits, type TokenizedCorpus, tokenizePairs } from "./src/data/examples.ts";
export {
  epochPlan,
  labelTokens,
  makeBatch,
  type PaddingReport,
  paddingReport,
  type PlanOptions,
} from "./src/data/batches.ts";
export { deriveSeed, Prng } from "./src/data/prng.ts";
// Tokenizer training: word-level (one per language) and BPE (shared), written as tokenizer.json.
export * from "./src/tokenize/pretokenize.ts";
export { compareCodepoints } from "./src/tokenize/codepoint.ts";
export { DEFAULT_SPECIALS } from "./src/tokenize/tokenizer_json.ts";
export * from "./src/tokenize/wordlevel.ts";
export * from "./src/tokenize/bpe.ts";
export { BpeMerges } from "./src/tokenize/bpe_apply.ts";
export * from "./src/tokenize/stats.ts";
// Data: parallel corpora from files (JSONL, TSV, Moses, parquet) and the seed's opus_books dataset.
export * from "./src/data/corpus.ts";
export * from "./src/data/opus_books.ts";
export { DownloadError, downloadFile, type DownloadOptions } from "./src/io/download.ts";
export { hubCacheDir, hubEndpoint, HubError, type HubRef, parseHubRef, resolveModelFolder } from "./src/io/hub.ts";
// Metrics: corpus BLEU and chrF with sacreBLEU's default settings and numbers.
export { type BleuScore, corpusBleu, corpusBleuMulti } from "./src/metrics/bleu.ts";
export { type ChrfOrderStats, type ChrfScore, corpusChrf } from "./src/metrics/chrf.ts";
export { tokenize13a } from "./src/metrics/tokenize13a.ts";
export { detokenize } from "./src/tokenize/detokenize.ts";
// Optimization and training: pure Adam/AdamW, clipping, schedules, the training step and loop.
export { type AdamConfig, adamInit, type AdamState, adamUpdate, type UpdateOptions } from "./src/optim/adam.ts";
export { clipGradNorm } from "./src/optim/clip.ts";
export { constant, type Schedule, warmupInverseSqrt } from "./src/optim/schedule.ts";
export { type StepConfig, type StepResult, trainStep } from "./src/train/step.ts";
export { exactMatch, greedyOutputs, validationLoss } from "./src/train/evaluate.ts";
export {
  type PresetName,
  PRESETS,
  type ScheduleKind,
  type TokenizerKind,
  type TrainOptions,
  validateOptions,
} from "./src/train/options.ts";
export { type RunRequest, type RunSummary, runTraining } from "./src/train/run.ts";
export { averageModels } from "./src/train/average.ts";
// Data-parallel training across processes (c10d, Gloo).
export {
  type AllReduceGradOptions,
  allReduceMean,
  allReduceSum,
  backendFor,
  barrier,
  broadcast,
  destroyDistributed,
  type DistributedBackend,
  distributedBackend,
  type DistributedConfig,
  distributedConfigFromEnv,
  freePort,
  initDistributed,
  rank,
  rankDevice,
  valueAndGradAllReduced,
  worldSize,
} from "./src/dist.ts";
export {
  type Checkpoint,
  latestCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
  type TrainState,
} from "./src/train/checkpoint.ts";
// Metrics, continued: BLEU options and sentence BLEU, chrF++, TER, CER/WER, sacreBLEU-style signatures and reports.
export { BLEU_TOKENIZERS, type BleuOptions, type BleuTokenizer, sentenceBleu } from "./src/metrics/bleu.ts";
export { type ChrfOptions, corpusChrfPlusPlus } from "./src/metrics/chrf.ts";
export { tokenizeIntl } from "./src/metrics/tokenize_intl.ts";
export { corpusTer, sentenceTer, type TerScore, terWords } from "./src/metrics/ter.ts";
export { terEdits } from "./src/metrics/tercom.ts";
export {
  cerUnits,
  corpusCer,
  corpusWer,
  type ErrorRateOptions,
  type ErrorRateScore,
  levenshtein,
  werUnits,
} from "./src/metrics/error_rate.ts";
export * from "./src/metrics/signature.ts";
export {
  evaluate,
  type EvaluateOptions,
  evaluateSentences,
  formatResult,
  METRIC_NAMES,
  type MetricName,
  type MetricResult,
  resultJson,
} from "./src/metrics/evaluate.ts";
