/**
 * Safetensors files, read and written by our own code (no dependency).
 *
 * Format: an 8-byte little-endian u64 header length N, then N bytes of UTF-8 JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}`, then the data
 * buffer; offsets are relative to the start of the data buffer, elements are little-endian, row-major.
 *
 * Reading validates the whole header against the file (every entry, the data buffer's bounds, overlaps)
 * before it builds any tensor, so a bad file raises one `SafetensorsError` naming the file and the tensor
 * and leaves nothing allocated. The file is read into one buffer and every tensor is copied straight from
 * a view into it. Reading is synchronous, so the tensors belong to the caller's current scope like any op
 * result (`scope(() => readSafetensors(p).tensors.get("w"))`).
 *
 * Writing streams one tensor's bytes at a time into `<path>.tmp-<random>` next to the target, fsyncs it and
 * renames it over the target: the target is either the old file or the complete new one, never a mix.
 *
 * `matchState` compares what a file holds with what a model expects and throws one `StateMismatchError`
 * listing every missing key, unexpected key and shape mismatch by name.
 *
 * Dtypes: F32, F64, F16, BF16, I64, I32, BOOL (our f32, f64, f16, bf16, i64, i32, bool). Other safetensors
 * dtypes (U8, I8, I16, F8_E4M3, ...) are rejected by name rather than silently widened.
 *
 * @module
 */
import { DTypeError } from "../errors.ts";
import { fromBytes } from "../create.ts";
import { filledOnCpu } from "../raw_fill.ts";
import { defaultDevice, type Device } from "../device.ts";
import { bytesPer, type DType, type FloatDType, isFloat } from "../dtype.ts";
import { formatShape } from "../shape.ts";
import { free } from "../scope.ts";
import { handleOf, type Tensor } from "../tensor.ts";
import { bytes, bytesInto } from "../transfer.ts";

/** A malformed or unsupported safetensors file (or a write that cannot be done), naming the file and tensor. */
export class SafetensorsError extends Error {
  /**
   * Makes the error; the message reads `"<source>: tensor "<name>": <detail>"`, without the tensor part
   * when `tensor` is undefined.
   */
  constructor(
    /** The file (or "<buffer>") the problem is in. */
    readonly source: string,
    /** The tensor concerned, when there is one. */
    readonly tensor: string | undefined,
    /** The problem alone, without the file and tensor names. */
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(`${source}: ${tensor === undefined ? "" : `tensor ${JSON.stringify(tensor)}: `}${detail}`, options);
    this.name = "SafetensorsError";
  }
}

/** One shape that differs between a file and a model. */
export interface ShapeMismatch {
  /** The tensor's state-dict name. */
  name: string;
  /** The shape in the file. */
  got: readonly number[];
  /** The shape the model expects. */
  expected: readonly number[];
}

/** A state (file) whose keys or shapes differ from what a model expects; every difference is listed. */
export class StateMismatchError extends SafetensorsError {
  /**
   * Makes the error; the message lists the differences (the first 25 of each kind, then a count).
   *
   * @param source the file the state came from
   */
  constructor(
    source: string,
    /** Names the model expects that the file lacks. */
    readonly missing: readonly string[],
    /** Names in the file that the model does not expect. */
    readonly unexpected: readonly string[],
    /** Names present in both with different shapes. */
    readonly shapeMismatches: readonly ShapeMismatch[],
  ) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`missing: ${listed(missing)}`);
    if (unexpected.length > 0) parts.push(`unexpected: ${listed(unexpected)}`);
    if (shapeMismatches.length > 0) {
      const items = shapeMismatches.map((m) =>
        `${m.name} ${formatShape(m.got)} in the file, ${formatShape(m.expected)} expected`
      );
      parts.push(`shape mismatch: ${listed(items)}`);
    }
    super(source, undefined, `state does not match the model: ${parts.join("; ")}`);
    this.name = "StateMismatchError";
  }
}

const LIST_LIMIT = 25;
function listed(items: readonly string[]): string {
  if (items.length <= LIST_LIMIT) return items.join(", ");
  return `${items.slice(0, LIST_LIMIT).join(", ")}, ... (${items.length - LIST_LIMIT} more)`;
}

/** Header lengths beyond this are taken as a sign of a wrong or corrupt file (the reference uses 100 MB too). */
export const MAX_HEADER_BYTES = 100_000_000;
const MAX_RANK = 64;
const METADATA_KEY = "__metadata__";

const FILE_DTYPES: Record<string, DType> = {
  F32: "f32",
  F64: "f64",
  F16: "f16",
  BF16: "bf16",
  I64: "i64",
  I32: "i32",
  I8: "i8",
  BOOL: "bool",
};
const DTYPE_NAMES: Record<DType, string> = {
  f32: "F32",
  f64: "F64",
  f16: "F16",
  bf16: "BF16",
  i64: "I64",
  i32: "I32",
  i8: "I8",
  bool: "BOOL",
};
// In the safetensors spec but without a dtype here: named as unsupported rather than unknown.
const UNSUPPORTED = new Set([
  "U8",
  "I16",
  "U16",
  "U32",
  "U64",
  "F8_E4M3",
  "F8_E5M2",
  "F8_E8M0",
  "F6_E2M3",
  "F6_E3M2",
  "F4",
  "C64",
]);

/** One tensor as the header describes it (offsets are absolute: into the whole file). */
export interface SafetensorsEntry {
  /** The tensor's name as written in the header. */
  name: string;
  /** Our dtype for the file's dtype. */
  dtype: DType;
  /** The tensor's sizes, outermost first (`[]` for a scalar). */
  shape: number[];
  /** Offset of the first byte in the whole file (8 + header length + data_offsets[0]). */
  begin: number;
  /** Offset just past the last byte in the whole file. */
  end: number;
}

/** A parsed and validated safetensors header: where every tensor's bytes are, and the file's metadata. */
export interface SafetensorsHeader {
  /** The tensors in the order of their data in the file (the order they were written in). */
  entries: SafetensorsEntry[];
  /** The `__metadata__` strings (`{}` when the file has none). */
  metadata: Record<string, string>;
  /** Offset of the data buffer in the file (8 + header length). */
  dataStart: number;
}

/** Options for reading safetensors: which device the tensors go to and an optional float cast. */
export interface ReadSafetensorsOptions {
  /** Where to put the tensors (default `defaultDevice()`, "cpu" unless set). They are copied from the file buffer straight to the device. */
  device?: Device;
  /** Cast floating tensors to this dtype on load (integer and bool tensors keep theirs). */
  dtype?: FloatDType;
}

/** What reading a safetensors file gives: its tensors by name, and its metadata. */
export interface SafetensorsContents {
  /** In the order of their data in the file, i.e. the order the writer gave (ours, the reference's). */
  tensors: Map<string, Tensor>;
  /** The `__metadata__` strings (`{}` when the file has none). */
  metadata: Record<string, string>;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && !Array.isArray(x);
}

function fmtJSON(x: unknown): string {
  const s = JSON.stringify(x);
  return s === undefined ? String(x) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * Parses and validates the header of a whole safetensors file held in `bytes`: everything but the
 * tensor data itself. Throws `SafetensorsError` on the first problem found.
 */
export function parseSafetensorsHeader(
  bytes: Uint8Array,
  source = "<buffer>",
  /** The whole file's size when `bytes` holds only its start (the header); default `bytes.length`. */
  fileLength = bytes.length,
): SafetensorsHeader {
  const fail = (detail: string, tensor?: string, cause?: unknown): never => {
    throw new SafetensorsError(source, tensor, detail, cause === undefined ? undefined : { cause });
  };
  if (fileLength < 8 || bytes.length < 8) {
    fail(`${fileLength}-byte file is too short for a safetensors file (needs at least the 8-byte header length)`);
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    fail(
      `header length ${headerLength} is absurd (limit ${MAX_HEADER_BYTES} bytes): not a safetensors file, or corrupt`,
    );
  }
  const n = Number(headerLength);
  if (8 + n > fileLength || 8 + n > bytes.length) {
    fail(
      `header length ${n} runs past the end of the ${fileLength}-byte file: ${8 + n - fileLength} bytes missing ` +
        `(file truncated?)`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch (e) {
    return fail(`header is not valid UTF-8`, undefined, e);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`, undefined, e);
  }
  if (!isPlainObject(header)) {
    fail(`header must be a JSON object, got ${Array.isArray(header) ? "an array" : fmtJSON(header)}`);
  }
  const dataStart = 8 + n;
  const dataLength = fileLength - dataStart;
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (!isPlainObject(raw)) fail(`__metadata__ must be an object of strings, got ${fmtJSON(raw)}`);
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== "string") {
          fail(`__metadata__ must map strings to strings, but ${JSON.stringify(k)} is ${fmtJSON(v)}`);
        }
        // defineProperty: a "__proto__" key stays a key.
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    if (!isPlainObject(raw)) {
      fail(`entry must be an object with dtype, shape and data_offsets, got ${fmtJSON(raw)}`, name);
    }
    const entry = raw as Record<string, unknown>;
    for (const field of ["dtype", "shape", "data_offsets"]) {
      if (!(field in entry)) fail(`entry has no "${field}"`, name);
    }
    const { dtype: fileDType, shape, data_offsets: offsets } = entry;
    if (typeof fileDType !== "string") fail(`dtype must be a string, got ${fmtJSON(fileDType)}`, name);
    const dtype = FILE_DTYPES[fileDType as string];
    if (dtype === undefined) {
      const supported = Object.keys(FILE_DTYPES).join(", ");
      fail(
        UNSUPPORTED.has(fileDType as string)
          ? `dtype ${fileDType} is not supported (supported: ${supported})`
          : `unknown dtype ${fmtJSON(fileDType)} (supported: ${supported})`,
        name,
      );
    }
    if (!Array.isArray(shape)) fail(`shape must be an array of sizes, got ${fmtJSON(shape)}`, name);
    const dims = shape as unknown[];
    if (!dims.every((d) => typeof d === "number" && Number.isSafeInteger(d) && d >= 0)) {
      fail(`shape entries must be non-negative integers, got ${fmtJSON(shape)}`, name);
    }
    if (dims.length > MAX_RANK) fail(`shape has ${dims.length} dimensions, at most ${MAX_RANK} are supported`, name);
    if (
      !Array.isArray(offsets) || offsets.length !== 2 ||
      !offsets.every((o) => typeof o === "number" && Number.isSafeInteger(o) && o >= 0)
    ) {
      fail(`data_offsets must be two non-negative integers [begin, end], got ${fmtJSON(offsets)}`, name);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) fail(`data_offsets [${begin}, ${end}] begin after end`, name);
    if (end > dataLength) {
      fail(
        `data_offsets [${begin}, ${end}] end beyond the ${dataLength}-byte data buffer: ` +
          `${end - dataLength} bytes missing (file truncated?)`,
        name,
      );
    }
    const numel = (dims as number[]).reduce((a, b) => a * b, 1);
    const need = numel * bytesPer(dtype);
    if (end - begin !== need) {
      fail(
        `data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but shape ${formatShape(dims as number[])} ` +
          `of ${fileDType} needs ${need} (${numel} x ${bytesPer(dtype)})`,
        name,
      );
    }
    entries.push({ name, dtype, shape: [...dims as number[]], begin: dataStart + begin, end: dataStart + end });
  }
  // File order: the writer's order (a JSON object's key order is not reliable: JS lists integer-like keys
  // first). Then overlaps: each non-empty range must start at or after the end of the ones before.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let last: SafetensorsEntry | undefined;
  for (const cur of entries) {
    if (cur.end === cur.begin) continue;
    if (last !== undefined && cur.begin < last.end) {
      const rel = (e: SafetensorsEntry) => `[${e.begin - dataStart}, ${e.end - dataStart}]`;
      fail(`data_offsets ${rel(cur)} overlap tensor ${JSON.stringify(last.name)} at ${rel(last)}`, cur.name);
    }
    if (last === undefined || cur.end > last.end) last = cur;
  }
  return { entries, metadata, dataStart };
}

/**
 * The tensors and metadata of a safetensors file held in memory. Validates everything first (see
 * `parseSafetensorsHeader`), then copies each tensor from a view into `bytes`.
 */
export function parseSafetensors(
  bytes: Uint8Array,
  source = "<buffer>",
  opts?: ReadSafetensorsOptions,
): SafetensorsContents {
  if (opts?.dtype !== undefined && !isFloat(opts.dtype)) {
    throw new DTypeError(
      "readSafetensors",
      `dtype casts floating tensors and must be a float dtype, got ${opts.dtype}`,
    );
  }
  const { entries, metadata } = parseSafetensorsHeader(bytes, source);
  const tensors = new Map<string, Tensor>();
  try {
    for (const e of entries) {
      const castTo = opts?.dtype !== undefined && isFloat(e.dtype) ? opts.dtype : undefined;
      tensors.set(
        e.name,
        fromBytes(bytes.subarray(e.begin, e.end), e.dtype, e.shape, { device: opts?.device, castTo }),
      );
    }
  } catch (e) {
    free(tensors); // e.g. out of device memory halfway: leave nothing behind
    throw e;
  }
  return { tensors, metadata };
}

/**
 * The tensors and metadata of the safetensors file at `path`, read a tensor at a time: CPU tensors in the
 * file's dtype straight into their own memory, the others (casts, other devices, bool) through one
 * buffer the size of the largest of them, so that the file is never in memory whole beside the tensors.
 * Synchronous, so the tensors belong to the caller's current scope. A missing or unreadable file raises
 * Deno's own error (`Deno.errors.NotFound`, ...); a malformed one `SafetensorsError`.
 */
export function readSafetensors(path: string, opts?: ReadSafetensorsOptions): SafetensorsContents {
  if (opts?.dtype !== undefined && !isFloat(opts.dtype)) {
    throw new DTypeError(
      "readSafetensors",
      `dtype casts floating tensors and must be a float dtype, got ${opts.dtype}`,
    );
  }
  using file = Deno.openSync(path);
  const { entries, metadata } = readHeader(file, path);
  let scratch: Uint8Array | undefined;
  const tensors = new Map<string, Tensor>();
  const device = opts?.device ?? defaultDevice();
  const castOf = (e: { dtype: DType }) => opts?.dtype !== undefined && isFloat(e.dtype) ? opts.dtype : undefined;
  // What goes straight into the tensor's memory: CPU tensors kept in the file's dtype (bool is checked on the way).
  const direct = (e: { dtype: DType }) => castOf(e) === undefined && device === "cpu" && e.dtype !== "bool";
  try {
    for (const e of entries) {
      if (direct(e)) {
        // Read straight into the new tensor's memory: no buffer of the file's bytes beside the weights.
        // The header parser matched the offsets to the shape; the view must never pass the tensor's end.
        const size = e.end - e.begin;
        const t = filledOnCpu(e.dtype, e.shape, (into) => {
          if (into.length !== size) throw new SafetensorsError(path, e.name, "offsets do not fit the shape");
          readAt(file, e.begin, into, path);
        });
        tensors.set(e.name, t);
        continue;
      }
      // Otherwise through a buffer (the largest such entry's size), which fromBytes copies, casts or checks.
      scratch ??= new Uint8Array(Math.max(0, ...entries.filter((x) => !direct(x)).map((x) => x.end - x.begin)));
      const bytes = readAt(file, e.begin, scratch.subarray(0, e.end - e.begin), path);
      tensors.set(e.name, fromBytes(bytes, e.dtype, e.shape, { device: opts?.device, castTo: castOf(e) }));
    }
  } catch (e) {
    free(tensors);
    throw e;
  }
  return { tensors, metadata };
}

/** The header of the safetensors file at `path`, read without its data; malformed is `SafetensorsError`. */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  using file = Deno.openSync(path);
  return readHeader(file, path);
}

function readHeader(file: Deno.FsFile, path: string): SafetensorsHeader {
  const size = file.statSync().size;
  const start = readAt(file, 0, new Uint8Array(Math.min(8, size)), path);
  const length = start.length < 8 ? 0 : Number(new DataView(start.buffer).getBigUint64(0, true));
  // An absurd or truncated length is for the parser to name; it reads no further than the file.
  const headerBytes = Math.min(size, 8 + Math.min(length, MAX_HEADER_BYTES + 1));
  return parseSafetensorsHeader(readAt(file, 0, new Uint8Array(headerBytes), path), path, size);
}

/** Fills `into` from `offset` of `file`; a file that ends first is a SafetensorsError (it changed under us). */
function readAt(file: Deno.FsFile, offset: number, into: Uint8Array, path: string): Uint8Array {
  file.seekSync(offset, Deno.SeekMode.Start);
  let filled = 0;
  while (filled < into.length) {
    const n = file.readSync(into.subarray(filled));
    if (n === null) throw new SafetensorsError(path, undefined, `file ended at byte ${offset + filled} while reading`);
    filled += n;
  }
  return into;
}

interface Plan {
  header: Uint8Array;
  tensors: Tensor[];
}

/** Validates the entries and builds the padded header (keys in the given order, offsets contiguous). */
function plan(
  entries: Iterable<readonly [string, Tensor]>,
  metadata: Record<string, string> | undefined,
  source: string,
): Plan {
  const fail = (detail: string, tensor?: string): never => {
    throw new SafetensorsError(source, tensor, detail);
  };
  const parts: string[] = [];
  if (metadata !== undefined) {
    if (!isPlainObject(metadata)) fail(`metadata must be an object of strings`);
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") {
        fail(`metadata must map strings to strings, but ${JSON.stringify(k)} is ${fmtJSON(v)}`);
      }
    }
    // Built by hand, like the entries, so integer-like keys keep their order.
    const meta = Object.entries(metadata).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",");
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${meta}}`);
  }
  const seen = new Set<string>();
  const tensors: Tensor[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    if (typeof name !== "string" || name === "") fail(`tensor names must be non-empty strings, got ${fmtJSON(name)}`);
    if (name === METADATA_KEY) fail(`"${METADATA_KEY}" is reserved for the metadata and cannot name a tensor`, name);
    if (seen.has(name)) fail(`tensor name given twice`, name);
    seen.add(name);
    handleOf(t, `writeSafetensors: tensor ${JSON.stringify(name)}`); // freed tensors fail here, before any file exists
    const length = t.size * bytesPer(t.dtype);
    const info = { dtype: DTYPE_NAMES[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + length] };
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    tensors.push(t);
    offset += length;
  }
  const json = new TextEncoder().encode(`{${parts.join(",")}}`);
  const n = Math.ceil(json.length / 8) * 8; // padded with spaces, as the reference writer does
  const header = new Uint8Array(8 + n).fill(0x20, 8 + json.length);
  new DataView(header.buffer).setBigUint64(0, BigInt(n), true);
  header.set(json, 8);
  return { header, tensors };
}

/** A whole safetensors file in memory (header then each tensor's bytes, in the given order). */
export function serializeSafetensors(
  entries: Iterable<readonly [string, Tensor]>,
  metadata?: Record<string, string>,
): Uint8Array {
  const { header, tensors } = plan(entries, metadata, "<buffer>");
  const chunks = tensors.map(bytes);
  const out = new Uint8Array(header.length + chunks.reduce((a, c) => a + c.length, 0));
  out.set(header, 0);
  let pos = header.length;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

function writeAll(file: Deno.FsFile, data: Uint8Array): void {
  let pos = 0;
  while (pos < data.length) pos += file.writeSync(data.subarray(pos));
}

/**
 * Writes `tensors` (keys in the given order, e.g. `flattenTree(params)` or a Map) to `path` as safetensors,
 * atomically: into `<path>.tmp-<random>` in the same folder, one tensor's bytes at a time, fsynced, then
 * renamed over `path`. On any error the temporary file is removed and `path` is left as it was.
 * Names must be non-empty and distinct; `metadata` goes in `__metadata__`. Synchronous.
 */
export function writeSafetensors(
  path: string,
  tensors: Iterable<readonly [string, Tensor]>,
  metadata?: Record<string, string>,
): void {
  const { header, tensors: list } = plan(tensors, metadata, path);
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0"));
  const tmp = `${path}.tmp-${suffix.join("")}`;
  let file: Deno.FsFile | undefined;
  try {
    file = Deno.openSync(tmp, { write: true, createNew: true });
    writeAll(file, header);
    // One buffer for every tensor's bytes: a checkpoint leaves one tensor's worth for the GC, not the
    // whole model's (which kept a long run's resident set ~175 MB up for minutes after each save).
    const scratch = new Uint8Array(Math.max(0, ...list.map((t) => t.size * bytesPer(t.dtype))));
    for (const t of list) writeAll(file, bytesInto(t, scratch));
    file.syncSync();
    file.close();
    file = undefined;
    Deno.renameSync(tmp, path);
  } catch (e) {
    try {
      file?.close();
    } catch { /* already closed */ }
    try {
      Deno.removeSync(tmp);
    } catch { /* never created */ }
    throw e;
  }
}

/**
 * Compares the tensors a file holds (`got`: a Map of name → tensor, or anything with a shape) with the
 * names and shapes a model expects, and throws one `StateMismatchError` listing every missing key,
 * unexpected key and shape mismatch by name; returns normally when they match. With
 * `allowUnexpected`, keys the model does not expect are ignored.
 */
export function matchState(
  expected: Iterable<readonly [string, readonly number[]]>,
  got: ReadonlyMap<string, { readonly shape: readonly number[] }>,
  source: string,
  opts?: { allowUnexpected?: boolean },
): void {
  const missing: string[] = [];
  const shapeMismatches: ShapeMismatch[] = [];
  const names = new Set<string>();
  for (const [name, shape] of expected) {
    names.add(name);
    const t = got.get(name);
    if (t === undefined) missing.push(name);
    else if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      shapeMismatches.push({ name, got: [...t.shape], expected: [...shape] });
    }
  }
  const unexpected = opts?.allowUnexpected ? [] : [...got.keys()].filter((k) => !names.has(k));
  if (missing.length > 0 || unexpected.length > 0 || shapeMismatches.length > 0) {
    throw new StateMismatchError(source, missing, unexpected, shapeMismatches);
  }
}
