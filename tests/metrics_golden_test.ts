/**
 * The metrics against real sacreBLEU 2.6.0, without sacreBLEU installed: every case of
 * `../shared/golden/sacrebleu/cases.json` (BLEU with its tokenizers, smoothing methods, lowercase and
 * n-gram order; chrF and chrF++ with their options; TER with its options; 1–3 references; and
 * sentence-level BLEU, chrF and TER) is recomputed here from the same text files, and every number
 * sacreBLEU recorded (score, BLEU's counts, totals, brevity penalty and lengths, TER's edits and
 * reference length) must match within 1e-9, as must the signature and the printed line.
 *
 * No case is excepted: all 255 corpus cases and all 180 sentence scores match (bit for bit, when this
 * test was written). Two differences in presentation are intended, and each is asserted rather than
 * skipped (see expectedSignature and expectedLine): the signature's `version:` names this library,
 * and our TER line adds its edit and length totals.
 */
import assert from "node:assert/strict";
import { corpusBleu, sentenceBleu } from "../nmt/metrics/bleu.ts";
import type { BleuOptions, BleuSmoothMethod, BleuTokenizer } from "../nmt/metrics/bleu.ts";
import { type ChrfOptions, corpusChrf, corpusChrfPlusPlus } from "../nmt/metrics/chrf.ts";
import { evaluate, evaluateSentences, formatResult, type MetricResult } from "../nmt/metrics/evaluate.ts";
import { pyFixed } from "../nmt/metrics/pyformat.ts";
import { bleuSignature, chrfName, chrfSignature, METRICS_VERSION, terSignature } from "../nmt/metrics/signature.ts";
import { corpusTer, sentenceTer, type TerOptions } from "../nmt/metrics/ter.ts";
import { near } from "./helpers/near.ts";

// Beside the clone, as in this project's CI: ../shared from the repository root (or shared/ inside
// it, as in some checkouts).
const GOLDEN_PLACES = ["../../shared/golden/sacrebleu/", "../shared/golden/sacrebleu/"]
  .map((path) => new URL(path, import.meta.url).pathname);
const GOLDEN = GOLDEN_PLACES.find(isFolder) ?? GOLDEN_PLACES[0];
const TOL = 1e-9;

/** One entry of cases.json; sacreBLEU's own option names and statistics. */
interface GoldenCase {
  hyp: string;
  refs: string[];
  metric: "bleu" | "chrf" | "ter";
  options: Record<string, string | number | boolean>;
  score: number;
  formatted: string;
  signature: string;
  counts?: number[];
  totals?: number[];
  bp?: number;
  sys_len?: number;
  ref_len?: number;
  num_edits?: number;
  ref_length?: number;
}

interface GoldenSentence {
  line: number;
  bleu: number;
  chrf: number;
  ter: number;
}

interface Golden {
  sacrebleu_version: string;
  cases: GoldenCase[];
  sentence_scores_hyp_mixed_3refs: GoldenSentence[];
}

/**
 * Missing golden files are an error, never a skip: a CI machine always has shared/ beside the clone,
 * so a missing folder means a broken setup that would otherwise pass silently.
 */
function isFolder(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

function loadGolden(): Golden {
  try {
    return JSON.parse(Deno.readTextFileSync(`${GOLDEN}cases.json`));
  } catch (e) {
    throw new Error(
      `metrics_golden_test: cannot read the sacreBLEU golden scores (cases.json) in ${GOLDEN_PLACES.join(" or ")}: ` +
        `shared/ must be beside the repository: ${e}`,
    );
  }
}

const golden = loadGolden();
const lineCache = new Map<string, string[]>();

/** A file's lines as sacreBLEU read them: split on "\n", the final newline ending the last line. */
function lines(name: string): string[] {
  let out = lineCache.get(name);
  if (out === undefined) {
    const text = Deno.readTextFileSync(`${GOLDEN}${name}`);
    out = (text.endsWith("\n") ? text.slice(0, -1) : text).split("\n");
    lineCache.set(name, out);
  }
  return out;
}

/** sacreBLEU's stream layout (refs[k][i]) and ours per sentence (refs[i][k]) for one case. */
function referencesOf(c: GoldenCase): { streams: string[][]; perSentence: string[][] } {
  const streams = c.refs.map(lines);
  return { streams, perSentence: streams[0].map((_, i) => streams.map((s) => s[i])) };
}

function caseName(c: GoldenCase): string {
  return `${c.metric} ${c.hyp} vs ${c.refs.join("+")} ${JSON.stringify(c.options)}`;
}

/** Every option a case names must be one this test translates: an unknown one would be silently the default. */
function checkOptionNames(c: GoldenCase, known: readonly string[]): void {
  for (const key of Object.keys(c.options)) assert.ok(known.includes(key), `${caseName(c)}: unknown option ${key}`);
}

function bleuOptionsOf(c: GoldenCase): BleuOptions {
  checkOptionNames(c, ["tokenize", "lowercase", "smooth_method", "smooth_value", "max_ngram_order"]);
  const o = c.options;
  return {
    tokenize: o.tokenize as BleuTokenizer | undefined,
    lowercase: o.lowercase as boolean | undefined,
    smoothMethod: o.smooth_method as BleuSmoothMethod | undefined,
    smoothValue: o.smooth_value as number | undefined,
    maxNgramOrder: o.max_ngram_order as number | undefined,
  };
}

function chrfOptionsOf(c: GoldenCase): ChrfOptions {
  checkOptionNames(c, ["word_order", "char_order", "beta", "lowercase", "whitespace"]);
  const o = c.options;
  return {
    wordOrder: o.word_order as number | undefined,
    charOrder: o.char_order as number | undefined,
    beta: o.beta as number | undefined,
    lowercase: o.lowercase as boolean | undefined,
    whitespace: o.whitespace as boolean | undefined,
  };
}

function terOptionsOf(c: GoldenCase): TerOptions {
  checkOptionNames(c, ["normalized", "no_punct", "case_sensitive"]);
  const o = c.options;
  return {
    normalized: o.normalized as boolean | undefined,
    noPunct: o.no_punct as boolean | undefined,
    caseSensitive: o.case_sensitive as boolean | undefined,
  };
}

// Intended difference 1: our signatures end in `version:deno-torch-<version>`, since the numbers come
// from this code and not from a sacreBLEU release; every other field must be sacreBLEU's, character
// for character. Asserted: the golden signature ends in sacreBLEU's version, and only that is swapped.
function expectedSignature(c: GoldenCase): string {
  const suffix = `|version:${golden.sacrebleu_version}`;
  assert.ok(c.signature.endsWith(suffix), `${caseName(c)}: golden signature ${c.signature} lacks ${suffix}`);
  return c.signature.slice(0, -suffix.length) + `|version:${METRICS_VERSION}`;
}

// sacreBLEU's `formatted` is the score's line without the signature ("BLEU = 46.34 ..."); ours, like
// sacreBLEU's command line, puts the signature after the name ("BLEU|nrefs:1|... = 46.34 ...").
// Intended difference 2: our TER line adds " (edits = N ref_len = L)", which sacreBLEU's lacks.
function expectedLine(c: GoldenCase, signature: string): string {
  const at = c.formatted.indexOf(" = ");
  assert.ok(at > 0, `${caseName(c)}: unexpected golden line ${c.formatted}`);
  let line = `${c.formatted.slice(0, at)}|${signature}${c.formatted.slice(at)}`;
  if (c.metric === "ter") line += ` (edits = ${c.num_edits} ref_len = ${pyFixed(c.ref_length!, 1)})`;
  return line;
}

function checkBleu(c: GoldenCase): void {
  const name = caseName(c);
  const options = bleuOptionsOf(c);
  const hyps = lines(c.hyp), { streams, perSentence } = referencesOf(c);
  const b = corpusBleu(hyps, streams, options);
  near(b.score, c.score, `${name}: score`, TOL);
  assert.deepEqual(b.counts, c.counts, `${name}: counts`);
  assert.deepEqual(b.totals, c.totals, `${name}: totals`);
  near(b.bp, c.bp!, `${name}: bp`, TOL);
  assert.equal(b.sysLen, c.sys_len, `${name}: sys_len`);
  assert.equal(b.refLen, c.ref_len, `${name}: ref_len`);
  // evaluate (what `deno task eval` prints) must give the same numbers, signature and line.
  const [r] = evaluate(hyps, perSentence, { ...options, metrics: ["bleu"] });
  near(r.score, c.score, `${name}: evaluate score`, TOL);
  const signature = expectedSignature(c);
  assert.equal(r.signature, signature, `${name}: signature`);
  assert.equal(bleuSignature(c.refs.length, options), signature, `${name}: bleuSignature`);
  assert.equal(formatResult(r), expectedLine(c, signature), `${name}: printed line`);
}

function checkChrf(c: GoldenCase): void {
  const name = caseName(c);
  const options = chrfOptionsOf(c);
  const hyps = lines(c.hyp), { perSentence } = referencesOf(c);
  const score = corpusChrf(hyps, perSentence, options).score;
  near(score, c.score, `${name}: score`, TOL);
  if (options.wordOrder === 2) {
    near(corpusChrfPlusPlus(hyps, perSentence, options).score, c.score, `${name}: corpusChrfPlusPlus`, TOL);
  }
  const signature = expectedSignature(c);
  assert.equal(chrfSignature(c.refs.length, options), signature, `${name}: signature`);
  const result: MetricResult = {
    metric: options.wordOrder ? "chrf++" : "chrf",
    name: chrfName(options.wordOrder, options.beta),
    signature,
    score,
    details: {},
  };
  assert.equal(formatResult(result), expectedLine(c, signature), `${name}: printed line`);
  // evaluate has only the default chrF settings (and lowercase): check it where the case uses no others.
  const { charOrder, beta, whitespace } = options;
  if (charOrder === undefined && beta === undefined && whitespace === undefined) {
    const [r] = evaluate(hyps, perSentence, {
      lowercase: options.lowercase,
      metrics: [options.wordOrder === 2 ? "chrf++" : "chrf"],
    });
    near(r.score, c.score, `${name}: evaluate score`, TOL);
    assert.equal(formatResult(r), expectedLine(c, signature), `${name}: evaluate's printed line`);
  }
}

function checkTer(c: GoldenCase): void {
  const name = caseName(c);
  const options = terOptionsOf(c);
  const hyps = lines(c.hyp), { perSentence } = referencesOf(c);
  const t = corpusTer(hyps, perSentence, options);
  near(t.score, c.score, `${name}: score`, TOL);
  assert.equal(t.numEdits, c.num_edits, `${name}: num_edits`);
  near(t.refLength, c.ref_length!, `${name}: ref_length`, TOL);
  const signature = expectedSignature(c);
  assert.equal(terSignature(c.refs.length, options), signature, `${name}: signature`);
  const details = { num_edits: t.numEdits, ref_length: t.refLength };
  const result: MetricResult = { metric: "ter", name: "TER", signature, score: t.score, details };
  assert.equal(formatResult(result), expectedLine(c, signature), `${name}: printed line`);
  if (Object.keys(c.options).length === 0) {
    const [r] = evaluate(hyps, perSentence, { metrics: ["ter"] });
    assert.equal(formatResult(r), expectedLine(c, signature), `${name}: evaluate's printed line`);
  }
}

const CHECK = { bleu: checkBleu, chrf: checkChrf, ter: checkTer };

Deno.test("golden: the sacreBLEU folder is there, with the cases this test was written for", () => {
  assert.equal(golden.sacrebleu_version, "2.6.0");
  assert.equal(golden.cases.length, 255);
  assert.equal(golden.sentence_scores_hyp_mixed_3refs.length, 60);
  for (const c of golden.cases) {
    assert.ok(c.metric in CHECK, `unknown metric ${c.metric}`);
    for (const file of [c.hyp, ...c.refs]) assert.equal(lines(file).length, 1200, file);
  }
});

for (const metric of ["bleu", "chrf", "ter"] as const) {
  const cases = golden.cases.filter((c) => c.metric === metric);
  Deno.test(`golden: corpus ${metric}, ${cases.length} sacreBLEU cases`, () => {
    for (const c of cases) CHECK[metric](c);
  });
}

Deno.test("golden: sentence BLEU, chrF and TER of 60 lines against three references", () => {
  const hyps = lines("hyp_mixed.txt");
  const refs = ["ref1.txt", "ref2.txt", "ref3.txt"].map(lines);
  const sentences = golden.sentence_scores_hyp_mixed_3refs;
  const perSentence = sentences.map(({ line }) => refs.map((r) => r[line - 1]));
  const bySentence = evaluateSentences(sentences.map(({ line }) => hyps[line - 1]), perSentence);
  sentences.forEach(({ line, bleu, chrf, ter }, k) => {
    const hyp = hyps[line - 1], lineRefs = perSentence[k];
    near(sentenceBleu(hyp, lineRefs).score, bleu, `line ${line}: sentence_bleu`, TOL);
    near(bySentence[k].score, bleu, `line ${line}: evaluateSentences`, TOL);
    // sacreBLEU's sentence_chrf is its corpus score of a one-sentence corpus.
    near(corpusChrf([hyp], [lineRefs]).score, chrf, `line ${line}: sentence_chrf`, TOL);
    near(sentenceTer(hyp, lineRefs).score, ter, `line ${line}: sentence_ter`, TOL);
  });
});
