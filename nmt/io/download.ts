/**
 * Downloading one file atomically: the body streams into a temporary file beside the destination,
 * which is renamed into place only once complete (and validated), so an interrupted download never
 * leaves a truncated file that a later run would take for the real one.
 *
 * @module
 */

/**
 * A download that failed: the server could not be reached, answered with an error status, stalled, or
 * sent fewer bytes than it announced. `url`, `status` and `reason` say which, for callers that retry.
 *
 * @example
 * ```ts
 * import { DownloadError, downloadFile } from "@deno-torch/torch/nmt";
 * try {
 *   await downloadFile("https://example.com/missing.parquet", "data/missing.parquet");
 * } catch (e) {
 *   if (e instanceof DownloadError && e.status === 404) console.error(`not there: ${e.url}`);
 *   else throw e;
 * }
 * ```
 */
export class DownloadError extends Error {
  /**
   * Makes the error; unless `options.message` replaces it, the message names the URL and the reason.
   *
   * @param url what was fetched
   * @param status the HTTP status when the server answered; undefined when it could not be reached
   * @param reason what went wrong, without the URL (the message adds it)
   */
  constructor(
    readonly url: string,
    readonly status: number | undefined,
    readonly reason: string,
    options?: ErrorOptions & { message?: string },
  ) {
    super(options?.message ?? `cannot download ${url}: ${reason}`, options);
    this.name = "DownloadError";
  }
}

/** Options for `downloadFile`: progress output, the stall timeout, and a check before the file is kept. */
export interface DownloadOptions {
  /** Shown before the byte counts on stderr; no progress is printed when undefined. */
  label?: string;
  /** Gives up when connecting, or a pause in the body, lasts this long. Default 30 s. */
  stallMs?: number;
  /** Checks the complete temporary file before it is renamed into place; throw to reject it. */
  validate?: (tmpPath: string) => Promise<void>;
  /** Request headers (e.g. an authorization token). */
  headers?: Record<string, string>;
}

/** Fetches `url` into `dest` (its folder is created). Throws DownloadError for network and HTTP failures. */
export async function downloadFile(url: string, dest: string, opts: DownloadOptions = {}): Promise<void> {
  const stallMs = opts.stallMs ?? 30_000;
  const abort = new AbortController();
  let timer = setTimeout(() => abort.abort(), stallMs);
  const stillAlive = () => {
    clearTimeout(timer);
    timer = setTimeout(() => abort.abort(), stallMs);
  };
  const dir = dest.slice(0, Math.max(0, dest.lastIndexOf("/")));
  const tmp = `${dest}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    let res: Response;
    try {
      res = await fetch(url, { signal: abort.signal, headers: opts.headers });
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable) throw e; // no --allow-net: not a network failure, say so as is
      const why = abort.signal.aborted ? `no answer in ${stallMs / 1000} s` : causeOf(e);
      throw new DownloadError(url, undefined, why, { cause: e });
    }
    if (!res.ok || res.body === null) {
      await res.body?.cancel();
      throw new DownloadError(url, res.status, `the server answered ${res.status} ${res.statusText}`.trimEnd());
    }
    const total = Number(res.headers.get("content-length")) || undefined;
    if (dir !== "") await Deno.mkdir(dir, { recursive: true });
    const progress = opts.label === undefined ? undefined : new Progress(opts.label, total, url);
    const file = await Deno.open(tmp, { write: true, createNew: true });
    let received = 0;
    try {
      const reader = res.body.getReader();
      while (true) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (e) {
          const why = abort.signal.aborted ? `stalled for ${stallMs / 1000} s` : causeOf(e);
          throw new DownloadError(url, res.status, `broke off after ${received} bytes: ${why}`, { cause: e });
        }
        if (chunk.done) break;
        stillAlive();
        await writeAll(file, chunk.value);
        received += chunk.value.length;
        progress?.update(received);
      }
    } finally {
      file.close();
    }
    progress?.done(received);
    if (total !== undefined && received !== total) {
      throw new DownloadError(url, res.status, `ended after ${received} of ${total} bytes`);
    }
    await opts.validate?.(tmp);
    await Deno.rename(tmp, dest);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {}); // usually absent: the download failed before creating it
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
}

/** The innermost message of a fetch failure ("dns error: ...", "Connection refused"), which says the most. */
function causeOf(e: unknown): string {
  let inner = e;
  while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause;
  const message = inner instanceof Error ? inner.message : String(inner);
  return message.replace(/^error sending request for url \(.*?\): /, ""); // the URL is in our message already
}

/** Byte counts on stderr: rewritten in place on a terminal, a line at the start and the end otherwise. */
class Progress {
  readonly #tty = Deno.stderr.isTerminal();
  readonly #start = performance.now();
  #last = 0;

  constructor(readonly label: string, readonly total: number | undefined, url: string) {
    this.#write(`${label}: downloading ${url}${total === undefined ? "" : ` (${mb(total)})`}\n`);
  }

  update(received: number): void {
    const now = performance.now();
    if (!this.#tty || now - this.#last < 200) return;
    this.#last = now;
    const of = this.total === undefined ? "" : ` / ${mb(this.total)}`;
    this.#write(`\r${this.label}: ${mb(received)}${of}\x1b[K`);
  }

  done(received: number): void {
    const line = `${this.label}: ${mb(received)} in ${((performance.now() - this.#start) / 1000).toFixed(1)} s`;
    this.#write(this.#tty ? `\r${line}\x1b[K\n` : `${line}\n`);
  }

  #write(text: string): void {
    const bytes = new TextEncoder().encode(text);
    for (let at = 0; at < bytes.length;) at += Deno.stderr.writeSync(bytes.subarray(at));
  }
}

function mb(bytes: number): string {
  return bytes < 1e6 ? `${bytes} bytes` : `${(bytes / 1e6).toFixed(1)} MB`;
}
