/**
 * Streaming, UTF-8-validated line reading for corpus files. The file is read in chunks and cut at
 * the last newline of each chunk, so memory stays bounded by a chunk plus one line and every
 * yielded string is a whole line. Invalid UTF-8 is an error naming the line, never a silent U+FFFD.
 */
import { CorpusError } from "./corpus_error.ts";

/** Consecutive lines of a file: `lines[i]` is line `first + i` (1-based), without "\n" or "\r\n". */
export type LineBatch = { first: number; lines: string[] };

const NEWLINE = 0x0a;
const CHUNK_BYTES = 1 << 20;

/** The lines of `path` in batches (one per chunk read). A final line without a newline is a line too. */
export async function* readLineBatches(path: string): AsyncGenerator<LineBatch> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (e) {
    throw openError(path, e);
  }
  if ((await file.stat()).isDirectory) {
    file.close();
    throw new CorpusError(path, undefined, "is a folder, not a corpus file");
  }
  // One streaming decoder for the whole file: it drops a leading BOM once, at the very start. Each
  // call ends on a newline, so no character is ever split across calls.
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let pending: Uint8Array[] = []; // the bytes of the line not yet finished
  let next = 1; // the number of the next line to yield
  try {
    while (true) {
      const buf = new Uint8Array(CHUNK_BYTES);
      const n = await file.read(buf);
      if (n === null) break;
      const chunk = buf.subarray(0, n);
      const cut = chunk.lastIndexOf(NEWLINE);
      if (cut < 0) {
        pending.push(n < CHUNK_BYTES / 2 ? chunk.slice() : chunk); // a short read should not pin a whole buffer
        continue;
      }
      const whole = concat([...pending, chunk.subarray(0, cut + 1)]);
      pending = cut + 1 < n ? [chunk.subarray(cut + 1)] : [];
      const lines = decodeLines(decoder, whole, path, next, true);
      lines.pop(); // the empty string after the final "\n"
      yield { first: next, lines };
      next += lines.length;
    }
    if (pending.length > 0) {
      const lines = decodeLines(decoder, concat(pending), path, next, false);
      if (lines.length !== 1) throw new Error("readLineBatches: a newline in the last, unterminated line");
      yield { first: next, lines };
    }
  } finally {
    file.close();
  }
}

function decodeLines(decoder: TextDecoder, bytes: Uint8Array, path: string, first: number, stream: boolean): string[] {
  let text: string;
  try {
    text = decoder.decode(bytes, { stream });
  } catch {
    throw invalidUtf8(bytes, path, first);
  }
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const s = lines[i];
    if (s.length > 0 && s.charCodeAt(s.length - 1) === 13) lines[i] = s.slice(0, -1); // CRLF files
  }
  return lines;
}

/** Finds the line holding the invalid bytes; only runs once decoding has already failed. */
function invalidUtf8(bytes: Uint8Array, path: string, first: number): CorpusError {
  const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let start = 0;
  for (let line = first;; line++) {
    const end = bytes.indexOf(NEWLINE, start);
    const slice = bytes.subarray(start, end < 0 ? bytes.length : end);
    try {
      strict.decode(slice);
    } catch {
      const at = firstInvalidByte(slice);
      const hex = Array.from(slice.subarray(at, at + 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
      return new CorpusError(path, line, `invalid UTF-8 (bytes ${hex} at byte ${at + 1} of the line)`);
    }
    if (end < 0) return new CorpusError(path, first, "invalid UTF-8"); // not reached: some line must fail
    start = end + 1;
  }
}

/** The offset of the first byte where `bytes` stops being valid UTF-8 (bisecting on the decoder). */
function firstInvalidByte(bytes: Uint8Array): number {
  const decodes = (n: number, stream: boolean) => {
    try {
      new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes.subarray(0, n), { stream });
      return true;
    } catch {
      return false;
    }
  };
  const validPrefix = (n: number) => decodes(n, true); // may end inside a character
  if (validPrefix(bytes.length)) {
    // Only the end is wrong: a character cut short. Point at its lead byte.
    let at = bytes.length - 1;
    while (at > 0 && (bytes[at] & 0xc0) === 0x80) at--;
    return at;
  }
  let lo = 0, hi = bytes.length; // validPrefix(lo), !validPrefix(hi)
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (validPrefix(mid)) lo = mid;
    else hi = mid;
  }
  // Byte hi - 1 broke it; the bad character starts at the last point where a prefix decodes whole.
  let at = hi - 1;
  while (at > 0 && !decodes(at, false)) at--;
  return at;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function openError(path: string, e: unknown): CorpusError {
  if (e instanceof Deno.errors.NotFound) return new CorpusError(path, undefined, "no such file", { cause: e });
  return new CorpusError(path, undefined, `cannot read: ${(e as Error).message}`, { cause: e });
}
