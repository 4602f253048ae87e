/**
 * The seed's dataset: Hugging Face's `Helsinki-NLP/opus_books`, configuration `en-it` (one `train`
 * splitKey, rows `{id, translation: {en, it}}`). The first use downloads the hub's parquet conversion
 * of it into a cache folder; later uses read the cached file and need no network.
 *
 * Cache: `$HF_HOME/deno-torch/`, else `$XDG_CACHE_HOME/deno-torch/`, else `~/.cache/deno-torch/`, then
 * `opus_books/<config>/train/0000.parquet` (the hub's own path within the conversion).
 * URL: `$HF_ENDPOINT` (default https://huggingface.co), as Hugging Face's own clients honour it for
 * mirrors; `DENO_TORCH_OPUS_BOOKS_URL` or the `url` option replace the whole URL.
 */
import { type Corpus, loadPairs, type ReadOptions } from "./corpus.ts";
import { DownloadError, downloadFile } from "../io/download.ts";

/**
 * The Hugging Face dataset id of opus_books, the seed's training data.
 *
 * @example
 * ```ts
 * import { OPUS_BOOKS_REPO } from "@deno-torch/torch/nmt";
 * console.log(`https://huggingface.co/datasets/${OPUS_BOOKS_REPO}`);
 * ```
 */
export const OPUS_BOOKS_REPO = "Helsinki-NLP/opus_books";

/** Settings for fetching and reading opus_books; every field is optional. */
export interface OpusBooksOptions {
  /** Source language. Default "en". */
  src?: string;
  /** Target language. Default "it". */
  tgt?: string;
  /** The hub configuration; default the two languages in alphabetical order ("en-it"), as opus_books names them. */
  config?: string;
  /** The cache root (the file goes under `opus_books/` in it); default from HF_HOME / XDG_CACHE_HOME / HOME. */
  cacheDir?: string;
  /** Where to download from; default `DENO_TORCH_OPUS_BOOKS_URL`, else the hub's parquet conversion. */
  url?: string;
  /** Byte counts on stderr while downloading. Default true. */
  progress?: boolean;
  /** Gives up when connecting, or a pause in the download, lasts this long. Default 30 s. */
  stallMs?: number;
}

/** Where the cache lives when no `cacheDir` is given. */
export function defaultCacheDir(): string {
  const env = (name: string) => Deno.env.get(name) || undefined;
  const hf = env("HF_HOME");
  if (hf) return `${hf}/deno-torch`;
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/deno-torch`;
  const home = env("HOME");
  if (!home) throw new Error("opus_books: no cache folder: set HF_HOME, XDG_CACHE_HOME or HOME, or pass cacheDir");
  return `${home}/.cache/deno-torch`;
}

/** The configuration name, e.g. "en-it" for en→it and it→en alike. */
export function opusBooksConfig(opts: OpusBooksOptions = {}): string {
  return opts.config ?? [opts.src ?? "en", opts.tgt ?? "it"].sort().join("-");
}

/** The hub URL of the parquet conversion of `config`'s train split. */
export function opusBooksUrl(opts: OpusBooksOptions = {}): string {
  if (opts.url) return opts.url;
  const override = Deno.env.get("DENO_TORCH_OPUS_BOOKS_URL");
  if (override) return override;
  const endpoint = (Deno.env.get("HF_ENDPOINT") || "https://huggingface.co").replace(/\/+$/, "");
  const config = encodeURIComponent(opusBooksConfig(opts));
  return `${endpoint}/datasets/${OPUS_BOOKS_REPO}/resolve/refs%2Fconvert%2Fparquet/${config}/train/0000.parquet`;
}

/** Where the cached parquet file is (or will be). */
export function opusBooksCachePath(opts: OpusBooksOptions = {}): string {
  const root = (opts.cacheDir ?? defaultCacheDir()).replace(/\/+$/, "");
  return `${root}/opus_books/${opusBooksConfig(opts)}/train/0000.parquet`;
}

/**
 * The path of the cached parquet file, downloading it first when absent. When the hub cannot be
 * reached the DownloadError says so and points at `--data FILE`, which needs no network.
 */
export async function fetchOpusBooks(opts: OpusBooksOptions = {}): Promise<string> {
  const path = opusBooksCachePath(opts);
  try {
    if ((await Deno.stat(path)).isFile) return path;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const url = opusBooksUrl(opts);
  try {
    await downloadFile(url, path, {
      label: opts.progress === false ? undefined : `opus_books ${opusBooksConfig(opts)}`,
      stallMs: opts.stallMs,
      validate: (tmp) => checkParquetMagic(tmp, url),
    });
  } catch (e) {
    if (!(e instanceof DownloadError)) throw e;
    const what = e.status === undefined
      ? `could not reach the Hugging Face hub (${url}: ${e.reason})`
      : `could not download it from the Hugging Face hub (${url}: ${e.reason})`;
    const offline = "Without network, --data FILE reads a local corpus instead (JSONL, TSV, Moses or parquet), " +
      "e.g. --data ../shared/data/tatoeba-en-it.jsonl";
    throw new DownloadError(url, e.status, e.reason, { cause: e, message: `opus_books: ${what}. ${offline}` });
  }
  return path;
}

/**
 * opus_books as sentence pairs (downloaded on first use); `src`/`tgt` pick the direction.
 *
 * @example
 * ```ts
 * import { loadOpusBooks } from "@deno-torch/torch/nmt";
 * const { pairs } = await loadOpusBooks({ src: "it", tgt: "en" }); // Italian → English
 * ```
 */
export async function loadOpusBooks(opts: OpusBooksOptions = {}): Promise<Corpus> {
  const path = await fetchOpusBooks(opts);
  const read: ReadOptions = { src: opts.src, tgt: opts.tgt, format: "parquet" };
  return await loadPairs(path, read);
}

/** Parquet files start and end with "PAR1"; an HTML error page from a proxy does not. */
async function checkParquetMagic(path: string, url: string): Promise<void> {
  using file = await Deno.open(path);
  const size = (await file.stat()).size;
  const readAt = async (at: number) => {
    const buf = new Uint8Array(4);
    await file.seek(at, Deno.SeekMode.Start);
    let n = 0;
    while (n < 4) {
      const got = await file.read(buf.subarray(n));
      if (got === null) break;
      n += got;
    }
    return new TextDecoder().decode(buf.subarray(0, n));
  };
  if (size < 8 || await readAt(0) !== "PAR1" || await readAt(size - 4) !== "PAR1") {
    throw new DownloadError(url, 200, `what came is not a parquet file (${size} bytes)`);
  }
}
