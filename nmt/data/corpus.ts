/**
 * Parallel corpora from files: JSONL, TSV (Tatoeba/Anki), Moses-style pairs of plain-text files and
 * parquet (Hugging Face's opus_books). Text files are streamed and UTF-8-validated (nmt/data/lines.ts);
 * every problem is a CorpusError naming the file and line. Sentences are trimmed, and a pair with an
 * empty side is skipped and counted (CorpusStats), not passed on as an example with nothing to learn.
 *
 * ```ts
 * const { pairs, skipped } = await loadPairs("../shared/data/tatoeba-en-it.jsonl"); // en → it
 * for await (const { src, tgt } of readPairs("data/train", { src: "it", tgt: "en" })) {} // train.it + train.en
 * ```
 */
import { CorpusError } from "./corpus_error.ts";
import { readLineBatches } from "./lines.ts";
import { InvalidUtf8, openParquet } from "./parquet.ts";

export { CorpusError } from "./corpus_error.ts";

/** One sentence and its translation, both trimmed. */
export type SentencePair = { src: string; tgt: string };

/** The corpus file formats the readers understand (see {@link detectCorpus} for how one is chosen). */
export type CorpusFormat = "jsonl" | "tsv" | "moses" | "parquet";

/** Settings shared by the corpus readers: language keys, format, TSV columns, and a stats counter. */
export interface ReadOptions {
  /** The source language key (JSONL/parquet field, TSV column, Moses extension). Default "en". */
  src?: string;
  /** The target language key. Default "it"; `{ src: "it", tgt: "en" }` reverses an en–it corpus. */
  tgt?: string;
  /** Overrides detection from the file name (see detectCorpus). */
  format?: CorpusFormat;
  /** TSV only: the language of each column, in order; other names mark columns to ignore. Default ["en", "it"]. */
  columns?: readonly string[];
  /** Filled in while reading: how many pairs were yielded and skipped. */
  stats?: CorpusStats;
}

/** Counts of a read. `skipped.empty`: pairs left out because a side was empty once trimmed. */
export interface CorpusStats {
  /** Pairs yielded. */
  pairs: number;
  /** Pairs left out, by reason. */
  skipped: { empty: number };
}

/** What loadPairs returns: the pairs, the skipped counts, and what was read. */
export interface Corpus {
  /** The pairs, in file order. */
  pairs: SentencePair[];
  /** Pairs left out, by reason. */
  skipped: { empty: number };
  /** The format the files were read as. */
  format: CorpusFormat;
  /** The files read: one, or the source then the target file for Moses. */
  files: string[];
}

/**
 * A zeroed counter to pass as `stats` in {@link ReadOptions}, so a streaming read reports how many
 * pairs it yielded and skipped.
 *
 * @example
 * ```ts
 * import { corpusStats, readPairs } from "@deno-torch/torch/nmt";
 * const stats = corpusStats();
 * for await (const _pair of readPairs("data/pairs.tsv", { stats })) {}
 * console.log(stats.pairs, stats.skipped.empty);
 * ```
 */
export function corpusStats(): CorpusStats {
  return { pairs: 0, skipped: { empty: 0 } };
}

const DEFAULT_TSV_COLUMNS = ["en", "it"] as const;

/**
 * The format of `path` and the files it stands for. The extension decides: .jsonl/.json → JSONL,
 * .tsv/.txt → TSV, .parquet → parquet, .<src>/.<tgt> (e.g. train.en) → Moses. A path whose
 * `<path>.<src>` or `<path>.<tgt>` exists is a Moses prefix. `opts.format` overrides all of it.
 */
export async function detectCorpus(
  path: string,
  opts: ReadOptions = {},
): Promise<{ format: CorpusFormat; files: string[] }> {
  const { src, tgt } = languages(opts);
  const ext = extension(path);
  const format = opts.format ?? byExtension(ext, src, tgt) ??
    (await exists(`${path}.${src}`) || await exists(`${path}.${tgt}`) ? "moses" : undefined);
  if (format === "moses") {
    const prefix = ext === src || ext === tgt ? path.slice(0, -(ext.length + 1)) : path;
    return { format, files: [`${prefix}.${src}`, `${prefix}.${tgt}`] };
  }
  if (format !== undefined) return { format, files: [path] };
  if (!(await exists(path))) {
    throw new CorpusError(path, undefined, `no such file (nor Moses files ${path}.${src} and ${path}.${tgt})`);
  }
  throw new CorpusError(
    path,
    undefined,
    `cannot tell the corpus format from the name: expected .jsonl/.json, .tsv/.txt, .parquet, ` +
      `or Moses files <prefix>.${src} and <prefix>.${tgt} (or give the format explicitly)`,
  );
}

/**
 * The sentence pairs of a corpus file, streamed, trimmed. A pair with a side empty once trimmed is
 * skipped and counted in `opts.stats.skipped.empty`; blank lines of JSONL and TSV files are not pairs
 * and are passed over uncounted. Errors surface where they are met: a bad line after the good ones
 * before it, Moses files of different lengths once the shorter one ends.
 */
export async function* readPairs(path: string, opts: ReadOptions = {}): AsyncGenerator<SentencePair> {
  for await (const batch of readPairBatches(path, opts)) yield* batch;
}

/**
 * readPairs a chunk at a time (a chunk of the file, a row group): the same pairs and counts, without
 * an await per pair, which is most of the cost on short sentences.
 */
export async function* readPairBatches(path: string, opts: ReadOptions = {}): AsyncGenerator<SentencePair[]> {
  const { format, files } = await detectCorpus(path, opts);
  const stats = opts.stats ?? corpusStats();
  const { src, tgt } = languages(opts);
  let raw: AsyncGenerator<Raw[]>;
  switch (format) {
    case "jsonl":
      raw = jsonlRecords(files[0], src, tgt);
      break;
    case "tsv":
      raw = tsvRecords(files[0], src, tgt, opts.columns ?? DEFAULT_TSV_COLUMNS);
      break;
    case "moses":
      raw = mosesRecords(files[0], files[1]);
      break;
    case "parquet":
      raw = parquetRecords(files[0], src, tgt);
      break;
  }
  for await (const records of raw) {
    const pairs: SentencePair[] = [];
    for (const [s, t] of records) {
      const pair = { src: s.trim(), tgt: t.trim() };
      if (pair.src === "" || pair.tgt === "") stats.skipped.empty++;
      else pairs.push(pair);
    }
    stats.pairs += pairs.length;
    if (pairs.length > 0) yield pairs;
  }
}

/** The pairs of a parquet file: a `translation` struct column ({en, it}, as opus_books) or flat language columns. */
export function readParquetPairs(path: string, opts: ReadOptions = {}): AsyncGenerator<SentencePair> {
  return readPairs(path, { ...opts, format: "parquet" });
}

/**
 * Every pair of a corpus file in memory, with the count of pairs skipped for an empty side. Throws a
 * CorpusError naming the file and line for anything unreadable.
 *
 * @example
 * ```ts
 * import { loadPairs } from "@deno-torch/torch/nmt";
 * const { pairs, skipped } = await loadPairs("data/tatoeba-en-it.jsonl");
 * const reversed = await loadPairs("data/train", { src: "it", tgt: "en" }); // Moses: train.it + train.en
 * ```
 */
export async function loadPairs(path: string, opts: ReadOptions = {}): Promise<Corpus> {
  const { format, files } = await detectCorpus(path, opts);
  const stats = corpusStats();
  const pairs: SentencePair[] = [];
  for await (const batch of readPairBatches(path, { ...opts, format, stats })) {
    for (const pair of batch) pairs.push(pair);
  }
  if (opts.stats) {
    opts.stats.pairs += stats.pairs;
    opts.stats.skipped.empty += stats.skipped.empty;
  }
  return { pairs, skipped: { ...stats.skipped }, format, files };
}

// ---- formats: each yields batches of raw (untrimmed) [src, tgt] strings ----

type Raw = [string, string];

async function* jsonlRecords(file: string, src: string, tgt: string): AsyncGenerator<Raw[]> {
  for await (const { first, lines } of readLineBatches(file)) {
    const out: Raw[] = [];
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i];
      if (text.trim() === "") continue;
      let record: unknown;
      try {
        record = JSON.parse(text);
      } catch (e) {
        const hint = first + i === 1 && text.trimStart().startsWith("[")
          ? " (a JSON array is not JSONL: write one object per line)"
          : "";
        throw new CorpusError(file, first + i, `not valid JSON: ${(e as Error).message}${hint}`, { cause: e });
      }
      out.push(pairOf(record, src, tgt, (problem) => new CorpusError(file, first + i, problem)));
    }
    yield out;
  }
}

async function* tsvRecords(
  file: string,
  src: string,
  tgt: string,
  columns: readonly string[],
): AsyncGenerator<Raw[]> {
  const si = columns.indexOf(src), ti = columns.indexOf(tgt);
  for (const [lang, index] of [[src, si], [tgt, ti]] as const) {
    if (index < 0) {
      throw new CorpusError(file, undefined, `no TSV column is "${lang}" (columns: ${columns.join(", ")})`);
    }
  }
  const need = Math.max(si, ti) + 1;
  for await (const { first, lines } of readLineBatches(file)) {
    const out: Raw[] = [];
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i];
      if (text.trim() === "") continue;
      const cells = text.split("\t");
      if (cells.length < need) {
        throw new CorpusError(
          file,
          first + i,
          `${cells.length} tab-separated column${cells.length === 1 ? "" : "s"}, needs at least ${need} ` +
            `(columns: ${columns.join(", ")})`,
        );
      }
      out.push([cells[si], cells[ti]]);
    }
    yield out;
  }
}

/** Line i of one file with line i of the other; the files must have as many lines. */
async function* mosesRecords(srcFile: string, tgtFile: string): AsyncGenerator<Raw[]> {
  const a = readLineBatches(srcFile), b = readLineBatches(tgtFile);
  let left: string[] = [], right: string[] = []; // lines read from one file and not yet paired
  let na = 0, nb = 0, doneA = false, doneB = false;
  try {
    while (true) {
      const [ra, rb] = await Promise.all([
        doneA || left.length > right.length ? undefined : a.next(),
        doneB || right.length > left.length ? undefined : b.next(),
      ]);
      if (ra?.done) doneA = true;
      else if (ra) [left, na] = [left.concat(ra.value.lines), na + ra.value.lines.length];
      if (rb?.done) doneB = true;
      else if (rb) [right, nb] = [right.concat(rb.value.lines), nb + rb.value.lines.length];
      const n = Math.min(left.length, right.length);
      if (n > 0) {
        const out: Raw[] = new Array(n);
        for (let i = 0; i < n; i++) out[i] = [left[i], right[i]];
        left = left.slice(n);
        right = right.slice(n);
        yield out;
      }
      if ((doneA && right.length > 0) || (doneB && left.length > 0)) {
        // One file ended first: count the rest of the other to name both lengths.
        let rest = 0;
        for await (const { lines } of doneA ? b : a) rest += lines.length;
        if (doneA) nb += rest;
        else na += rest;
        const [longer, shorter] = na > nb ? [srcFile, nb] : [tgtFile, na];
        throw new CorpusError(
          longer,
          shorter + 1,
          `Moses files differ in length: ${srcFile} has ${na} lines, ${tgtFile} has ${nb}`,
        );
      }
      if (doneA && doneB) return;
    }
  } finally {
    await Promise.all([a.return(undefined), b.return(undefined)]);
  }
}

async function* parquetRecords(file: string, src: string, tgt: string): AsyncGenerator<Raw[]> {
  const table = await openParquet(file);
  const nested = table.columns.includes("translation");
  if (!nested && !(table.columns.includes(src) && table.columns.includes(tgt))) {
    throw new CorpusError(
      file,
      undefined,
      `needs a "translation" column or columns "${src}" and "${tgt}" (columns: ${table.columns.join(", ")})`,
    );
  }
  for await (const { first, rows } of table.rows(nested ? ["translation"] : [src, tgt])) {
    yield rows.map((row, i) =>
      pairOf(row, src, tgt, (problem) => new CorpusError(file, first + i, problem, { row: true }))
    );
  }
}

/** `{src, tgt}` or `{translation: {src, tgt}}` → the two strings; anything else is an error naming the keys. */
function pairOf(
  record: unknown,
  src: string,
  tgt: string,
  error: (problem: string) => CorpusError,
): [string, string] {
  if (!isObject(record)) throw error(`expected a JSON object, got ${describe(record)}`);
  let fields = record, nested = false;
  if ("translation" in record) {
    if (!isObject(record.translation)) throw error(`"translation" is ${describe(record.translation)}, not an object`);
    fields = record.translation;
    nested = true;
  }
  const get = (lang: string): string => {
    if (!(lang in fields)) {
      const keys = Object.keys(fields).map((k) => JSON.stringify(k)).join(", ") || "none";
      throw error(nested ? `"translation" has no "${lang}" (its keys: ${keys})` : `no "${lang}" (keys: ${keys})`);
    }
    const v = fields[lang], name = nested ? `"translation.${lang}"` : `"${lang}"`;
    if (v instanceof InvalidUtf8) throw error(`${name} is not valid UTF-8`);
    if (typeof v !== "string") throw error(`${name} is ${describe(v)}, not a string`);
    return v;
  };
  return [get(src), get(tgt)];
}

function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && !Array.isArray(x) && !(x instanceof InvalidUtf8);
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return "null"; // hyparquet reads a null struct as undefined
  if (Array.isArray(x)) return "an array";
  return typeof x === "object" ? "an object" : `a ${typeof x} (${JSON.stringify(x)})`;
}

function languages(opts: ReadOptions): { src: string; tgt: string } {
  const src = opts.src ?? "en", tgt = opts.tgt ?? "it";
  for (const lang of [src, tgt]) {
    if (!/^[A-Za-z0-9_-]+$/.test(lang)) {
      throw new TypeError(`a language key must be like "en", got ${JSON.stringify(lang)}`);
    }
  }
  if (src === tgt) throw new TypeError(`the source and target languages are both "${src}"`);
  return { src, tgt };
}

function extension(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  return dot <= 0 ? "" : name.slice(dot + 1);
}

function byExtension(ext: string, src: string, tgt: string): CorpusFormat | undefined {
  switch (ext.toLowerCase()) {
    case "jsonl":
    case "json":
      return "jsonl";
    case "tsv":
    case "txt":
      return "tsv";
    case "parquet":
      return "parquet";
  }
  return ext === src || ext === tgt ? "moses" : undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}
