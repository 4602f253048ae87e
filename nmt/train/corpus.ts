/**
 * A run's data as its options name it: the corpus (a file, a named public corpus, or the generated
 * one), tokenizers trained on the training side, and the tokenized splits.
 */
import { syntheticCorpus } from "../data/synthetic.ts";
import { loadPairs, type SentencePair } from "../data/corpus.ts";
import { loadOpusBooks } from "../data/opus_books.ts";
import { splitBySource } from "../data/split.ts";
import { type Example, tokenizePairs } from "../data/examples.ts";
import { trainWordLevel } from "../tokenize/wordlevel.ts";
import { trainBpe } from "../tokenize/bpe.ts";
import { unknownRate } from "../tokenize/stats.ts";
import type { TextTokenizer } from "../tokenize/tokenizer.ts";
import type { TrainOptions } from "./options.ts";

/** The sentence pairs a run trains on, what to call them, and a fingerprint that changes when they do. */
export interface LoadedCorpus {
  pairs: SentencePair[];
  description: string;
  fingerprint: string;
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The corpus `o` names: `--dataset`, else `--data`, else the generated corpus. */
export async function loadCorpus(o: TrainOptions): Promise<LoadedCorpus> {
  if (o.dataset === "opus_books") {
    const corpus = await loadOpusBooks({ src: o.src, tgt: o.tgt });
    return {
      pairs: corpus.pairs,
      description: `opus_books ${o.src}-${o.tgt}`,
      fingerprint: `opus_books:${corpus.pairs.length}`,
    };
  }
  if (o.data !== null) {
    const corpus = await loadPairs(o.data, { src: o.src, tgt: o.tgt });
    const hashes = await Promise.all(corpus.files.map(async (f) => await sha256(await Deno.readFile(f))));
    const skipped = corpus.skipped.empty > 0 ? ` (${corpus.skipped.empty} pairs with an empty side skipped)` : "";
    return { pairs: corpus.pairs, description: `${o.data}${skipped}`, fingerprint: hashes.join(",") };
  }
  const pairs = syntheticCorpus(o.syntheticSize, o.seed);
  return {
    pairs,
    description: `generated corpus (${o.syntheticSize} pairs, seed ${o.seed})`,
    fingerprint: `synthetic:${o.syntheticSize}:${o.seed}`,
  };
}

/** The source and target tokenizers `o.tokenizer` names, trained on `pairs`. */
export async function trainTokenizers(o: TrainOptions, pairs: SentencePair[]): Promise<[TextTokenizer, TextTokenizer]> {
  if (o.tokenizer === "bpe-shared") {
    const shared = await trainBpe([...pairs.map((p) => p.src), ...pairs.map((p) => p.tgt)], {
      vocabSize: o.vocabSize,
      minFrequency: o.minFrequency,
    });
    return [shared, shared];
  }
  return [
    await trainWordLevel(pairs.map((p) => p.src), { minFrequency: o.minFrequency }),
    await trainWordLevel(pairs.map((p) => p.tgt), { minFrequency: o.minFrequency }),
  ];
}

/** Training data after the splitKey, tokenized. */
export interface PreparedData {
  description: string;
  fingerprint: string;
  srcTok: TextTokenizer;
  tgtTok: TextTokenizer;
  train: Example[];
  valid: Example[];
  /** All reference translations of each validation example's source sentence. */
  validRefs: string[][];
  /** One line on the splits, the pairs dropped as too long, the vocabularies and the unknown rate. */
  summary: string;
}

/** For each kept pair, every translation of its source sentence in the splitKey (multi-reference scoring). */
function referencesOf(pairs: readonly SentencePair[], kept: readonly number[]): string[][] {
  const bySource = new Map<string, string[]>();
  for (const p of pairs) bySource.set(p.src, [...(bySource.get(p.src) ?? []), p.tgt]);
  return kept.map((i) => bySource.get(pairs[i].src)!);
}

/**
 * The corpus split by source sentence, tokenizers trained on its training side (or the resumed
 * run's), and the training and validation examples within `o.seqLen`.
 */
export async function prepareData(
  o: TrainOptions,
  corpus: LoadedCorpus,
  tokenizers: [TextTokenizer, TextTokenizer] | null,
): Promise<PreparedData> {
  const splits = splitBySource(corpus.pairs, { valid: o.validSize, test: o.testSize, seed: o.seed });
  const [srcTok, tgtTok] = tokenizers ?? await trainTokenizers(o, splits.train);
  const limits = { srcSeqLen: o.seqLen, tgtSeqLen: o.seqLen };
  const trainSet = await tokenizePairs(splits.train, srcTok, tgtTok, limits);
  const validSet = await tokenizePairs(splits.valid, srcTok, tgtTok, limits);
  const unk = await unknownRate(srcTok, splits.valid.map((p) => p.src));
  return {
    description: corpus.description,
    fingerprint: corpus.fingerprint,
    srcTok,
    tgtTok,
    train: trainSet.examples,
    valid: validSet.examples,
    validRefs: referencesOf(splits.valid, validSet.kept),
    summary: `${corpus.description}: ${splits.train.length} train / ${splits.valid.length} valid / ` +
      `${splits.test.length} test pairs; dropped as longer than ${o.seqLen} positions: ${trainSet.dropped.tooLong} ` +
      `train, ${validSet.dropped.tooLong} valid; vocab ${srcTok.vocabSize} ${o.src} / ${tgtTok.vocabSize} ${o.tgt}; ` +
      `[UNK] in valid ${o.src}: ${(100 * unk.rate).toFixed(2)}%`,
  };
}
